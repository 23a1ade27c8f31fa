"""``casectl caseload``: every open client on one page (Markdown or HTML)."""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import (
    agency_context,
    check_manager_option,
    check_output,
    emit,
    say_locked,
)
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
    state = scan(ctx)
    clients = state.facts_and_schedules()
    check_manager_option(ctx, manager, (f.manager for f, _ in clients))
    context = reports.caseload_context(
        ctx.agency,
        clients,
        ctx.as_of,
        generated=reports.generated_stamp(ctx.as_of, ctx.zone, given=as_of is not None),
        manager=manager,
        locked=len(state.locked),
    )
    text = templating.render(ctx.root, f"caseload.{fmt}.j2", context, filters=markdown.FILTERS)
    emit(out, output, text)
    if state.locked and (output is not None or context["locked_message"] not in text):
        say_locked(out, state.locked, on_stdout=False)  # -o FILE, or a template without it
    return 0
