"""What is due: client facts + cadence + an as-of day -> due items (contract section 2).

Pure: no I/O and no clock (the day is given: ``read.agency.today_in`` reads it). Every
date here is a calendar day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from casectl.core import dates
from casectl.core.facts import ClientFacts
from casectl.core.values import CADENCE_KEYS, OPEN_REFERRAL_STATUSES

if TYPE_CHECKING:
    from casectl.core.model import Agency, Cadence

Kind = str  # a key of RULES, or "record"
ItemStatus = Literal["overdue", "due_soon"]

# (kind, what, ref, due)
DueDate = tuple[Kind, str, str, date]
Cadences = dict[str, dates.Duration]  # the client's effective cadence, by key


# Not frozen (a value all the same: hashable, never changed after it is made, copied
# with ``dataclasses.replace``): a frozen dataclass's __init__ sets each field through
# object.__setattr__, five times slower, and a warm `due` makes 25,000 of them.
@dataclass(slots=True, unsafe_hash=True)
class DueItem:
    """One overdue or due-soon item of one client."""

    client: str
    name: str | None  # None when client.yaml cannot tell (a `record` item)
    manager: str | None
    kind: Kind
    what: str
    due: date
    status: ItemStatus
    days: int  # (as_of - due).days: positive when overdue, negative when not yet due
    ref: str  # stable identity across runs, e.g. "rc-0042/action/G1/0" (calendar UIDs)

    def to_json(self) -> dict[str, Any]:
        """The contract's ``due --format json`` object (``ref`` is internal)."""
        return {
            "client": self.client,
            "name": self.name,
            "manager": self.manager,
            "kind": self.kind,
            "what": self.what,
            "due": self.due.isoformat(),
            "status": self.status,
            "days": self.days,
        }


def effective_cadence(
    agency: Cadence, facts: ClientFacts, retention: dates.Duration | None = None
) -> Cadences:
    """The agency cadence with the client's per-key overrides applied; ``retention``
    (casectl.yaml ``retention.closed``, not a per-client cadence) under RETENTION."""
    result: dict[str, dates.Duration] = {}
    for key in CADENCE_KEYS:
        override = facts.cadence_override(key)
        base: dates.Duration = getattr(agency, key)
        result[key] = override if override is not None else base
    if retention is not None:
        result[RETENTION] = retention
    return result


RETENTION = "retention.closed"  # the key of the agency's retention period in Cadences


def retention_period(agency: Agency) -> dates.Duration | None:
    """casectl.yaml's ``retention.closed`` (None: the agency keeps closed cases for ever)."""
    return agency.retention.closed if agency.retention is not None else None


# ------------------------------------------------------------------ the kinds
#
# One function per kind: the client's facts and effective cadence in, its due dates
# out (however far away). A kind whose date cannot be computed (a client with errors
# lacking what it is counted from) gives nothing.


def _plan_review(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    base = facts.last_review or facts.plan_created or facts.opened
    if base is None:
        return []
    return [
        ("plan_review", "plan review", f"{facts.id}/plan_review", add(base, cadence["plan_review"]))
    ]


def _assessment(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    # One ref for initial and re-assessment: it is the same rolling obligation, so a
    # calendar entry moves instead of a second one appearing.
    ref = f"{facts.id}/assessment"
    if facts.last_assessment is None:
        if facts.opened is None:
            return []
        due = add(facts.opened, cadence["initial_assessment"])
        return [("assessment", "initial assessment", ref, due)]
    return [
        ("assessment", "reassessment", ref, add(facts.last_assessment, cadence["reassessment"]))
    ]


def _contact(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    base = facts.last_contact or facts.opened
    if base is None:
        return []
    return [("contact", "contact", f"{facts.id}/contact", add(base, cadence["contact"]))]


def _goal(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    return [
        ("goal", f"{goal.id}: {goal.goal}", f"{facts.id}/goal/{goal.id}", goal.target)
        for goal in facts.goals
        if goal.status == "active" and goal.target is not None
    ]


def _action(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    return [
        (
            "action",
            f"{action.goal_id}: {action.action}",
            f"{facts.id}/action/{action.goal_id}/{action.position}",
            action.due,
        )
        for action in facts.actions
        if action.due is not None and action.done is None
    ]


def _consent(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    if facts.consent_expires is None:
        return []
    return [("consent", "consent expires", f"{facts.id}/consent", facts.consent_expires)]


def _referral(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    return [
        (
            "referral",
            f"{r.id}: {r.to} ({r.service})" if r.service else f"{r.id}: {r.to}",
            f"{facts.id}/referral/{r.id}",
            r.expect_by,
        )
        for r in facts.referrals
        if r.expect_by is not None and r.status in OPEN_REFERRAL_STATUSES
    ]


def _approval(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    return [
        ("approval", f"{s.what} approval", f"{facts.id}/approval/{s.what}", s.since)
        for s in facts.sign_offs
    ]


# --- issue 16 (retention, contract 5.7)
def _retention(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    period = cadence.get(RETENTION)
    if period is None or facts.closed is None:
        return []
    what = f"retention ends (closed {facts.closed.isoformat()})"
    return [("retention", what, f"{facts.id}/retention", add(facts.closed, period))]


# -- casework (issue 13): task, flag_review, initial_plan (contract 5.2) --


def _task(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    return [
        ("task", f"{task.id}: {task.task}", f"{facts.id}/task/{task.id}", task.due)
        for task in facts.tasks
        if task.due is not None and task.done is None
    ]


def _flag_review(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    return [
        ("flag_review", f"flag {flag.kind}", f"{facts.id}/flag_review/{flag.kind}", flag.review_by)
        for flag in facts.flags
        if flag.review_by is not None and flag.cleared is None
    ]


def _initial_plan(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    if facts.goals or facts.first_assessment is None:
        return []
    due = add(facts.first_assessment, cadence["initial_plan"])
    return [("initial_plan", "initial plan", f"{facts.id}/initial_plan", due)]


# -- end of casework's kinds --

ACTIVE = frozenset({"active"})
ANY = frozenset({"active", "on_hold", "closed"})
OPEN = frozenset({"active", "on_hold"})
CLOSED = frozenset({"closed"})


@dataclass(frozen=True, slots=True)
class Rule:
    """A kind of due item: the client statuses it applies to and its dates."""

    statuses: frozenset[str]
    dates: Callable[[ClientFacts, Cadences], list[DueDate]]


# Every kind, in the contract's table order. A new kind
# is one function above and one line here (its data: a field of ClientFacts).
RULES: dict[Kind, Rule] = {
    "plan_review": Rule(OPEN, _plan_review),  # on hold: the plan is still reviewed
    "assessment": Rule(ACTIVE, _assessment),
    "contact": Rule(ACTIVE, _contact),
    "goal": Rule(ACTIVE, _goal),
    "action": Rule(ACTIVE, _action),
    "consent": Rule(ACTIVE, _consent),
    # casework (issue 13)
    "task": Rule(ANY, _task),  # a closed case's follow-up call is still due
    # coordinate (issue 14)
    "referral": Rule(OPEN, _referral),
    # casework (issue 13)
    "flag_review": Rule(OPEN, _flag_review),
    "initial_plan": Rule(ACTIVE, _initial_plan),
    # coordinate (issue 14)
    "approval": Rule(ANY, _approval),
    # issue 16: closed.date + retention.closed (purge); keep it last before `record`
    "retention": Rule(CLOSED, _retention),
}
# "record": a client whose files have errors, whatever its status (``record_item``).
KINDS: tuple[Kind, ...] = (*RULES, "record")
# The order of kinds among items due the same day for the same client: by name, as the
# contract sorts `due --format json` ("by date, client, kind, then what").
SORTED_KINDS: tuple[Kind, ...] = tuple(sorted(KINDS))
ORDER: dict[str, int] = {kind: i for i, kind in enumerate(SORTED_KINDS)}  # SORTED_KINDS[i]
_KIND_SET = frozenset(KINDS)
_UNITS = frozenset({"days", "weeks", "months", "years"})


def due_dates(
    facts: ClientFacts, agency_cadence: Cadence, retention: dates.Duration | None = None
) -> list[DueDate]:
    """Every due date of one client, however far away, per the client's status."""
    return _due_dates(facts, effective_cadence(agency_cadence, facts, retention))


def _due_dates(facts: ClientFacts, cadence: Cadences) -> list[DueDate]:
    result: list[DueDate] = []
    for rule in RULES.values():
        if facts.status in rule.statuses:
            result += rule.dates(facts, cadence)
    return result


@dataclass(frozen=True, slots=True)
class ClientSchedule:
    """A client's due dates, independent of the as-of day.

    Everything ``due`` and ``digest`` need of a client; the read cache keeps it so a
    warm run never rebuilds the client's facts. Valid for the cadence it was made
    with (the cache is keyed by casectl.yaml).
    """

    client: str
    name: str | None
    manager: str | None
    due_soon: dates.Duration
    dates: tuple[DueDate, ...]
    errors: bool = False  # the files have errors: a `record` item on every as-of day

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "name": self.name,
            "manager": self.manager,
            "due_soon": [self.due_soon.count, self.due_soon.unit],
            "dates": [[k, w, r, d.toordinal()] for k, w, r, d in self.dates],
            "errors": self.errors,
        }

    @classmethod
    def from_json(cls, data: Any) -> ClientSchedule | None:
        """Inverse of :meth:`to_json`; None when ``data`` is not what it wrote (a
        damaged or foreign cache entry: the caller checks the client again)."""
        try:
            count, unit = data["due_soon"]
            day = date.fromordinal
            found = tuple([(k, w, r, day(d)) for k, w, r, d in data["dates"]])
            if unit not in _UNITS or not _KIND_SET.issuperset([d[0] for d in found]):
                return None
            return cls(
                data["client"],
                data["name"],
                data["manager"],
                dates.Duration(int(count), unit),
                found,
                bool(data["errors"]),
            )
        except (KeyError, TypeError, ValueError, IndexError, OverflowError):
            return None


def client_schedule(
    facts: ClientFacts,
    agency_cadence: Cadence,
    supervisors: tuple[str, ...] = (),
    retention: dates.Duration | None = None,
) -> ClientSchedule:
    """The as-of-independent part of :func:`due_items`. An ``approval`` date is one
    item per supervisor (``supervisors``; none: the client's manager), its ref ending
    in the supervisor's key (:func:`item_manager`). ``retention``: casectl.yaml's
    ``retention.closed`` (:func:`retention_period`)."""
    cadence = effective_cadence(agency_cadence, facts, retention)
    found = _due_dates(facts, cadence)
    if supervisors and facts.sign_offs:
        found = [
            each
            for d in found
            for each in (
                [(d[0], d[1], f"{d[2]}/{s}", d[3]) for s in supervisors]
                if d[0] == "approval"
                else [d]
            )
        ]
    return ClientSchedule(
        facts.id, facts.name, facts.manager, cadence["due_soon"], tuple(found), facts.errors
    )


def due_items(
    facts: ClientFacts,
    agency_cadence: Cadence,
    as_of: date,
    within: dates.Duration | None = None,
    supervisors: tuple[str, ...] = (),
    retention: dates.Duration | None = None,
) -> list[DueItem]:
    """Overdue and due-soon items of one client as of ``as_of``, in due_dates order.

    Due soon means ``as_of <= due <= as_of + window`` (inclusive), the window being
    ``within`` when given, else the client's effective ``due_soon``.
    """
    if not facts.errors and not any(facts.status in r.statuses for r in RULES.values()):
        return []
    schedule = client_schedule(facts, agency_cadence, supervisors, retention=retention)
    return items_from_schedule(schedule, as_of, within)


def items_from_schedule(
    plan: ClientSchedule, as_of: date, within: dates.Duration | None = None
) -> list[DueItem]:
    """The items of a precomputed schedule as of ``as_of`` (see :func:`due_items`)."""
    horizon = add(as_of, within if within is not None else plan.due_soon)
    found = [d for d in plan.dates if d[3] <= horizon]
    return _items(plan.client, plan.name, plan.manager, found, plan.errors, as_of)


class ScheduleRows(NamedTuple):
    """A cached schedule (``ClientSchedule.to_json``) checked whole, its due days left as
    ordinals: what ``items_from_json`` and the read cache's due index are made from."""

    client: str
    name: str | None
    manager: str | None
    soon_count: int  # the due-soon window
    soon_unit: str
    errors: bool
    rows: list[tuple[Kind, str, str, int]]  # (kind, what, ref, due ordinal)


def schedule_rows(data: Any, checked: bool = False) -> ScheduleRows | None:
    """``data`` checked to be what ``ClientSchedule.to_json`` writes (every row, however
    far away); None when it is not (a damaged or foreign cache entry). ``checked``:
    ``data`` is this very run's ``to_json`` (its rows are taken as they are)."""
    try:
        count, unit = data["due_soon"]
        client, name, manager = data["client"], data["name"], data["manager"]
        errors = data["errors"]
        if (
            unit not in _UNITS
            or type(count) is not int
            or type(errors) is not bool
            or type(client) is not str
            or not (name is None or type(name) is str)
            or not (manager is None or type(manager) is str)
        ):
            return None
        if checked:
            rows = [(kind, what, ref, due) for kind, what, ref, due in data["dates"]]
            return ScheduleRows(client, name, manager, count, unit, errors, rows)
        kinds = _KIND_SET
        rows = []
        for kind, what, ref, due in data["dates"]:
            if (
                kind not in kinds
                or type(due) is not int
                or not 0 < due <= _MAX_ORDINAL
                or type(what) is not str
                or type(ref) is not str
            ):
                return None
            rows.append((kind, what, ref, due))
    except (KeyError, TypeError, ValueError):
        return None
    return ScheduleRows(client, name, manager, count, unit, errors, rows)


def items_from_json(
    data: Any, as_of: date, within: dates.Duration | None = None
) -> tuple[str | None, list[DueItem]] | None:
    """The client's manager and what ``items_from_schedule`` gives for the schedule
    ``ClientSchedule.from_json(data)``, without building it: the cached rows (due days
    as ordinals) are filtered by the horizon before any ``date`` is made. None when
    ``data`` is not what ``to_json`` wrote (``schedule_rows``: every row is checked,
    within the horizon or not)."""
    found = schedule_rows(data)
    if found is None:
        return None
    try:
        window = within if within is not None else dates.Duration(found.soon_count, found.soon_unit)
        last = add(as_of, window).toordinal()
    except (ValueError, OverflowError):
        return None
    day = date.fromordinal
    rows = [(k, w, r, day(d)) for k, w, r, d in found.rows if d <= last]
    return found.manager, _items(found.client, found.name, found.manager, rows, found.errors, as_of)


_MAX_ORDINAL = date.max.toordinal()


def _items(
    client: str,
    name: str | None,
    manager: str | None,
    found: list[DueDate],
    errors: bool,
    as_of: date,
) -> list[DueItem]:
    """The items of these due dates (all within the horizon), and the `record` item."""
    items: list[DueItem] = []
    for kind, what, ref, due in found:
        status: ItemStatus = "overdue" if due < as_of else "due_soon"
        # positional: tens of thousands are made per run at 10,000 clients
        days = (as_of - due).days
        who = item_manager(kind, ref, manager) if kind == "approval" else manager
        items.append(DueItem(client, name, who, kind, what, due, status, days, ref))
    if errors:
        items.append(record_item(client, name, manager, as_of))
    return items


def item_manager(kind: Kind, ref: str, manager: str | None) -> str | None:
    """Whose item it is: an ``approval`` item's supervisor (the last part of its ref,
    ``<client>/approval/<what>/<supervisor>``), else the client's manager."""
    if kind == "approval" and ref.count("/") == 3:
        return ref.rpartition("/")[2]
    return manager


def record_item(client: str, name: str | None, manager: str | None, as_of: date) -> DueItem:
    """The ``record`` item of a client whose files have errors: always overdue, due on
    the as-of day itself (contract 5.2)."""
    return DueItem(
        client=client,
        name=name,
        manager=manager,
        kind="record",
        what=f"records have errors: casectl validate clients/{client}",
        due=as_of,
        status="overdue",
        days=0,
        ref=f"{client}/record",
    )


def add(day: date, duration: dates.Duration) -> date:
    """``dates.add`` with a fast path: days and weeks are plain day counts, and
    relativedelta (needed for calendar months) costs ~10x more per call, which shows
    at 10,000 clients."""
    if duration.unit == "days":
        return day + timedelta(days=duration.count)
    if duration.unit == "weeks":
        return day + timedelta(days=7 * duration.count)
    return dates.add(day, duration)


def sort_items(items: list[DueItem]) -> list[DueItem]:
    """By due date, then client id, then kind (its name), then what."""
    return sorted(items, key=sort_key)


def sort_key(item: DueItem) -> tuple[date, str, int, str]:
    """Where ``sort_items`` puts an item."""
    return item.due, item.client, ORDER[item.kind], item.what
