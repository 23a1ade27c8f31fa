"""Hostile case files, made by small functions: the inputs that once stalled casectl.

Each function returns ``(file name, text)`` for one file of a client whose other files
stay valid. Sizes are parameters: tests use inputs big enough to show a cap or a limit
at work (never timing), ``benchmarks/hostile.py`` uses the sizes of the original reports
(issue 11, items 9 and 10) and times them.

Standard library only, and no casectl import: the benchmark measures casectl as a
command and may run against any installed version.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

Hostile = tuple[str, str]

AGENCY_YAML = "format: 1\nagency: Test Agency\nmanagers:\n  jdoe: Jane Doe\n"
CLIENT_YAML = "id: rc-0001\nname: Test Person\nstatus: active\nopened: 2026-01-05\nmanager: jdoe\n"
BASE = {
    "client.yaml": CLIENT_YAML,
    "assessment.yaml": "assessments: []\n",
    "plan.yaml": "goals: []\n",
    "log.yaml": "[]\n",
}

# Valid files with every field of the format filled in (a long value is planted in
# each place by the tests).
FULL = {
    "casectl.yaml": (
        "format: 1\nagency: Test Agency\ntimezone: America/Chicago\n"
        "cadence: {plan_review: 90 days, contact: 30 days}\n"
        "managers:\n  jdoe: Jane Doe\n  mkim: {name: Min Kim, email: min@example.org}\n"
        "domains: [housing, income]\n"
    ),
    "client.yaml": CLIENT_YAML
    + (
        "born: 1984-03-12\nprogram: housing\nphone: '+1 555 0100'\nemail: m@example.org\n"
        "address: 12 Elm St\nconsent: {signed: 2026-01-05, expires: 2027-01-05}\n"
        "cadence: {contact: 14 days}\n"
    ),
    "assessment.yaml": (
        "assessments:\n  - date: 2026-01-10\n    by: jdoe\n"
        "    domains: {housing: {score: 2, note: Shelter}}\n"
        "    strengths: [motivated]\n    summary: Needs housing.\n"
    ),
    "plan.yaml": (
        "created: 2026-01-12\ngoals:\n  - id: G1\n    domain: housing\n    goal: Housing\n"
        "    target: 2026-12-31\n    status: active\n    actions:\n"
        "      - {action: Apply, who: client, due: 2026-02-01, done: 2026-01-30}\n"
    ),
    "log.yaml": (
        "- {id: n1, date: 2026-01-10 10:00, by: jdoe, type: referral, minutes: 30,"
        " goals: [G1], text: First visit., to: Legal Aid}\n"
        "- {id: n2, date: 2026-01-11 10:00, by: jdoe, type: amendment, text: Fix., amends: n1}\n"
    ),
}


def write_agency(root: Path, hostile: Hostile) -> Path:
    """An agency (no git) with one client, rc-0001, whose one file is ``hostile``."""
    folder = root / "clients" / "rc-0001"
    folder.mkdir(parents=True, exist_ok=True)
    (root / "casectl.yaml").write_text(AGENCY_YAML)
    for name, text in {**BASE, hostile[0]: hostile[1]}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return root


def empty_goals(n: int) -> Hostile:
    """``goals: [{}, {}, ...]``: every goal lacks ``id`` and ``goal`` (8,000: 24 KB)."""
    return "plan.yaml", "goals: [" + ",".join(["{}"] * n) + "]\n"


def empty_assessments(n: int) -> Hostile:
    """``assessments: [{}, ...]``: every assessment lacks ``date`` and ``by``."""
    return "assessment.yaml", "assessments: [" + ",".join(["{}"] * n) + "]\n"


def unknown_keys(n: int) -> Hostile:
    """A valid client.yaml followed by ``n`` unknown keys ``k0: 1``, ``k1: 1`` ..."""
    return "client.yaml", CLIENT_YAML + "".join(f"k{i}: 1\n" for i in range(n))


def long_name(n: int) -> Hostile:
    """A client whose ``name`` is ``n`` characters long."""
    return "client.yaml", (
        f"id: rc-0001\nname: {'x' * n}\nstatus: active\nopened: 2026-01-05\nmanager: jdoe\n"
    )


def long_key(n: int) -> Hostile:
    """A client.yaml with one extra key ``n`` characters long (an explicit ``? key``:
    YAML allows an implicit key of 1,024 characters at most)."""
    return "client.yaml", CLIENT_YAML + "? " + "k" * n + "\n: 1\n"


def int_log(n: int) -> Hostile:
    """``[1,1,1,...]`` as log.yaml: ``n`` entries, none of them a mapping (2 MB: 1M)."""
    return "log.yaml", "[" + ",".join(["1"] * n) + "]\n"


_KEYS = ("id", "goal", "goals", "status", "target", "actions", "action", "due", "done")


def random_shape(size: int, seed: int = 1) -> Hostile:
    """About ``size`` bytes of plan.yaml of random shape: nested mappings and lists (up
    to 12 levels), known and unknown keys, numbers, dates, text, nulls (JSON is YAML)."""
    rng = random.Random(seed)

    def scalar() -> object:
        pick = rng.random()
        if pick < 0.3:
            return rng.randint(-5, 99)
        if pick < 0.5:
            return f"2026-{rng.randint(1, 14):02d}-{rng.randint(1, 31):02d}"
        if pick < 0.6:
            return None
        return "".join(rng.choice("abcdefgh ") for _ in range(rng.randint(0, 12)))

    def node(depth: int) -> object:
        pick = rng.random()
        if depth >= 12 or pick < 0.5:
            return scalar()
        if pick < 0.8:
            keys = [rng.choice(_KEYS) if rng.random() < 0.6 else f"x{rng.randint(0, 999)}"]
            keys += [rng.choice(_KEYS) for _ in range(rng.randint(0, 3))]
            return {k: node(depth + 1) for k in keys}
        return [node(depth + 1) for _ in range(rng.randint(0, 4))]

    goals: list[str] = []
    length = 0
    while length < size:
        goals.append(json.dumps(node(1)))
        length += len(goals[-1]) + 2
    return "plan.yaml", '{"created": "2026-01-12", "goals": [' + ", ".join(goals) + "]}\n"


MB = 1024 * 1024

# The benchmark's cases: name -> (function, size): the original reports' scale, then the
# densest shapes at 1 MB (every file of any shape up to 1 MB validates in under 2 s).
CASES: dict[str, tuple[Callable[..., Hostile], int]] = {
    "8,000 empty goals (24 KB)": (empty_goals, 8_000),
    "10,000 empty assessments": (empty_assessments, 10_000),
    "200,000 unknown keys": (unknown_keys, 200_000),
    "10 MB client name": (long_name, 10 * MB),
    "2 MB log of [1,1,...]": (int_log, MB),
    "1 MB plan of random shape": (random_shape, MB),
    "1 MB log of [1,1,...]": (int_log, MB // 2),
    "1 MB of empty goals": (empty_goals, MB // 3),
    "1 MB of empty assessments": (empty_assessments, MB // 3),
    "1 MB of unknown keys": (unknown_keys, 100_000),
}
