"""assessment.yaml: planted problems, reported at their exact place."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import agency_with, found, messages

A = "assessment.yaml"
BARE = "assessments:\n  - date: 2026-01-10\n    by: jdoe\n"
HEAD = BARE + "    domains:\n"

CASES: list[tuple[str, str, list[tuple[str, str, int, int]]]] = [
    ("score 0", HEAD + "      housing: {score: 0}\n", [("CM305", A, 5, 24)]),
    ("score 6", HEAD + "      housing: {score: 6}\n", [("CM305", A, 5, 24)]),
    ("score high", HEAD + "      housing: {score: high}\n", [("CM302", A, 5, 24)]),
    ("score true", HEAD + "      housing: {score: true}\n", [("CM302", A, 5, 24)]),
    ("score quoted", HEAD + "      housing: {score: '3'}\n", [("CM302", A, 5, 24)]),
    ("score 2.5", HEAD + "      housing: {score: 2.5}\n", [("CM302", A, 5, 24)]),
    ("score missing", HEAD + "      housing: {note: fine}\n", [("CM301", A, 5, 16)]),
    ("domain not a mapping", HEAD + "      housing: 3\n", [("CM302", A, 5, 16)]),
    ("assessments is a mapping", "assessments:\n  date: 2026-01-10\n", [("CM302", A, 2, 3)]),
    ("bad date", BARE.replace("2026-01-10", "2026-02-30"), [("CM304", A, 2, 11)]),
    ("unknown domain", HEAD + "      housng: {score: 2}\n", [("CM320", A, 5, 7)]),
    (
        "out of order",
        HEAD + "      housing: {score: 2}\n  - date: 2026-01-09\n    by: jdoe\n",
        [("CM321", A, 6, 11)],
    ),
    ("unknown by", BARE.replace("by: jdoe", "by: zed"), [("CM322", A, 3, 9)]),
    ("in the future", BARE.replace("2026-01-10", "2999-01-10"), [("CM323", A, 2, 11)]),
    ("before opened", BARE.replace("2026-01-10", "2025-12-01"), [("CM324", A, 2, 11)]),
    ("unknown key", BARE + "    sumary: x\n", [("CM307", A, 4, 5)]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_planted_problem(tmp_path: Path, text: str, expected: list[object]) -> None:
    root = agency_with(tmp_path, assessment_yaml=text)
    assert found(root) == expected


def test_score_messages(tmp_path: Path) -> None:
    text = HEAD + "      housing: {score: 0}\n      income: {score: high}\n"
    got = messages(agency_with(tmp_path, assessment_yaml=text))
    assert got["CM305"] == "assessments[0].domains.housing.score: 0 is out of range (at least 1)"
    assert got["CM302"] == (
        "assessments[0].domains.income.score: expected a whole number, got 'high'"
    )


def test_no_assessments_yet_is_fine(tmp_path: Path) -> None:
    assert found(agency_with(tmp_path, assessment_yaml="assessments: []\n")) == []
