"""Formatting: problems, tables and due items as text, JSON and GitHub annotations.

Only formats; never reads files, never decides exit codes. Every value from the
records passes ``output.visible`` (text) or ``output.json_visible`` (JSON) here, so
no control character from a file reaches a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from casectl.core.problems import Problem
from casectl.present.output import json_visible, visible

# Stands for the manager of a client whose client.yaml cannot tell who it is.
UNKNOWN_MANAGER = "(manager unknown: client.yaml has errors)"


def problem_line(p: Problem) -> str:
    return f"{visible(p.path)}:{p.line}:{p.column}: {p.severity} {p.code} {visible(p.message)}"


def problems_text(problems: Sequence[Problem], files: int) -> str:
    lines = [problem_line(p) for p in problems]
    lines.append(summary(problems, files))
    return "\n".join(lines) + "\n"


def summary(problems: Sequence[Problem], files: int) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    noun = "file" if files == 1 else "files"
    if not problems:
        return f"no problems in {files} {noun}"
    parts = [_count(errors, "error")]
    if warnings:
        parts.append(_count(warnings, "warning"))
    return f"{', '.join(parts)} in {files} {noun}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def json_list(rows: Sequence[object]) -> str:
    """A JSON list with one object per line: readable, diff-able, and encoded by the
    C encoder (``indent=`` would use the pure-Python one, seconds for 20,000 rows)."""
    if not rows:
        return "[]\n"
    body = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in rows)
    return json_visible("[\n" + body + "\n]\n")


def problems_json(problems: Sequence[Problem]) -> str:
    return json_list([p.as_dict() for p in problems])


def _gh_escape(text: str, prop: bool = False) -> str:
    text = visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def problems_github(problems: Sequence[Problem]) -> str:
    out = []
    for p in problems:
        kind = "error" if p.severity == "error" else "warning"
        out.append(
            f"::{kind} file={_gh_escape(p.path, True)},line={p.line},col={p.column},"
            f"title={p.code}::{_gh_escape(p.code + ' ' + p.message)}"
        )
    return "\n".join(out) + ("\n" if out else "")


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Aligned plain text columns (for pipes); the last column is not padded."""
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for r in cells:
        parts = [c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)]
        lines.append("  ".join(parts).rstrip())
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
