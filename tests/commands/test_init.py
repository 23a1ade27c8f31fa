"""casectl init: the first manager comes from git's identity, so `--by` is always
checked (the README's tour runs as written: tests/test_readme.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from casectl.edit import scaffold
from casectl.read.agency import open_agency
from tests.builders import cli, run_git


def test_init_writes_the_first_manager_from_git_identity(tmp_path: Path) -> None:
    root = tmp_path / "ag"
    assert cli("init", root, "--agency", "Riverside").exit_code == 0
    agency = open_agency(root).agency
    assert agency.managers is not None and list(agency.managers) == ["jane-doe"]
    assert agency.manager_name("jane-doe") == "Jane Doe"
    assert agency.manager_email("jane-doe") == "jane.doe@example.org"
    assert cli("-C", root, "validate").exit_code == 0
    assert run_git(root, "status", "--porcelain") == ""


def test_by_is_checked_from_the_first_day(tmp_path: Path) -> None:
    root = tmp_path / "ag"
    assert cli("init", root, "--agency", "Riverside").exit_code == 0
    assert cli("-C", root, "new", "rc-0001", "--name", "N", "--manager", "jane-doe").exit_code == 0
    typo = cli("-C", root, "note", "rc-0001", "x", "--by", "jnae-doe")
    assert typo.exit_code == 2 and "not a manager" in typo.stderr and "jane-doe" in typo.stderr
    ok = cli("-C", root, "note", "rc-0001", "x")  # --by defaults to the git user's key
    assert ok.exit_code == 0, ok.stderr
    assert re.fullmatch(r"\d{8}-\d{4}-jane-doe-[a-z2-7]{4}", ok.stdout.strip())


def test_init_manager_option_chooses_the_key(tmp_path: Path) -> None:
    root = tmp_path / "ag"
    assert cli("init", root, "--agency", "Riverside", "--manager", "jdoe").exit_code == 0
    assert list(open_agency(root).agency.managers or {}) == ["jdoe"]


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("jane.doe@example.org", "jane-doe"),
        ("Min.KIM+cases@example.org", "min-kim-cases"),
        ("__x__@example.org", "x"),
        ("a" * 80 + "@example.org", "a" * 64),
        ("żół@example.org", None),
        ("", None),
    ],
)
def test_manager_key_from_email(email: str, key: str | None) -> None:
    assert scaffold.manager_key(email) == key


@pytest.mark.parametrize("zone", ["America", "Mars/Olympus"])
def test_init_refuses_a_timezone_that_is_no_zone(tmp_path: Path, zone: str) -> None:
    r = cli("init", tmp_path / "ag", "--agency", "A", "--timezone", zone)
    assert r.exit_code == 2
    assert r.stderr.strip().endswith(
        f"--timezone: {zone!r} is not a known time zone (use an IANA name such as America/Chicago)"
    )
    assert not (tmp_path / "ag").exists()
