"""``casectl close ID --reason R [--date D] [TEXT|-]``: close a case; commit.

client.yaml gets ``status: closed`` and a ``closed:`` block, edited in place so its
comments and layout stay (``clientedit``); a ``closure`` note is appended to the log;
both files are checked before either is written and committed together.
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context, parse_date_option, report_written
from casectl.commands.note import stdin_source
from casectl.edit import notes
from casectl.errors import CasectlError
from casectl.git import commit as repo
from casectl.present.output import Output


def side_text(text: str | None, default: str) -> str:
    """The note text of close / reopen: TEXT, stdin for '-', else ``default``."""
    if text is None:
        return notes.normalize_text(default)
    stdin, _ = stdin_source()
    return notes.get_text(text, stdin, True, lambda: "")


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
    repo.check_client_id(client_id)
    notes.check_reason(reason)
    ctx = agency_context(directory, writes=True)
    session = notes.open_client(
        ctx.root, ctx.agency, ctx.zone, ctx.today, client_id, commit=not no_commit
    )
    day = parse_date_option("--date", date) if date else ctx.today
    if notes.client_status(session) == "closed":
        raise CasectlError(f"{client_id} is already closed; nothing written")
    by_key = notes.resolve_by(ctx.agency, by, lambda: repo.config_identity(ctx.root))
    on = "" if day == ctx.today else f" on {day.isoformat()}"
    body = side_text(text, f"Case closed{on}: {reason}.")
    now = notes.now_minute(ctx.zone)
    draft = notes.Draft(type="closure", text=body, by=by_key, when=now, local=now)
    result = notes.write(
        session,
        draft,
        lambda nid: f"close: {client_id} {reason} ({by_key})",
        client_edit=notes.close_edit(day, reason),
    )
    return report_written(out, result, f"{client_id} was closed (note {result.note_id})")
