"""Tables and lists for people and scripts: aligned plain text, rich tables, JSON lists.

Only formats; never reads files, never decides exit codes. Every value from the
records passes ``output.visible`` (text) or ``output.json_visible`` (JSON) here, so
no control character from a file reaches a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from casectl.present.output import json_visible, visible

# Stands for the manager of a client whose client.yaml cannot tell who it is.
UNKNOWN_MANAGER = "(manager unknown: client.yaml has errors)"


def json_list(rows: Sequence[object]) -> str:
    """A JSON list with one object per line: readable, diff-able, and encoded by the
    C encoder (``indent=`` would use the pure-Python one, seconds for 20,000 rows)."""
    if not rows:
        return "[]\n"
    body = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in rows)
    return json_visible("[\n" + body + "\n]\n")


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Aligned plain text columns (for pipes); the last column is not padded.

    Column by column rather than cell by cell: ``list`` at 10,000 clients is 100,000
    cells (a printable text is its own cell: ``_cell`` for the others; one %-format per
    line, which pads as ljust does and never cuts)."""
    cells = [tuple(str(h) for h in headers)] + [
        tuple([c if type(c) is str and c.isprintable() else _cell(c) for c in row]) for row in rows
    ]
    columns = list(zip(*cells, strict=True))[:-1]  # every row as wide as the headers
    line = "  ".join([*(f"%-{max(map(len, set(c)))}s" for c in columns), "%s"])
    return "\n".join([(line % r).rstrip() for r in cells]) + "\n"


def fit_line(line: str, width: int | None, indent: int) -> list[str]:
    """``line`` wrapped at spaces to ``width`` (None: as it is), the continuation lines
    indented by ``indent``. Words are never split, nor at a hyphen (a date stays whole);
    a word longer than the width gets a line of its own."""
    if width is None or len(line) <= width:
        return [line]
    import textwrap

    lead = len(line) - len(line.lstrip(" "))
    return textwrap.wrap(
        line.lstrip(" "),
        width=width,
        initial_indent=" " * lead,
        subsequent_indent=" " * min(indent, max(width // 2, lead)),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [line]


def _cell(value: Any) -> str:
    """One table cell: always one line, control characters shown as escapes."""
    if value is None:
        return "-"
    return visible(str(value))


def rich_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    styles: Sequence[str | None] | None = None,
    title: str | None = None,
    wrap: Collection[str] = (),
) -> Any:
    """A table for a terminal that never cuts a value.

    Only the columns named in ``wrap`` (free text: names, what is due, messages) wrap,
    at word boundaries; every other column (dates, ids, statuses, kinds, numbers) is as
    wide as its longest value, whatever the terminal's width. Columns are two spaces
    apart, one when that makes the table fit. When even the narrowest layout is wider
    than the terminal, the table is drawn that wide (the terminal or the pager wraps
    the lines) rather than cut. Rich is imported lazily.
    """
    from rich.table import Table
    from rich.text import Text

    text_rows = [[_cell(c) for c in row] for row in rows]
    fixed = [h not in wrap for h in headers]
    widths: list[int] = []
    for i, header in enumerate(headers):
        column = [r[i] for r in text_rows]
        if fixed[i]:
            longest = max((len(c) for c in column), default=0)
            widths.append(max(longest, _longest_word(str(header))))
        else:
            widths.append(max([_longest_word(c) for c in column] + [_longest_word(str(header))]))
    natural = [
        max([len(c) for c in (r[i] for r in text_rows)] + [len(str(h))])
        for i, h in enumerate(headers)
    ]
    table = Table(
        title=visible(title) if title is not None else None,
        header_style="bold underline",
        box=None,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    table.padding = (0, 2, 0, 0)
    gaps = 2 * (len(headers) - 1)
    for i, header in enumerate(headers):
        if fixed[i]:
            table.add_column(Text(str(header), overflow="fold"), width=widths[i])
        else:
            table.add_column(Text(str(header)), overflow="fold", max_width=natural[i])
    for i, row in enumerate(text_rows):
        style = styles[i] if styles else None
        table.add_row(*[Text(c) for c in row], style=style)
    return _Fitted(table, sum(widths), gaps, len(headers) - 1)


class _Fitted:
    """A rich Table drawn at least as wide as its unbreakable columns need."""

    def __init__(self, table: Any, minimum: int, gaps: int, columns_apart: int) -> None:
        self.table = table
        self.minimum = minimum
        self.gaps = gaps
        self.columns_apart = columns_apart

    def __rich_console__(self, console: Any, options: Any) -> Any:
        width = options.max_width
        if self.minimum + self.gaps > width:
            self.table.padding = (0, 1, 0, 0)  # one space apart, like taskwarrior
            width = max(width, self.minimum + self.columns_apart)
        yield from console.render(self.table, options.update_width(width))


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)
