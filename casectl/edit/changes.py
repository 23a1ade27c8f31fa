"""The changes ``close`` and ``reopen`` make to client.yaml, as transaction steps:
``status`` and the ``closed:`` block, edited in place (``yamledit``: every other line,
comment and quote kept), beside the note each appends.

``close_client`` / ``reopen_client`` change an open ``Document``; ``close_text``,
``reopen_text`` and ``set_status_text`` do the same to a text (what the tests diff).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from casectl.checks import CheckedClient
from casectl.core.model import CLOSE_REASONS
from casectl.core.suggest import did_you_mean
from casectl.edit.yamledit import Document
from casectl.errors import CasectlError

NAME = "client.yaml"


def check_reason(reason: str) -> str:
    if reason not in CLOSE_REASONS:
        raise CasectlError(
            f"--reason: {reason!r} is not a closing reason{did_you_mean(reason, CLOSE_REASONS)} "
            f"(one of: {', '.join(CLOSE_REASONS)})"
        )
    return reason


def status_of(checked: CheckedClient | None) -> str | None:
    """The status written in client.yaml (None when it cannot be read)."""
    loaded = checked.loaded.get(NAME) if checked is not None else None
    data = loaded.data if loaded is not None else None
    status = data.get("status") if isinstance(data, dict) else None
    return status if isinstance(status, str) else None


def refuse_closed(checked: CheckedClient | None) -> None:
    if status_of(checked) == "closed":
        assert checked is not None
        closed = checked.loaded[NAME].data.get("closed")
        since = f" on {closed.get('date')}" if isinstance(closed, dict) else ""
        raise CasectlError(f"the case is already closed{since}; nothing written")


def refuse_open(checked: CheckedClient | None) -> None:
    if status_of(checked) != "closed":
        raise CasectlError("the case is not closed; nothing written")


def _editable_status(doc: Document) -> None:
    """Refuse a client.yaml whose status cannot be changed in place safely."""
    if doc.flow_style:
        raise doc.refused(
            f"{NAME} is written in flow style ({{...}}); "
            "edit it by hand or rewrite it in block style (one key per line)"
        )
    data = doc.loaded.data
    if "status" not in data:
        raise doc.refused(f"{NAME} has no top-level 'status:' line to change")
    line, column = doc.loaded.mark(("status",))
    key_line, _ = doc.loaded.mark(("status",), key=True)
    text = doc.text.splitlines()[line - 1] if line <= len(doc.text.splitlines()) else ""
    start = text[column - 1 : column]
    if not isinstance(data["status"], str) or line != key_line or start in ("|", ">", "!", "&"):
        raise doc.refused(
            "the 'status:' value is not a simple one-line value; edit client.yaml by hand"
        )


def set_status(doc: Document, status: str) -> None:
    _editable_status(doc)
    doc.root["status"] = status


def close_client(doc: Document, day: date, reason: str, note: str | None = None) -> None:
    """``status: closed`` and a ``closed:`` block (date, reason, note): an existing
    block is replaced where it stands, else the block goes at the end of the file."""
    from ruamel.yaml.comments import CommentedMap

    _editable_status(doc)
    block: Any = CommentedMap([("date", day), ("reason", reason)])
    if note is not None:
        block["note"] = note
    doc.root["status"] = "closed"
    doc.root["closed"] = block


def reopen_client(doc: Document) -> None:
    """``status: active`` and no ``closed:`` block (its lines go, nothing else)."""
    _editable_status(doc)
    doc.root["status"] = "active"
    if "closed" in doc.root:
        del doc.root["closed"]


def _edited(text: str, change: Any) -> str:
    doc = Document(NAME, text.encode("utf-8"))
    change(doc)
    return doc.render().decode("utf-8")


def close_text(text: str, day: date, reason: str, note: str | None = None) -> str:
    """``text`` (a client.yaml) closed; EditRefused when that cannot be done safely."""
    return _edited(text, lambda doc: close_client(doc, day, reason, note))


def reopen_text(text: str) -> str:
    return _edited(text, reopen_client)


def set_status_text(text: str, status: str) -> str:
    return _edited(text, lambda doc: set_status(doc, status))
