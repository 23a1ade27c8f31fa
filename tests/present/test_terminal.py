"""No control character from the records reaches a terminal (issue 11, item 5).

A hostile agency (tests/hostile.py) carries escape sequences, C1 controls and bidi
overrides in every field, in YAML keys, in a client folder's name and in a git
author's name. Every read command, in every format, through the real command line,
in a pipe and on a pseudo-terminal: stdout and stderr hold no raw control character
(newline and tab excepted), the sequences are shown as visible escapes, JSON keeps
them as JSON escapes, and iCalendar drops them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from casectl.present import output
from casectl.present.text import json_list, plain_table
from tests.builders import AUTHOR, cli, run_on_a_terminal
from tests.hostile import CLEAR, OSC_TITLE, RLO, SEQUENCES, hostile_agency, raw_controls

AS_OF = "2026-03-01"
EVIL_AUTHOR = f"Eve{OSC_TITLE}{CLEAR}\x9b31m{RLO}Mallory"

TEXT_COMMANDS: list[tuple[str, ...]] = [
    ("validate",),
    ("validate", "--format", "github"),
    ("validate", "--strict"),
    ("list",),
    ("list", "--status", "closed"),
    ("show", "rc-0001", "--as-of", AS_OF),
    ("show", "rc-0002", "--as-of", AS_OF),
    ("due", "--as-of", AS_OF),
    ("due", "--as-of", AS_OF, "--format", "md"),
    ("digest", "--as-of", AS_OF),
    ("report", "rc-0001", "--as-of", AS_OF),
    ("report", "rc-0001", "--as-of", AS_OF, "--format", "html"),
    ("report", "rc-0001", "--as-of", AS_OF, "--redact"),
    ("report", "rc-0002", "--as-of", AS_OF),
    ("caseload", "--as-of", AS_OF),
    ("caseload", "--as-of", AS_OF, "--format", "html"),
    ("history", "rc-0001"),
    ("audit",),
]
JSON_COMMANDS: list[tuple[str, ...]] = [
    ("validate", "--format", "json"),
    ("list", "--format", "json"),
    ("show", "rc-0001", "--format", "json", "--as-of", AS_OF),
    ("due", "--as-of", AS_OF, "--format", "json"),
    ("history", "rc-0001", "--format", "json"),
    ("audit", "--format", "json"),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = hostile_agency(tmp_path_factory.mktemp("hostile") / "agency")
    env = {**os.environ, **AUTHOR, "GIT_AUTHOR_NAME": EVIL_AUTHOR}
    # A hand edit of an existing note (an audit finding), committed by the hostile author.
    log = root / "clients" / "rc-0001" / "log.yaml"
    log.write_text(log.read_text().replace("second line", "second line, edited"))
    subprocess.run(["git", "commit", "-qam", f"edit {CLEAR}{RLO} note"], cwd=root, env=env,
                   check=True)  # fmt: skip
    return root


def _assert_clean(stdout: str, stderr: str, allow_sgr: bool = False) -> None:
    assert raw_controls(stdout, allow_sgr) == [], stdout[:2000]
    assert raw_controls(stderr, allow_sgr) == [], stderr[:2000]
    assert "Traceback" not in stderr


@pytest.mark.parametrize("args", TEXT_COMMANDS, ids=" ".join)
def test_text_output_in_a_pipe_has_no_raw_control(hostile: Path, args: tuple[str, ...]) -> None:
    result = cli("-C", hostile, *args)
    assert result.exit_code in (0, 1), result.stderr
    _assert_clean(result.stdout, result.stderr)
    assert "\\x1b" in result.stdout + result.stderr  # shown, not silently dropped


@pytest.mark.parametrize("args", JSON_COMMANDS, ids=" ".join)
def test_json_keeps_control_characters_as_json_escapes(
    hostile: Path, args: tuple[str, ...]
) -> None:
    result = cli("-C", hostile, *args)
    assert result.exit_code in (0, 1), result.stderr
    _assert_clean(result.stdout, result.stderr)
    data = json.loads(result.stdout)
    planted = EVIL_AUTHOR if args[0] in ("history", "audit") else SEQUENCES
    assert json.dumps(planted)[1:-1] in json.dumps(data)  # the text as written, exactly
    assert "\\u001b" in result.stdout


def test_ics_drops_control_characters(hostile: Path) -> None:
    result = cli("-C", hostile, "due", "--as-of", AS_OF, "--format", "ics")
    assert result.exit_code == 0, result.stderr
    assert "BEGIN:VEVENT" in result.stdout
    assert raw_controls(result.stdout.replace("\r\n", "")) == []


def test_history_shows_a_hostile_git_author_as_escapes(hostile: Path) -> None:
    result = cli("-C", hostile, "history", "rc-0001")
    assert result.exit_code == 0
    assert "Eve\\x1b]0;pwned-title\\x07\\x1b[2J\\x9b31m\\u202eMallory" in result.stdout
    _assert_clean(result.stdout, result.stderr)


def test_error_messages_on_stderr_are_escaped(hostile: Path, tmp_path: Path) -> None:
    target = tmp_path / f"no{CLEAR}such" / "r.md"
    result = cli("-C", hostile, "report", "rc-0001", "-o", target)
    assert result.exit_code == 2
    _assert_clean(result.stdout, result.stderr)
    assert "\\x1b[2J" in result.stderr


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_report_written_to_a_file_has_no_raw_control(
    hostile: Path, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"r.{fmt}"
    result = cli("-C", hostile, "report", "rc-0001", "--as-of", AS_OF, "--format", fmt,
                 "-o", target)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = target.read_text()
    assert raw_controls(text) == [] and "\\x1b" in text


@pytest.mark.parametrize("color", [True, False], ids=["colour", "no-colour"])
@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("validate",),
        ("due", "--as-of", AS_OF),
        ("history", "rc-0001"),
        ("show", "rc-0001", "--as-of", AS_OF),
    ],
    ids=" ".join,
)
def test_terminal_output_has_no_raw_control(
    hostile: Path, args: tuple[str, ...], color: bool
) -> None:
    code, text = run_on_a_terminal(("-C", str(hostile), *args), color)
    assert code in (0, 1), text
    assert raw_controls(text, allow_sgr=color) == [], text[:3000]
    assert "\\x1b" in text


# ------------------------------------------------------------- the one function


def test_visible_escapes_controls_and_keeps_ordinary_text() -> None:
    assert output.visible("Maria López, 12 Elm St") == "Maria López, 12 Elm St"
    assert output.visible(f"a{OSC_TITLE}b") == "a\\x1b]0;pwned-title\\x07b"
    assert output.visible("a\x9b31mb\u202ec\x7f") == "a\\x9b31mb\\u202ec\\x7f"
    assert output.visible("one\ntwo\tthree\r") == "one\\ntwo\\tthree\\r"
    assert output.visible("one\ntwo\tthree\r", multiline=True) == "one\ntwo\tthree\\r"
    assert output.visible(output.visible(SEQUENCES)) == output.visible(SEQUENCES)  # idempotent


def test_json_escapes_what_json_leaves_raw() -> None:
    text = json_list([{"v": SEQUENCES}])
    assert raw_controls(text) == []
    assert json.loads(text) == [{"v": SEQUENCES}]


def test_plain_and_rich_table_cells_are_one_line() -> None:
    table = plain_table(("a", "b"), [["x\ny", f"z{CLEAR}"]])
    assert table.splitlines()[1] == "x\\ny  z\\x1b[2J"
