"""``search``'s formats: matching notes, highlighted on a terminal (present.formats.SEARCH)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from casectl.figures.search import Hit, Matcher, json_row, spans
from casectl.present.output import visible
from casectl.present.text import json_list

if TYPE_CHECKING:
    from casectl.present.output import Output

INDENT = "    "


def write_json(
    out: Output, hits: Sequence[Hit], matcher: Matcher, rows: Sequence[str] | None = None
) -> None:
    """The text ``json_list([h.to_json() for h in hits])`` writes, made faster: every
    value is a string, so each row is a template filled with JSON strings
    (``figures.search.json_row``; ``rows``: those of the hits, made already)."""
    if rows is None:
        rows = [json_row(h) for h in hits]
    if not rows:
        out.write(json_list([]))
        return
    out.write_json_rows(rows)


def write_text(out: Output, hits: Sequence[Hit], matcher: Matcher) -> None:
    """Each note under a heading line; the words found highlighted on a terminal; the
    count on stderr."""
    if out.is_tty():
        _print_rich(out, list(hits), matcher)
    else:
        out.write("".join(_plain(h) for h in hits))
    n = len(hits)
    out.note(f"{n} note{'s' if n != 1 else ''} found" if n else "no note matches")


def _heading(h: Hit) -> str:
    client, nid, shown, by, kind, _ = h.values()
    return "  ".join(visible(x) for x in (shown, client, kind, by, nid))


def _body_lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n") if text.strip() else []


def _plain(h: Hit) -> str:
    lines = [_heading(h)] + [INDENT + visible(line) for line in _body_lines(h.entry.text)]
    return "\n".join(lines) + "\n"


def _print_rich(out: Output, hits: list[Hit], matcher: Matcher) -> None:
    from rich.text import Text

    for h in hits:
        out.print_rich(Text(_heading(h), style="bold"))
        for line in _body_lines(h.entry.text):
            shown = Text(INDENT)
            at = 0
            for a, b in spans(matcher, line):
                shown.append(visible(line[at:a]))
                shown.append(visible(line[a:b]), style="bold black on yellow")
                at = b
            shown.append(visible(line[at:]))
            out.print_rich(shown)
