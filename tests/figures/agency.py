"""A small agency whose figures for October 2026 are counted by hand (see HAND below).

Used by the CLI tests of ``stats``, ``export``, ``search`` and ``--as-of``. Clients:

* ``a-0001`` (jdoe, program housing): reassessed in October (housing 2 -> 3: improved,
  income 3 -> 3: same); G1 met on 2026-10-20, G2 met on 2026-11-05 (after the
  period); a referral sent 2026-10-05, delivered 2026-10-22; a visit with the client,
  a phone call with the family only, a note with minutes; entries before and after.
* ``b-0002`` (mkim, program income): opened 2026-10-03 and closed 2026-10-28 (moved).
* ``c-0003`` (jdoe, no program): a phone call with family only, a crisis, a late entry
  dated in October and recorded in October (counts) and one recorded in November
  (counts in no October figure); reassessed in October (housing 3 -> 2: worse).
* ``d-0004`` (mkim): closed before the period (2026-09-15).
* ``e-0005`` (mkim): opened after the period (2026-11-10).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.builders import make_agency

AGENCY = """\
format: 2
agency: Figures Test Agency
timezone: America/Chicago
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
  mkim: Min Kim
"""


def _client(cid: str, name: str, manager: str, opened: str, **extra: str) -> str:
    lines = [f"id: {cid}", f"name: {name}", f"manager: {manager}", f"opened: {opened}"]
    closed = extra.pop("closed", None)
    if closed:
        day, reason = closed.split()
        lines += ["status: closed", "closed:", f"  date: {day}", f"  reason: {reason}"]
    else:
        lines.append("status: active")
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def _entry(eid: str, when: str, kind: str, text: str, **extra: Any) -> str:
    lines = [f"- id: {eid}", f"  date: {when}", f"  by: {eid.rsplit('-', 1)[1]}", f"  type: {kind}"]
    lines += [f"  {k}: {v}" for k, v in extra.items()]
    lines.append(f"  text: {text}")
    return "\n".join(lines) + "\n"


A_LOG = "".join(
    [
        _entry("20260930-1000-jdoe", "2026-09-30 10:00", "visit", "Before the period.", minutes=30),
        _entry("20261002-1000-jdoe", "2026-10-02 10:00", "visit",
               "Home visit, voucher paperwork done.", minutes=45),
        _entry("20261015-0900-jdoe", "2026-10-15 09:00", "phone", "Called her sister.",
               minutes=15, **{"with": "family"}),
        _entry("20261020-1400-jdoe", "2026-10-20 14:00", "note", "Voucher approved.",
               minutes=10),
        _entry("20261102-1000-jdoe", "2026-11-02 10:00", "visit", "After the period.", minutes=60),
    ]
)  # fmt: skip
A_ASSESS = """\
assessments:
  - date: 2026-03-05
    by: jdoe
    domains: {housing: {score: 2}, income: {score: 3}}
  - date: 2026-10-10
    by: jdoe
    domains: {housing: {score: 3}, income: {score: 3}}
"""
A_PLAN = """\
created: 2026-03-06
goals:
  - id: G1
    domain: housing
    goal: Move into stable housing
    status: met
    status_date: 2026-10-20
  - id: G2
    domain: income
    goal: Apply for benefits
    status: met
    status_date: 2026-11-05
referrals:
  - id: R1
    to: Springfield Legal Aid
    sent: 2026-10-05
    expect_by: 2026-10-19
    status: delivered
    status_date: 2026-10-22
"""
B_LOG = "".join(
    [
        _entry("20261003-1000-mkim", "2026-10-03 10:00", "visit", "Intake visit.", minutes=60),
        _entry("20261028-1000-mkim", "2026-10-28 10:00", "closure", "Moved out of the area."),
    ]
)
C_LOG = "".join(
    [
        _entry("20261005-1100-jdoe", "2026-10-05 11:00", "visit", "Late entry, written soon.",
               minutes=30, recorded="2026-10-08 09:00"),
        _entry("20261012-1000-jdoe", "2026-10-12 10:00", "phone", "Spoke with his mother only.",
               minutes=10, **{"with": "family"}),
        _entry("20261014-2200-jdoe", "2026-10-14 22:00", "crisis", "Crisis call, safety plan made.",
               minutes=20),
        _entry("20261020-1000-jdoe", "2026-10-20 10:00", "visit", "Late, written in Nov.",
               minutes=30, recorded="2026-11-03 09:00"),
    ]
)  # fmt: skip
C_ASSESS = """\
assessments:
  - date: 2026-01-12
    by: jdoe
    domains: {housing: {score: 3}}
  - date: 2026-10-25
    by: jdoe
    domains: {housing: {score: 2}}
"""
# A note a spreadsheet must show as text: a formula, a comma, quotes, two lines.
HOSTILE_NOTE = """\
- id: 20261112-0900-mkim
  date: 2026-11-12 09:00
  by: mkim
  type: note
  text: |
    =SUM(A1:A2), "quoted", café
    second line
"""
EMPTY_PLAN = "created: 2026-01-12\ngoals: []\n"
NO_ASSESS = "assessments: []\n"


def build(root: Path) -> Path:
    clients = {
        "a-0001": {
            "client.yaml": _client("a-0001", "Maria Lopez", "jdoe", "2026-03-01", program="housing",
                                   phone='"+1 555 0100"'),
            "assessment.yaml": A_ASSESS,
            "plan.yaml": A_PLAN,
            "log.yaml": A_LOG,
        },
        "b-0002": {
            "client.yaml": _client("b-0002", "Ben Okafor", "mkim", "2026-10-03",
                                   closed="2026-10-28 moved", program="income"),
            "assessment.yaml": NO_ASSESS,
            "plan.yaml": EMPTY_PLAN,
            "log.yaml": B_LOG,
        },
        "c-0003": {
            "client.yaml": _client("c-0003", "Carl Jensen", "jdoe", "2026-01-10"),
            "assessment.yaml": C_ASSESS,
            "plan.yaml": EMPTY_PLAN,
            "log.yaml": C_LOG,
        },
        "d-0004": {
            "client.yaml": _client("d-0004", "Dora Diaz", "mkim", "2026-02-01",
                                   closed="2026-09-15 goals_met"),
            "assessment.yaml": NO_ASSESS,
            "plan.yaml": EMPTY_PLAN,
            "log.yaml": _entry("20260915-1000-mkim", "2026-09-15 10:00", "closure", "Done."),
        },
        "e-0005": {
            "client.yaml": _client("e-0005", "Eve Ito", "mkim", "2026-11-10"),
            "assessment.yaml": NO_ASSESS,
            "plan.yaml": "goals: []\n",
            "log.yaml": _entry("20261110-1000-mkim", "2026-11-10 10:00", "visit", "Intake.",
                               minutes=40) + HOSTILE_NOTE,
        },
    }  # fmt: skip
    return make_agency(root, clients, agency_yaml=AGENCY)


# October 2026, counted by hand from the files above (module docstring).
HAND: dict[str, Any] = {
    "from": "2026-10-01",
    "to": "2026-10-31",
    "open": 3,  # a, b (opened and closed inside), c; d closed before, e opened after
    "served": 3,  # a (visit), b (visit), c (crisis); c's family-only call alone would not
    "new": 1,  # b
    "closed": {"moved": 1},  # b; d closed before the period
    "contacts": {
        "visit": 3,
        "phone": 2,
        "crisis": 1,
    },  # a: v+p, b: v, c: v+p+c
    "contacts_with": {"client": 4, "family": 2},
    "minutes": 190,  # a 45+15+10, b 60, c 30+10+20 (the November-recorded entry left out)
    "referrals": {"delivered": 1},
    "goals_met": 1,  # G1; G2 was met after the period
    "crises": 1,
    "domains": {
        "housing": {"improved": 1, "same": 0, "worse": 1},
        "income": {"improved": 0, "same": 1, "worse": 0},
    },
}
HAND_BY_MANAGER: dict[str, Any] = {
    "jdoe": {
        **HAND,
        "open": 2,
        "served": 2,
        "new": 0,
        "closed": {},
        "contacts": {"visit": 2, "phone": 2, "crisis": 1},
        "contacts_with": {"client": 3, "family": 2},
        "minutes": 130,
    },
    "mkim": {
        **HAND,
        "open": 1,
        "served": 1,
        "new": 1,
        "closed": {"moved": 1},
        "contacts": {"visit": 1},
        "contacts_with": {"client": 1},
        "minutes": 60,
        "referrals": {},
        "goals_met": 0,
        "crises": 0,
        "domains": {},
    },
    "all": HAND,
}
