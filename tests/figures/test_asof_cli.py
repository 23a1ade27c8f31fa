"""``--as-of D`` is "as the records stood at the end of D" for every reading command.

Two agencies: the full one (records after 2026-10-31 included) and the same agency cut
by hand to what it held at the end of 2026-10-31. Every reading command with
``--as-of 2026-10-31`` prints the same for both; then notes, a closure and a goal
change are written after that date with the real commands, and the output as of the
date is still the same.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.builders import cli, figures_agency, run_git

DAY = "2026-10-31"
COMMANDS: list[tuple[str, ...]] = [
    ("due", "--format", "json"),
    ("due", "--within", "60 days"),
    ("list", "--format", "json"),
    ("list",),
    ("show", "a-0001", "--format", "json"),
    ("show", "c-0003"),
    ("report", "a-0001", "--format", "md"),
    ("report", "c-0003", "--format", "html"),
    ("caseload", "--format", "md"),
    ("caseload", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "html"),
    ("digest",),
    ("stats", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "json"),
    ("stats", "--from", "2026-01-01", "--to", "2026-12-31", "--by", "manager"),
    ("export", "notes"),
    ("export", "clients", "--format", "jsonl"),
    ("export", "goals"),
    ("export", "assessments"),
    ("export", "referrals"),
    ("search", "--regex", ".", "--format", "json"),
    ("search", "visit"),
]


def _cut(root: Path) -> Path:
    """The agency as it stood at the end of 2026-10-31, written by hand."""
    a = root / "clients" / "a-0001"
    log = (a / "log.yaml").read_text()
    (a / "log.yaml").write_text(log[: log.index("- id: 20261102-1000-jdoe")])
    plan = (a / "plan.yaml").read_text()
    (a / "plan.yaml").write_text(
        plan.replace("    status: met\n    status_date: 2026-11-05\n", "    status: active\n")
    )
    c = root / "clients" / "c-0003"
    log = (c / "log.yaml").read_text()
    (c / "log.yaml").write_text(log[: log.index("- id: 20261020-1000-jdoe")])
    shutil.rmtree(root / "clients" / "e-0005")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "as it stood")
    return root


def _outputs(root: Path) -> dict[tuple[str, ...], str]:
    got = {}
    for args in COMMANDS:
        done = cli("-C", root, *args, "--as-of", DAY)
        assert done.exit_code == 0, (args, done.stderr)
        lines = [line for line in done.stdout.splitlines() if "generated" not in line]
        got[args] = "\n".join(lines)
    return got


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return figures_agency(tmp_path_factory.mktemp("asof") / "full")


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _cut(figures_agency(tmp_path_factory.mktemp("asof") / "cut"))


def test_every_command_as_of_a_day_shows_the_records_of_that_day(full: Path, cut: Path) -> None:
    want = _outputs(cut)
    got = _outputs(full)
    for args in COMMANDS:
        assert got[args] == want[args], args
    # The day matters: without --as-of the full agency shows what came later.
    assert "e-0005" in cli("-C", full, "list").stdout
    assert "e-0005" not in got[("list",)]


def test_records_written_later_change_nothing_as_of_the_day(full: Path) -> None:
    before = _outputs(full)
    for args in (
        ("note", "a-0001", "Visit after the day.", "--type", "visit", "--minutes", "30"),
        ("note", "c-0003", "Phone after the day.", "--type", "phone"),
        ("close", "c-0003", "--reason", "moved"),
    ):
        done = cli("-C", full, *args)
        assert done.exit_code == 0, (args, done.stderr)
    after = _outputs(full)
    for args in COMMANDS:
        assert after[args] == before[args], args
    assert "closed" in cli("-C", full, "show", "c-0003").stdout


def test_show_and_report_of_a_client_opened_later(full: Path) -> None:
    done = cli("-C", full, "show", "e-0005", "--as-of", DAY)
    assert done.exit_code == 2
    assert re.search(r"opened on 2026-11-10, after 2026-10-31", done.stderr)
