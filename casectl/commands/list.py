"""``casectl list``: the caseload, one line per client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casectl.commands._common import agency_context, check_manager_option
from casectl.core.model import STATUSES
from casectl.errors import CasectlError
from casectl.present import formats
from casectl.present.output import Output
from casectl.read.scan import scan


def run(
    out: Output, directory: Path | None, status: str | None, manager: str | None, fmt: str
) -> int:
    if status is not None and status not in STATUSES:
        raise CasectlError(f"--status: {status!r} is not one of {', '.join(STATUSES)}")
    ctx = agency_context(directory, out=out)
    check_manager_option(ctx, manager)
    facts = scan(ctx).facts(detail=False)
    check_manager_option(ctx, manager, (f.manager for f in facts))
    rows: list[dict[str, Any]] = []
    for f in facts:
        if status and f.status != status:
            continue
        if manager and f.manager != manager:
            continue
        rows.append(
            {
                "id": f.id,
                "name": f.name,
                "status": f.status,
                "manager": f.manager,
                "program": f.program,
                "opened": f.opened.isoformat() if f.opened else None,
                "last_contact": f.last_contact.isoformat() if f.last_contact else None,
                "notes": f.note_count,
                "errors": f.errors,
            }
        )
    formats.LIST.write(fmt, out, formats.ListView(rows))
    return 0
