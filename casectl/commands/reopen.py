"""``casectl reopen ID [TEXT|-]``: undo ``close``; commit.

One edit transaction: client.yaml goes back to ``status: active`` without its
``closed:`` block (edited in place, comments kept) and a ``note`` entry records the
reopening.
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context, entry_start, report_written
from casectl.edit import changes, notes, transaction
from casectl.errors import CasectlError
from casectl.present.output import Output
from casectl.store import layout


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    text: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    layout.check_client_id(client_id)
    ctx = agency_context(directory, writes=True)
    opened = transaction.open_client(ctx, client_id, commit=not no_commit)
    if changes.status_of(opened.checked) != "closed":
        raise CasectlError(f"{client_id} is not closed; nothing written")
    start = entry_start(ctx, by, None)
    by_key = start.by
    body = notes.side_text(text, "Case reopened.")
    draft = notes.Draft(
        type="note",
        text=body,
        by=by_key,
        when=start.when,
        local=start.local,
        entered_by=start.entered_by,
    )
    notes.check_draft(draft, None, opened.rel)
    with opened.transaction(f"reopen: {client_id} ({by_key})") as tx:
        changes.refuse_open(tx.checked)  # as it is now, under the lock
        changes.reopen_client(tx.document("client.yaml"))
        tx.append_entry(draft.entry(), local=draft.local)
    result = tx.result
    return report_written(out, result, f"{client_id} was reopened (note {result.note_id})")
