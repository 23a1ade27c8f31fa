"""Every check of casectl, run file by file and across a client's files.

The families (one module each, docstrings list their codes): ``config`` (CM5xx),
``client`` (CM1xx), ``plan`` (CM2xx), ``assessment`` (CM3xx), ``log`` (CM4xx),
``links`` (CM6xx); ``schema`` maps record validation to x01..x07 in each block;
``text`` (CM011, CM128) what text may hold in any file; ``casectl.load`` owns the
rest of CM0xx. Checks never print and never raise for bad data.
"""

from __future__ import annotations

import os
import stat
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from casectl.checks import assessment as assessment_rules
from casectl.checks import client as client_rules
from casectl.checks import config as config_rules
from casectl.checks import links, schema
from casectl.checks import log as log_rules
from casectl.checks import plan as plan_rules
from casectl.checks import text as text_rules
from casectl.core.facts import ClientFacts, ClientFields, facts_from_records
from casectl.core.model import (
    CLIENT_ID_RE,
    FORMAT_VERSION,
    Agency,
    Assessment,
    AssessmentFile,
    Cadence,
    Client,
    Goal,
    LogEntry,
    Plan,
    Record,
    describe,
)
from casectl.core.problems import Problem
from casectl.store import load

CLIENT_FILES = ("client.yaml", "assessment.yaml", "plan.yaml", "log.yaml")
BLOCKS = {"client.yaml": 1, "plan.yaml": 2, "assessment.yaml": 3, "log.yaml": 4}


@dataclass
class ClientCheck:
    """A client's records as far as they could be read, and every problem found."""

    id: str
    problems: list[Problem] = field(default_factory=list)
    client: Client | None = None
    assessments: AssessmentFile | None = None
    plan: Plan | None = None
    log: list[LogEntry] = field(default_factory=list)
    log_complete: bool = False  # every entry of log.yaml was valid
    loaded: dict[str, load.Loaded] = field(default_factory=dict)

    @property
    def errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    @property
    def facts(self) -> ClientFacts:
        """What the schedule and listings need, from every valid part of the files:
        a client with errors never disappears from them (contract 5.2, ``record``)."""
        client: Client | ClientFields | None = self.client
        if client is None:
            loaded = self.loaded.get("client.yaml")
            client = _salvage_client(self.id, loaded.data if loaded is not None else None)
        return facts_from_records(client, self.assessments, self.plan, self.log, self.errors)

    def latest_event(self) -> date | None:
        """The latest 'happened on' date, for cache validity of future-date checks."""
        days: list[date] = []
        if self.client is not None:
            c = self.client
            days += [c.opened]
            days += [
                d
                for d in (
                    c.born,
                    c.closed.date if c.closed else None,
                    c.consent.signed if c.consent else None,
                )
                if d
            ]
        if self.assessments is not None:
            days += [a.date for a in self.assessments.assessments]
        if self.plan is not None:
            days += [d for d in [self.plan.created] if d]
            days += [a.done for g in self.plan.goals for a in g.actions if a.done]
        days += [e.date.date() for e in self.log]
        return max(days) if days else None


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


def check_config(loaded: load.Loaded) -> Settings:
    """Validate casectl.yaml and read the settings, falling back (aloud) where needed."""
    if not loaded.ok:
        agency, fallbacks = best_settings(loaded)
        return Settings(agency, cap_problems(list(loaded.problems), [loaded]), fallbacks)
    valid, problems = schema.validate(loaded, Agency, 5)
    problems = list(loaded.problems) + text_rules.check(loaded, CONFIG) + problems
    agency, fallbacks = (valid, []) if valid is not None else best_settings(loaded)
    # The rules run on the best reading too: every problem at once.
    problems += config_rules.check(loaded, agency)
    problems = cap_problems(problems, [loaded])
    return Settings(_usable_zone(agency, fallbacks), problems, fallbacks)


def cap_problems(problems: list[Problem], loaded: Iterable[load.Loaded] = ()) -> list[Problem]:
    """At most ``load.MAX_PROBLEMS_PER_FILE`` problems per file, the first ones in it,
    then one CM012 line counting the rest: those cut here and those the producers only
    counted (``Loaded.hidden``). Files within the limit are left as they are."""
    limit = load.MAX_PROBLEMS_PER_FILE
    hidden = {f.path: f.hidden for f in loaded if f.hidden}
    counts = Counter(p.path for p in problems)
    over = {path for path, n in counts.items() if n > limit} | set(hidden)
    if not over:
        return problems
    out = [p for p in problems if p.path not in over]
    for path in sorted(over):
        mine = sorted(p for p in problems if p.path == path)
        shown, cut = mine[:limit], mine[limit:]
        counted = hidden.get(path, {})
        errors = sum(p.severity == "error" for p in cut) + counted.get("error", 0)
        warnings = sum(p.severity == "warning" for p in cut) + counted.get("warning", 0)
        last = shown[-1] if shown else Problem(path, 1, 0, "error", load.TOO_MANY, "")
        out += shown
        out.append(
            Problem(
                path,
                last.line,
                last.column + 1,  # just after the last one shown
                "error" if errors else "warning",
                load.TOO_MANY,
                f"{errors + warnings} more problems in this file ({errors} errors, "
                f"{warnings} warnings) are not shown; fix these first",
            )
        )
    return out


def best_settings(loaded: load.Loaded) -> tuple[Agency, list[str]]:
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
        if _valid(Agency, {**kept, name: value}) is not None:
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
    agency = _valid(Agency, kept)
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
        if _valid(Cadence, {key: item}) is not None:
            kept[key] = item
        else:
            said.append(
                f"{CONFIG}: cadence.{key} falls back to the default, {getattr(defaults, key)}"
            )
    return kept


def _best_managers(value: dict[Any, Any], said: list[str]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, entry in value.items():
        if _valid(Agency, {"agency": "a", "managers": {key: entry}}) is not None:
            kept[key] = entry
        else:
            kept[str(key)] = str(key)
            said.append(f"{CONFIG}: managers.{key} falls back to the name {str(key)!r}")
    return kept


def _usable_zone(agency: Agency, said: list[str]) -> Agency:
    """The agency, with UTC for a zone name that names no zone (said)."""
    try:
        zoneinfo.ZoneInfo(agency.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        said.append(f"{CONFIG}: timezone falls back to UTC")
        return agency.model_copy(update={"timezone": "UTC"})
    return agency


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def check_client(
    root: Path, folder: str, agency: Agency, today: date, zone: tzinfo | None
) -> ClientCheck:
    """Load and check one client folder (``clients/<folder>``)."""
    result = ClientCheck(folder)
    base = root / "clients" / folder
    rel = f"clients/{folder}"
    if not CLIENT_ID_RE.fullmatch(folder):
        result.problems.append(
            Problem(
                rel,
                1,
                1,
                "error",
                "CM602",
                f"{describe(folder)} is not a valid client id "
                "(lower-case letters, digits and '-', up to 64)",
            )
        )
        return result
    if _is_link(base):
        result.problems.append(
            Problem(
                rel,
                1,
                1,
                "error",
                "CM603",
                "client folder is a symbolic link; refusing to follow it",
            )
        )
        return result
    try:
        names = set(os.listdir(base))
    except OSError as exc:
        result.problems.append(
            Problem(rel, 1, 1, "error", "CM601", f"cannot list the folder: {exc.strerror or exc}")
        )
        return result
    for name in sorted(names - set(CLIENT_FILES)):
        if not name.startswith("."):
            result.problems.append(
                Problem(
                    f"{rel}/{name}", 1, 1, "warning", "CM604", "unexpected file in a client folder"
                )
            )
    for name in CLIENT_FILES:
        path = f"{rel}/{name}"
        if name not in names:
            result.problems.append(Problem(path, 1, 1, "error", "CM601", f"{name} is missing"))
            continue
        if _is_link(base / name):
            result.problems.append(
                Problem(path, 1, 1, "error", "CM603", "is a symbolic link; refusing to follow it")
            )
            continue
        loaded = load.load_file(base / name, path)
        if name == "log.yaml" and [p.code for p in loaded.problems] == [load.EMPTY]:
            loaded.problems.clear()  # a log with nothing but comments is an empty log
            loaded.data = []
        result.loaded[name] = loaded
        result.problems += loaded.problems
        result.problems += text_rules.check(loaded, name)
        if name == "client.yaml":
            result.problems += text_rules.check_client_name(loaded)

    _check_records(result, agency, today, zone)
    result.problems = cap_problems(result.problems, result.loaded.values())
    return result


def _check_records(result: ClientCheck, agency: Agency, today: date, zone: tzinfo | None) -> None:
    problems = result.problems
    lc = result.loaded.get("client.yaml")
    if lc is not None and lc.ok:
        result.client, found = schema.validate(lc, Client, 1)
        problems += found
        if result.client is not None:
            problems += client_rules.check(lc, result.client, result.id, agency, today)
    la = result.loaded.get("assessment.yaml")
    if la is not None and la.ok:
        parts: schema.Parts = {}
        result.assessments, found = schema.validate(la, AssessmentFile, 3, parts=parts)
        problems += found
        positions: list[int] | None = None
        if result.assessments is None:
            # Every problem at once: check the assessments that are valid on their own.
            result.assessments, positions = _salvage_assessments(la.data, parts)
        if result.assessments is not None:
            problems += assessment_rules.check(
                la, result.assessments, result.client, agency, today, positions
            )
    lp = result.loaded.get("plan.yaml")
    goal_ids: set[str] = set()
    if lp is not None and lp.ok:
        parts = {}
        result.plan, found = schema.validate(lp, Plan, 2, parts=parts)
        problems += found
        positions = None
        if result.plan is None:
            result.plan, positions, goal_ids = _salvage_plan(lp.data, parts)
        if result.plan is not None:
            problems += plan_rules.check(lp, result.plan, agency, today, positions)
    ll = result.loaded.get("log.yaml")
    if ll is not None and (ll.ok or ll.data == []):
        entries = _log_entries(ll, problems)
        result.log = [e for _, e in entries]
        result.log_complete = isinstance(ll.data, list) and len(entries) == len(ll.data)
        problems += log_rules.check(ll, entries, result.client, agency, today, zone)
        problems += links.note_goals(ll, entries, result.plan, goal_ids)


def _valid_items(model: type[Record], items: list[Any]) -> tuple[list[Any], list[int]]:
    """The items of ``items`` valid as ``model`` (as records) and their positions."""
    mappings = [i for i, item in enumerate(items) if type(item) is dict]
    kept, positions = schema.valid_items(model, [items[i] for i in mappings])
    return kept, [mappings[i] for i in positions]


def _salvage_plan(data: Any, parts: schema.Parts) -> tuple[Plan | None, list[int] | None, set[str]]:
    """The valid goals of a plan file that failed as a whole, with their positions.

    Their problems were reported already; the salvaged plan lets the cross-goal rules
    (duplicate ids...) and the schedule see everything that is readable.
    """
    if not isinstance(data, dict) or not isinstance(data.get("goals", []), list):
        return None, None, set()
    items = data.get("goals", [])
    ids = {
        item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)
    }
    goals, positions = parts["goals"] if "goals" in parts else _valid_items(Goal, items)
    try:
        created = Plan.model_validate({"created": data.get("created")}).created
    except ValidationError:
        created = None
    plan = Plan.model_construct(created=created, goals=goals)
    return plan, positions, ids


# Stand-ins for the required fields of client.yaml, so that each field the file has
# can be validated on its own (the stand-ins themselves are never kept).
_CLIENT_STAND_IN = {
    "id": "x",
    "name": "x",
    "status": "active",
    "opened": "2000-01-01",
    "manager": "x",
}


def _salvage_client(cid: str, data: Any) -> ClientFields:
    """The fields of an invalid client.yaml that are valid on their own."""
    if not isinstance(data, dict):
        return ClientFields(cid)
    good: dict[str, Any] = {}
    for key in ("name", "status", "manager", "program", "opened", "consent", "closed", "cadence"):
        if key in data:
            one = _valid(Client, {**_CLIENT_STAND_IN, key: data[key]})
            if one is not None:
                good[key] = getattr(one, key)
    valid = Client.model_construct(**{**dict.fromkeys(_CLIENT_STAND_IN), **good, "id": cid})
    return ClientFields.of(valid)


def _valid(model: type[Record], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _salvage_assessments(
    data: Any, parts: schema.Parts
) -> tuple[AssessmentFile | None, list[int] | None]:
    """The assessments that are valid on their own, with their positions (``parts``:
    as schema.validate found them already)."""
    if not isinstance(data, dict) or not isinstance(data.get("assessments"), list):
        return None, None
    found = parts.get("assessments")
    kept, positions = found if found else _valid_items(Assessment, data["assessments"])
    return AssessmentFile.model_construct(assessments=kept), positions


def _log_entries(loaded: load.Loaded, problems: list[Problem]) -> list[tuple[int, LogEntry]]:
    """The valid entries of log.yaml with their positions; the problems of the others
    (the first ones built, the rest counted) and the unknown keys of the valid ones."""
    data = loaded.data
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(
            loaded.problem(
                (),
                "CM402",
                f"log.yaml must be a list of entries (`- id: ...`), got {describe(data)}",
            )
        )
        return []
    valid, positions = _valid_items(LogEntry, data)
    entries = list(zip(positions, valid, strict=True))
    if len(entries) < len(data):
        ok = set(positions)
        bad = [i for i in range(len(data)) if i not in ok]
        budget = schema.Budget()
        for n, i in enumerate(bad):
            if budget.left <= 0:
                # One problem per error (LogEntry has no union), one for a non-mapping.
                rest = [data[j] for j in bad[n:]]
                mappings = [item for item in rest if type(item) is dict]
                count = len(rest) - len(mappings) + schema.count_errors(LogEntry, mappings)
                loaded.skip(count=count)
                break
            problems += schema.validate(loaded, LogEntry, 4, data[i], (i,), budget)[1]
    unknown = schema.Budget()
    for i, entry in entries:
        problems += schema.unknown_keys(loaded, entry, 4, (i,), unknown)
    return entries
