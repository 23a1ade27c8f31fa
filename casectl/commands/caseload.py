"""``casectl caseload``: every open client on one page (Markdown or HTML)."""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context, check_manager_option, check_output, emit
from casectl.present import markdown, reports, templating
from casectl.present.output import Output
from casectl.read.scan import scan


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
    fmt = reports.output_format(fmt, output)
    check_manager_option(ctx, manager)
    clients = scan(ctx).facts_and_schedules()
    check_manager_option(ctx, manager, (f.manager for f, _ in clients))
    context = reports.caseload_context(
        ctx.agency,
        clients,
        ctx.as_of,
        generated=reports.generated_stamp(ctx.zone),
        manager=manager,
    )
    text = templating.render(ctx.root, f"caseload.{fmt}.j2", context, filters=markdown.FILTERS)
    emit(out, output, text)
    return 0
