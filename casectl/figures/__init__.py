"""Figures: the numbers and lookups read from many clients' records at once.

Pure functions over typed records (no YAML, no files, no git, no clock):

* :mod:`casectl.figures.asof`: a client's records as they stood at the end of a day
  (contract section 5.2, last paragraph);
* :mod:`casectl.figures.stats`: period figures for funders and supervisors (5.4);
* :mod:`casectl.figures.export`: one row per note, client, goal, assessment or
  referral, streamed as CSV or JSON Lines (5.4);
* :mod:`casectl.figures.search`: notes whose text matches words or a regex (5.4).

A client's records travel together as :class:`ClientRecords`. Every day here is an
agency day: a note time without an offset is already agency-local; one with an
offset is converted to the agency's zone (``timezone:`` in casectl.yaml) first.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (a warm search reads rows, never records: no record models)
    from casectl.core.model import Agency, AssessmentFile, Client, LogEntry, Plan


class FiguresError(ValueError):
    """Input a user can get wrong (a bad regex, ``--from`` after ``--to``...): the
    message is one line, fit to print after ``casectl: `` (exit 2); it never quotes
    record text."""


@dataclass(frozen=True, slots=True)
class ClientRecords:
    """One client's four files, parsed: client.yaml, assessment.yaml, plan.yaml and
    log.yaml (oldest entry first). A missing assessment or plan file reads as empty."""

    client: Client
    assessments: AssessmentFile = field(default_factory=lambda: _model().AssessmentFile())
    plan: Plan = field(default_factory=lambda: _model().Plan())
    log: Sequence[LogEntry] = ()


def _model() -> Any:
    from casectl.core import model

    return model


@dataclass(frozen=True, slots=True)
class Period:
    """The days from ``start`` to ``end``, both included (agency days)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise FiguresError(
                f"the period starts after it ends (--from {self.start.isoformat()} "
                f"is after --to {self.end.isoformat()})"
            )

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def zone_of(agency: Agency) -> tzinfo:
    """The agency's time zone; UTC when ``timezone:`` names none (validate reports
    that)."""
    return _zone(agency.timezone)


@functools.lru_cache(maxsize=8)
def _zone(name: str) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def local_time(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` as a naive agency-local time: a naive time is local already, one
    with an offset is converted."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(zone).replace(tzinfo=None)


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The agency day ``moment`` falls on."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(zone).date()


def format_time(moment: datetime) -> str:
    """A note time as log.yaml writes it: ``2026-02-05 10:30`` (seconds only when
    there are some), the offset kept when the record has one."""
    spec = "minutes" if moment.second == 0 and moment.microsecond == 0 else "seconds"
    return moment.isoformat(sep=" ", timespec=spec)


__all__ = [
    "ClientRecords",
    "FiguresError",
    "Period",
    "format_time",
    "local_day",
    "local_time",
    "zone_of",
]
