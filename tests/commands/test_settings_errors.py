"""A casectl.yaml with errors never falls back silently.

Commands that write refuse (exit 2) with the problems as ``casectl.yaml:LINE:COL``
lines and write nothing; commands that read say the problems and each fallback on
stderr and go on with the best reading of the settings; ``due --fail-on-overdue``
then exits 1. Real agencies, the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import cli, cli_subprocess, client_files, make_agency, run_git

CID = "rc-0001"
AS_OF = "2026-02-05"  # after every date in the records

GOOD = """\
format: 1
agency: Test Agency
timezone: America/Chicago
cadence:
  plan_review: 60 days
  contact: 20 days
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
"""
BAD_ZONE = GOOD.replace("America/Chicago", "America/Chicgo")
BAD_CADENCE = GOOD.replace("contact: 20 days", "contact: 20 dyas")
ZONE_LINE = "casectl.yaml:3:11: error CM520 timezone: 'America/Chicgo' is not a known time zone"
CADENCE_LINE = "casectl.yaml:6:12: error CM506 cadence.contact: '20 dyas' is not a duration"

CLOSED = """\
id: rc-0002
name: Closed Person
status: closed
opened: 2026-01-05
manager: jdoe
closed:
  date: 2026-01-15
  reason: moved
"""


def agency(tmp_path: Path, settings: str) -> Path:
    return make_agency(
        tmp_path / "ag",
        {
            CID: client_files(CID),
            "rc-0002": client_files("rc-0002", **{"client.yaml": CLOSED}),
        },
        agency_yaml=settings,
    )


def _head(root: Path) -> str:
    return run_git(root, "rev-parse", "HEAD").strip()


WRITES = [
    ("note", ["note", CID, "Phoned about the voucher.", "--by", "jdoe"]),
    ("review", ["review", CID, "Plan reviewed.", "--by", "jdoe"]),
    ("close", ["close", CID, "--reason", "moved", "--by", "jdoe"]),
    ("reopen", ["reopen", "rc-0002", "--by", "jdoe"]),
    ("new", ["new", "rc-0003", "--name", "New Person", "--manager", "jdoe"]),
]


@pytest.mark.parametrize("settings", [BAD_ZONE, BAD_CADENCE], ids=["zone", "cadence"])
@pytest.mark.parametrize(("name", "args"), WRITES, ids=[w[0] for w in WRITES])
def test_writing_commands_refuse_and_write_nothing(
    tmp_path: Path, settings: str, name: str, args: list[str]
) -> None:
    root = agency(tmp_path, settings)
    head = _head(root)
    r = cli("-C", root, *args)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    line = ZONE_LINE if settings is BAD_ZONE else CADENCE_LINE
    assert any(ln.startswith(line) for ln in r.stderr.splitlines()), r.stderr
    assert "casectl.yaml has errors" in r.stderr and "nothing written" in r.stderr
    assert r.stdout == ""
    assert _head(root) == head
    assert run_git(root, "status", "--porcelain") == ""
    assert not (root / "clients" / "rc-0003").exists()


def test_refusal_through_a_real_process(tmp_path: Path) -> None:
    root = agency(tmp_path, BAD_ZONE)
    done = cli_subprocess("-C", root, "note", CID, "-", "--by", "jdoe", input="Called.\n")
    assert done.returncode == 2
    assert ZONE_LINE in done.stderr and "Traceback" not in done.stderr
    assert "Called." not in done.stderr  # never echo the note's text


def test_due_keeps_the_good_cadence_keys_and_says_which_fell_back(tmp_path: Path) -> None:
    root = agency(tmp_path, BAD_CADENCE)
    r = cli("-C", root, "due", "--as-of", AS_OF, "--within", "365 days", "--format", "json")
    assert r.exit_code == 0, r.stderr
    due = {i["kind"]: i["due"] for i in json.loads(r.stdout) if i["client"] == CID}
    # plan_review: 60 days is kept (created 2026-01-12 + 60 days) ...
    assert due["plan_review"] == "2026-03-13"
    # ... contact falls back to the default, 30 days (visit 2026-01-10 + 30), not 20.
    assert due["contact"] == "2026-02-09"
    lines = r.stderr.splitlines()
    assert any(ln.startswith(CADENCE_LINE) for ln in lines), r.stderr
    assert "casectl: casectl.yaml: cadence.contact falls back to the default, 30 days" in lines


def test_bad_zone_reads_in_utc_and_says_so(tmp_path: Path) -> None:
    root = agency(tmp_path, BAD_ZONE)
    r = cli("-C", root, "due", "--as-of", AS_OF, "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) != []
    assert ZONE_LINE in r.stderr
    assert "casectl: casectl.yaml: timezone falls back to UTC" in r.stderr.splitlines()


@pytest.mark.parametrize("settings", [BAD_ZONE, BAD_CADENCE], ids=["zone", "cadence"])
def test_fail_on_overdue_exits_1_even_with_nothing_overdue(tmp_path: Path, settings: str) -> None:
    root = agency(tmp_path, settings)
    # On 2026-01-30 nothing is overdue yet (contact is due that day): good settings exit 0.
    good = agency(tmp_path / "good", GOOD)
    assert cli("-C", good, "due", "--as-of", "2026-01-30", "--fail-on-overdue").exit_code == 0
    r = cli("-C", root, "due", "--as-of", "2026-01-30", "--fail-on-overdue")
    assert r.exit_code == 1, r.stderr
    assert "casectl.yaml:" in r.stderr


READS = [
    ["due", "--as-of", AS_OF],
    ["digest", "--as-of", AS_OF],
    ["list"],
    ["list", "--format", "json"],
    ["show", CID, "--as-of", AS_OF],
    ["report", CID, "--as-of", AS_OF],
    ["caseload", "--as-of", AS_OF],
]


@pytest.mark.parametrize("args", READS, ids=[" ".join(a[:2]) for a in READS])
def test_reading_commands_go_on_and_say_the_problem(tmp_path: Path, args: list[str]) -> None:
    root = agency(tmp_path, BAD_ZONE)
    r = cli("-C", root, *args)
    assert r.exit_code == 0, r.stderr
    assert r.stdout  # the best reading of the records is still shown
    assert ZONE_LINE in r.stderr
    assert "timezone falls back to UTC" in r.stderr
    assert "Traceback" not in r.stderr


def test_validate_lists_the_problem_once_and_says_the_fallback(tmp_path: Path) -> None:
    root = agency(tmp_path, BAD_CADENCE)
    r = cli("-C", root, "validate")
    assert r.exit_code == 1
    assert r.stdout.count("CM506") == 1 and CADENCE_LINE in r.stdout
    assert "cadence.contact falls back to the default, 30 days" in r.stderr


def test_unreadable_settings_read_with_defaults_and_writes_refuse(tmp_path: Path) -> None:
    root = agency(tmp_path, "agency: [Test Agency\n")
    r = cli("-C", root, "due", "--as-of", AS_OF, "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) != []
    assert "casectl.yaml:2:1: error CM001" in r.stderr
    assert "casectl.yaml cannot be read; using the default settings" in r.stderr
    r = cli("-C", root, "note", CID, "x", "--by", "jdoe")
    assert r.exit_code == 2 and "casectl.yaml:2:1: error CM001" in r.stderr


def test_a_bad_manager_entry_keeps_the_rest(tmp_path: Path) -> None:
    settings = GOOD + "  mkim: {email: m@example.org}\n"
    root = agency(tmp_path, settings)
    r = cli("-C", root, "due", "--as-of", AS_OF, "--within", "365 days", "--format", "json")
    assert r.exit_code == 0
    due = {i["kind"]: i["due"] for i in json.loads(r.stdout) if i["client"] == CID}
    assert due["plan_review"] == "2026-03-13" and due["contact"] == "2026-01-30"
    assert "casectl.yaml:9:9: error CM501 managers.mkim.name" in r.stderr
    assert "managers.mkim falls back to the name 'mkim'" in r.stderr
    # The client of jdoe is not flagged for an unknown manager because of it.
    v = cli("-C", root, "validate", "--format", "json")
    assert {p["path"] for p in json.loads(v.stdout)} == {"casectl.yaml"}


def test_good_settings_print_nothing_on_stderr(tmp_path: Path) -> None:
    root = agency(tmp_path, GOOD)
    for args in READS:
        r = cli("-C", root, *args)
        assert r.exit_code == 0 and r.stderr == "", (args, r.stderr)
