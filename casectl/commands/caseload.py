"""``casectl caseload``: every open client on one page (Markdown or HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casectl.commands._common import (
    agency_context,
    check_manager_option,
    check_output,
    emit,
    figures_errors,
    parse_date_option,
    say_locked,
)
from casectl.core.context import RunContext
from casectl.errors import CasectlError
from casectl.figures import Period
from casectl.present import markdown, reports, templating
from casectl.present.output import Output
from casectl.read.scan import gc_paused, scan, warm_read


@warm_read
def run(
    out: Output,
    directory: Path | None,
    fmt: str | None,
    output: Path | None,
    manager: str | None,
    as_of: str | None,
    start: str | None = None,
    end: str | None = None,
) -> int:
    period = _period(start, end)
    ctx = agency_context(directory, as_of, out=out)
    if output is not None:
        check_output(ctx.root, output)
    fmt = reports.output_format(fmt, output)
    check_manager_option(ctx, manager)
    state = scan(ctx)
    clients = state.caseload()
    check_manager_option(ctx, manager, (row.shown.manager for row in clients))
    context = reports.caseload_context(
        ctx.agency,
        clients,
        ctx.as_of,
        generated=reports.generated_stamp(ctx.zone),
        manager=manager,
        locked=len(state.locked),
    )
    if period:  # every client's records read and checked: collect as usual
        with gc_paused(False):
            context["period"] = _period_figures(out, ctx, period, manager)
    else:
        context["period"] = None
    filters = {**markdown.FILTERS, **reports.CASELOAD_FILTERS}
    text = templating.render(ctx.root, f"caseload.{fmt}.j2", context, filters=filters)
    emit(out, output, text)
    if state.locked and (output is not None or context["locked_message"] not in text):
        say_locked(out, state.locked, on_stdout=False)  # -o FILE, or a template without it
    return 0


def _period(start: str | None, end: str | None) -> Period | None:
    """``--from``/``--to``: both or neither."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise CasectlError(
            f"{'--from' if start is None else '--to'} is required with "
            f"{'--to' if start is None else '--from'}: the period view counts --from D --to D"
        )
    with figures_errors():
        return Period(parse_date_option("--from", start), parse_date_option("--to", end))


def _period_figures(
    out: Output, ctx: RunContext, period: Period, manager: str | None
) -> dict[str, Any]:
    """Contacts and minutes per manager in the period (``figures.stats``, each client as
    of ``--to`` and as of ``--as-of``: reproducible later). Imported here: a caseload
    without a period does not need them."""
    from casectl.figures.stats import stats
    from casectl.present.stats import period_view
    from casectl.read.figures import Skipped, client_records

    skipped = Skipped()
    with figures_errors():
        by_manager = stats(client_records(ctx, skipped=skipped), ctx.agency, period, "manager")
    message = skipped.message()  # locked clients: counted once, by the caseload itself
    if message is not None:
        out.warn(f"warning: {message}")
    return period_view(ctx.agency, by_manager, manager)
