"""``casectl review ID [TEXT|-]``: record a plan review, a progress note of type
``review`` (it restarts the plan-review clock); commit."""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import write_note
from casectl.present.output import Output


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    text: str | None,
    date: str | None,
    by: str | None,
    minutes: int | None,
    no_commit: bool,
) -> int:
    return write_note(
        out, directory, client_id, text, "review", date, by, minutes, [], None, None, no_commit
    )
