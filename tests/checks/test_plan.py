"""plan.yaml: planted problems, reported at their exact place."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import agency_with, found, messages

P = "plan.yaml"
HEAD = "created: 2026-01-12\ngoals:\n"


def goal(gid: str = "G1", extra: str = "") -> str:
    return f"  - id: {gid}\n    goal: A\n{extra}"


CASES: list[tuple[str, str, list[tuple[str, str, int, int]]]] = [
    ("goal text missing", HEAD + "  - id: G1\n", [("CM201", P, 3, 5)]),
    ("goals is a mapping", HEAD + "  id: G1\n  goal: A\n", [("CM202", P, 3, 3)]),
    ("plan is a list", "- id: G1\n", [("CM202", P, 1, 1)]),
    ("actions is text", HEAD + goal(extra="    actions: call them\n"), [("CM202", P, 5, 14)]),
    ("bad goal status", HEAD + goal(extra="    status: done\n"), [("CM203", P, 5, 13)]),
    ("bad target date", HEAD + goal(extra="    target: 2026-13-01\n"), [("CM204", P, 5, 13)]),
    ("bad created date", "created: 2026-02-30\ngoals:\n" + goal(), [("CM204", P, 1, 10)]),
    ("unknown key in a goal", HEAD + goal(extra="    stauts: met\n"), [("CM207", P, 5, 5)]),
    ("duplicate goal ids", HEAD + goal() + goal(), [("CM220", P, 5, 9)]),
    ("unknown domain", HEAD + goal(extra="    domain: spaceflight\n"), [("CM221", P, 5, 13)]),
    (
        "created in the future",
        HEAD.replace("2026-01-12", "2999-01-01") + goal(),
        [("CM222", P, 1, 10)],
    ),
    (
        "action done in the future",
        HEAD + goal(extra="    actions:\n      - action: X\n        done: 2999-01-01\n"),
        [("CM222", P, 7, 15)],
    ),
    (
        "met goal with an open action",
        HEAD
        + goal(extra="    status: met\n    actions:\n      - action: X\n        due: 2026-02-01\n"),
        [("CM223", P, 7, 9)],
    ),
    ("duplicate key in a goal", HEAD + goal(extra="    goal: B\n"), [("CM003", P, 5, 5)]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_planted_problem(tmp_path: Path, text: str, expected: list[object]) -> None:
    root = agency_with(tmp_path, plan_yaml=text)
    assert found(root) == expected


def test_note_goals_must_exist_in_the_plan(tmp_path: Path) -> None:
    # the default log links its note to G1; a plan without G1 breaks that link
    root = agency_with(tmp_path, plan_yaml=HEAD + goal("G2"))
    assert found(root) == [("CM620", "log.yaml", 5, 11)]
    assert messages(root)["CM620"] == "[0].goals[0]: 'G1' is not a goal id in plan.yaml"


def test_duplicate_goal_message(tmp_path: Path) -> None:
    root = agency_with(tmp_path, plan_yaml=HEAD + goal() + goal("G2") + goal())
    assert messages(root)["CM220"] == "goals[2].id: goal id 'G1' is already used by goals[0]"


def test_empty_plan_is_fine(tmp_path: Path) -> None:
    assert found(agency_with(tmp_path, plan_yaml="goals: []\n", log_yaml="[]\n")) == []
