"""``casectl report ID``: one client's report (Markdown or HTML) from templates."""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import (
    agency_context,
    check_output,
    emit,
    parse_date_option,
    resolve_client,
)
from casectl.core import schedule
from casectl.errors import CasectlError
from casectl.present import markdown, reports, templating
from casectl.present.output import Output
from casectl.read.agency import read_client


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    fmt: str | None,
    output: Path | None,
    as_of: str | None,
    since: str | None,
    redact: bool,
    template: str | None,
) -> int:
    ctx = agency_context(directory, as_of, out=out)
    client_id = resolve_client(ctx, client_id, out)
    if output is not None:
        check_output(ctx.root, output)
    fmt = reports.output_format(fmt, output)
    since_day = parse_date_option("--since", since) if since is not None else None
    check = read_client(ctx, client_id)
    if check.client is None:
        raise CasectlError(
            f"clients/{client_id}/client.yaml has errors; "
            f"run `casectl validate clients/{client_id}`"
        )
    errors = [p for p in check.problems if p.severity == "error"]
    facts = check.facts
    assert facts is not None
    context = reports.client_report_context(
        ctx.agency,
        check.client,
        check.assessments,
        check.plan,
        check.log,
        schedule.due_items(
            facts, ctx.agency.cadence, ctx.as_of, retention=schedule.retention_period(ctx.agency)
        ),
        as_of=ctx.as_of,
        generated=reports.generated_stamp(ctx.zone),
        since=since_day,
        redact=redact,
        problems=len(errors),
        sign_offs=facts.sign_offs,
        stage=facts.stage,
    )
    text = templating.render(
        ctx.root, template or f"client.{fmt}.j2", context, filters=markdown.FILTERS
    )
    if errors:
        out.warn(
            f"clients/{client_id} has {len(errors)} validation error(s); the report shows "
            f"what is valid (run `casectl validate clients/{client_id}`)"
        )
    emit(out, output, text)
    return 0
