"""Case facts: the small slice of a client's records that scheduling and listings need.

Built from full records by :func:`facts_from_records` (pure) and cached as JSON in
``.casectl/`` so ``list``, ``due``, ``digest`` and ``caseload`` never re-parse
unchanged files. Everything here is plain data: dates, strings, ints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from casectl.core import dates
from casectl.core.model import CONTACT_TYPES, AssessmentFile, Client, LogEntry, Plan


class ActionFact(NamedTuple):
    """An action of a goal. NamedTuples: tens of thousands are built per warm run."""

    goal_id: str
    position: int  # index in the goal's actions list
    action: str
    who: str | None
    due: date | None
    done: date | None


class GoalFact(NamedTuple):
    id: str
    goal: str
    domain: str | None
    status: str
    target: date | None


@dataclass(frozen=True, slots=True)
class ClientFacts:
    """What ``schedule`` and the listings know of one client.

    A client whose files have errors has facts too, from what is valid in them
    (``errors`` is then true): ``name``, ``manager`` and ``opened`` are None when
    client.yaml does not give them, and an unreadable status reads as active.
    """

    id: str
    name: str | None
    status: str  # active | on_hold | closed
    manager: str | None
    program: str | None
    opened: date | None
    closed: date | None
    consent_expires: date | None
    cadence: dict[str, str] = field(default_factory=dict)  # per-client overrides, text form
    plan_created: date | None = None
    last_review: date | None = None  # last log entry of type review
    last_contact: date | None = None  # last entry of a contact type
    last_assessment: date | None = None
    assessment_count: int = 0
    goals: tuple[GoalFact, ...] = ()
    actions: tuple[ActionFact, ...] = ()
    note_count: int = 0
    contact_dates: tuple[date, ...] = ()  # dates of contact-type entries, oldest first
    errors: bool = False  # the client's files have errors (a `record` item is due)

    def cadence_override(self, key: str) -> dates.Duration | None:
        text = self.cadence.get(key)
        return dates.parse_duration(text) if text else None

    # -- JSON round trip for the cache --------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A compact JSON form for the cache (goals and actions as rows, contact
        dates as day ordinals: a warm 10,000-client run decodes them all)."""
        iso = _iso
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "manager": self.manager,
            "program": self.program,
            "opened": iso(self.opened),
            "closed": iso(self.closed),
            "consent_expires": iso(self.consent_expires),
            "cadence": dict(self.cadence),
            "plan_created": iso(self.plan_created),
            "last_review": iso(self.last_review),
            "last_contact": iso(self.last_contact),
            "last_assessment": iso(self.last_assessment),
            "assessment_count": self.assessment_count,
            "goals": [[g.id, g.goal, g.domain, g.status, iso(g.target)] for g in self.goals],
            "actions": [
                [a.goal_id, a.position, a.action, a.who, iso(a.due), iso(a.done)]
                for a in self.actions
            ],
            "note_count": self.note_count,
            "contact_dates": [d.toordinal() for d in self.contact_dates],
            "errors": self.errors,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ClientFacts:
        """Inverse of :meth:`to_json`; KeyError/TypeError/ValueError on damage."""
        fromiso = date.fromisoformat
        goals = tuple(
            GoalFact(g[0], g[1], g[2], g[3], fromiso(g[4]) if g[4] else None) for g in d["goals"]
        )
        actions = tuple(
            ActionFact(
                a[0],
                a[1],
                a[2],
                a[3],
                fromiso(a[4]) if a[4] else None,
                fromiso(a[5]) if a[5] else None,
            )
            for a in d["actions"]
        )
        return cls(
            id=d["id"],
            name=d["name"],
            status=d["status"],
            manager=d["manager"],
            program=d["program"],
            opened=_d(d["opened"]),
            closed=_d(d["closed"]),
            consent_expires=_d(d["consent_expires"]),
            cadence=dict(d["cadence"]),
            plan_created=_d(d["plan_created"]),
            last_review=_d(d["last_review"]),
            last_contact=_d(d["last_contact"]),
            last_assessment=_d(d["last_assessment"]),
            assessment_count=d["assessment_count"],
            goals=goals,
            actions=actions,
            note_count=d["note_count"],
            contact_dates=tuple(map(date.fromordinal, d["contact_dates"])),
            errors=bool(d["errors"]),
        )


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(moment: datetime) -> date:
    return moment.date()


class ClientFields(NamedTuple):
    """The fields of client.yaml that facts are made of; None where not known."""

    id: str
    name: str | None = None
    status: str | None = None
    manager: str | None = None
    program: str | None = None
    opened: date | None = None
    closed: date | None = None
    consent_expires: date | None = None
    cadence: tuple[tuple[str, str], ...] = ()  # per-client overrides, text form

    @classmethod
    def of(cls, client: Client) -> ClientFields:
        cadence: list[tuple[str, str]] = []
        if client.cadence is not None:
            for key, value in client.cadence.model_dump(exclude_none=True).items():
                if key in CADENCE_KEYS:
                    cadence.append((key, str(value)))
        return cls(
            id=client.id,
            name=client.name,
            status=client.status,
            manager=client.manager,
            program=client.program,
            opened=client.opened,
            closed=client.closed.date if client.closed else None,
            consent_expires=client.consent.expires if client.consent else None,
            cadence=tuple(cadence),
        )


CADENCE_KEYS = ("plan_review", "reassessment", "initial_assessment", "contact", "due_soon")


def facts_from_records(
    client: Client | ClientFields,
    assessments: AssessmentFile | None,
    plan: Plan | None,
    log: list[LogEntry],
    errors: bool = False,
) -> ClientFacts:
    """Reduce one client's records (the valid ones) to its facts. Pure.

    ``client`` is the valid client.yaml, or what could be read of one with errors.
    """
    fields = client if isinstance(client, ClientFields) else ClientFields.of(client)
    last_review: date | None = None
    last_contact: date | None = None
    contact_dates: list[date] = []
    for entry in log:
        day = _day(entry.date)
        if entry.type == "review" and (last_review is None or day > last_review):
            last_review = day
        if entry.type in CONTACT_TYPES:
            contact_dates.append(day)
            if last_contact is None or day > last_contact:
                last_contact = day
    contact_dates.sort()
    last_assessment: date | None = None
    count = 0
    if assessments is not None:
        count = len(assessments.assessments)
        for assessment in assessments.assessments:
            if last_assessment is None or assessment.date > last_assessment:
                last_assessment = assessment.date
    goals: list[GoalFact] = []
    actions: list[ActionFact] = []
    if plan is not None:
        for g in plan.goals:
            goals.append(GoalFact(g.id, g.goal, g.domain, g.status, g.target))
            for i, a in enumerate(g.actions):
                actions.append(ActionFact(g.id, i, a.action, a.who, a.due, a.done))
    return ClientFacts(
        id=fields.id,
        name=fields.name,
        status=fields.status or "active",  # an unreadable status reads as active
        manager=fields.manager,
        program=fields.program,
        opened=fields.opened,
        closed=fields.closed,
        consent_expires=fields.consent_expires,
        cadence=dict(fields.cadence),
        plan_created=plan.created if plan else None,
        last_review=last_review,
        last_contact=last_contact,
        last_assessment=last_assessment,
        assessment_count=count,
        goals=tuple(goals),
        actions=tuple(actions),
        note_count=len(log),
        contact_dates=tuple(contact_dates),
        errors=errors,
    )
