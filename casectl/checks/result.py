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
from pathlib import Path

from casectl.core.facts import (
    ClientFacts,
    ClientFields,
    SignOffFact,
    blob_id,
    facts_from_records,
    latest_sign_off,
)
from casectl.core.model import (
    CONTACT_TYPES,
    SIGN_OFF_KINDS,
    AssessmentFile,
    Client,
    LogEntry,
    Plan,
)
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
    root: Path | None = None  # the repository: an approval's staleness reads git objects
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
            client,
            self.assessments,
            self.plan,
            self.log,
            self.errors,
            self.sign_offs(),
            self.contact_types,
        )

    def sign_offs(self) -> tuple[SignOffFact, ...]:
        """What waits for a supervisor (due kind ``approval``): each kind whose latest
        ``submitted`` entry has no decision after it, and a plan approval gone stale
        (the ``goals:`` of plan.yaml now differ from those of the approved blob)."""
        out: list[SignOffFact] = []
        for what in SIGN_OFF_KINDS:
            submitted, decision = latest_sign_off(self.log, what)
            if submitted is None:
                continue
            if decision is None:
                out.append(SignOffFact(what, submitted.date.date(), False))
                continue
            if what != "plan" or decision.decision != "approved" or not decision.object:
                continue
            raw = self.files.raw.get("plan.yaml")
            if raw is None or self.root is None or blob_id(raw) == decision.object:
                continue
            from casectl.git import history  # only when the plan changed after approval

            since = history.stale_since(self.root, f"clients/{self.id}/plan.yaml", decision.object)
            if since is not None:
                out.append(SignOffFact("plan", since, True))
        return tuple(out)

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
                )
                if d
            ]
            days += [k.signed for k in c.all_consents() if k.signed]
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
