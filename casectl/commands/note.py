"""``casectl note ID [TEXT|-]``: append a progress note; commit.

Reads only casectl.yaml and this client's files (never the whole agency), so a note
costs the same in any size of agency. The text comes from TEXT, from stdin (``-``, or
piped with no TEXT) or from ``$EDITOR``.
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import write_note
from casectl.present.output import Output


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
    with_: str | None = None,
    mode: str | None = None,
) -> int:
    return write_note(
        out,
        directory,
        client_id,
        text,
        note_type,
        date,
        by,
        minutes,
        goals,
        to,
        amends,
        no_commit,
        with_=with_,
        mode=mode,
    )
