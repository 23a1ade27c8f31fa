"""``casectl history ID [--format text|json]``: the client folder's history from git.

One row per commit that touched ``clients/<id>/``, newest first: date, author,
message and the files changed (status letter and name inside the folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casectl.errors import UnknownClientError
from casectl.git import history as githistory
from casectl.present import formats
from casectl.present.output import Output
from casectl.store import layout


def run(out: Output, directory: Path | None, client_id: str, fmt: str) -> int:
    layout.check_client_id(client_id)
    root = layout.find_root(directory, explicit=directory is not None)
    folder = root / "clients" / client_id
    if folder.exists() or folder.is_symlink():
        layout.client_dir(root, client_id)  # refuses a folder that is a symbolic link
    prefix = f"clients/{client_id}"
    records = githistory.log_paths(root, prefix)
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
    formats.HISTORY.write(fmt, out, formats.HistoryView(rows, prefix))
    return 0
