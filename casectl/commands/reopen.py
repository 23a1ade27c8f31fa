"""``casectl reopen ID [TEXT|-]``: undo ``close``; commit.

client.yaml goes back to ``status: active`` without its ``closed:`` block (edited in
place, comments kept) and a ``note`` entry records the reopening.
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context, report_written
from casectl.edit import changes, notes
from casectl.errors import CasectlError
from casectl.git import run as gitrun
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
    session = notes.open_client(
        ctx.root, ctx.agency, ctx.zone, ctx.today, client_id, commit=not no_commit
    )
    if changes.client_status(session) != "closed":
        raise CasectlError(f"{client_id} is not closed; nothing written")
    by_key = notes.resolve_by(ctx.agency, by, lambda: gitrun.config_identity(ctx.root))
    body = notes.side_text(text, "Case reopened.")
    now = notes.now_minute(ctx.zone)
    draft = notes.Draft(type="note", text=body, by=by_key, when=now, local=now)
    result = notes.write(
        session,
        draft,
        lambda nid: f"reopen: {client_id} ({by_key})",
        client_edit=changes.reopen_edit,
    )
    return report_written(out, result, f"{client_id} was reopened (note {result.note_id})")
