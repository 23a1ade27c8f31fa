"""``casectl stats`` through the real CLI, against figures counted by hand."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.builders import HAND, HAND_BY_MANAGER, cli, cli_subprocess, figures_agency

OCT = ("--from", "2026-10-01", "--to", "2026-10-31")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return figures_agency(tmp_path_factory.mktemp("figures") / "agency")


def test_the_agency_is_valid(root: Path) -> None:
    done = cli("-C", root, "validate")
    assert done.exit_code == 0, done.stdout + done.stderr


def test_json_every_key_counted_by_hand(root: Path) -> None:
    done = cli("-C", root, "stats", *OCT, "--format", "json")
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data == HAND
    assert list(data) == list(HAND)  # the contract's key order


def test_json_by_manager(root: Path) -> None:
    done = cli("-C", root, "stats", *OCT, "--by", "manager", "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == HAND_BY_MANAGER
    assert list(json.loads(done.stdout)) == ["jdoe", "mkim", "all"]


def test_json_by_program(root: Path) -> None:
    data = json.loads(cli("-C", root, "stats", *OCT, "--by", "program", "--format", "json").stdout)
    assert list(data) == ["(none)", "housing", "income", "all"]
    assert data["(none)"]["crises"] == 1 and data["housing"]["goals_met"] == 1
    assert data["income"]["closed"] == {"moved": 1}
    assert data["all"] == HAND


def test_a_later_period_sees_the_late_entry_and_the_later_goal(root: Path) -> None:
    data = json.loads(
        cli("-C", root, "stats", "--from", "2026-11-01", "--to", "2026-11-30",
            "--format", "json").stdout
    )  # fmt: skip
    # November: the entry dated in October but recorded in November counts in no period;
    # G2 met on 11-05; e-0005 opened; a's visit of 11-02 and e's intake.
    assert data["goals_met"] == 1
    assert data["new"] == 1
    assert data["contacts"] == {"visit": 2}
    assert data["minutes"] == 100
    assert data["open"] == 3  # a, c, e (b closed 10-28, before the period)


def test_text_is_default_and_readable(root: Path) -> None:
    done = cli("-C", root, "stats", *OCT)
    assert done.exit_code == 0, done.stderr
    text = done.stdout
    assert "2026-10-01" in text and "2026-10-31" in text
    for label in ("open", "served", "new", "minutes", "goals met", "crises", "housing"):
        assert label in text
    assert "3h 10m" in text or "3.2" in text  # 190 minutes as hours


def test_md_and_html(root: Path, tmp_path: Path) -> None:
    md = cli("-C", root, "stats", *OCT, "--format", "md")
    assert md.exit_code == 0, md.stderr
    assert md.stdout.startswith("# ") and "| served | 3 |" in md.stdout
    out = tmp_path / "stats.html"
    done = cli("-C", root, "stats", *OCT, "--by", "manager", "-o", out)
    assert done.exit_code == 0, done.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    assert page.count("<svg") >= 2  # domain outcomes and monthly contacts
    assert "Jane Doe" in page
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_generated_only_on_a_generated_line(root: Path) -> None:
    a = cli("-C", root, "stats", *OCT, "--format", "md").stdout.splitlines()
    b = cli("-C", root, "stats", *OCT, "--format", "md").stdout.splitlines()
    assert [x for x in a if "generated" not in x] == [x for x in b if "generated" not in x]


def test_csv_long_form(root: Path) -> None:
    done = cli("-C", root, "stats", *OCT, "--by", "manager", "--format", "csv")
    assert done.exit_code == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout, newline="")))
    assert list(rows[0]) == ["from", "to", "group", "figure", "key", "value"]
    assert {(r["from"], r["to"]) for r in rows} == {("2026-10-01", "2026-10-31")}
    got = {(r["group"], r["figure"], r["key"]): int(r["value"]) for r in rows}
    assert got[("all", "open", "")] == 3
    assert got[("all", "contacts", "visit")] == 3
    assert got[("all", "domains.housing", "worse")] == 1
    assert got[("mkim", "closed", "moved")] == 1
    assert got[("jdoe", "minutes", "")] == 130


def test_agency_template_overrides(root: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".casectl"))
    (copy / "templates").mkdir()
    (copy / "templates" / "stats.md.j2").write_text("served={{ all.served }} by={{ by }}\n")
    done = cli("-C", copy, "stats", *OCT, "--format", "md")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == "served=3 by=None\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-10-31", "--to", "2026-10-01"), "after"),
        (("--from", "2026-13-01", "--to", "2026-10-01"), "--from"),
        (("--to", "2026-10-01"), "--from"),
        (("--from", "2026-10-01"), "--to"),
        ((*OCT, "--by", "colour"), "--by"),
        ((*OCT, "--format", "xml"), "--format"),
    ],
)
def test_bad_options_exit_2(root: Path, args: tuple[str, ...], message: str) -> None:
    done = cli_subprocess("-C", root, "stats", *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
