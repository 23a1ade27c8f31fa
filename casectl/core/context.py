"""What a command runs against: the agency, its settings and its days. Immutable.

Two days are kept apart on purpose:

* ``today`` is the agency's real day (the date in its time zone when the command
  started). Records are *checked* against it ("in the future" means after it) and the
  read cache stamps its entries with it. Nothing the user types changes it.
* ``as_of`` is the day a reading command reports for (``--as-of``; default today):
  what is due, overdue or due soon is counted from it.

Built once by ``read.agency.open_agency`` (and ``commands._common.agency_context``)
and passed explicitly; ``with_as_of`` makes a copy for another reporting day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, tzinfo
from pathlib import Path

from casectl.core.model import Agency
from casectl.core.problems import Problem


@dataclass(frozen=True)
class Env:
    """What the checks judge a client's records against: the settings, the validation
    day (always the real today) and the zone that turns offsets into wall time."""

    agency: Agency
    today: date
    zone: tzinfo | None
    root: Path | None = None  # the repository (sign-off staleness reads git objects)


@dataclass(frozen=True)
class RunContext:
    """One command's agency: where it is, its settings and what is wrong with them,
    its zone, and its two days (see the module docstring)."""

    root: Path
    agency: Agency
    problems: tuple[Problem, ...]  # every problem of casectl.yaml
    config_bytes: bytes  # casectl.yaml as read: part of the read cache's key
    zone: tzinfo | None
    today: date
    as_of: date
    # casectl.yaml's errors, and what the settings fell back to because of them
    settings_errors: tuple[Problem, ...] = ()
    fallbacks: tuple[str, ...] = ()
    # validate reports a symbolic link where casectl.yaml or clients/ belongs (CM603);
    # every other command refuses to run on such a repository.
    validating: bool = False

    @property
    def env(self) -> Env:
        """The checks' view: the settings and the real today (never ``as_of``)."""
        return Env(self.agency, self.today, self.zone, self.root)

    def with_as_of(self, day: date) -> RunContext:
        return replace(self, as_of=day)
