"""Tables that fit (issue 17): on a real 80-column terminal (tmux) `list`, `due` and
`show` never cut a date, id, status or kind; only free text wraps, at spaces; a long
listing goes through the pager like git's, never in a pipe or with --no-pager."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.builders import EXAMPLE, cli, cli_subprocess
from tests.present.tmux import DONE, Terminal, casectl_line, run_on_terminal

AS_OF = "2026-12-01"


def _assert_fits(lines: list[str], width: int = 80) -> None:
    assert lines, "nothing on the screen"
    assert all(len(ln) <= width for ln in lines), "\n".join(lines)
    text = "\n".join(lines)
    assert "…" not in text and "..." not in text, text


def _words(lines: list[str]) -> set[str]:
    return set(re.findall(r"\S+", "\n".join(lines)))


def test_list_at_80_columns_cuts_no_date_id_or_status() -> None:
    code, lines = run_on_terminal(["-C", EXAMPLE, "list"])
    assert code == 0, lines
    _assert_fits(lines)
    words = _words(lines)
    rows = json.loads(cli("-C", EXAMPLE, "list", "--format", "json").stdout)
    for row in rows:
        for key in ("id", "status", "manager", "program", "opened", "last_contact"):
            assert row[key] in words, (key, row[key], "\n".join(lines))
        for word in row["name"].split():
            assert word in words


def test_due_at_80_columns_cuts_nothing_and_wraps_what_at_spaces() -> None:
    code, lines = run_on_terminal(["-C", EXAMPLE, "due", "--as-of", AS_OF])
    assert code == 0, lines
    _assert_fits(lines)
    words = _words(lines)
    items = json.loads(cli("-C", EXAMPLE, "due", "--as-of", AS_OF, "--format", "json").stdout)
    assert items
    for item in items:
        for key in ("status", "due", "client", "kind"):
            assert item[key] in words, (key, item[key])
        for word in item["what"].split():  # free text: every word whole
            assert word in words, word
    assert "modification" in words  # was `modificati…`


def test_show_at_80_columns_wraps_long_lines_whole_words() -> None:
    code, lines = run_on_terminal(["-C", EXAMPLE, "show", "rc-0003", "--as-of", AS_OF])
    assert code == 0, lines
    assert all(len(ln) <= 80 for ln in lines), "\n".join(lines)
    data = json.loads(
        cli("-C", EXAMPLE, "show", "rc-0003", "--as-of", AS_OF, "--format", "json").stdout
    )
    words = _words(lines)
    for item in data["due"]:
        assert {item["due"], item["kind"], item["status"]} <= words
        assert set(item["what"].split()) <= words
    for goal in data["goals"]:
        assert goal["id"] in words and set(goal["goal"].split()) <= words
    for note in data["recent_notes"]:
        assert set(note["date"].split()) <= words


def test_show_marks_a_shortened_note() -> None:
    data = json.loads(
        cli("-C", EXAMPLE, "show", "rc-0003", "--as-of", AS_OF, "--format", "json").stdout
    )
    text = cli("-C", EXAMPLE, "show", "rc-0003", "--as-of", AS_OF).stdout
    for note in data["recent_notes"]:
        line = next(ln for ln in text.splitlines() if note["date"] in ln)
        assert line.endswith(" …") == ("\n" in note["text"]), line


def test_a_table_too_wide_for_the_terminal_is_drawn_whole_not_cut() -> None:
    code, lines = run_on_terminal(["-C", EXAMPLE, "list"], width=40)
    assert code == 0
    joined = "\n".join(lines)
    assert "…" not in joined
    # the terminal wraps the over-long lines; rejoined, every date is whole
    rows = json.loads(cli("-C", EXAMPLE, "list", "--format", "json").stdout)
    flat = joined.replace("\n", "")
    for row in rows:
        assert row["opened"] in flat and row["id"] in flat


# ----------------------------------------------------------------------- pager

PAGER = "sed 's/^/PAGED|/'"


def _paged_run(args: list[str], env: dict[str, str], height: int = 24) -> list[str]:
    with Terminal(80, height) as term:
        term.start(casectl_line(*args), env=env)
        screen = term.wait_for(DONE)
    return screen.splitlines()


def test_a_long_listing_on_a_terminal_goes_through_the_pager() -> None:
    lines = _paged_run(["-C", str(EXAMPLE), "due", "--as-of", AS_OF], {"PAGER": PAGER})
    paged = [ln for ln in lines if ln.startswith("PAGED|")]
    assert len(paged) > 24 and any("2026-11-06" in ln for ln in paged), lines


def test_casectl_pager_wins_over_pager() -> None:
    lines = _paged_run(
        ["-C", str(EXAMPLE), "list"], {"PAGER": "false", "CASECTL_PAGER": PAGER}, height=10
    )
    assert any(ln.startswith("PAGED|rc-0001") for ln in lines), lines


@pytest.mark.parametrize("how", ["--no-pager", "PAGER=cat", "short"])
def test_no_pager_when_asked_or_when_it_fits(how: str) -> None:
    env = {"PAGER": "cat" if how == "PAGER=cat" else PAGER}
    args = ["-C", str(EXAMPLE), "due", "--as-of", AS_OF]
    if how == "--no-pager":
        args.insert(0, "--no-pager")
    lines = _paged_run(args, env, height=100 if how == "short" else 24)
    assert not any(ln.startswith("PAGED|") for ln in lines)
    assert any("2026-11-06" in ln for ln in lines)


def test_never_a_pager_in_a_pipe(tmp_path: Path) -> None:
    marker = tmp_path / "paged"
    result = cli_subprocess(
        "-C", EXAMPLE, "due", "--as-of", AS_OF,
        env={"PAGER": f"touch {marker}; cat", "CASECTL_PAGER": f"touch {marker}; cat"},
    )  # fmt: skip
    assert result.returncode == 0 and "2026-11-06" in result.stdout
    assert not marker.exists()


def test_the_default_pager_is_less_with_frx() -> None:
    with Terminal(80, 12) as term:
        term.start(casectl_line("-C", EXAMPLE, "list"))  # no PAGER, no LESS set
        term.wait_for("rc-0001", timeout=30)
        screen = term.screen(history=False)
        assert DONE not in screen and screen.rstrip().endswith(":"), screen  # less waits
        term.keys("q")
        screen = term.wait_for(DONE)
    assert "rc-0001" in screen
