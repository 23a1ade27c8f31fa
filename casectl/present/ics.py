"""iCalendar (RFC 5545) output of due items: ``casectl due --format ics``.

One all-day VEVENT per item. The UID is derived from the item's ``ref`` and the
agency, not from its date, so when a plan review moves (a review was recorded) a
calendar that re-imports or subscribes to the file moves the event instead of
adding a second one. Written by hand rather than with a library so the output
is byte-for-byte deterministic for a given input and stamp.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from casectl.core.schedule import DueItem
from casectl.present.output import CONTROL_CHARS

PRODID = "-//casectl//casectl//EN"
CRLF = "\r\n"
MAX_OCTETS = 75  # per physical line, CRLF excluded (RFC 5545 3.1)


def to_ics(items: list[DueItem], agency: str, stamp: datetime) -> str:
    """A VCALENDAR with one all-day event per item; CRLF lines folded at 75 octets.

    ``stamp`` becomes every event's DTSTAMP, in UTC; a naive ``stamp`` is taken as UTC.
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(agency)}",
    ]
    dtstamp = _utc_stamp(stamp)
    for item in items:
        lines.extend(_event(item, agency, dtstamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


def uid_for(item: DueItem, agency: str) -> str:
    """Stable per item and agency: the same obligation keeps its UID across runs."""
    digest = hashlib.sha1(f"{agency}\n{item.ref}".encode(), usedforsecurity=False)
    return f"{digest.hexdigest()}@casectl"


def summary_for(item: DueItem) -> str:
    """E.g. ``Overdue: plan review — Maria Lopez (rc-0042)``."""
    prefix = "Overdue" if item.status == "overdue" else "Due"
    who = f"{item.name} ({item.client})" if item.name is not None else item.client
    return f"{prefix}: {item.what} — {who}"


def description_for(item: DueItem) -> str:
    if item.days > 0:
        when = f"{item.days} day{'s' if item.days != 1 else ''} overdue"
    elif item.days == 0:
        when = "due today"
    else:
        when = f"due in {-item.days} day{'s' if item.days != -1 else ''}"
    return (
        f"Client: {'(name unreadable)' if item.name is None else item.name} ({item.client})\n"
        f"Manager: {item.manager or '(unknown)'}\n"
        f"Item: {item.what} ({item.kind})\n"
        f"Due: {item.due.isoformat()} ({when})"
    )


def _event(item: DueItem, agency: str, dtstamp: str) -> Iterator[str]:
    yield "BEGIN:VEVENT"
    yield f"UID:{uid_for(item, agency)}"
    yield f"DTSTAMP:{dtstamp}"
    yield f"DTSTART;VALUE=DATE:{_ics_date(item.due)}"
    # DTEND is exclusive: a one-day all-day event ends the next day.
    yield f"DTEND;VALUE=DATE:{_ics_date(item.due + timedelta(days=1))}"
    yield f"SUMMARY:{escape_text(summary_for(item))}"
    yield f"DESCRIPTION:{escape_text(description_for(item))}"
    yield f"CATEGORIES:{escape_text(item.kind)}"
    # A reminder, not an appointment: it should not block time in the calendar.
    yield "TRANSP:TRANSPARENT"
    yield "END:VEVENT"


def _ics_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def _utc_stamp(stamp: datetime) -> str:
    moment = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """An RFC 5545 TEXT value: backslash, semicolon, comma and newline escaped.

    Other control characters are not allowed in TEXT and are dropped (tab kept), and
    so are C1 controls and bidi overrides, which a calendar would show or obey.
    """
    value = _DROPPED.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == ";":
            out.append("\\;")
        elif ch == ",":
            out.append("\\,")
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


_DROPPED = re.compile(f"[{CONTROL_CHARS}]")  # every control character but tab and newline


def fold(line: str) -> str:
    """Fold one content line into physical lines of at most 75 UTF-8 octets.

    Continuation lines begin with a space, which counts toward their 75. Breaks fall
    between characters, never inside a multi-byte one. A content line cannot hold a
    line break (``escape_text`` already turns newlines into ``\\n``); any raw CR or LF
    left is dropped so it can never end the line early and corrupt the calendar.
    """
    line = line.replace("\r", "").replace("\n", "")
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = MAX_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, MAX_OCTETS - 1
        current.append(ch)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)
