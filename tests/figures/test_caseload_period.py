"""``casectl caseload --from D --to D``: contacts and minutes per manager in a period."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import cli, cli_subprocess, figures_agency

OCT = ("--from", "2026-10-01", "--to", "2026-10-31")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return figures_agency(tmp_path_factory.mktemp("period") / "agency")


def test_md_period_per_manager(root: Path) -> None:
    done = cli("-C", root, "caseload", *OCT, "--format", "md")
    assert done.exit_code == 0, done.stderr
    text = done.stdout
    assert "## Contacts and time from 2026-10-01 to 2026-10-31" in text
    # served, contacts (with client / others), minutes, hours: counted by hand
    assert "| Jane Doe (jdoe) | 2 | 5 | 3 | 130 | 2h 10m |" in text
    assert "| Min Kim (mkim) | 1 | 1 | 1 | 60 | 1h 00m |" in text
    assert "| All | 3 | 6 | 4 | 190 | 3h 10m |" in text
    # Without a period the section is not there.
    assert "Contacts and time" not in cli("-C", root, "caseload", "--format", "md").stdout


def test_html_and_manager(root: Path) -> None:
    done = cli("-C", root, "caseload", *OCT, "--format", "html", "--manager", "mkim")
    assert done.exit_code == 0, done.stderr
    assert "Contacts and time from 2026-10-01 to 2026-10-31" in done.stdout
    assert "2h 10m" not in done.stdout and "1h 00m" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--from", "2026-10-01"),
        ("--to", "2026-10-01"),
        ("--from", "2026-10-31", "--to", "2026-10-01"),
    ],
)
def test_refusals(root: Path, args: tuple[str, ...]) -> None:
    done = cli_subprocess("-C", root, "caseload", *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
