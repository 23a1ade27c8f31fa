"""casectl.yaml: its rules (CM5xx) and reading the settings (``check_config``), with
an aloud fallback for each setting that has errors.

| code | rule |
|---|---|
| CM520 | `timezone` is a known IANA time zone name |
| CM521 | `domains` has no duplicates |
| CM522 | manager keys are simple names (letters, digits, `.`, `_`, `-`) |

A manager key longer than 64 characters is CM014 (a key too long).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from casectl.checks import schema
from casectl.checks import text as text_rules
from casectl.checks.result import cap_problems
from casectl.core import dates
from casectl.core.model import FORMAT_VERSION, MAX_MANAGER_KEY, Agency, Cadence, describe
from casectl.core.problems import Problem
from casectl.store.load import KEY_TOO_LONG, Loaded

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # fullmatch: no final newline


def check(loaded: Loaded, agency: Agency) -> list[Problem]:
    out: list[Problem] = []
    if dates.zone_named(agency.timezone) is None:
        out.append(
            loaded.problem(
                ("timezone",),
                "CM520",
                f"{describe(agency.timezone)} is not a known time zone "
                "(use an IANA name such as America/Chicago)",
            )
        )
    seen: set[str] = set()
    for i, domain in enumerate(agency.domains):
        if domain in seen:
            out.append(
                loaded.problem(("domains", i), "CM521", f"{describe(domain)} is listed twice")
            )
        seen.add(domain)
    for key in agency.managers or {}:
        if len(key) > MAX_MANAGER_KEY:
            out.append(
                loaded.problem(
                    ("managers", key),
                    KEY_TOO_LONG,
                    f"manager key too long ({len(key):,} characters; the limit is "
                    f"{MAX_MANAGER_KEY})",
                    key=True,
                )
            )
        elif not _KEY.fullmatch(key):
            out.append(
                loaded.problem(
                    ("managers", key),
                    "CM522",
                    f"{describe(key)} is not a simple manager key",
                    key=True,
                )
            )
    return out


# ------------------------------------------------------------------ settings


@dataclass
class Settings:
    """casectl.yaml as read: the settings to use, every problem, and each fallback.

    ``agency`` is always usable: with errors in the file it is the best reading
    (:func:`best_settings`), and ``fallbacks`` says, one line each, what was not
    taken from the file.
    """

    agency: Agency
    problems: list[Problem]
    fallbacks: list[str]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def check_config(loaded: Loaded) -> Settings:
    """Validate casectl.yaml and read the settings, falling back (aloud) where needed."""
    if not loaded.ok:
        agency, fallbacks = best_settings(loaded)
        return Settings(agency, cap_problems(list(loaded.problems), [loaded]), fallbacks)
    valid, problems = schema.validate(loaded, Agency, 5)
    problems = list(loaded.problems) + text_rules.check(loaded, CONFIG) + problems
    agency, fallbacks = (valid, []) if valid is not None else best_settings(loaded)
    # The rules run on the best reading too: every problem at once.
    problems += check(loaded, agency)
    problems = cap_problems(problems, [loaded])
    return Settings(_usable_zone(agency, fallbacks), problems, fallbacks)


def best_settings(loaded: Loaded) -> tuple[Agency, list[str]]:
    """The best reading of a casectl.yaml that has errors, and what fell back.

    Every valid setting is kept; each invalid one falls back on its own (a bad
    cadence key to its default, the other keys kept; a bad zone to UTC; a bad
    manager entry to the key as its name) and says so in one line for stderr.
    """
    data = loaded.data if loaded.ok else None
    if not isinstance(data, dict):
        return Agency(agency="(agency)"), [
            f"{CONFIG} cannot be read; using the default settings "
            "(time zone UTC, the default cadence, no managers list)"
        ]
    kept: dict[str, Any] = {"agency": "(agency)"}
    said: list[str] = []
    for name, value in data.items():
        if name not in Agency.model_fields:
            continue  # an unknown key: a warning, and ignored as always
        if schema.valid_or_none(Agency, {**kept, name: value}) is not None:
            kept[name] = value
        elif name == "cadence":
            kept[name] = _best_cadence(value, said)
        elif name == "managers" and isinstance(value, dict):
            kept[name] = _best_managers(value, said)
        elif name == "domains" and isinstance(value, list):
            kept[name] = [d for d in value if isinstance(d, str)]
            said.append(f"{CONFIG}: domains keeps only its valid names")
        else:
            said.append(f"{CONFIG}: {name} {_FALLBACK.get(name, 'falls back to its default')}")
    if "agency" not in data:
        said.append(f"{CONFIG}: agency {_FALLBACK['agency']}")
    agency = schema.valid_or_none(Agency, kept)
    if agency is None:  # pragma: no cover - every field above was checked on its own
        return Agency(agency="(agency)"), [f"{CONFIG}: using the default settings"]
    return agency, said


CONFIG = "casectl.yaml"


_FALLBACK = {
    "agency": "(the name) falls back to '(agency)'",
    "format": f"is read as {FORMAT_VERSION}",
    "timezone": "falls back to UTC",
    "managers": "is not read: any manager key is accepted",
    "domains": "falls back to the default domains",
}


def _best_cadence(value: Any, said: list[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        said.append(f"{CONFIG}: cadence falls back to the default cadence")
        return {}
    kept: dict[str, Any] = {}
    defaults = Cadence()
    for key, item in value.items():
        if schema.valid_or_none(Cadence, {key: item}) is not None:
            kept[key] = item
        else:
            said.append(
                f"{CONFIG}: cadence.{key} falls back to the default, {getattr(defaults, key)}"
            )
    return kept


def _best_managers(value: dict[Any, Any], said: list[str]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, entry in value.items():
        if schema.valid_or_none(Agency, {"agency": "a", "managers": {key: entry}}) is not None:
            kept[key] = entry
        else:
            kept[str(key)] = str(key)
            said.append(f"{CONFIG}: managers.{key} falls back to the name {str(key)!r}")
    return kept


def _usable_zone(agency: Agency, said: list[str]) -> Agency:
    """The agency, with UTC for a zone name that names no zone (said)."""
    if dates.zone_named(agency.timezone) is None:
        said.append(f"{CONFIG}: timezone falls back to UTC")
        return agency.model_copy(update={"timezone": "UTC"})
    return agency
