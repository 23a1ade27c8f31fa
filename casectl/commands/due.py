"""``casectl due``: overdue and due-soon items (contract sections 2 and 3).

The items come from the cached schedules of ``read.scan`` (no YAML is parsed when no
file changed), gathered and filtered by ``_common.gather_due`` (shared with
``casectl digest``), and written in the format asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from casectl.commands._common import gather_due, say_locked
from casectl.present.due import markdown, plain_text, print_rich
from casectl.present.output import Output
from casectl.present.text import json_list


def run(
    out: Output,
    directory: Path | None,
    as_of: str | None,
    within: str | None,
    manager: str | None,
    clients: Sequence[str],
    kinds: Sequence[str],
    fmt: str,
    fail_on_overdue: bool,
    redact: bool = False,
) -> int:
    g = gather_due(out, directory, as_of, within, manager, clients, kinds, redact=redact)
    items = g.items
    if fmt == "json":
        out.write(json_list([i.to_json() for i in items]))
    elif fmt == "md":
        out.write(markdown(items, g.ctx.as_of))
    elif fmt == "ics":
        from casectl.present.ics import to_ics

        out.write_exact(to_ics(items, g.ctx.agency.agency, stamp=datetime.now(UTC)))
    elif not items:
        out.line(f"nothing due as of {g.ctx.as_of.isoformat()}")
    elif out.is_tty():
        with out.paged():
            print_rich(out, items, g.ctx.agency, g.ctx.as_of)
    else:
        out.write(plain_text(items))
    say_locked(out, g.locked, on_stdout=fmt in ("text", "md"))
    if fail_on_overdue and (g.ctx.settings_errors or any(i.status == "overdue" for i in items)):
        return 1
    return 0
