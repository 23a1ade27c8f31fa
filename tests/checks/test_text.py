"""Control characters in any file (CM011) and a blank client name (CM128)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from casectl.checks import text as text_rules
from casectl.store.load import FLAGGED, load_text
from tests.builders import (
    AGENCY_YAML,
    CLIENT_1,
    LOG,
    PLAN,
    agency_with,
    entry,
    found,
    q,
    run_validate,
)

C = "client.yaml"
ESC = "\x1b]0;title\x07"


def _client_with(field: str, value: str) -> str:
    lines = [ln for ln in CLIENT_1.splitlines() if not ln.startswith(f"{field}:")]
    return "\n".join([*lines, f"{field}: {q(value)}"]) + "\n"


CASES: list[tuple[str, dict[str, str], list[tuple[str, str, int, int, str]]]] = [
    ("escape in the name", {"client_yaml": _client_with("name", f"Eve{ESC}")},
     [("CM011", C, 5, 7, "error")]),
    ("C1 CSI in the name", {"client_yaml": _client_with("name", "Eve\x9b31m")},
     [("CM011", C, 5, 7, "error")]),
    ("RTL override in the program", {"client_yaml": _client_with("program", "a\u202eb")},
     [("CM011", C, 6, 10, "error")]),
    ("isolate in the phone", {"client_yaml": _client_with("phone", "555\u20660100")},
     [("CM011", C, 6, 8, "warning")]),
    ("newline in the name", {"client_yaml": _client_with("name", "Eve\nAdams")},
     [("CM011", C, 5, 7, "error")]),
    ("tab in the name", {"client_yaml": _client_with("name", "Eve\tAdams")},
     [("CM011", C, 5, 7, "error")]),
    ("escape in a key", {"client_yaml": CLIENT_1 + f"{q('x' + ESC)}: 1\n"},
     [("CM011", C, 6, 1, "error"), ("CM107", C, 6, 1, "warning")]),
    ("DEL in a note's text",
     {"log_yaml": LOG.replace("First visit.", "First\x7f visit.").replace("|", "|-")},
     [("CM001", "log.yaml", 7, 10, "error")]),  # raw DEL: not YAML at all
    ("escape in a note's text", {"log_yaml": LOG.replace("  text: |\n    First visit.\n",
                                                          f"  text: {q('Hi' + ESC)}\n")},
     [("CM011", "log.yaml", 6, 9, "warning")]),
    ("escape in a note's id", {"log_yaml": entry(q("n" + ESC))},
     [("CM011", "log.yaml", 1, 7, "error")]),
    ("escape in a note's author",
     {"log_yaml": entry("20260110-1000-jdoe", by=q("jd" + ESC))},
     [("CM011", "log.yaml", 3, 7, "error"), ("CM423", "log.yaml", 3, 7, "error")]),
    ("override in a goal's text", {"plan_yaml": PLAN.replace("Move into stable housing",
                                                             q("Move\u202e"))},
     [("CM011", "plan.yaml", 5, 11, "warning")]),
    ("escape in an action's who", {"plan_yaml": PLAN.replace("who: client", f"who: {q(ESC)}")},
     [("CM011", "plan.yaml", 10, 14, "error")]),
    ("override in an assessment's domain key",
     {"assessment_yaml": "assessments:\n  - date: 2026-01-10\n    by: jdoe\n    domains:\n"
                         f"      {q('housing' + chr(0x202E))}: {{score: 2}}\n"},
     [("CM011", "assessment.yaml", 5, 7, "error"), ("CM320", "assessment.yaml", 5, 7, "error")]),
    ("multi-line note text with tabs is fine",
     {"log_yaml": LOG.replace("First visit.", "First visit.\n    \tIndented line.")}, []),
    ("empty name", {"client_yaml": CLIENT_1.replace("name: Test Person", 'name: ""')},
     [("CM128", C, 2, 7, "error")]),
    ("blank name", {"client_yaml": CLIENT_1.replace("name: Test Person", 'name: "   "')},
     [("CM128", C, 2, 7, "error")]),
]  # fmt: skip


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_planted_control_character(
    tmp_path: Path, files: dict[str, str], expected: list[tuple[str, str, int, int, str]]
) -> None:
    root = agency_with(tmp_path, **files)
    _, problems = run_validate(root)
    got = [
        (
            str(p["code"]),
            str(p["path"]).removeprefix("clients/rc-0001/"),
            p["line"],
            p["column"],
            p["severity"],
        )
        for p in problems
    ]
    assert got == expected


def test_casectl_yaml_names_and_keys(tmp_path: Path) -> None:
    agency = (
        AGENCY_YAML.replace("agency: Test Agency", f"agency: {q('Test' + ESC)}")
        + f"domains: [housing, income, {q('food' + chr(0x2066))}]\n"
    )
    root = agency_with(tmp_path, agency_yaml=agency)
    assert found(root) == [("CM011", "casectl.yaml", 2, 9), ("CM011", "casectl.yaml", 7, 28)]


def test_message_names_the_character_and_never_echoes_the_text(tmp_path: Path) -> None:
    secret = "Lives at 12 Elm St"
    log = LOG.replace("  text: |\n    First visit.\n", f"  text: {q(secret + ESC)}\n")
    root = agency_with(tmp_path, log_yaml=log)
    _, problems = run_validate(root)
    [p] = problems
    assert p["message"] == (
        "[0].text: holds 2 control characters (the first: U+001B, escape); "
        "they could take over a terminal or hide text"
    )
    assert secret not in str(p["message"])


def test_text_output_shows_a_hostile_key_escaped(tmp_path: Path) -> None:
    from tests.builders import cli

    root = agency_with(tmp_path, client_yaml=CLIENT_1 + f"{q('x' + ESC)}: 1\n")
    result = cli("-C", root, "validate")
    assert result.exit_code == 1
    assert "x\\x1b]0;title\\x07: holds 2 control characters" in result.stdout
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.stdout)


# Keys that name something in some file, free text, and others; text with the characters
# CM011 is about (newline, tab, escape, C1, bidi, line separator) and plain ones.
_KEYS = st.sampled_from(["name", "id", "by", "goals", "domains", "managers", "text", "note", "x"])
_TEXT = st.text(st.sampled_from([*"ab ", "\n", "\t", "\x1b", "\x9b", "\u202e", "\u2028"]))
_DATA = st.recursive(
    _TEXT | st.integers(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    _DATA,
    st.sampled_from(["client.yaml", "plan.yaml", "log.yaml", "casectl.yaml"]),
    st.sampled_from([None, "|", ">", "'"]),
)
def test_a_file_without_tabs_escapes_or_flagged_characters_is_walked_for_newlines_only(
    data: object, kind: str, style: str | None
) -> None:
    """A text with no tab, backslash or flagged character (most files) is only looked
    at for newlines in keys and names: the same problems as the whole walk finds."""
    text = yaml.safe_dump(data, default_style=style, allow_unicode=True)
    loaded = load_text(kind, text)
    assume(loaded.ok)
    assert loaded.marked_text == bool(re.search(f"[\t\\\\{FLAGGED}]", text))
    found_now = text_rules.check(loaded, kind)
    loaded.marked_text = True  # what every file went through before
    assert text_rules.check(loaded, kind) == found_now


def test_a_newline_in_a_name_without_any_escape_is_found() -> None:
    loaded = load_text("client.yaml", "id: rc-0001\nname: |\n  Eve\n  Adams\n")
    assert not loaded.marked_text
    assert [(p.code, p.line, p.column) for p in text_rules.check(loaded, "client.yaml")] == [
        ("CM011", 2, 7)
    ]
