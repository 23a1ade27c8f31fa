"""``casectl close ID --reason R [--date D] [TEXT|-]``: close a case; commit.

One edit transaction: client.yaml gets ``status: closed`` and a ``closed:`` block,
edited in place so its comments and layout stay (``edit.changes``); a ``closure``
note is appended to the log; both are checked together before either is written,
and committed together.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from casectl.commands._common import agency_context, entry_start, report_written
from casectl.edit import changes, coordinate, notes, transaction
from casectl.errors import CasectlError
from casectl.present.output import Output
from casectl.store import layout


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    text: str | None,
    reason: str,
    date: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    layout.check_client_id(client_id)
    changes.check_reason(reason)
    ctx = agency_context(directory, writes=True)
    opened = transaction.open_client(ctx, client_id, commit=not no_commit)
    # --date dates the closure and its entry alike (a past one is a late entry).
    start = entry_start(ctx, by, date)
    day = notes.parse_day_option("--date", date, ctx.zone) if date else ctx.today
    if changes.status_of(opened.checked) == "closed":
        raise CasectlError(f"{client_id} is already closed; nothing written")
    by_key = start.by
    on = "" if day == ctx.today else f" on {day.isoformat()}"
    body = notes.side_text(text, f"Case closed{on}: {reason}.")
    draft = notes.Draft(
        type="closure",
        text=body,
        by=by_key,
        when=start.when,
        local=start.local,
        entered_by=start.entered_by,
    )
    notes.check_draft(draft, None, opened.rel)
    if "closure" in ctx.agency.approvals:
        return _submit(out, opened, reason, day, text, by_key, start.entered_by)
    with opened.transaction(f"close: {client_id} {reason} ({by_key})") as tx:
        changes.refuse_closed(tx.checked)  # as it is now, under the lock
        changes.close_client(tx.document("client.yaml"), day, reason)
        tx.append_entry(draft.entry(), local=draft.local)
    result = tx.result
    return report_written(out, result, f"{client_id} was closed (note {result.note_id})")


def _submit(
    out: Output,
    opened: transaction.Opened,
    reason: str,
    day: date,
    text: str | None,
    by: str,
    entered_by: str | None,
) -> int:
    """With ``approvals: [closure]``: a ``submitted`` closure (reason and date in its
    ``changes``); the case stays open, in stage closing, until a supervisor approves."""
    cid = opened.client_id
    body = notes.side_text(text, f"Closure submitted for approval: {reason}.")
    now = notes.now_minute(opened.ctx.zone)
    with opened.transaction(f"close: {cid} {reason} submitted for approval ({by})") as tx:
        changes.refuse_closed(tx.checked)
        if coordinate.pending(tx.checked.log, "closure") is not None:
            raise CasectlError(
                f"the closure of {cid} already waits for a supervisor; nothing written"
            )
        status = changes.status_of(tx.checked) or "active"
        entry = {
            "date": now,
            "by": by,
            "type": "submitted",
            "what": "closure",
            "object": coordinate.signed_object(tx, "closure"),
            "changes": [
                f"status {status} -> closed",
                f"closed.date {day.isoformat()}",
                f"closed.reason {reason}",
            ],
            "entered_by": entered_by,
            "text": body,
        }
        tx.append_entry(entry, local=now)
    out.warn(
        f"{cid}: the closure is submitted for approval; the case stays open (stage closing) "
        "until a supervisor approves it"
    )
    result = tx.result
    return report_written(out, result, f"the closure was submitted (note {result.note_id})")
