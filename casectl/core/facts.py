"""Case facts: the small slice of a client's records that scheduling and listings need.

Built from full records by :func:`facts_from_records` (pure) and cached as JSON in
``.casectl/`` so ``list``, ``due``, ``digest`` and ``caseload`` never re-parse
unchanged files. Everything here is plain data: dates, strings, ints.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, get_args, get_origin, get_type_hints

from casectl.core import dates
from casectl.core.values import CADENCE_KEYS, CONTACT_TYPES, OPEN_REFERRAL_STATUSES

if TYPE_CHECKING:  # the records are only read here: a warm read never imports pydantic
    from casectl.core.model import AssessmentFile, Client, LogEntry, Plan


class ActionFact(NamedTuple):
    """An action of a goal. NamedTuples: tens of thousands are built per warm run."""

    goal_id: str
    position: int  # index in the goal's actions list
    action: str
    who: str | None
    due: date | None
    done: date | None


class TaskFact(NamedTuple):
    """A task of plan.yaml (a reminder outside the goals)."""

    id: str
    task: str
    who: str | None
    due: date | None
    done: date | None


class FlagFact(NamedTuple):
    """A flag of client.yaml."""

    kind: str
    since: date
    review_by: date | None
    cleared: date | None


class GoalFact(NamedTuple):
    id: str
    goal: str
    domain: str | None
    status: str
    target: date | None


class ReferralFact(NamedTuple):
    """A referral of the plan (contract 5.1)."""

    id: str
    to: str
    service: str | None
    status: str
    sent: date
    expect_by: date | None


class ConsentFact(NamedTuple):
    """A consent of client.yaml (parties joined by ", "; None: not limited to any)."""

    signed: date | None
    expires: date | None
    parties: str | None


class SignOffFact(NamedTuple):
    """A sign-off waiting for a supervisor (due kind ``approval``): ``what`` (plan or
    closure), since when, and whether an approval went stale."""

    what: str
    since: date
    stale: bool


def blob_id(raw: bytes) -> str:
    """git's blob id of ``raw`` (SHA-1 object format), as ``git hash-object`` says."""
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw, usedforsecurity=False).hexdigest()


class SignOff(NamedTuple):
    """The latest ``submitted`` entry of a kind and the decision after it, if any."""

    submitted: LogEntry | None
    decision: LogEntry | None


def latest_sign_off(log: Sequence[LogEntry], what: str) -> SignOff:
    submitted: LogEntry | None = None
    decision: LogEntry | None = None
    for entry in log:
        if entry.what != what:
            continue
        if entry.type == "submitted":
            submitted, decision = entry, None
        elif entry.type == "approval" and submitted is not None:
            decision = entry
    return SignOff(submitted, decision)


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
    # coordinate (issue 14)
    referrals: tuple[ReferralFact, ...] = ()
    sign_offs: tuple[SignOffFact, ...] = ()  # waiting for a supervisor
    consents: tuple[ConsentFact, ...] = ()  # oldest first

    def consent_on(self, day: date) -> ConsentFact | None:
        """The newest consent in force on ``day`` (signed on or before it, not expired)."""
        return consent_on(self.consents, day)

    # format 2 (contract 5.1, 5.2)
    tasks: tuple[TaskFact, ...] = ()
    flags: tuple[FlagFact, ...] = ()
    first_assessment: date | None = None
    planned_on: date | None = None  # the first goal added by `casectl goal ID add`
    contact_after_plan: bool = False  # a contact entry written after that one

    @property
    def open_flags(self) -> tuple[str, ...]:
        """The kinds of the flags not cleared, in the file's order, each once."""
        return tuple(dict.fromkeys(f.kind for f in self.flags if f.cleared is None))

    @property
    def open_tasks(self) -> int:
        return sum(1 for t in self.tasks if t.done is None)

    @property
    def stage(self) -> str:
        """The stage of the case, derived (contract 5.4): intake (no assessment) ->
        assessed (no goals) -> planned (goals, no contact since the plan) ->
        monitoring -> closing (a closure waiting for approval) -> closed."""
        if self.status == "closed":
            return "closed"
        if any(s.what == "closure" and not s.stale for s in self.sign_offs):
            return "closing"  # closed once a supervisor approves (contract 5.3)
        if self.assessment_count == 0:
            return "intake"
        if not self.goals:
            return "assessed"
        if self.planned_on is not None:
            return "monitoring" if self.contact_after_plan else "planned"
        since = self.plan_created
        if self.last_contact is not None and (since is None or self.last_contact > since):
            return "monitoring"
        return "planned"

    def cadence_override(self, key: str) -> dates.Duration | None:
        text = self.cadence.get(key)
        return dates.parse_duration(text) if text else None

    # -- JSON for the cache, derived from the fields (see _codec) -------------
    def to_json(self) -> dict[str, Any]:
        """A compact JSON form for the cache: dates as ISO text, lists of dates as day
        ordinals, rows (goals, actions) as lists; derived from the field types, so a
        new field needs nothing here. ``SUMMARY_FIELDS`` and ``DETAIL_FIELDS`` split it
        in two (the cache keeps the parts apart so listings read only the first)."""
        return {name: encode(getattr(self, name)) for name, encode, _ in _CODEC}

    @classmethod
    def from_json(cls, data: Any, summary_only: bool = False) -> ClientFacts | None:
        """Inverse of :meth:`to_json`; None when ``data`` is not what it wrote (a
        damaged or foreign cache entry: the caller checks the client again).

        ``summary_only``: ``data`` holds the ``SUMMARY_FIELDS`` alone and the detail
        (goals, actions, contact dates: the fields that are collections) is left
        empty; for listings (``list``), which show no detail and must stay fast at
        10,000 clients.
        """
        try:
            if summary_only:
                return cls(**{name: decode(data[name]) for name, decode in _SUMMARY_DECODE})
            return cls(*[decode(data[name]) for name, _, decode in _CODEC])
        except (KeyError, TypeError, ValueError, IndexError, OverflowError):
            return None


STANDING = "standing"  # the key of ``Standing`` in a client's summary (the read cache)


class Standing(NamedTuple):
    """What ``list`` shows of a client beyond the facts' summary, derived from the whole
    facts (goals, sign-offs, flags, tasks, referrals). The cache keeps it with the
    summary, so a listing of 10,000 clients never decodes the detail."""

    stage: str
    open_flags: tuple[str, ...]
    open_tasks: int
    open_referrals: int

    @classmethod
    def of(cls, facts: ClientFacts) -> Standing:
        return cls(
            facts.stage,
            facts.open_flags,
            facts.open_tasks,
            sum(1 for r in facts.referrals if r.status in OPEN_REFERRAL_STATUSES),
        )

    def to_json(self) -> list[Any]:
        return [self.stage, list(self.open_flags), self.open_tasks, self.open_referrals]

    @classmethod
    def from_json(cls, data: Any) -> Standing | None:
        """Inverse of :meth:`to_json`; None when ``data`` is not what it wrote."""
        if not isinstance(data, list) or len(data) != 4:
            return None
        stage, flags, tasks, referrals = data
        if (
            not isinstance(stage, str)
            or not isinstance(flags, list)
            or not all(isinstance(f, str) for f in flags)
            or type(tasks) is not int
            or type(referrals) is not int
        ):
            return None
        return cls(stage, tuple(flags), tasks, referrals)


def consent_on(consents: Sequence[ConsentFact], day: date) -> ConsentFact | None:
    """The newest of ``consents`` (oldest first) in force on ``day``: signed on or
    before it, not expired."""
    for c in reversed(consents):
        if (c.signed is None or c.signed <= day) and (c.expires is None or c.expires >= day):
            return c
    return None


class CaseloadFacts(NamedTuple):
    """What a caseload row shows of a client, and nothing else: the summary values it
    prints (dates as ISO text), the derived stage, flags and tasks, goal counts,
    contact days, the open referrals' expected dates, consents and sign-offs. Derived
    once, when a client is checked; the cache keeps it in a section of its own, so a
    caseload of 10,000 clients decodes neither the facts (summary or detail: goals'
    texts, actions) nor a date it only prints."""

    id: str
    name: str | None
    status: str
    manager: str | None
    program: str | None
    opened: str | None  # ISO date
    errors: bool
    last_contact: str | None  # ISO date
    stage: str
    open_flags: tuple[str, ...]
    open_tasks: int
    goals_met: int
    goals_active: int
    goals_total: int
    contact_days: tuple[int, ...]  # day ordinals of contacts with the client, oldest first
    referrals_expect_by: tuple[int | None, ...]  # each open referral's expect_by (ordinal)
    consents: tuple[ConsentFact, ...]  # oldest first
    sign_offs: tuple[SignOffFact, ...]

    @classmethod
    def of(cls, facts: ClientFacts) -> CaseloadFacts:
        goals = facts.goals
        return cls(
            facts.id,
            facts.name,
            facts.status,
            facts.manager,
            facts.program,
            _date_out(facts.opened),
            facts.errors,
            _date_out(facts.last_contact),
            facts.stage,
            facts.open_flags,
            facts.open_tasks,
            sum(1 for g in goals if g.status == "met"),
            sum(1 for g in goals if g.status == "active"),
            len(goals),
            tuple(d.toordinal() for d in facts.contact_dates),
            tuple(
                r.expect_by.toordinal() if r.expect_by is not None else None
                for r in facts.referrals
                if r.status in OPEN_REFERRAL_STATUSES
            ),
            facts.consents,
            facts.sign_offs,
        )

    def contacts_since(self, day: date) -> int:
        """Contacts dated on or after ``day``."""
        return len(self.contact_days) - bisect_left(self.contact_days, day.toordinal())

    def to_json(self) -> list[Any]:
        return [
            *self[:9],
            list(self.open_flags),
            *self[10:14],
            _pack_days(self.contact_days),
            list(self.referrals_expect_by),
            [[_date_out(c.signed), _date_out(c.expires), c.parties] for c in self.consents],
            [[s.what, s.since.isoformat(), s.stale] for s in self.sign_offs],
        ]

    @classmethod
    def from_json(cls, data: Any) -> CaseloadFacts | None:
        """Inverse of :meth:`to_json`; None when ``data`` is not what it wrote (a
        damaged or foreign cache entry: the caller checks the client again)."""
        if type(data) is not list or len(data) != 18:
            return None
        cid, name, status, manager, program, opened, errors, last_contact, stage = data[:9]
        flags, tasks, met, active, total, days, expect_by, consents, sign_offs = data[9:]
        if (
            {type(cid), type(status), type(stage)} != _STR
            or type(errors) is not bool
            or not _STR_OR_NONE.issuperset(
                (type(name), type(manager), type(program), type(opened), type(last_contact))
            )
            or {type(tasks), type(met), type(active), type(total)} != _INT
            or type(flags) is not list
            or not _STR.issuperset(map(type, flags))
            or type(expect_by) is not list
            or not _INT_OR_NONE.issuperset(map(type, expect_by))
        ):
            return None
        try:
            shown_consents = tuple(
                [ConsentFact(_date_in(s), _date_in(e), p) for s, e, p in consents]
            )
            shown_sign_offs = tuple(
                [SignOffFact(w, date.fromisoformat(d), st) for w, d, st in sign_offs]
            )
            if shown_consents and not _STR_OR_NONE.issuperset(
                [type(c.parties) for c in shown_consents]
            ):
                return None
            if shown_sign_offs and not all(
                type(w) is str and type(st) is bool for w, _, st in shown_sign_offs
            ):
                return None
            return cls(
                cid,
                name,
                status,
                manager,
                program,
                opened,
                errors,
                last_contact,
                stage,
                tuple(flags),
                tasks,
                met,
                active,
                total,
                _unpack_days(days),
                tuple(expect_by),
                shown_consents,
                shown_sign_offs,
            )
        except (TypeError, ValueError, OverflowError):
            return None


_STR = frozenset({str})
_INT = frozenset({int})
_STR_OR_NONE = frozenset({str, type(None)})
_INT_OR_NONE = frozenset({int, type(None)})


def _pack_days(days: Sequence[int]) -> str:
    """Day ordinals as base64 of little-endian 32-bit integers: a string is far cheaper
    to decode from JSON than a list of numbers (a caseload reads 10,000 of them)."""
    return base64.b64encode(struct.pack(f"<{len(days)}i", *days)).decode("ascii")


def _unpack_days(text: Any) -> tuple[int, ...]:
    """Inverse of :func:`_pack_days`; ValueError or TypeError when ``text`` is not
    what it wrote."""
    raw = base64.b64decode(text, validate=True)
    if len(raw) % 4:
        raise ValueError("not whole 32-bit numbers")
    days: tuple[int, ...] = struct.unpack(f"<{len(raw) // 4}i", raw)
    return days


class Listed(NamedTuple):
    """One client as ``list`` shows it: a few summary values (days as ISO text) and its
    ``Standing``. Read straight from the cache's summary section (``from_summary``), so
    a listing of 10,000 clients builds no ``ClientFacts`` and parses no date."""

    id: str
    name: str | None
    status: str
    manager: str | None
    program: str | None
    opened: str | None
    last_contact: str | None
    note_count: int
    errors: bool
    standing: Standing

    @classmethod
    def of(cls, facts: ClientFacts) -> Listed:
        return cls(
            facts.id,
            facts.name,
            facts.status,
            facts.manager,
            facts.program,
            facts.opened.isoformat() if facts.opened else None,
            facts.last_contact.isoformat() if facts.last_contact else None,
            facts.note_count,
            facts.errors,
            Standing.of(facts),
        )

    def to_row(self) -> list[Any]:
        """Its values as a JSON list (``from_row``): the read cache's list index."""
        return [*self[:9], *self.standing.to_json()]

    @classmethod
    def from_row(cls, row: list[Any]) -> Listed:
        """Inverse of :meth:`to_row` (a row the cache wrote: not checked again)."""
        cid, name, status, manager, program, opened, last, notes, errors, *standing = row
        stage, flags, tasks, referrals = standing
        return cls(
            cid,
            name,
            status,
            manager,
            program,
            opened,
            last,
            notes,
            errors,
            Standing(stage, tuple(flags), tasks, referrals),
        )

    @classmethod
    def from_summary(cls, data: Any, standing: Any) -> Listed | None:
        """From a summary as ``ClientFacts.to_json`` wrote it and ``Standing.to_json``;
        None when a value is not what they write (the caller checks the client again)."""
        shown = Standing.from_json(standing)
        if shown is None:
            return None
        try:
            found = cls(
                data["id"],
                data["name"],
                data["status"],
                data["manager"],
                data["program"],
                data["opened"],
                data["last_contact"],
                data["note_count"],
                data["errors"],
                shown,
            )
        except (KeyError, TypeError):
            return None
        if not (
            type(found.id) is str
            and type(found.status) is str
            and _text_or_none(found.name)
            and _text_or_none(found.manager)
            and _text_or_none(found.program)
            and _iso_or_none(found.opened)
            and _iso_or_none(found.last_contact)
            and type(found.note_count) is int
            and type(found.errors) is bool
        ):
            return None
        return found


def _text_or_none(value: object) -> bool:
    return value is None or type(value) is str


def _iso_or_none(value: object) -> bool:
    """None, or a day exactly as ``date.isoformat`` writes it."""
    if value is None:
        return True
    if type(value) is not str or len(value) != 10:
        return False
    try:
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


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
    consents: tuple[ConsentFact, ...] = ()
    flags: tuple[FlagFact, ...] = ()

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
            consent_expires=_newest_expiry(client),
            cadence=tuple(cadence),
            consents=tuple(
                ConsentFact(
                    c.signed, c.expires, ", ".join(c.parties) if c.parties is not None else None
                )
                for c in client.all_consents()
            ),
            flags=tuple(
                FlagFact(f.kind, f.since, f.review_by, f.cleared) for f in client.flags or ()
            ),
        )


def _newest_expiry(client: Client) -> date | None:
    """The `consent` due kind reads the newest consent (contract 5.1)."""
    newest = client.latest_consent()
    return newest.expires if newest is not None else None


_GOAL_ADDED = re.compile(r"G\d+ added\Z")


def facts_from_records(
    client: Client | ClientFields,
    assessments: AssessmentFile | None,
    plan: Plan | None,
    log: list[LogEntry],
    errors: bool = False,
    sign_offs: tuple[SignOffFact, ...] = (),
    contact_types: frozenset[str] = CONTACT_TYPES,
) -> ClientFacts:
    """Reduce one client's records (the valid ones) to its facts. Pure.

    ``client`` is the valid client.yaml, or what could be read of one with errors.
    ``contact_types``: the entry types that reset the contact clock (the agency's
    ``effective_contact_types``); only entries with the client count (``with``).
    """
    fields = client if isinstance(client, ClientFields) else ClientFields.of(client)
    last_review: date | None = None
    last_contact: date | None = None
    contact_dates: list[date] = []
    planned_on: date | None = None
    contact_after_plan = False
    for entry in log:
        day = _day(entry.date)
        if (
            planned_on is None
            and entry.type == "plan_change"
            and any(_GOAL_ADDED.match(change) for change in entry.changes or ())
        ):
            planned_on = day
        if entry.type == "review" and (last_review is None or day > last_review):
            last_review = day
        if entry.type in contact_types and entry.contact_with == "client":
            contact_after_plan = contact_after_plan or planned_on is not None
            contact_dates.append(day)
            if last_contact is None or day > last_contact:
                last_contact = day
    contact_dates.sort()
    last_assessment: date | None = None
    first_assessment: date | None = None
    count = 0
    if assessments is not None:
        count = len(assessments.assessments)
        for assessment in assessments.assessments:
            if last_assessment is None or assessment.date > last_assessment:
                last_assessment = assessment.date
            if first_assessment is None or assessment.date < first_assessment:
                first_assessment = assessment.date
    goals: list[GoalFact] = []
    actions: list[ActionFact] = []
    tasks: list[TaskFact] = []
    if plan is not None:
        tasks = [TaskFact(t.id, t.task, t.who, t.due, t.done) for t in plan.tasks]
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
        referrals=tuple(
            ReferralFact(r.id, r.to, r.service, r.status, r.sent, r.expect_by)
            for r in (plan.referrals if plan else [])
        ),
        sign_offs=sign_offs,
        consents=fields.consents,
        tasks=tuple(tasks),
        flags=fields.flags,
        first_assessment=first_assessment,
        planned_on=planned_on,
        contact_after_plan=contact_after_plan,
    )


# ------------------------------------------------------------------ the JSON codec
#
# One (encode, decode) pair per field of ClientFacts, chosen from the field's type:
# adding a field (a new due kind's data) adds its JSON form with it. The codec's
# shape is part of the read cache's key (``SHAPE``), so an old cache is never read
# with a new codec.

_Enc = Callable[[Any], Any]
_Dec = Callable[[Any], Any]
_ROWS: list[str] = []  # the row types met, for SHAPE


def _same(value: Any) -> Any:
    return value


def _date_out(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date_in(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _pair(tp: Any) -> tuple[_Enc, _Dec]:
    """(encode, decode) of one value of type ``tp``."""
    args = [a for a in get_args(tp) if a is not type(None)]
    optional = len(args) < len(get_args(tp))
    base = args[0] if optional and len(args) == 1 else tp
    origin = get_origin(base)
    if base is date:
        return _date_out, _date_in
    if base is str or base is int:
        return _same, _same
    if base is bool:
        return _same, bool
    if origin is dict:
        return dict, lambda v: {str(k): str(x) for k, x in dict(v).items()}
    if origin is tuple:
        item = get_args(base)[0]
        if item is date:  # many dates: day ordinals are the cheapest to decode
            return (
                lambda v: [d.toordinal() for d in v],
                lambda v: tuple(map(date.fromordinal, v)),
            )
        if isinstance(item, type) and issubclass(item, tuple) and hasattr(item, "_fields"):
            return _rows(item)
    raise TypeError(f"no JSON form for {tp!r}")  # pragma: no cover - a new kind of field


def _rows(row: type[Any]) -> tuple[_Enc, _Dec]:
    """A tuple of NamedTuples as a list of lists; only the fields that need it (dates)
    are converted: a warm run decodes tens of thousands of rows."""
    pairs = [_pair(t) for t in get_type_hints(row).values()]
    converted = [(i, enc, dec) for i, (enc, dec) in enumerate(pairs) if enc is not _same]
    _ROWS.append(f"{row.__name__}({', '.join(row._fields)})")
    width = len(pairs)
    make = row._make

    def encode(rows: Any) -> list[list[Any]]:
        out = []
        for r in rows:
            values = list(r)
            for i, enc, _ in converted:
                values[i] = enc(values[i])
            out.append(values)
        return out

    def decode(rows: Any) -> tuple[Any, ...]:
        # Column by column: no list and no loop per row (map and zip run in C).
        if not isinstance(rows, list):
            raise TypeError("rows must be a list")
        if any(len(r) != width for r in rows):
            raise ValueError("a row of the wrong width")
        columns: list[Iterable[Any]] = list(zip(*rows, strict=True)) or [()] * width
        for i, _, dec in converted:
            columns[i] = map(dec, columns[i])
        return tuple(map(make, zip(*columns, strict=True)))

    return encode, decode


def _codec() -> list[tuple[str, _Enc, _Dec]]:
    hints = get_type_hints(ClientFacts)
    return [(f.name, *_pair(hints[f.name])) for f in fields(ClientFacts)]


def _is_detail(tp: Any) -> bool:
    """A collection field (tuple or dict): its JSON is a list or mapping."""
    args = [a for a in get_args(tp) if a is not type(None)]
    return get_origin(args[0] if len(args) == 1 else tp) in (tuple, dict)


_CODEC = _codec()
_HINTS = get_type_hints(ClientFacts)
# The cache keeps a client's facts in two parts: the summary (one value per field, what
# `list` shows) and the detail (the collections: goals, actions, contact dates, per-
# client cadence), each derived from the field types, so a new field lands in the right
# one by itself.
DETAIL_FIELDS: tuple[str, ...] = tuple(n for n, _, _ in _CODEC if _is_detail(_HINTS[n]))
SUMMARY_FIELDS: tuple[str, ...] = tuple(n for n, _, _ in _CODEC if n not in DETAIL_FIELDS)
_SUMMARY_DECODE = [(name, decode) for name, _, decode in _CODEC if name in SUMMARY_FIELDS]
# What the cache key includes: field names and types, so any change makes a new key.
SHAPE = ";".join(
    [
        *(f"{f.name}:{f.type}" for f in fields(ClientFacts)),
        *_ROWS,
        f"CaseloadFacts({', '.join(CaseloadFacts._fields)})",
    ]
)
