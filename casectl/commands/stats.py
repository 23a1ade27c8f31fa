"""``casectl stats``: period figures for funders and supervisors (contract 5.4).

The records come from ``read.figures.figures_rows`` (``client_records`` in compact
rows, from the read cache where files did not change; as of ``--as-of`` when given),
the figures from ``figures.stats`` (each client read as of ``--to``), the output from
``present.stats`` and templates/stats.{txt,md,html}.j2 (an agency may override them).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import cast

from casectl.commands._common import (
    agency_context,
    check_output,
    emit,
    figures_errors,
    parse_date_option,
)
from casectl.errors import CasectlError
from casectl.figures import Period
from casectl.figures.stats import GroupBy, month_keys, stats
from casectl.present import reports
from casectl.present import stats as present
from casectl.present.output import Output
from casectl.read.figures import Skipped, figures_rows
from casectl.read.scan import warm_read


@warm_read
def run(
    out: Output,
    directory: Path | None,
    start: str | None,
    end: str | None,
    by: str | None,
    fmt: str | None,
    redact: bool,
    output: Path | None,
    as_of: str | None,
) -> int:
    if start is None or end is None:
        missing = "--from" if start is None else "--to"
        raise CasectlError(f"{missing} is required: stats counts the days --from D --to D")
    first = parse_date_option("--from", start)
    last = parse_date_option("--to", end)
    if by is not None and by not in ("manager", "program"):
        raise CasectlError(f"--by: {by!r} is not one of manager, program")
    with figures_errors():
        period = Period(first, last)
    fmt = fmt or present.format_for(output.suffix if output is not None else None)
    ctx = agency_context(directory, as_of, out=out)
    if output is not None:
        check_output(ctx.root, output)
    skipped = Skipped()
    months: Counter[str] = Counter()
    with figures_errors():
        result = stats(
            figures_rows(ctx, skipped=skipped),
            ctx.agency,
            period,
            cast(GroupBy | None, by),
            months=months,
        )
    for line in skipped.lines():
        out.warn(line)
    text = present.render(
        fmt,
        ctx.root,
        result,
        by,
        agency=ctx.agency,
        months=months,
        month_order=month_keys(period),
        generated=reports.generated_stamp(ctx.zone),
        as_of=ctx.as_of.isoformat() if as_of is not None else None,
        redacted=redact,
    )
    if output is None and present.exact(fmt):
        out.write_exact(text)
        return 0
    emit(out, output, text)
    return 0
