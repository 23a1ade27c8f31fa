"""The changes ``close`` and ``reopen`` make to client.yaml: status and the ``closed:``
block, edited in place (comments and layout kept), beside the note each appends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from casectl.core.model import CLOSE_REASONS
from casectl.edit import notes
from casectl.errors import CasectlError
from casectl.store import load, writes


def check_reason(reason: str) -> str:
    if reason not in CLOSE_REASONS:
        raise CasectlError(
            f"--reason: {reason!r} is not a closing reason (one of: {', '.join(CLOSE_REASONS)})"
        )
    return reason


def client_status(session: notes.ClientSession) -> str | None:
    """The status in client.yaml as it is on disk now (None when unreadable)."""
    data = load.load_text("client.yaml", writes.read_bytes(session.client_path)).data
    status = data.get("status") if isinstance(data, dict) else None
    return status if isinstance(status, str) else None


def close_edit(day: date, reason: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        data = load.load_text("client.yaml", text).data
        if isinstance(data, dict) and data.get("status") == "closed":
            closed = data.get("closed")
            since = f" on {closed.get('date')}" if isinstance(closed, dict) else ""
            raise CasectlError(f"the case is already closed{since}; nothing written")
        from casectl.edit import clientedit  # only close/reopen need it

        return clientedit.close_client(text, day, reason)

    return edit


def reopen_edit(text: str) -> str:
    data = load.load_text("client.yaml", text).data
    if not isinstance(data, dict) or data.get("status") != "closed":
        raise CasectlError("the case is not closed; nothing written")
    from casectl.edit import clientedit

    return clientedit.reopen_client(text)
