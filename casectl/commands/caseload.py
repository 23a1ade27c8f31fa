"""``casectl caseload``: every open client on one page (Markdown or HTML)."""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context, check_manager_option, check_output
from casectl.commands.report import emit, generated_stamp, output_format, render
from casectl.present import reports
from casectl.present.output import Output
from casectl.read.agency import scan


def run(
    out: Output,
    directory: Path | None,
    fmt: str | None,
    output: Path | None,
    manager: str | None,
    as_of: str | None,
) -> int:
    ctx = agency_context(directory, as_of, out=out)
    if output is not None:
        check_output(ctx.root, output)
    fmt = output_format(fmt, output)
    check_manager_option(ctx, manager)
    facts = scan(ctx).facts()
    check_manager_option(ctx, manager, (f.manager for f in facts))
    context = reports.caseload_context(
        ctx.agency, facts, ctx.today, generated=generated_stamp(ctx, as_of), manager=manager
    )
    emit(out, output, render(ctx, f"caseload.{fmt}.j2", context))
    return 0
