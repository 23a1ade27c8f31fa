"""``casectl due``: overdue and due-soon items (contract sections 2 and 3).

The items come from the cached schedules of ``read.scan`` (no YAML is parsed when no
file changed), gathered and filtered by ``_common.gather_due`` (shared with
``casectl digest``), and written in the format asked for (``present.formats.DUE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from casectl.commands._common import gather_due, say_locked
from casectl.present import formats
from casectl.present.output import Output
from casectl.read.scan import warm_read


@warm_read
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
    formats.DUE.write(fmt, out, formats.DueView(g.items, lambda: g.ctx.agency, g.ctx.as_of))
    say_locked(out, g.locked, on_stdout=formats.DUE.for_people(fmt))
    if fail_on_overdue and (g.ctx.settings_errors or any(i.status == "overdue" for i in g.items)):
        return 1
    return 0
