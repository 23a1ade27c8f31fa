"""``casectl list``: the caseload, one line per client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casectl.commands._common import agency_context, check_manager_option, say_locked
from casectl.core.context import RunContext
from casectl.core.suggest import did_you_mean
from casectl.core.values import STATUSES
from casectl.errors import CasectlError
from casectl.present import formats
from casectl.present.output import Output
from casectl.read.scan import listings_of, warm_read


@warm_read
def run(
    out: Output,
    directory: Path | None,
    status: str | None,
    manager: str | None,
    fmt: str,
    as_of: str | None = None,
) -> int:
    if status is not None and status not in STATUSES:
        raise CasectlError(
            f"--status: {status!r} is not one of {', '.join(STATUSES)}"
            + did_you_mean(status, STATUSES)
        )
    ctx = agency_context(directory, as_of, out=out)
    check_manager_option(ctx, manager)
    # the summary and its Standing (stage, open flags, tasks and referrals): no detail
    found = listings_of(ctx)
    listings = found.listed
    check_manager_option(ctx, manager, (f.manager for f in listings))
    rows: list[dict[str, Any]] = []
    for f in listings:
        if status and f.status != status:
            continue
        if manager and f.manager != manager:
            continue
        standing = f.standing
        rows.append(
            {
                "id": f.id,
                "name": f.name,
                "status": f.status,
                "manager": f.manager,
                "program": f.program,
                "opened": f.opened,
                "last_contact": f.last_contact,
                "notes": f.note_count,
                "errors": f.errors,
                "manager_left": _left(ctx, f.manager),
                "referrals_open": standing.open_referrals,
                # contract 5.4: the derived stage, the raised flags' kinds, open tasks
                "stage": standing.stage,
                "flags": list(standing.open_flags),
                "tasks_open": standing.open_tasks,
            }
        )
    formats.LIST.write(fmt, out, formats.ListView(rows))
    say_locked(out, found.locked, on_stdout=formats.LIST.for_people(fmt))
    return 0


def _left(ctx: RunContext, manager: str | None) -> bool:
    """The client's manager has ``left:`` the agency (the client is flagged)."""
    return manager is not None and manager in ctx.roster.left
