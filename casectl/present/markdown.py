"""Markdown and HTML text filters: the one Markdown escaper (``md_escape``), quotes and
HTML line breaks; ``FILTERS`` adds them to the templates' environment.

Pure: text in, text out. Every value from the records passes ``md_escape`` on its way
into Markdown (the ``md`` filter of the templates, ``due --format md``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from casectl.present.output import visible

# Markdown punctuation that can start markup anywhere in a line (CommonMark lets any
# ASCII punctuation be backslash-escaped): emphasis, code, links, images, tables,
# headings, strikethrough, GitHub's math ($) and footnotes.
_MD_INLINE = re.compile(r"([\\`*_\[\]{}|#~!$])")


# What starts a block when it begins a line: a list item, quote, setext underline,
# ordered item.
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")


# GitHub turns bare URLs, www. names and e-mail addresses into links by itself.
_MD_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<![\w.])(www)(\.)|(@)")


_MD_PLAIN = re.compile(r"[^\W_]+(?:[ -][^\W_]+)*")  # letters, digits, single spaces/hyphens


_BACKTICKS = re.compile(r"`+")


def _autolink(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\:"
    if match.group(2):
        return "www\\."
    return "\\@"


def md_escape(value: object, code: bool = False) -> str:
    """Any value as Markdown text that adds no markup: one line, safe in a table cell,
    a heading, a list item or (``code=True``) as a complete code span.

    The one function every value passes on its way into Markdown (the ``md`` filter of
    the templates, ``due --format md``). Line breaks become spaces so a table row stays
    one row; control characters are shown as escapes (``output.visible``). Inline:
    ``<`` ``>`` ``&`` become entities (GitHub would otherwise pass some HTML through),
    Markdown punctuation is backslash-escaped, a block marker at the start is escaped,
    and bare URLs, ``www.`` names and e-mail addresses are broken up so GitHub does
    not link them. ``code=True``: the text between backtick fences longer than any
    run of backticks in it (so it cannot close the span early), ``|`` escaped for
    tables.
    """
    if value is None:
        return ""
    text = str(value)
    if not code and _MD_PLAIN.fullmatch(text):
        return text  # the common case: a name, an id, a date
    text = visible(" ".join(text.split()))
    if code:
        runs = _BACKTICKS.findall(text)
        fence = "`" * (max(map(len, runs), default=0) + 1)
        pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
        inner = text.replace("|", "\\|")
        return f"{fence}{pad}{inner}{pad}{fence}" if text else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    if "@" in text or "://" in text or "ww" in text.lower():
        text = _MD_AUTOLINK.sub(_autolink, text)
    if _MD_LINE_START.match(text):
        text = _MD_LINE_START.sub(r"\1\\\2", text, count=1)
    return text


def md_quote(value: object, depth: int = 1) -> str:
    """Multi-line text as a Markdown blockquote (``depth`` levels), lines escaped, breaks kept."""
    if value is None:
        return ""
    prefix = "> " * depth
    lines = []
    for raw in str(value).splitlines() or [""]:
        escaped = md_escape(raw)
        # Two trailing spaces keep the writer's line breaks inside the quote.
        lines.append(f"{prefix}{escaped}  " if escaped else prefix.rstrip())
    return "\n".join(lines)


def html_lines(value: object) -> Markup:
    """Escape for HTML and keep line breaks (for templates without pre-wrap CSS)."""
    if value is None:
        return Markup("")
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


FILTERS: dict[str, Callable[..., Any]] = {
    "md": md_escape,
    "mdquote": md_quote,
    "html_lines": html_lines,
}
