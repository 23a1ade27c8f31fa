"""What a command runs against: the agency, its settings and its days. Immutable.

Two days are kept apart on purpose:

* ``today`` is the agency's real day (the date in its time zone when the command
  started). Records are *checked* against it ("in the future" means after it) and the
  read cache stamps its entries with it. Nothing the user types changes it.
* ``as_of`` is the day a reading command reports for (``--as-of``; default today):
  what is due, overdue or due soon is counted from it.

Built once by ``read.agency.open_agency`` (and ``commands._common.agency_context``)
and passed explicitly; ``with_as_of`` makes a copy for another reporting day.

The settings (``agency``, the pydantic record of casectl.yaml) are built on first use
when ``open_agency`` found casectl.yaml's checked reading in the read cache: a warm
``due`` or ``list`` needs only ``roster`` (the manager keys) and never imports pydantic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from casectl.core.problems import Problem

if TYPE_CHECKING:
    from casectl.core.model import Agency


@dataclass(frozen=True)
class Roster:
    """What the warm reads need of the settings: the ``managers:`` keys (None: the
    file has no list) and the keys of those who have ``left:``."""

    managers: tuple[str, ...] | None
    left: frozenset[str] = frozenset()

    @classmethod
    def of(cls, agency: Agency) -> Roster:
        keys = agency.managers
        if keys is None:
            return cls(None)
        return cls(tuple(keys), frozenset(k for k in keys if agency.manager_left(k) is not None))


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
    settings: Agency | Callable[[], Agency]  # the settings, or how to build them
    roster: Roster
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
    _built: list[Agency] = field(default_factory=list, compare=False, repr=False)

    @property
    def agency(self) -> Agency:
        """casectl.yaml's settings (the best reading when it has errors), built once."""
        if callable(self.settings):
            if not self._built:
                self._built.append(self.settings())
            return self._built[0]
        return self.settings

    @property
    def env(self) -> Env:
        """The checks' view: the settings and the real today (never ``as_of``)."""
        return Env(self.agency, self.today, self.zone, self.root)

    def with_as_of(self, day: date) -> RunContext:
        return replace(self, as_of=day)


def past(ctx: RunContext) -> date | None:
    """The day the records are read as of, when it is before today (else None: the
    records are read as they are)."""
    return ctx.as_of if ctx.as_of < ctx.today else None
