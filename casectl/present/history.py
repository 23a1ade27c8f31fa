"""``history``'s formats: one row per commit of a client folder (present.formats.HISTORY)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from casectl.present.text import json_list, plain_table, rich_table

if TYPE_CHECKING:
    from casectl.present.output import Output

HEADERS = ("date", "author", "message", "files")


def write_json(
    out: Output, rows: Sequence[dict[str, Any]], prefix: str, zone: tzinfo | None = None
) -> None:
    out.write(json_list(rows))


def write_text(
    out: Output, rows: Sequence[dict[str, Any]], prefix: str, zone: tzinfo | None = None
) -> None:
    """A table with the files named inside the client folder, times in the agency's
    zone (``zone``); a warning when the folder has no commits yet."""
    if not rows:
        out.warn(f"{prefix} has no commits yet")
        return
    table = [
        [
            datetime.fromisoformat(r["date"]).astimezone(zone or UTC).strftime("%Y-%m-%d %H:%M"),
            r["author"],
            r["message"],
            ", ".join(f"{f['status']} {_short(f['path'], prefix)}" for f in r["files"]),
        ]
        for r in rows
    ]
    if out.is_tty():
        with out.paged():
            out.print_rich(rich_table(HEADERS, table, wrap=("author", "message", "files")))
    else:
        out.write(plain_table(HEADERS, table))


def _short(path: str, prefix: str) -> str:
    return path[len(prefix) + 1 :] if path.startswith(prefix + "/") else path
