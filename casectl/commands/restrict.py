"""``casectl restrict ID --group G``: store a client's files encrypted with git-crypt.

The work is in :mod:`casectl.vault.crypt`; this module checks the agency, runs it and
says plainly what encryption does not do: earlier commits keep the plain text.
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context
from casectl.present.output import Output
from casectl.store import layout
from casectl.vault import crypt


def run(out: Output, directory: Path | None, client_id: str, group: str) -> int:
    layout.check_client_id(client_id)
    crypt.check_group(group)
    ctx = agency_context(directory, writes=True)
    done = crypt.restrict(ctx.root, client_id, group)
    out.line(
        f"{client_id} is restricted to group {group} (commit {done.commit[:12]}): its files "
        "are stored encrypted with git-crypt from this commit on; clones without the "
        f"group's key see {client_id} as locked"
    )
    if done.new_key:
        out.line(
            f"a new key for group {group} was made in this clone: export it with "
            f"`git-crypt export-key -k {group} FILE`, keep a copy safe, and give it only "
            "to the group's members, who unlock their clones with `git-crypt unlock FILE`"
        )
    out.warn(
        f"warning: earlier commits still hold {client_id}'s files in plain text, here and "
        "in every clone and on the remote: encryption protects later commits only. "
        "Removing them takes a history rewrite: see `casectl purge` and docs/security.md "
        '("Restricted clients and keys")'
    )
    return 0
