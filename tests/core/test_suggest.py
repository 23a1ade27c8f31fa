"""Suggestions (issue 17): a mistyped client id, manager, command, --type or --kind
gets "did you mean ...?"; `show`, `report` and `history` take a unique id prefix or
name, commands that write and filters scripts use never guess."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from casectl.core.suggest import close_matches, did_you_mean
from tests.builders import EXAMPLE, cli, client_files, make_agency, run_git

AS_OF = "2026-12-01"


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_unknown_client_id_gets_the_closest_ids() -> None:
    r = cli("-C", EXAMPLE, "due", "--client", "rc-0033", "--as-of", AS_OF)
    assert r.exit_code == 2
    assert "did you mean 'rc-0003'" in _one_line_error(r.stderr)


def test_a_write_never_guesses_the_client(agency: Path) -> None:
    head = run_git(agency, "rev-parse", "HEAD")
    r = cli("-C", agency, "note", "rc-001", "A note.", "--by", "jdoe")
    assert r.exit_code == 2
    assert "no client 'rc-001'" in r.stderr and "did you mean 'rc-0001'" in r.stderr
    assert run_git(agency, "rev-parse", "HEAD") == head
    r = cli("-C", agency, "note", "test", "A note.", "--by", "jdoe")  # a name: not for writes
    assert r.exit_code == 2 and run_git(agency, "rev-parse", "HEAD") == head


def test_unknown_manager_gets_a_suggestion() -> None:
    r = cli("-C", EXAMPLE, "list", "--manager", "jdo")
    assert r.exit_code == 2
    line = _one_line_error(r.stderr)
    assert "did you mean 'jdoe'" in line and "known: jdoe, mkim, tbrooks" in line


def test_unknown_by_gets_a_suggestion(agency: Path) -> None:
    r = cli("-C", agency, "note", "rc-0001", "A note.", "--by", "mkm")
    assert r.exit_code == 2
    assert "did you mean 'mkim'" in _one_line_error(r.stderr)


def test_unknown_command_gets_a_suggestion() -> None:
    r = cli("lsit")
    assert r.exit_code == 2
    assert "Did you mean 'list'" in r.stderr


def test_unknown_type_gets_a_suggestion(agency: Path) -> None:
    r = cli("-C", agency, "note", "rc-0001", "A note.", "--type", "vist", "--by", "jdoe")
    assert r.exit_code == 2
    assert "did you mean 'visit'" in _one_line_error(r.stderr)


def test_unknown_kind_gets_a_suggestion() -> None:
    r = cli("-C", EXAMPLE, "due", "--kind", "contct", "--as-of", AS_OF)
    assert r.exit_code == 2
    assert "did you mean 'contact'" in _one_line_error(r.stderr)


def test_unknown_status_and_reason_get_a_suggestion(agency: Path) -> None:
    r = cli("-C", EXAMPLE, "list", "--status", "onhold")
    assert r.exit_code == 2 and "did you mean 'on_hold'" in _one_line_error(r.stderr)
    r = cli("-C", agency, "close", "rc-0001", "--reason", "moved_away", "--by", "jdoe")
    assert r.exit_code == 2 and "did you mean 'moved'" in _one_line_error(r.stderr)


# ------------------------------------------------------- naming a client loosely


def test_show_takes_a_unique_name() -> None:
    r = cli("-C", EXAMPLE, "show", "harper", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Evelyn Harper (rc-0003)")
    assert "'harper' is rc-0003 (Evelyn Harper)" in r.stderr
    r = cli("-C", EXAMPLE, "show", "Evelyn H", "--as-of", AS_OF)
    assert r.exit_code == 0 and r.stdout.startswith("Evelyn Harper (rc-0003)")


def test_show_takes_a_unique_id_prefix_and_an_exact_id_silently() -> None:
    r = cli("-C", EXAMPLE, "show", "rc-001", "--as-of", AS_OF)
    assert r.exit_code == 0 and r.stdout.startswith("Kevin Tran (rc-0010)")
    r = cli("-C", EXAMPLE, "show", "rc-0001", "--as-of", AS_OF)
    assert r.exit_code == 0 and r.stderr == ""


def test_an_ambiguous_name_lists_the_candidates() -> None:
    r = cli("-C", EXAMPLE, "show", "rc-000")
    assert r.exit_code == 2
    line = _one_line_error(r.stderr)
    assert "could be 9 clients" in line and "rc-0003 (Evelyn Harper)" in line


def test_no_match_suggests_close_names() -> None:
    r = cli("-C", EXAMPLE, "show", "Harpr")
    assert r.exit_code == 2
    assert "did you mean rc-0003 (Evelyn Harper)?" in _one_line_error(r.stderr)


def test_a_malformed_id_is_still_refused_as_such() -> None:
    r = cli("-C", EXAMPLE, "show", "../rc-0001")
    assert r.exit_code == 2 and "is not a valid client id" in r.stderr


def test_report_and_history_take_a_name(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "a", {"rc-0042": client_files("rc-0042")})
    r = cli("-C", root, "report", "test person")
    assert r.exit_code == 0, r.stderr
    assert "rc-0042" in r.stdout
    r = cli("-C", root, "history", "rc-00")
    assert r.exit_code == 0, r.stderr
    assert "test agency" in r.stdout


# --------------------------------------------------------------- the function


@given(st.text(max_size=12), st.lists(st.text(max_size=12), max_size=8))
def test_suggestions_come_from_the_candidates(word: str, candidates: list[str]) -> None:
    found = close_matches(word, candidates)
    assert set(found) <= set(candidates) and len(found) <= 3
    assert (did_you_mean(word, candidates) == "") == (not found)
    if word in candidates:
        assert found[0] == word
