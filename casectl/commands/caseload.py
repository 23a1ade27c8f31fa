"""``casectl caseload``: every open client on one page (Markdown or HTML)."""

from __future__ import annotations

from pathlib import Path

from casectl import reports
from casectl.agency import scan
from casectl.commands._common import agency_context, check_output
from casectl.commands.report import emit, generated_stamp, output_format, render
from casectl.errors import CasectlError
from casectl.output import Output


def run(
    out: Output,
    directory: Path | None,
    fmt: str | None,
    output: Path | None,
    manager: str | None,
    as_of: str | None,
) -> int:
    ctx = agency_context(directory, as_of)
    if output is not None:
        check_output(ctx.root, output)
    fmt = output_format(fmt, output)
    managers = ctx.agency.managers
    if manager is not None and managers is not None and manager not in managers:
        raise CasectlError(
            f"--manager: {manager!r} is not a manager in casectl.yaml "
            f"({', '.join(sorted(managers))})"
        )
    state = scan(ctx)
    facts = state.facts()
    skipped = len(state.clients) - len(facts)
    context = reports.caseload_context(
        ctx.agency,
        facts,
        ctx.today,
        generated=generated_stamp(ctx, as_of),
        manager=manager,
        skipped=skipped,
    )
    text = render(ctx, f"caseload.{fmt}.j2", context)
    if skipped:
        out.warn(
            f"{skipped} client(s) left out: their client.yaml has errors (run `casectl validate`)"
        )
    emit(out, output, text)
    return 0
