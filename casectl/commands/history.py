"""``casectl history ID [--format text|json]``: the client folder's history from git.

One row per commit that touched ``clients/<id>/``, newest first by date: date (in the
agency's time zone; JSON keeps the author's ISO date with its offset), author, message
and the files changed (status letter and name inside the folder).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casectl.commands._common import agency_context, resolve_client
from casectl.core.model import CLIENT_ID_RE
from casectl.errors import UnknownClientError
from casectl.git import history as githistory
from casectl.present import formats
from casectl.present.output import Output
from casectl.store import layout, restricted


def run(out: Output, directory: Path | None, client_id: str, fmt: str) -> int:
    root = layout.find_root(directory, explicit=directory is not None)
    records = []
    if CLIENT_ID_RE.fullmatch(client_id):
        folder = root / "clients" / client_id
        if folder.exists() or folder.is_symlink():
            layout.client_dir(root, client_id)  # refuses a folder that is a symbolic link
        records = githistory.log_paths(root, f"clients/{client_id}")
    if not records and not (root / "clients" / client_id).is_dir():
        # not an id with a folder or a history: a person's id prefix or name
        client_id = resolve_client(agency_context(directory), client_id, out)
        records = githistory.log_paths(root, f"clients/{client_id}")
    folder = root / "clients" / client_id
    if folder.exists() or folder.is_symlink():
        layout.client_dir(root, client_id)  # refuses a folder that is a symbolic link
        restricted.refuse_locked(root, client_id)  # its diffs are ciphertext here
    prefix = f"clients/{client_id}"
    if not records and not folder.exists():
        raise UnknownClientError(f"no client {client_id!r} (no folder {prefix} and no history)")
    rows: list[dict[str, Any]] = [
        {
            "commit": r.commit,
            "author": r.author,
            "email": r.email,
            "date": r.date,
            "message": r.message,
            "files": [{"status": s, "path": p} for s, p in r.files],
        }
        for r in records
    ]
    # Date order (newest first) by the instant, whatever offset each author had: a
    # rebase or a clock keeps git's own order from always being the dates' order.
    rows.sort(key=lambda r: datetime.fromisoformat(r["date"]), reverse=True)
    # the text shows times in the agency's zone (json keeps git's own offsets)
    zone = (
        agency_context(directory, out=out).zone or UTC if formats.HISTORY.for_people(fmt) else None
    )
    formats.HISTORY.write(fmt, out, formats.HistoryView(rows, prefix, zone))
    return 0
