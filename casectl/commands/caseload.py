"""``casectl caseload``: every open client on one page (Markdown or HTML)."""

from __future__ import annotations

from pathlib import Path

from casectl import reports
from casectl.agency import scan
from casectl.commands._common import agency_context
from casectl.commands.report import emit, generated_stamp, render
from casectl.errors import CasectlError
from casectl.output import Output


def run(
    out: Output,
    directory: Path | None,
    fmt: str,
    output: Path | None,
    manager: str | None,
    as_of: str | None,
) -> int:
    ctx = agency_context(directory, as_of, out=out)
    managers = ctx.agency.managers
    if manager is not None and managers is not None and manager not in managers:
        raise CasectlError(
            f"--manager: {manager!r} is not a manager in casectl.yaml "
            f"({', '.join(sorted(managers))})"
        )
    state = scan(ctx)
    context = reports.caseload_context(
        ctx.agency, state.facts(), ctx.today, generated=generated_stamp(ctx, as_of), manager=manager
    )
    emit(out, output, render(ctx, f"caseload.{fmt}.j2", context))
    return 0
