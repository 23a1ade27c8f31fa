"""``casectl unrestrict ID``: store a restricted client's files in plain text again.

Needs the group's key (the files are read through git-crypt and re-added without it);
the work is in :mod:`casectl.vault.crypt`.
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context
from casectl.present.output import Output
from casectl.store import layout
from casectl.vault import crypt


def run(out: Output, directory: Path | None, client_id: str) -> int:
    layout.check_client_id(client_id)
    ctx = agency_context(directory, writes=True)
    done = crypt.unrestrict(ctx.root, client_id)
    out.line(
        f"{client_id} is no longer restricted (it was in group {done.group}; commit "
        f"{done.commit[:12]}): its files are stored in plain text from this commit on, "
        "readable in every clone that pulls it; earlier commits stay encrypted"
    )
    return 0
