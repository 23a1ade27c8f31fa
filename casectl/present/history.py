"""``history``'s formats: one row per commit of a client folder (present.formats.HISTORY)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from casectl.present.text import json_list, plain_table, rich_table

if TYPE_CHECKING:
    from casectl.present.output import Output

HEADERS = ("date", "author", "message", "files")


def write_json(out: Output, rows: Sequence[dict[str, Any]], prefix: str) -> None:
    out.write(json_list(rows))


def write_text(out: Output, rows: Sequence[dict[str, Any]], prefix: str) -> None:
    """A table with the files named inside the client folder; a warning when the
    folder has no commits yet."""
    if not rows:
        out.warn(f"{prefix} has no commits yet")
        return
    table = [
        [
            r["date"][:16].replace("T", " "),
            r["author"],
            r["message"],
            ", ".join(f"{f['status']} {_short(f['path'], prefix)}" for f in r["files"]),
        ]
        for r in rows
    ]
    if out.is_tty():
        out.print_rich(rich_table(HEADERS, table))
    else:
        out.write(plain_table(HEADERS, table))


def _short(path: str, prefix: str) -> str:
    return path[len(prefix) + 1 :] if path.startswith(prefix + "/") else path
