"""``casectl report ID``: one client's report (Markdown or HTML) from templates."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from casectl.commands._common import agency_context, check_output, parse_date_option
from casectl.core import schedule
from casectl.errors import CasectlError
from casectl.present import reports, templating
from casectl.present.output import Output
from casectl.read.agency import AgencyContext, read_client
from casectl.store import writes


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
    if output is not None:
        check_output(ctx.root, output)
    fmt = output_format(fmt, output)
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
        schedule.due_items(facts, ctx.agency.cadence, ctx.today),
        as_of=ctx.today,
        generated=generated_stamp(ctx, as_of),
        since=since_day,
        redact=redact,
        problems=len(errors),
    )
    text = render(ctx, template or f"client.{fmt}.j2", context)
    if errors:
        out.warn(
            f"clients/{client_id} has {len(errors)} validation error(s); the report shows "
            f"what is valid (run `casectl validate clients/{client_id}`)"
        )
    emit(out, output, text)
    return 0


def generated_stamp(ctx: AgencyContext, as_of: str | None) -> str:
    """When the report was made: the as-of day when given (reproducible), else now."""
    if as_of is not None:
        return ctx.today.isoformat()
    return now_text(ctx.zone)


def now_text(zone: tzinfo | None) -> str:
    moment = datetime.now(zone) if zone else datetime.now().astimezone()
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def render(ctx: AgencyContext, name: str, context: dict[str, object]) -> str:
    """Render with the report filters (md, mdquote, html_lines) added to the environment."""
    env = templating.environment(ctx.root)
    env.filters.update(reports.FILTERS)
    return templating.render(ctx.root, name, context, env=env)


_SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}


def output_format(fmt: str | None, output: Path | None) -> str:
    """``--format`` when given, else the one ``-o``'s extension names (``.html``,
    ``.htm``: html; ``.md``, ``.markdown``: md), else md."""
    if fmt is not None:
        return fmt
    suffix = output.suffix.lower() if output is not None else ""
    return _SUFFIX_FORMATS.get(suffix, "md")


def emit(out: Output, output: Path | None, text: str) -> None:
    """To stdout, or atomically to ``output`` (its folder must exist)."""
    if output is None:
        out.write(text)
        return
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise CasectlError(f"-o {output}: folder {folder} does not exist")
    if output.is_dir():
        raise CasectlError(f"-o {output}: is a folder")
    try:
        # Reports hold personal data: a new report file is private to its owner.
        writes.atomic_write(output, text.encode("utf-8"), new_mode=0o600)
    except OSError as exc:
        raise CasectlError(f"-o {output}: cannot write: {exc.strerror or exc}") from None
