"""What checking one client gives: its typed records as far as they could be read, and
every problem found (``CheckedClient``). Every check is also given the ``Env``
(``core.context``: settings, validation day, zone).

The check families (``checks.REGISTRY``) fill a ``CheckedClient`` in order: each one
adds its problems and, for its file, the typed record the later families read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from casectl.core.facts import ClientFacts, ClientFields, facts_from_records
from casectl.core.model import CONTACT_TYPES, AssessmentFile, Client, LogEntry, Plan
from casectl.core.problems import Problem
from casectl.store import load
from casectl.store.records import ClientFiles


@dataclass
class CheckedClient:
    """A client's records as far as they could be read, and every problem found."""

    id: str
    files: ClientFiles
    problems: list[Problem] = field(default_factory=list)
    client: Client | None = None
    # The fields of an invalid client.yaml that are valid on their own (facts need them).
    client_fields: ClientFields | None = None
    assessments: AssessmentFile | None = None
    # Positions in the file of the assessments/goals kept from a file that failed as a
    # whole (None: every item was valid, positions are indices).
    assessment_positions: list[int] | None = None
    plan: Plan | None = None
    plan_positions: list[int] | None = None
    goal_ids: set[str] = field(default_factory=set)  # ids of invalid goals too
    log: list[LogEntry] = field(default_factory=list)
    log_entries: list[tuple[int, LogEntry]] = field(default_factory=list)  # with positions
    log_complete: bool = False  # every entry of log.yaml was valid
    # The entry types that reset the contact clock (the agency's; set by checks.log).
    contact_types: frozenset[str] = CONTACT_TYPES

    @property
    def loaded(self) -> dict[str, load.Loaded]:
        return self.files.loaded

    @property
    def errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    @property
    def facts(self) -> ClientFacts:
        """What the schedule and listings need, from every valid part of the files:
        a client with errors never disappears from them (contract 5.2, ``record``)."""
        client: Client | ClientFields = self.client or self.client_fields or ClientFields(self.id)
        return facts_from_records(
            client, self.assessments, self.plan, self.log, self.errors, self.contact_types
        )

    def latest_event(self) -> date | None:
        """The latest 'happened on' date, for cache validity of future-date checks."""
        days: list[date] = []
        if self.client is not None:
            c = self.client
            days += [c.opened]
            days += [
                d
                for d in (
                    c.born,
                    c.closed.date if c.closed else None,
                    c.consent.signed if c.consent else None,
                )
                if d
            ]
        if self.assessments is not None:
            days += [a.date for a in self.assessments.assessments]
        if self.plan is not None:
            days += [d for d in [self.plan.created] if d]
            days += [a.done for g in self.plan.goals for a in g.actions if a.done]
        days += [e.date.date() for e in self.log]
        return max(days) if days else None


def cap_problems(problems: list[Problem], loaded: Iterable[load.Loaded] = ()) -> list[Problem]:
    """At most ``load.MAX_PROBLEMS_PER_FILE`` problems per file, the first ones in it,
    then one CM012 line counting the rest: those cut here and those the producers only
    counted (``Loaded.hidden``). Files within the limit are left as they are."""
    limit = load.MAX_PROBLEMS_PER_FILE
    hidden = {f.path: f.hidden for f in loaded if f.hidden}
    counts = Counter(p.path for p in problems)
    over = {path for path, n in counts.items() if n > limit} | set(hidden)
    if not over:
        return problems
    out = [p for p in problems if p.path not in over]
    for path in sorted(over):
        mine = sorted(p for p in problems if p.path == path)
        shown, cut = mine[:limit], mine[limit:]
        counted = hidden.get(path, {})
        errors = sum(p.severity == "error" for p in cut) + counted.get("error", 0)
        warnings = sum(p.severity == "warning" for p in cut) + counted.get("warning", 0)
        last = shown[-1] if shown else Problem(path, 1, 0, "error", load.TOO_MANY, "")
        out += shown
        out.append(
            Problem(
                path,
                last.line,
                last.column + 1,  # just after the last one shown
                "error" if errors else "warning",
                load.TOO_MANY,
                f"{errors + warnings} more problems in this file ({errors} errors, "
                f"{warnings} warnings) are not shown; fix these first",
            )
        )
    return out
