"""log.yaml: planted problems, reported at their exact place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import agency_with, cli, client_files, entry, found, make_agency, messages

L = "log.yaml"
LATER = "2026-01-11 10:00"

CASES: list[tuple[str, str, list[tuple[str, str, int, int]]]] = [
    ("mapping where a list belongs", "id: n1\ndate: 2026-01-10\n", [("CM402", L, 1, 1)]),
    ("scalar log", "hello\n", [("CM402", L, 1, 1)]),
    ("entry is text", "- just text\n" + entry("n1"), [("CM402", L, 1, 3)]),
    (
        "entry missing keys",
        "- id: n1\n  text: a\n",
        [("CM401", L, 1, 3), ("CM401", L, 1, 3), ("CM401", L, 1, 3)],
    ),
    ("bad type", entry("n1", kind="gossip"), [("CM403", L, 4, 9)]),
    ("hour 25", entry("n1", "2026-01-11 25:00"), [("CM404", L, 2, 9)]),
    ("February 30", entry("n1", "2026-02-30 10:00"), [("CM404", L, 2, 9)]),
    ("words for a time", entry("n1", "yesterday"), [("CM404", L, 2, 9)]),
    ("negative minutes", entry("n1", extra="  minutes: -5\n"), [("CM405", L, 6, 12)]),
    ("minutes as words", entry("n1", extra="  minutes: lots\n"), [("CM402", L, 6, 12)]),
    ("minutes true", entry("n1", extra="  minutes: yes\n"), [("CM402", L, 6, 12)]),
    ("goals as text", entry("n1", extra="  goals: G1\n"), [("CM402", L, 6, 10)]),
    ("unknown key", entry("n1", extra="  minuts: 5\n"), [("CM407", L, 6, 3)]),
    ("duplicate key", entry("n1", extra="  text: b\n"), [("CM003", L, 6, 3)]),
    ("duplicate note ids", entry("n1") + entry("n1", LATER), [("CM420", L, 6, 7)]),
    ("notes out of order", entry("n1", LATER) + entry("n2"), [("CM421", L, 7, 9)]),
    (
        "out of order across offsets",
        entry("n1", "2026-01-10T10:00:00-06:00") + entry("n2", "2026-01-10T15:00:00+00:00"),
        [("CM421", L, 7, 9)],
    ),
    ("note in the future", entry("n1", "2999-01-11 10:00"), [("CM422", L, 2, 9)]),
    ("unknown by", entry("n1", by="zed"), [("CM423", L, 3, 7)]),
    (
        "amends a later entry",
        entry("n1", kind="amendment", extra="  amends: n2\n") + entry("n2", LATER),
        [("CM424", L, 6, 11)],
    ),
    (
        "amends an unknown entry",
        entry("n1") + entry("n2", LATER, "amendment", "  amends: zz\n"),
        [("CM424", L, 11, 11)],
    ),
    (
        "amends itself",
        entry("n1") + entry("n2", LATER, "amendment", "  amends: n2\n"),
        [("CM424", L, 11, 11)],
    ),
    (
        "amends on a visit",
        entry("n1") + entry("n2", LATER, "visit", "  amends: n1\n"),
        [("CM425", L, 11, 3)],
    ),
    (
        "amendment without amends",
        entry("n1") + entry("n2", LATER, "amendment"),
        [("CM426", L, 6, 3)],
    ),
    ("to on a visit", entry("n1", extra="  to: Legal Aid\n"), [("CM427", L, 6, 3)]),
    ("before opened", entry("n1", "2025-12-01 10:00"), [("CM428", L, 2, 9)]),
    ("note goal not in plan", entry("n1", extra="  goals: [G1, G9]\n"), [("CM620", L, 6, 15)]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_planted_problem(tmp_path: Path, text: str, expected: list[object]) -> None:
    root = agency_with(tmp_path, log_yaml=text)
    assert found(root) == expected


def test_one_bad_entry_does_not_hide_rules_on_the_others(tmp_path: Path) -> None:
    text = entry("n1", kind="gossip") + entry("n2", LATER) + entry("n2", "2026-01-12 10:00")
    assert found(agency_with(tmp_path, log_yaml=text)) == [("CM403", L, 4, 9), ("CM420", L, 11, 7)]


def test_messages(tmp_path: Path) -> None:
    text = (
        entry("n1", LATER)
        + entry("n2", extra="  amends: n1\n")
        + entry("n3", LATER, "amendment", "  amends: n9\n")
    )
    got = messages(agency_with(tmp_path, log_yaml=text))
    assert got["CM421"] == (
        "[1].date: 2026-01-10 10:00 is earlier than the entry before it; "
        "the log is oldest first (by `recorded` where present, else `date`)"
    )
    assert got["CM425"] == "[1].amends: `amends` is only allowed on type amendment (type is visit)"
    assert got["CM424"] == "[2].amends: 'n9' is not an earlier entry of this log"


@pytest.mark.parametrize("text", ["", "# no notes yet\n", "[]\n"])
def test_empty_log_is_fine(tmp_path: Path, text: str) -> None:
    assert found(agency_with(tmp_path, log_yaml=text)) == []


def test_referral_and_amendment_are_fine(tmp_path: Path) -> None:
    text = (
        entry("n1", extra="  goals: [G1]\n  minutes: 30\n")
        + entry("n2", LATER, "referral", "  to: Springfield Legal Aid\n")
        + entry("n3", "2026-01-11 10:00:00-06:00", "amendment", "  amends: n1\n")
    )
    assert found(agency_with(tmp_path, log_yaml=text)) == []


CONFLICTED_LOG = """\
- id: 20260110-1000-jdoe
  date: 2026-01-10 10:00
  by: jdoe
  type: visit
  text: First visit.
<<<<<<< HEAD
- id: 20260111-1000-jdoe
  date: 2026-01-11 10:00
  by: jdoe
  type: phone
  text: Ours.
=======
- id: 20260111-1100-mkim
  date: 2026-01-11 11:00
  by: mkim
  type: phone
  text: Theirs.
>>>>>>> origin/main
"""


@pytest.mark.parametrize("name", ["log.yaml", "plan.yaml", "client.yaml"])
def test_leftover_conflict_markers_are_an_unresolved_merge_conflict(
    tmp_path: Path, name: str
) -> None:
    files = client_files("rc-0001")
    text = (
        CONFLICTED_LOG
        if name == "log.yaml"
        else (files[name] or "").replace("\n", "\n<<<<<<< HEAD\n", 1) + "=======\n>>>>>>> theirs\n"
    )
    root = make_agency(tmp_path / "a", {"rc-0001": {**files, name: text}})
    r = cli("-C", root, "validate", "--format", "json")
    assert r.exit_code == 1
    problems = [p for p in json.loads(r.stdout) if p["path"].endswith(name)]
    assert [p["code"] for p in problems] == ["CM015"]
    expected_line = (
        text.splitlines().index(next(ln for ln in text.splitlines() if ln.startswith("<<<<<<<")))
        + 1
    )
    assert problems[0]["line"] == expected_line
    assert "unresolved merge conflict" in problems[0]["message"]
    assert "Theirs" not in r.stdout  # no record text in the message


def test_markers_inside_a_note_text_are_just_text(tmp_path: Path) -> None:
    log = client_files("rc-0001")["log.yaml"] + (
        "- id: b\n  date: 2026-01-11 10:00\n  by: jdoe\n  type: note\n"
        "  text: |\n    <<<<<<< HEAD\n    pasted from a diff\n    >>>>>>> x\n"
    )
    root = make_agency(tmp_path / "a", {"rc-0001": {**client_files("rc-0001"), "log.yaml": log}})
    r = cli("-C", root, "validate", "--format", "json")
    assert "CM015" not in r.stdout and r.exit_code == 0, r.stdout
