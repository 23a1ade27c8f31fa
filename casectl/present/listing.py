"""``list``'s formats: the caseload, one line per client (present.formats.LIST)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from casectl.present.text import json_list, plain_table, rich_table

if TYPE_CHECKING:
    from casectl.present.output import Output

HEADERS = (
    "id", "name", "status", "manager", "program", "opened", "last contact", "notes",
    "stage", "flags",
)  # fmt: skip
ERRORS_MARK = "(records have errors)"
MANAGER_LEFT = "manager left"


def write_json(out: Output, rows: Sequence[dict[str, Any]]) -> None:
    out.write(json_list(rows))


def write_text(out: Output, rows: Sequence[dict[str, Any]]) -> None:
    """A rich table on a terminal (clients with errors in red), aligned columns else."""
    table = [
        [
            r["id"],
            _marked(r["name"]) if r["errors"] else r["name"],
            r["status"],
            f"{r['manager']} ({MANAGER_LEFT})" if r["manager_left"] else r["manager"],
            r["program"],
            r["opened"],
            r["last_contact"],
            r["notes"],
            r["stage"],
            " ".join(r["flags"]) or None,
        ]
        for r in rows
    ]
    if out.is_tty():
        styles = [
            "red" if r["errors"] else {"on_hold": "yellow", "closed": "dim"}.get(r["status"])
            for r in rows
        ]
        with out.paged():
            out.print_rich(rich_table(HEADERS, table, styles=styles, wrap=("name",)))
    else:
        out.write(plain_table(HEADERS, table))


def _marked(name: str | None) -> str:
    """The name cell of a client whose files have errors: it is listed all the same."""
    return f"{name} {ERRORS_MARK}" if name else ERRORS_MARK
