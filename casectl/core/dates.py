"""Dates, note times and durations: the contract's text forms, parsed strictly.

* dates are ISO ``2026-11-22``;
* note times are ``2026-11-22 14:30``, ``2026-11-22T14:30:00`` or full ISO with an
  offset (``2026-11-22T14:30:00-06:00``); a bare date means midnight;
* durations are ``<n> day|days|week|weeks|month|months|year|years``; months and
  years are calendar months (2026-01-31 + 1 month = 2026-02-28).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the one method that uses it (a warm read does not)
    from dateutil.relativedelta import relativedelta


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?)?$"
)
_DURATION_RE = re.compile(r"^\s*(\d{1,5})\s*(day|week|month|year)s?\s*$", re.IGNORECASE)


def parse_date(value: object) -> date | None:
    """A ``date`` from a date object or a strict ISO string; None otherwise."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_datetime(value: object) -> datetime | None:
    """A note time. Naive unless the text carries an offset; None if invalid."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    text = value.strip()
    m = _DATETIME_RE.match(text)
    if not m:
        return None
    day, hh, mm, ss, tz = m.groups()
    iso = day
    if hh is not None:
        iso += f"T{hh}:{mm}:{ss or '00'}"
        if tz:
            tz = "+00:00" if tz == "Z" else tz
            if ":" not in tz:
                tz = tz[:3] + ":" + tz[3:]
            iso += tz
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Duration:
    """A cadence length such as ``90 days`` or ``6 months``."""

    count: int
    unit: str  # "days" | "weeks" | "months" | "years"

    def delta(self) -> relativedelta:
        from dateutil.relativedelta import relativedelta  # months and years only

        n = self.count
        if self.unit == "days":
            return relativedelta(days=n)
        if self.unit == "weeks":
            return relativedelta(weeks=n)
        if self.unit == "months":
            return relativedelta(months=n)
        return relativedelta(years=n)

    def __str__(self) -> str:
        unit = self.unit if self.count != 1 else self.unit[:-1]
        return f"{self.count} {unit}"


def parse_duration(value: object) -> Duration | None:
    """A Duration from ``90 days`` style text; None when it is not one."""
    if not isinstance(value, str):
        return None
    m = _DURATION_RE.match(value)
    if not m:
        return None
    return Duration(int(m.group(1)), m.group(2).lower() + "s")


def add(day: date, duration: Duration) -> date:
    """``day`` plus ``duration`` with calendar months (clamped to month end)."""
    result: date = day + duration.delta()
    return result


# ------------------------------------------------------------------ --date


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ACCEPTED_WHEN = (
    "YYYY-MM-DD, 'YYYY-MM-DD HH:MM', ISO 8601 with an offset (2026-11-30T14:30:00-06:00), "
    "today, yesterday, 'today 14:30', 'yesterday 09:00', -2d (2 days ago), or a weekday "
    "name (monday: the last Monday before today), each of the last four with an optional "
    "' HH:MM'"
)
_RELATIVE_RE = re.compile(
    r"^(?P<day>today|yesterday|-(?P<ago>\d{1,4})d|" + "|".join(WEEKDAYS) + r")"
    r"(?:\s+(?P<hh>\d{1,2}):(?P<mm>\d{2}))?$"
)


class WhenError(ValueError):
    """A ``--date`` value that is not one of the accepted forms, or in the future;
    ``str(exc)`` says why (and lists the accepted forms)."""


def parse_when(text: str, today: date) -> date | datetime:
    """A ``--date`` value: a ``date`` (a day without an hour) or a ``datetime`` (naive
    wall time in the agency's zone, or aware when the text has an offset).

    The forms are :data:`ACCEPTED_WHEN` and nothing else: anything that would need a
    guess (``03/04``, ``next week``) is refused. ``today`` is the agency's day; a
    weekday name is the most recent such day strictly before today (``monday`` on a
    Monday is a week ago). A day after ``today`` is refused: records say what
    happened (a time later today is accepted, as the log's own check does).
    """
    value = " ".join(text.split()).lower()
    result: date | datetime
    m = _RELATIVE_RE.match(value)
    if m:
        word = m.group("day")
        if word == "today":
            day = today
        elif word == "yesterday":
            day = today - timedelta(days=1)
        elif m.group("ago") is not None:
            day = today - timedelta(days=int(m.group("ago")))
        else:
            back = (today.weekday() - WEEKDAYS.index(word)) % 7 or 7
            day = today - timedelta(days=back)
        if m.group("hh") is None:
            result = day
        else:
            hour, minute = int(m.group("hh")), int(m.group("mm"))
            if hour > 23 or minute > 59:
                raise WhenError(f"{text!r}: {m.group('hh')}:{m.group('mm')} is not a time of day")
            result = datetime(day.year, day.month, day.day, hour, minute)
    elif _DATE_RE.match(value):
        parsed_day = parse_date(value)
        if parsed_day is None:
            raise WhenError(f"{text!r} is not a date")
        result = parsed_day
    else:
        parsed = parse_datetime(text.strip()) if _DATETIME_RE.match(text.strip()) else None
        if parsed is None:
            raise WhenError(f"{text!r} is not a date or time casectl reads; use {ACCEPTED_WHEN}")
        result = parsed
    _refuse_future(text, result, today)
    return result


def _refuse_future(text: str, when: date | datetime, today: date) -> None:
    day = when_day(when)
    if day > today:
        raise WhenError(f"{text!r} is in the future (today is {today.isoformat()})")


def when_day(when: date | datetime) -> date:
    """The calendar day of a :func:`parse_when` result."""
    return when.date() if isinstance(when, datetime) else when


def zone_named(name: str) -> tzinfo | None:
    """The IANA time zone ``name``; None when it names none. The one lookup: a folder
    of the zone database ("America") or a file that is not a zone fails with OSError or
    ValueError, not ZoneInfoNotFoundError, and none of them may escape. (It reads the
    system's zone database, not the agency: the only file this module touches.)"""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        return None
