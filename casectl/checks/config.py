"""casectl.yaml rules (CM5xx).

| code | rule |
|---|---|
| CM520 | `timezone` is a known IANA time zone name |
| CM521 | `domains` has no duplicates |
| CM522 | manager keys are simple names (letters, digits, `.`, `_`, `-`) |

A manager key longer than 64 characters is CM014 (a key too long).
"""

from __future__ import annotations

import re
import zoneinfo

from casectl.core.model import MAX_MANAGER_KEY, Agency, describe
from casectl.core.problems import Problem
from casectl.store.load import KEY_TOO_LONG, Loaded

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # fullmatch: no final newline


def check(loaded: Loaded, agency: Agency) -> list[Problem]:
    out: list[Problem] = []
    try:
        zoneinfo.ZoneInfo(agency.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
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
