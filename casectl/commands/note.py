"""``casectl note ID [TEXT|-]`` (and ``casectl review``): append a progress note; commit.

Reads only casectl.yaml and this client's files (never the whole agency) and imports
no GitPython, so a note costs the same in any size of agency. The text comes from
TEXT, from stdin (``-``, or piped with no TEXT) or from ``$EDITOR``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from casectl.commands._common import agency_context, report_written
from casectl.edit import notes
from casectl.errors import CasectlError
from casectl.git import commit as repo
from casectl.present.output import Output


def stdin_source() -> tuple[IO[bytes] | None, bool]:
    """stdin's byte stream (None when closed) and whether it is a terminal."""
    stream = sys.stdin
    if stream is None:
        return None, False
    try:
        tty = stream.isatty()
    except (ValueError, OSError):
        tty = False
    return getattr(stream, "buffer", None), tty


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    text: str | None,
    note_type: str,
    date: str | None,
    by: str | None,
    minutes: int | None,
    goals: list[str],
    to: str | None,
    amends: str | None,
    no_commit: bool,
) -> int:
    repo.check_client_id(client_id)
    ctx = agency_context(directory, writes=True)
    session = notes.open_client(
        ctx.root, ctx.agency, ctx.zone, ctx.today, client_id, commit=not no_commit
    )
    if amends is not None:
        if note_type not in ("note", "amendment"):
            raise CasectlError(
                f"--amends makes the note an amendment; leave out --type {note_type}"
            )
        note_type = "amendment"
    by_key = notes.resolve_by(ctx.agency, by, lambda: repo.config_identity(ctx.root))
    when, local = notes.parse_when(date, ctx.zone)
    draft = notes.Draft(
        type=note_type,
        text="",
        by=by_key,
        when=when,
        local=local,
        minutes=minutes,
        goals=tuple(goals),
        to=to,
        amends=amends,
    )
    notes.check_draft(session, draft)  # refuse bad options before asking for text
    shown = f"{local:%Y-%m-%d %H:%M}"
    template = notes.note_template(client_id, note_type, by_key, shown)
    stdin, tty = stdin_source()
    body = notes.get_text(
        text,
        stdin,
        tty,
        lambda: notes.edit_text(template, notes.private_parent(ctx.root)),
    )
    draft = notes.Draft(**{**draft.__dict__, "text": body})
    if session.client is not None and session.client.status == "closed":
        out.warn(f"{client_id} is closed; the note is added all the same")
    result = notes.write(
        session,
        draft,
        lambda nid: f"note: {client_id} {note_type} ({by_key})",
    )
    return report_written(
        out, result, f"note {result.note_id} was written to clients/{client_id}/log.yaml"
    )
