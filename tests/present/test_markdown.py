"""Record text cannot add Markdown structure (issue 11, item 6).

The Markdown of ``report``, ``report --redact``, ``caseload`` and ``due --format md``
for the hostile agency (tests/hostile.py: a note id that closes its code span, a
domain label with ``|`` and ``<img>``, links, images, bare URLs) is parsed with
markdown-it-py: no HTML, no link or image, no extra table cell, and the planted
labels are still there as text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from casectl.present import markdown
from tests.builders import cli
from tests.hostile import hostile_agency

AS_OF = "2026-03-01"
COMMANDS = [
    ("report", "rc-0001", "--as-of", AS_OF),
    ("report", "rc-0001", "--as-of", AS_OF, "--redact"),
    ("report", "rc-0002", "--as-of", AS_OF),
    ("caseload", "--as-of", AS_OF),
    ("due", "--as-of", AS_OF, "--format", "md"),
]
# CommonMark with raw HTML on (so any HTML that gets through is seen) and GFM tables.
PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# The same, keeping backslash escapes as tokens of their own, as GitHub's autolinker
# sees text: a URL broken by an escape is not one text run.
RAW_TEXT = (
    MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).disable("text_join")
)
FORBIDDEN = {"html_block", "html_inline", "link_open", "image", "autolink"}
# GFM's extended autolinks (not in markdown-it without linkify): a bare URL, www. or
# e-mail address within one run of text (not in code spans, where they stay text).
BARE_LINK = re.compile(r"(?i)(?:https?|ftp)://|(?<![\\\w])www\.|\w@\w")


def _walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for t in tokens:
        out.append(t)
        out += _walk(t.children or [])
    return out


def _cells(line: str) -> int:
    """Table cells of one row as GFM splits it (cmark-gfm and markdown-it alike): at
    every pipe not directly preceded by a backslash."""
    return len(re.findall(r"(?<!\\)\|", line)) - 1


def assert_inert(text: str) -> None:
    """No HTML, link or image in the parsed Markdown, no row wider than its header."""
    tokens = _walk(PARSER.parse(text))
    bad = [(t.type, t.content[:60]) for t in tokens if t.type in FORBIDDEN]
    assert bad == [], text
    html = PARSER.render(text)
    assert not re.search(r"<(img|a|script|b)\b", html), html
    runs = [t.content for t in _walk(RAW_TEXT.parse(text)) if t.type == "text"]
    assert [r for r in runs if BARE_LINK.search(r)] == []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", line):  # a delimiter row
            width = _cells(lines[i - 1])
            for row in lines[i + 1 :]:
                if not row.startswith("|"):
                    break
                assert _cells(row) == width, row


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_agency(tmp_path_factory.mktemp("md") / "agency", git=False)


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_hostile_records_add_no_markdown(hostile: Path, args: tuple[str, ...]) -> None:
    result = cli("-C", hostile, *args)
    assert result.exit_code == 0, result.stderr
    assert_inert(result.stdout)


def test_hostile_text_is_still_shown(hostile: Path) -> None:
    md = cli("-C", hostile, "report", "rc-0001", "--as-of", AS_OF).stdout
    text = PARSER.render(md)
    for label in ("NOTEID", "DOMAINKEY", "GOALTEXT", "ACTION", "WHO", "NOTETEXT", "AMENDTEXT"):
        assert label in text, label
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # shown as text
    assert "http://evil.example" in text


def test_a_note_id_cannot_close_its_code_span(tmp_path: Path) -> None:
    from tests.builders import LOG, client_files, make_agency

    log = LOG.replace("id: 20260110-1000-jdoe", 'id: "x`\\n\\n<img src=x onerror=alert(1)>"')
    root = make_agency(tmp_path / "a", {"rc-0001": client_files("rc-0001", **{"log.yaml": log})})
    md = cli("-C", root, "report", "rc-0001", "--as-of", AS_OF).stdout
    assert_inert(md)
    heading = next(line for line in md.splitlines() if line.startswith("#### "))
    [code] = [t for t in _walk(PARSER.parse(heading)) if t.type == "code_inline"]
    assert code.content == "x` <img src=x onerror=alert(1)>"


# Mostly Markdown's own punctuation, so the interesting cases come up often.
MARKDOWNISH = st.text(alphabet="`<>|[]()!*_~#-+=.:/@&\\ \n\twhtpsa1", max_size=40)


@given(st.one_of(MARKDOWNISH, st.text(max_size=60)))
@settings(max_examples=500, deadline=None)
def test_md_escape_keeps_any_text_inert(value: str) -> None:
    inline, code = markdown.md_escape(value), markdown.md_escape(value, code=True)
    for cell in (inline, code):
        assert "\n" not in cell and "\r" not in cell  # one line: a table row stays one row
    assert "<" not in inline and ">" not in inline  # entities: no HTML can start
    for cell in (inline, code):
        assert_inert(f"| x | y | z |\n|---|---|---|\n| a | {cell} | c |\n")
    assert_inert("#### " + markdown.md_escape(value) + " · " + markdown.md_escape(value, code=True))
    assert_inert("- [ ] " + markdown.md_escape(value))
    assert_inert(markdown.md_escape(value))
    assert_inert(markdown.md_quote(value))
