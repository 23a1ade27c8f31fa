"""``casectl purge ID [--force]``: remove a closed client past its retention; commit.

The work is in :mod:`casectl.vault.purge`. The commit only removes the files from the
tip of the branch; the command prints the ``git filter-repo`` steps that remove them
from history, and what every clone must do afterwards.
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context
from casectl.present.output import Output
from casectl.store import layout
from casectl.vault import purge


def run(out: Output, directory: Path | None, client_id: str, force: bool) -> int:
    layout.check_client_id(client_id)
    ctx = agency_context(directory, writes=True)
    done = purge.purge(ctx.root, ctx.agency, ctx.today, client_id, force)
    why = "retention waived with --force" if done.forced else "past its retention"
    out.line(f"{client_id} was purged (commit {done.commit[:12]}; {why})")
    for line in purge.rewrite_steps(done, purge.shared_remote(ctx.root)):
        out.line(line)
    return 0
