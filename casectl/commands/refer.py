"""``casectl refer ID --to ORG [--date D] [--service S] [--goal G] [--expect-by D|DUR]
[TEXT]`` and ``casectl refer ID R [--status S] [--date D] [--outcome TEXT]``.

A new referral is ``R<n>`` in plan.yaml's ``referrals:`` (``sent`` = D, default today;
``expect_by`` default sent + cadence.referral) plus a ``referral`` entry; an update moves
its status on (sent -> accepted/declined -> started -> delivered/closed_unmet, any open
status to any later one) with ``status_date``. One edit transaction, one commit. A
referral to a party no unexpired consent names is a warning, printed and written into
the entry.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from casectl.commands._common import (
    agency_context,
    entry_start,
    entry_text,
    parse_date_option,
    parse_duration_option,
    report_written,
)
from casectl.core import dates, schedule
from casectl.edit import coordinate, transaction
from casectl.errors import CasectlError
from casectl.present.output import Output
from casectl.store import layout


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    args: list[str],
    to: str | None,
    service: str | None,
    goal: str | None,
    expect_by: str | None,
    status: str | None,
    outcome: str | None,
    date: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    layout.check_client_id(client_id)
    if to is not None:
        if status is not None or outcome is not None:
            raise CasectlError(
                "--status and --outcome update a referral: casectl refer ID R --status S"
            )
        if len(args) > 1:
            raise CasectlError("a new referral takes one TEXT at most")
        return _new(
            out,
            directory,
            client_id,
            args[0] if args else None,
            to,
            service,
            goal,
            expect_by,
            date,
            by,
            no_commit,
        )
    if not args:
        raise CasectlError("give --to ORG for a new referral, or the referral id R to update one")
    if len(args) > 1:
        raise CasectlError("an update takes the referral id only (the text is --outcome)")
    if service is not None or goal is not None or expect_by is not None:
        raise CasectlError("--service, --goal and --expect-by are for a new referral (--to ORG)")
    if status is None and outcome is None:
        raise CasectlError(f"nothing to change: give --status S or --outcome TEXT for {args[0]}")
    if status is not None:
        coordinate.check_referral_status(status)
    return _update(out, directory, client_id, args[0], status, outcome, date, by, no_commit)


def _expect_by(value: str | None, sent: date, default: dates.Duration) -> date:
    if value is None:
        return schedule.add(sent, default)
    if dates.parse_date(value) is not None:
        day = parse_date_option("--expect-by", value)
    else:
        day = schedule.add(sent, parse_duration_option("--expect-by", value))
    if day < sent:
        raise CasectlError(f"--expect-by: {day.isoformat()} is before the referral is sent")
    return day


def _new(
    out: Output,
    directory: Path | None,
    client_id: str,
    text: str | None,
    to: str,
    service: str | None,
    goal: str | None,
    expect_by: str | None,
    when: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    to = to.strip()
    if not to:
        raise CasectlError("--to: name the organisation referred to")
    ctx = agency_context(directory, writes=True)
    opened = transaction.open_client(ctx, client_id, commit=not no_commit)
    start = entry_start(ctx, by, when)
    sent = start.day
    checked = opened.checked
    plan = checked.plan if checked is not None else None
    if goal is not None:
        known = [g.id for g in plan.goals] if plan is not None else []
        if goal not in known:
            raise CasectlError(
                f"--goal: {goal!r} not in {opened.rel}/plan.yaml "
                f"(goals: {', '.join(known) or 'none'})"
            )
    client = checked.client if checked is not None else None
    cadence = ctx.agency.cadence.referral
    if client is not None and client.cadence is not None and client.cadence.referral is not None:
        cadence = client.cadence.referral
    expect = _expect_by(expect_by, sent, cadence)
    warning = coordinate.referral_consent_warning(client, to, sent)
    shown = f"{to} ({service})" if service else to
    body = coordinate.with_warning(entry_text(text, f"Referred to {shown}."), warning)
    with opened.transaction(f"refer: {client_id} to {to} ({start.by})") as tx:
        rid = coordinate.add_referral(
            tx.document("plan.yaml"),
            coordinate.NewReferral(to=to, sent=sent, expect_by=expect, service=service, goal=goal),
        )
        tx.require_format(2)
        tx.append_entry(
            start.entry(
                "referral",
                body,
                to=to,
                goals=[goal] if goal else None,
                changes=[f"{rid} sent to {to}, expect by {expect.isoformat()}"],
            ),
            local=start.local,
        )
    if warning is not None:
        out.warn(warning)
    out.warn(f"{client_id}: referral {rid} sent to {to}, expect by {expect.isoformat()}")
    result = tx.result
    return report_written(out, result, f"referral {rid} was written (note {result.note_id})")


def _update(
    out: Output,
    directory: Path | None,
    client_id: str,
    rid: str,
    status: str | None,
    outcome: str | None,
    when: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    ctx = agency_context(directory, writes=True)
    opened = transaction.open_client(ctx, client_id, commit=not no_commit)
    start = entry_start(ctx, by, when)
    shown = status or "outcome"
    with opened.transaction(f"refer: {client_id} {rid} {shown} ({start.by})") as tx:
        item = coordinate.find_referral(tx.document("plan.yaml"), rid)
        old, changes = coordinate.update_referral(item, status, start.day, outcome)
        to = str(item.get("to"))
        default = f"Referral {rid}: {old} -> {status}." if status else f"Referral {rid}: outcome."
        body = entry_text(outcome, default)
        tx.require_format(2)
        tx.append_entry(start.entry("referral", body, to=to, changes=changes), local=start.local)
    result = tx.result
    return report_written(out, result, f"referral {rid} was updated (note {result.note_id})")
