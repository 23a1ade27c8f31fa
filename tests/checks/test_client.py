"""client.yaml: every kind of problem planted, reported at its exact place."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import CLIENT_1, agency_with, found, messages, run_validate

C = "client.yaml"

CASES: list[tuple[str, str | bytes, list[tuple[str, str, int, int]]]] = [
    ("duplicate key", CLIENT_1 + "status: closed\n", [("CM003", C, 6, 1)]),
    ("syntax error", "id: rc-0001\nname: [Test\nstatus: active\n", [("CM001", C, 3, 7)]),
    ("not UTF-8", (CLIENT_1 + "address: caf\xe9\n").encode("latin-1"), [("CM002", C, 6, 13)]),
    ("NUL byte", b"id: rc-0001\nname: T\x00\n", [("CM002", C, 2, 8)]),
    ("empty file", "", [("CM006", C, 1, 1)]),
    ("only comments", "# nothing yet\n", [("CM006", C, 1, 1)]),
    ("two documents", CLIENT_1 + "---\nid: x\n", [("CM001", C, 6, 1)]),
    ("tab indentation", CLIENT_1 + "consent:\n\tsigned: 2026-01-05\n", [("CM001", C, 7, 1)]),
    ("list where a mapping belongs", "- id: rc-0001\n  name: T\n", [("CM102", C, 1, 1)]),
    ("scalar file", "just some words\n", [("CM102", C, 1, 1)]),
    (
        "missing required keys",
        "id: rc-0001\nname: T\n",
        [("CM101", C, 1, 1), ("CM101", C, 1, 1), ("CM101", C, 1, 1)],
    ),
    (
        "wrong types",
        "id: rc-0001\nname: [T]\nstatus: active\nopened: 2026-01-05\nmanager: 12\nconsent: yes\n",
        [("CM102", C, 2, 7), ("CM102", C, 5, 10), ("CM102", C, 6, 10)],
    ),
    ("bad status", CLIENT_1.replace("status: active", "status: open"), [("CM103", C, 3, 9)]),
    (
        "bad closure reason",
        CLIENT_1.replace("active", "closed") + "closed:\n  date: 2026-03-01\n  reason: bored\n",
        [("CM103", C, 8, 11)],
    ),
    ("bad id", CLIENT_1.replace("id: rc-0001", "id: RC 1"), [("CM103", C, 1, 5)]),
    ("month 13", CLIENT_1.replace("2026-01-05", "2026-13-01"), [("CM104", C, 4, 9)]),
    ("February 30", CLIENT_1 + "born: 2026-02-30\n", [("CM104", C, 6, 7)]),
    ("year out of range", CLIENT_1.replace("2026-01-05", "9999-12-31"), [("CM104", C, 4, 9)]),
    ("date with a time", CLIENT_1 + "born: 1990-01-01 10:00\n", [("CM104", C, 6, 7)]),
    (
        "bad durations",
        CLIENT_1 + "cadence:\n  contact: 2 fortnights\n  plan_review: 99999 years\n",
        [("CM106", C, 7, 12), ("CM106", C, 8, 16)],
    ),
    ("unknown key", CLIENT_1 + "stauts: x\n", [("CM107", C, 6, 1)]),
    ("unknown nested key", CLIENT_1 + "consent:\n  signd: 2026-01-05\n", [("CM107", C, 7, 3)]),
    (
        "id is not the folder",
        CLIENT_1.replace("id: rc-0001", "id: rc-0002"),
        [("CM120", C, 1, 5)],
    ),
    ("closed block missing", CLIENT_1.replace("active", "closed"), [("CM121", C, 3, 9)]),
    (
        "closed block forbidden",
        CLIENT_1 + "closed:\n  date: 2026-03-01\n  reason: moved\n",
        [("CM122", C, 6, 1)],
    ),
    (
        "consent expires before signed",
        CLIENT_1 + "consent:\n  signed: 2026-02-01\n  expires: 2026-01-01\n",
        [("CM123", C, 8, 12)],
    ),
    (
        "closure before opened",
        CLIENT_1.replace("active", "closed") + "closed:\n  date: 2025-12-01\n  reason: moved\n",
        [("CM124", C, 7, 9)],
    ),
    ("unknown manager", CLIENT_1.replace("jdoe", "nobody"), [("CM125", C, 5, 10)]),
    (
        "opened in the future",
        CLIENT_1.replace("2026-01-05", "2999-01-05"),
        [("CM324", "assessment.yaml", 2, 11), ("CM126", C, 4, 9), ("CM428", "log.yaml", 2, 9)],
    ),
    ("born after opened", CLIENT_1 + "born: 2026-02-01\n", [("CM127", C, 6, 7)]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_planted_problem(tmp_path: Path, text: str | bytes, expected: list[object]) -> None:
    root = agency_with(tmp_path, client_yaml=text)
    assert found(root) == expected


def test_python_tag_is_a_problem_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (
        CLIENT_1 + f"program: !!python/object/apply:os.system ['touch {marker}']\n"
        f"phone: !!python/object/new:subprocess.check_call [['touch', '{marker}']]\n"
        f"email: !!python/name:os.system\n"
    )
    root = agency_with(tmp_path, client_yaml=text)
    assert found(root) == [("CM004", C, 6, 10), ("CM004", C, 7, 8), ("CM004", C, 8, 8)]
    assert not marker.exists()


def test_tag_message_names_the_tag(tmp_path: Path) -> None:
    root = agency_with(tmp_path, client_yaml=CLIENT_1 + "program: !!python/object:os.Foo {}\n")
    assert messages(root)["CM004"] == (
        "unsupported tag !!python/object:os.Foo; only plain YAML values are allowed"
    )


def test_unknown_key_is_a_warning_and_an_error_when_strict(tmp_path: Path) -> None:
    root = agency_with(tmp_path, client_yaml=CLIENT_1 + "stauts: x\n")
    code, problems = run_validate(root)
    assert code == 0 and [p["severity"] for p in problems] == ["warning"]
    assert problems[0]["message"] == "stauts: unknown key (ignored); did you mean 'status'?"
    code, problems = run_validate(root, "--strict")
    assert code == 1 and [p["severity"] for p in problems] == ["error"]


def test_a_misspelt_required_key_gets_a_did_you_mean_hint(tmp_path: Path) -> None:
    text = "id: rc-0001\nname: Test Person\nstauts: active\nopened: 2026-01-05\nmanager: jdoe\n"
    root = agency_with(tmp_path, client_yaml=text)
    code, problems = run_validate(root)
    assert code == 1
    assert [(p["code"], p["line"], p["column"], p["message"]) for p in problems] == [
        ("CM101", 3, 1, "status: required key is missing; did you mean 'status' for 'stauts'?")
    ]
    # A plan goal too, where the misspelling sits deeper in the file.
    plan = "goals:\n  - id: G1\n    gaol: Move\n"
    root = agency_with(tmp_path / "plan", plan_yaml=plan)
    assert messages(root)["CM201"] == (
        "goals[0].goal: required key is missing; did you mean 'goal' for 'gaol'?"
    )


def test_messages_name_the_field_and_value(tmp_path: Path) -> None:
    root = agency_with(
        tmp_path,
        client_yaml="id: rc-0001\nname: T\nstatus: open\nopened: 2026-13-01\nmanager: jdoe\n",
    )
    got = messages(root)
    assert got["CM103"] == "status: 'open' is not one of: active, on_hold, closed"
    assert got["CM104"] == "opened: '2026-13-01' is not a date (use YYYY-MM-DD)"


def test_clean_client_has_no_problems(tmp_path: Path) -> None:
    text = CLIENT_1 + (
        "born: 1984-03-12\nprogram: housing\nphone: '+1 555 0100'\n"
        "consent:\n  signed: 2026-01-05\n  expires: 2027-01-05\ncadence:\n  contact: 14 days\n"
    )
    assert found(agency_with(tmp_path, client_yaml=text)) == []
