"""Tables and lists for people and scripts: aligned plain text, rich tables, JSON lists.

Only formats; never reads files, never decides exit codes. Every value from the
records passes ``output.visible`` (text) or ``output.json_visible`` (JSON) here, so
no control character from a file reaches a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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

    Column by column rather than cell by cell: ``list`` at 10,000 clients is 80,000
    cells."""
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(r[:-1], widths, strict=False)), r[-1]]).rstrip()
        for r in cells
    ]
    return "\n".join(lines) + "\n"


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
) -> Any:
    """A rich Table (imported lazily) with one optional style per row."""
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=visible(title) if title is not None else None,
        header_style="bold",
        show_edge=False,
        pad_edge=False,
    )
    for h in headers:
        table.add_column(str(h))
    for i, row in enumerate(rows):
        style = styles[i] if styles else None
        table.add_row(*[Text(_cell(c)) for c in row], style=style)
    return table
