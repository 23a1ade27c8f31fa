"""Period figures: what funders and supervisors ask for each month (contract 5.4).

A period is ``[from, to]``, both days included, in agency days (a note time with an
offset is converted to the agency's zone first). Every figure is read from each
client's records **as they stood at the end of** ``to`` (:func:`casectl.figures.asof.as_of`):
a client opened after ``to`` does not count, a closure, goal status, referral
status or ``done`` dated after ``to`` is not yet there, and an entry dated or
*recorded* after ``to`` is left out. So the figures of a past month never change
when later records are added. The price: a late entry (dated in the period but
written after ``to``, so it carries ``recorded:``) counts in no period's figures.

``open``
    clients opened on or before ``to`` and not closed before ``from`` (``on_hold``
    counts; a client closed inside the period counts).
``served``
    clients with at least one entry in the period whose type is a contact type
    (casectl.yaml ``contact_types``) and whose ``with`` is ``client`` (the default).
``new``
    clients opened in the period.
``closed``
    clients closed in the period, by ``closed.reason``.
``contacts``
    entries in the period whose type is a contact type, by type, whoever they were with.
``contacts_with``
    the same entries by ``with`` (``client``, ``family``, ``provider``, ``other``).
``minutes``
    the ``minutes`` of every entry in the period, whatever its type.
``referrals``
    referrals sent in the period or whose status changed in it (``status_date``), by
    their status at ``to``.
``goals_met``
    goals whose status is ``met`` with a ``status_date`` in the period. ``partly_met``
    is not met; a final goal without ``status_date`` is in no period.
``crises``
    entries of type ``crisis`` in the period.
``domains``
    per domain, how many clients whose last assessment in the period scored it higher
    (``improved``), equal (``same``) or lower (``worse``) than the assessment just
    before that one (of any date). A domain scored in only one of the two is not
    compared; a client with one assessment in all is not compared.

An object of counts holds only the keys whose count is above zero (an absent key
means 0), in a fixed order: close reasons, ``with`` values and referral statuses in
the contract's order, entry types in the agency's ``contact_types`` order, domains in
the agency's ``domains`` order; anything else after them, sorted.

Grouped (``--by manager`` or ``--by program``), the result maps each group key to
such an object, then ``"all"`` to the whole agency's. A client's group is its
manager or program at ``to`` (read as it is now, like every undated field); a
client without a program is in the group ``(none)``. A group appears only when one
of its clients adds something to a figure; a group key ``all`` is refused, since it
would hide the agency's total.
"""

from __future__ import annotations

import binascii
import json
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any, Literal, TypeVar

from casectl.core.model import (
    CLOSE_REASONS,
    CONTACT_TYPES_V2,
    NOTE_TYPES,
    REFERRAL_STATUSES,
    WITH_VALUES,
    Agency,
    Assessment,
    LogEntry,
)
from casectl.figures import ClientRecords, FiguresError, Period, local_day, local_time, zone_of
from casectl.figures.asof import STATUS_CHANGE, assessments_as_of, client_as_of, plan_as_of
from casectl.figures.search import micros as _micros

GroupBy = Literal["manager", "program"]
NO_PROGRAM = "(none)"  # the group of clients without a program
ALL = "all"  # the key of the agency's total in grouped figures
IMPROVED, SAME, WORSE = 0, 1, 2
_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of one client or a group, for one period (see the module's table).
    ``domains`` maps a domain to (improved, same, worse). Add them with ``+`` or
    :func:`total`; :meth:`to_json` gives the contract's object."""

    open: int = 0
    served: int = 0
    new: int = 0
    closed: Mapping[str, int] = field(default_factory=dict)
    contacts: Mapping[str, int] = field(default_factory=dict)
    contacts_with: Mapping[str, int] = field(default_factory=dict)
    minutes: int = 0
    referrals: Mapping[str, int] = field(default_factory=dict)
    goals_met: int = 0
    crises: int = 0
    domains: Mapping[str, tuple[int, int, int]] = field(default_factory=dict)

    def __add__(self, other: Figures) -> Figures:
        return total((self, other))

    def is_empty(self) -> bool:
        """True when the client or group adds nothing to any figure."""
        return self == Figures()

    def to_json(self, period: Period, agency: Agency) -> dict[str, Any]:
        """The contract's ``stats --format json`` object, keys in the contract's order."""
        return {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "open": self.open,
            "served": self.served,
            "new": self.new,
            "closed": _ordered(self.closed, CLOSE_REASONS),
            "contacts": _ordered(self.contacts, _contact_type_order(agency)),
            "contacts_with": _ordered(self.contacts_with, WITH_VALUES),
            "minutes": self.minutes,
            "referrals": _ordered(self.referrals, REFERRAL_STATUSES),
            "goals_met": self.goals_met,
            "crises": self.crises,
            "domains": {
                domain: {"improved": moves[IMPROVED], "same": moves[SAME], "worse": moves[WORSE]}
                for domain, moves in _ordered(self.domains, agency.domains).items()
            },
        }


def stats(
    clients: Iterable[ClientRecords | StatsRows],
    agency: Agency,
    period: Period,
    by: GroupBy | None = None,
    months: Counter[str] | None = None,
) -> dict[str, Any]:
    """The period's figures as the contract's json: one object, or with ``by`` an
    object from group key (sorted) to figures, then ``"all"``. ``clients`` is read
    once, one client at a time. ``months``, when given, receives the contacts of the
    period by month (:func:`monthly_contacts`) in the same pass."""
    if by is None:
        parts = (_figures(r, agency, period, months) for r in clients)
        return total(parts).to_json(period, agency)
    groups: dict[str, list[Figures]] = {}
    for r in clients:
        figures = _figures(r, agency, period, months)
        if not figures.is_empty():
            groups.setdefault(group_key(r, by), []).append(figures)
    if ALL in groups:
        raise FiguresError(
            f"a {by} is named 'all', the key of the agency's total in stats --by {by}: "
            f"rename the {by} to see grouped figures"
        )
    out = {key: total(groups[key]).to_json(period, agency) for key in sorted(groups)}
    out[ALL] = total(f for parts in groups.values() for f in parts).to_json(period, agency)
    return out


def _figures(
    r: ClientRecords | StatsRows, agency: Agency, period: Period, months: Counter[str] | None
) -> Figures:
    """The client's figures; ``months`` (when given) receives its contacts by month."""
    if isinstance(r, StatsRows):
        return r.figures(agency, period, months)
    if months is not None:
        months.update(monthly_contacts(r, agency, period))
    return client_figures(r, agency, period)


def month_keys(period: Period) -> list[str]:
    """Every month the period touches, ``YYYY-MM``, oldest first."""
    out: list[str] = []
    year, month = period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def monthly_contacts(records: ClientRecords, agency: Agency, period: Period) -> Counter[str]:
    """The client's ``contacts`` (entries of a contact type, any ``with``) of the period
    by agency month (``YYYY-MM``), read as of the period's end like every figure."""
    out: Counter[str] = Counter()
    if records.client.opened > period.end:
        return out
    zone = zone_of(agency)
    contact_types = agency.effective_contact_types()
    end = period.end
    for e in records.log:
        if e.type not in contact_types:
            continue
        day = local_day(e.date, zone)
        if day not in period or (e.recorded is not None and local_day(e.recorded, zone) > end):
            continue
        out[f"{day.year:04d}-{day.month:02d}"] += 1
    return out


def group_key(records: ClientRecords | StatsRows, by: GroupBy) -> str:
    """The client's group: its manager's key, or its program (``(none)`` without)."""
    if isinstance(records, StatsRows):
        manager, program = records.manager, records.program
    else:
        manager, program = records.client.manager, records.client.program
    if by == "manager":
        return manager
    return program or NO_PROGRAM


def client_figures(records: ClientRecords, agency: Agency, period: Period) -> Figures:
    """One client's figures for ``period``, read from its records as of ``period.end``
    (the same view as :func:`casectl.figures.asof.as_of`, built for this one use)."""
    start, end = period.start, period.end
    if records.client.opened > end:
        return Figures()
    zone = zone_of(agency)
    c = client_as_of(records.client, end)
    plan = plan_as_of(records.plan, end, records.log, zone)
    closed = c.closed
    log = _period_log(records.log, period, zone, agency.effective_contact_types())
    referrals: Counter[str] = Counter(
        r.status for r in plan.referrals if r.sent in period or r.status_date in period
    )
    return Figures(
        open=int(closed is None or closed.date >= start),
        new=int(c.opened >= start),
        closed={closed.reason: 1} if closed is not None and closed.date >= start else {},
        served=log.served,
        contacts=log.contacts,
        contacts_with=log.contacts_with,
        minutes=log.minutes,
        crises=log.crises,
        referrals=dict(referrals),
        goals_met=sum(g.status == "met" and g.status_date in period for g in plan.goals),
        domains=domain_moves(assessments_as_of(records.assessments, end).assessments, period),
    )


@dataclass(slots=True)
class _LogFigures:
    served: int = 0
    contacts: dict[str, int] = field(default_factory=dict)
    contacts_with: dict[str, int] = field(default_factory=dict)
    minutes: int = 0
    crises: int = 0


def _period_log(
    log: Iterable[LogEntry], period: Period, zone: tzinfo, contact_types: frozenset[str]
) -> _LogFigures:
    """The figures of the entries dated in ``period`` and not recorded after its end
    (:func:`casectl.figures.asof.visible`), in one pass: the hot loop of ``stats``."""
    start, end = period.start, period.end
    out = _LogFigures()
    contacts, contacts_with = out.contacts, out.contacts_with
    for e in log:
        moment = e.date
        day = moment.date() if moment.tzinfo is None else local_day(moment, zone)
        if (
            day < start
            or day > end
            or (e.recorded is not None and local_day(e.recorded, zone) > end)
        ):
            continue
        out.minutes += e.minutes or 0
        kind = e.type
        if kind == "crisis":
            out.crises += 1
        if kind in contact_types:
            contacts[kind] = contacts.get(kind, 0) + 1
            party = e.with_ or "client"
            contacts_with[party] = contacts_with.get(party, 0) + 1
            if party == "client":
                out.served = 1
    return out


def domain_moves(
    assessments: Sequence[Assessment], period: Period
) -> dict[str, tuple[int, int, int]]:
    """Per domain, (improved, same, worse) as 0 or 1: the last assessment in the
    period against the one just before it (assessments taken in date order; the
    file's order breaks ties)."""
    dated = [(a.date.toordinal(), {d: s.score for d, s in a.domains.items()}) for a in assessments]
    return _domain_moves(dated, period.start.toordinal(), period.end.toordinal())


def _domain_moves(
    dated: Sequence[tuple[int, Mapping[str, int]]], start: int, end: int
) -> dict[str, tuple[int, int, int]]:
    """:func:`domain_moves` over (day ordinal, domain -> score) pairs."""
    ordered = sorted(dated, key=lambda a: a[0])
    last = max((i for i, a in enumerate(ordered) if start <= a[0] <= end), default=None)
    if last is None or last == 0:
        return {}
    now, before = ordered[last][1], ordered[last - 1][1]
    out: dict[str, tuple[int, int, int]] = {}
    for domain, score in now.items():
        if domain in before:
            delta = score - before[domain]
            out[domain] = (int(delta > 0), int(delta == 0), int(delta < 0))
    return out


def total(parts: Iterable[Figures]) -> Figures:
    """The sum of figures (of clients, or of groups)."""
    counts = [0] * 6
    closed: Counter[str] = Counter()
    contacts: Counter[str] = Counter()
    contacts_with: Counter[str] = Counter()
    referrals: Counter[str] = Counter()
    domains: dict[str, list[int]] = {}
    for f in parts:
        for i, n in enumerate((f.open, f.served, f.new, f.minutes, f.goals_met, f.crises)):
            counts[i] += n
        if f.closed:  # (most clients have none of these four: no call)
            closed.update(f.closed)
        if f.contacts:
            contacts.update(f.contacts)
            contacts_with.update(f.contacts_with)
        if f.referrals:
            referrals.update(f.referrals)
        for domain, moves in f.domains.items():
            sums = domains.setdefault(domain, [0, 0, 0])
            for i in range(3):
                sums[i] += moves[i]
    return Figures(
        open=counts[0],
        served=counts[1],
        new=counts[2],
        closed=dict(closed),
        contacts=dict(contacts),
        contacts_with=dict(contacts_with),
        minutes=counts[3],
        referrals=dict(referrals),
        goals_met=counts[4],
        crises=counts[5],
        domains={d: (s[0], s[1], s[2]) for d, s in domains.items()},
    )


def _contact_type_order(agency: Agency) -> Sequence[str]:
    if agency.contact_types is not None:
        return agency.contact_types
    return (*CONTACT_TYPES_V2, *NOTE_TYPES)


def _ordered(counts: Mapping[str, _V], order: Sequence[str]) -> dict[str, _V]:
    """``counts`` without zero counts, keys in ``order`` first, then the rest sorted."""
    rank: dict[str, int] = {}
    for key in order:
        rank.setdefault(key, len(rank))
    keys = sorted(counts, key=lambda k: (rank.get(k, len(rank)), k))
    return {k: counts[k] for k in keys if counts[k] != 0}


_TYPE_CODE = {kind: i for i, kind in enumerate(NOTE_TYPES)}
_WITH_CODE = {party: i for i, party in enumerate(WITH_VALUES)}
_WITH_BITS = 3  # an entry's code: type index << 3 | with index
assert len(WITH_VALUES) <= 1 << _WITH_BITS


def _pack(values: array[int]) -> str:
    return binascii.b2a_base64(values.tobytes(), newline=False).decode("ascii")


def _unpack(text: str) -> array[int]:
    values = array("i")
    values.frombytes(binascii.a2b_base64(text))
    return values


@dataclass(frozen=True, slots=True)
class StatsRows:
    """What :func:`client_figures` reads of one client, compact (the read cache's
    ``figures`` section keeps :meth:`to_json`): :meth:`figures` and
    :meth:`monthly_contacts` give exactly what :func:`client_figures` and
    :func:`monthly_contacts` give on the records the rows were made from
    (``tests/figures/test_figures_cache.py`` holds them equal).

    ``days``: each entry's agency day (ordinal), sorted, so a period is a slice
    (``bisect``); ``columns``: for each of them, in the same order, three integers:
    the ``recorded`` day (0: none), the type and ``with`` as one code, the minutes.
    Both are stored as base64 of machine integers (the cache is this machine's).
    ``met``: the ``status_date`` of each goal whose status is ``met``. ``referrals``:
    (sent, status, status_date or 0, id). ``changes``: each referral status change
    in an entry's ``changes:`` (entry time in microseconds, entry index, day,
    recorded day or 0, referral id, new status), in log order. ``assessed``: the
    assessments' days, in file order; ``scores``: their domain -> score maps as JSON,
    decoded only for a period that holds an assessment."""

    manager: str
    program: str | None
    opened: int
    closed: tuple[int, str] | None
    days: array[int]
    columns: array[int]
    met: Sequence[int]
    referrals: Sequence[tuple[int, str, int, str]]
    changes: Sequence[tuple[int, int, int, int, str, str]]
    assessed: Sequence[int]
    scores: str

    @classmethod
    def of(cls, records: ClientRecords, agency: Agency) -> StatsRows:
        zone = zone_of(agency)
        c, plan, log = records.client, records.plan, records.log
        days = [local_day(e.date, zone).toordinal() for e in log]
        recorded = [
            _ordinal(None if e.recorded is None else local_day(e.recorded, zone)) for e in log
        ]
        changes: list[tuple[int, int, int, int, str, str]] = []
        for i, e in enumerate(log):
            for change in e.changes or ():
                m = STATUS_CHANGE.fullmatch(change)
                if m is not None and m.group(3) in REFERRAL_STATUSES:
                    at = _micros(local_time(e.date, zone))
                    changes.append((at, i, days[i], recorded[i], m.group(1), m.group(3)))
        order = sorted(range(len(log)), key=days.__getitem__)
        columns = array("i")
        for i in order:
            e = log[i]
            code = _TYPE_CODE[e.type] << _WITH_BITS | _WITH_CODE[e.with_ or "client"]
            columns.extend((recorded[i], code, e.minutes or 0))
        return cls(
            manager=c.manager,
            program=c.program,
            opened=c.opened.toordinal(),
            closed=None if c.closed is None else (c.closed.date.toordinal(), c.closed.reason),
            days=array("i", [days[i] for i in order]),
            columns=columns,
            met=[
                g.status_date.toordinal()
                for g in plan.goals
                if g.status == "met" and g.status_date is not None
            ],
            referrals=[
                (r.sent.toordinal(), r.status, _ordinal(r.status_date), r.id)
                for r in plan.referrals
            ],
            changes=changes,
            assessed=[a.date.toordinal() for a in records.assessments.assessments],
            scores=json.dumps(
                [
                    {d: s.score for d, s in a.domains.items()}
                    for a in records.assessments.assessments
                ],
                separators=(",", ":"),
            ),
        )

    def to_json(self) -> list[Any]:
        return [
            self.manager,
            self.program,
            self.opened,
            self.closed,
            _pack(self.days),
            _pack(self.columns),
            self.met,
            self.referrals,
            self.changes,
            self.assessed,
            self.scores,
        ]

    @classmethod
    def from_json(cls, value: Any) -> StatsRows | None:
        """The rows :meth:`to_json` wrote; None when ``value`` is not such a list (a
        damaged cache: the caller reads the client again)."""
        try:
            (manager, program, opened, closed, days, columns, met, referrals, changes,
             assessed, scores) = value  # fmt: skip
            rows = cls(
                manager=manager,
                program=program,
                opened=opened,
                closed=None if closed is None else (int(closed[0]), str(closed[1])),
                days=_unpack(days),
                columns=_unpack(columns),
                met=met,
                referrals=[(r[0], r[1], r[2], r[3]) for r in referrals],
                changes=[(x[0], x[1], x[2], x[3], x[4], x[5]) for x in changes],
                assessed=assessed,
                scores=scores,
            )
        except (TypeError, ValueError, IndexError, KeyError, binascii.Error):
            return None
        if not (
            isinstance(manager, str)
            and (program is None or isinstance(program, str))
            and isinstance(opened, int)
            and isinstance(scores, str)
            and isinstance(assessed, list)
            and len(rows.columns) == 3 * len(rows.days)
        ):
            return None
        return rows

    def _slice(self, start: int, end: int) -> range:
        """The indexes of the entries dated from ``start`` to ``end``."""
        return range(bisect_left(self.days, start), bisect_right(self.days, end))

    def figures(
        self, agency: Agency, period: Period, months: Counter[str] | None = None
    ) -> Figures:
        """:func:`client_figures` of the records these rows were made from; ``months``
        (when given) receives their :meth:`monthly_contacts` in the same pass."""
        start, end = period.start.toordinal(), period.end.toordinal()
        if self.opened > end:
            return Figures()
        contact_types = _contact_types(agency)
        first, last = period.start, period.end
        month = f"{first.year:04d}-{first.month:02d}"
        one_month = (first.year, first.month) == (last.year, last.month)
        in_month = 0  # the contacts of a period of one month (the common case)
        served = minutes = crises = 0
        contacts: dict[str, int] = {}
        contacts_with: dict[str, int] = {}
        columns = self.columns
        for k in self._slice(start, end):
            if columns[3 * k] > end:
                continue  # recorded after the period
            code = columns[3 * k + 1]
            minutes += columns[3 * k + 2]
            kind = NOTE_TYPES[code >> _WITH_BITS]
            if kind == "crisis":
                crises += 1
            if kind in contact_types:
                party = WITH_VALUES[code & ((1 << _WITH_BITS) - 1)]
                contacts[kind] = contacts.get(kind, 0) + 1
                contacts_with[party] = contacts_with.get(party, 0) + 1
                if party == "client":
                    served = 1
                if months is not None:
                    if one_month:
                        in_month += 1
                    else:
                        d = date.fromordinal(self.days[k])
                        months[f"{d.year:04d}-{d.month:02d}"] += 1
        if in_month:
            assert months is not None
            months[month] += in_month
        closed = self.closed if self.closed is not None and self.closed[0] <= end else None
        return Figures(
            open=int(closed is None or closed[0] >= start),
            new=int(self.opened >= start),
            closed={closed[1]: 1} if closed is not None and closed[0] >= start else {},
            served=served,
            contacts=contacts,
            contacts_with=contacts_with,
            minutes=minutes,
            crises=crises,
            referrals=self._referrals(start, end) if self.referrals else {},
            goals_met=sum(start <= d <= end for d in self.met),
            domains=self._domains(start, end),
        )

    def _domains(self, start: int, end: int) -> dict[str, tuple[int, int, int]]:
        if not any(start <= d <= end for d in self.assessed):
            return {}  # no assessment in the period: nothing to compare
        scores = json.loads(self.scores)
        dated = [(d, s) for d, s in zip(self.assessed, scores, strict=False) if d <= end]
        return _domain_moves(dated, start, end)

    def _referrals(self, start: int, end: int) -> dict[str, int]:
        """Referrals by status at ``end`` (``figures.asof`` rules: a status dated after
        it is rebuilt from the ``changes:`` of the entries visible at ``end``)."""
        out: Counter[str] = Counter()
        logged: dict[str, tuple[str, int]] | None = None
        for sent, status, on, rid in self.referrals:
            if sent > end:
                continue
            if on > end:
                if logged is None:
                    logged = self._logged(end)
                status, on = logged.get(rid, ("sent", 0))
            if start <= sent <= end or start <= on <= end:
                out[status] += 1
        return dict(out)

    def _logged(self, end: int) -> dict[str, tuple[str, int]]:
        found: dict[str, tuple[tuple[int, int], str, int]] = {}
        for at, i, day, rec, rid, status in self.changes:
            if day > end or rec > end:
                continue
            key = (at, i)
            if rid not in found or found[rid][0] <= key:
                found[rid] = (key, status, day)
        return {rid: (status, day) for rid, (_, status, day) in found.items()}

    def monthly_contacts(self, agency: Agency, period: Period) -> Counter[str]:
        """:func:`monthly_contacts` of the records these rows were made from."""
        out: Counter[str] = Counter()
        start, end = period.start.toordinal(), period.end.toordinal()
        if self.opened > end:
            return out
        contact_types = _contact_types(agency)
        columns, days = self.columns, self.days
        for k in self._slice(start, end):
            kind = NOTE_TYPES[columns[3 * k + 1] >> _WITH_BITS]
            if kind in contact_types and columns[3 * k] <= end:
                d = date.fromordinal(days[k])
                out[f"{d.year:04d}-{d.month:02d}"] += 1
        return out


_CONTACT_TYPES: list[tuple[Agency, frozenset[str]]] = []  # the last agency asked about


def _contact_types(agency: Agency) -> frozenset[str]:
    """``agency.effective_contact_types()``, made once per agency (not per client)."""
    if not _CONTACT_TYPES or _CONTACT_TYPES[0][0] is not agency:
        _CONTACT_TYPES[:] = [(agency, agency.effective_contact_types())]
    return _CONTACT_TYPES[0][1]


def _ordinal(day: date | None) -> int:
    return 0 if day is None else day.toordinal()
