"""``casectl search`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import cli, cli_subprocess, figures_agency, run_on_a_terminal


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return figures_agency(tmp_path_factory.mktemp("search") / "agency")


def _ids(*args: str, root: Path) -> list[str]:
    done = cli("-C", root, "search", *args, "--format", "json")
    assert done.exit_code == 0, done.stderr
    return [h["id"] for h in json.loads(done.stdout)]


def test_json_rows(root: Path) -> None:
    done = cli("-C", root, "search", "voucher", "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"client": "a-0001", "id": "20261002-1000-jdoe", "date": "2026-10-02 10:00",
         "by": "jdoe", "type": "visit", "text": "Home visit, voucher paperwork done."},
        {"client": "a-0001", "id": "20261020-1400-jdoe", "date": "2026-10-20 14:00",
         "by": "jdoe", "type": "note", "text": "Voucher approved."},
    ]  # fmt: skip


def test_words_are_whole_words_any_case_any_order(root: Path) -> None:
    assert _ids("vouch", root=root) == []
    assert _ids("DONE paperwork", root=root) == ["20261002-1000-jdoe"]
    assert _ids("late entry", root=root) == ["20261005-1100-jdoe"]


def test_regex(root: Path) -> None:
    assert _ids("--regex", "^Late", root=root) == ["20261005-1100-jdoe", "20261020-1000-jdoe"]
    assert _ids("--regex", "^late", root=root) == []  # as written: case matters
    bad = cli_subprocess("-C", root, "search", "--regex", "(a+)+")
    assert bad.returncode == 2 and "repetition" in bad.stderr and "Traceback" not in bad.stderr
    bad = cli_subprocess("-C", root, "search", "--regex", "(")
    assert bad.returncode == 2 and "regular expression" in bad.stderr


def test_filters(root: Path) -> None:
    assert _ids("intake", "--manager", "mkim", root=root) == [
        "20261003-1000-mkim",
        "20261110-1000-mkim",
    ]
    assert _ids("intake", "--client", "e-0005", root=root) == ["20261110-1000-mkim"]
    assert _ids("--regex", ".", "--type", "crisis", root=root) == ["20261014-2200-jdoe"]
    got = _ids("--regex", ".", "--from", "2026-10-14", "--to", "2026-10-15", root=root)
    assert got == ["20261014-2200-jdoe", "20261015-0900-jdoe"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x", "--client", "zz-9999"), "zz-9999"),
        (("x", "--manager", "nobody"), "nobody"),
        (("x", "--type", "vist"), "--type"),
        (("x", "--from", "2026-10-31", "--to", "2026-10-01"), "after"),
        (("   ",), "no words"),
    ],
)
def test_refusals(root: Path, args: tuple[str, ...], message: str) -> None:
    done = cli_subprocess("-C", root, "search", *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_text_lists_each_note(root: Path) -> None:
    done = cli("-C", root, "search", "voucher")
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["2026-10-02", "10:00", "a-0001", "visit", "jdoe",
                                "20261002-1000-jdoe"]  # fmt: skip
    assert "    Home visit, voucher paperwork done." in lines
    assert "2 notes" in done.stderr
    none = cli("-C", root, "search", "nothing-like-this")
    assert none.exit_code == 0 and none.stdout == "" and "no note" in none.stderr


def test_highlighted_on_a_terminal(root: Path) -> None:
    code, text = run_on_a_terminal(("-C", str(root), "search", "voucher"), True)
    assert code == 0, text
    assert "\x1b[" in text  # the matches are styled
    plain = cli_subprocess("-C", root, "search", "voucher").stdout
    assert "\x1b" not in plain


def test_words_found_whatever_yaml_spelling(tmp_path: Path) -> None:
    """Words are found in notes however log.yaml spells them: escapes in double-quoted
    scalars, doubled quotes in single-quoted ones, folded lines (the search may skip a
    client by its raw bytes only where that cannot hide a word)."""
    root = figures_agency(tmp_path / "agency")
    log = root / "clients" / "d-0004" / "log.yaml"
    log.write_text(
        log.read_text()
        + "- id: 20260916-1000-mkim\n  date: 2026-09-16 10:00\n  by: mkim\n  type: note\n"
        + '  text: "Paid the r\\x65nt and the deposit."\n'
        + "- id: 20260917-1000-mkim\n  date: 2026-09-17 10:00\n  by: mkim\n  type: note\n"
        + "  text: 'She said she don''t want it.'\n"
        + "- id: 20260918-1000-mkim\n  date: 2026-09-18 10:00\n  by: mkim\n  type: note\n"
        + "  text: >\n    Folded text about\n    lighthouse keepers.\n"
    )
    assert cli("-C", root, "validate").exit_code == 0
    assert _ids("rent", root=root) == ["20260916-1000-mkim"]
    assert _ids("don't", root=root) == ["20260917-1000-mkim"]
    assert _ids("about lighthouse", root=root) == ["20260918-1000-mkim"]
    assert _ids("lighthouses", root=root) == []
