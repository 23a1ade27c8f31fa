"""``as_of``: a client's records as the dated records stood at the end of a day
(contract 5.2, last paragraph), by example and by property."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casectl.core.model import Client, LogEntry, Plan
from casectl.figures import ClientRecords, local_day, zone_of
from casectl.figures.asof import as_of
from tests.builders import (
    AGENCY,
    DAYS,
    _day,
    _referral,
    assessments,
    client,
    client_records,
    days,
    note,
    plan,
    records,
)

D = date(2026, 10, 31)


def view(r: ClientRecords, day: date = D) -> ClientRecords:
    out = as_of(r, AGENCY, day)
    assert out is not None
    return out


def test_a_client_opened_after_the_day_did_not_exist() -> None:
    assert as_of(records(client(opened="2026-11-01")), AGENCY, D) is None
    assert as_of(records(client(opened="2026-10-31")), AGENCY, D) is not None


def test_entries_dated_or_recorded_after_the_day_are_left_out() -> None:
    r = records(
        client(),
        note("a", "2026-10-31 23:59"),
        note("b", "2026-11-02 09:00"),  # the visit of 11/02 of the issue
        note("c", "2026-10-30 10:00", recorded="2026-11-01 08:00"),  # late entry
        note("d", "2026-10-29 10:00", recorded="2026-10-31 18:00"),
    )
    assert [e.id for e in view(r).log] == ["a", "d"]


def test_note_times_compare_in_the_agency_zone() -> None:
    r = records(
        client(),
        # 03:30 UTC on Nov 1 is 22:30 on Oct 31 in Chicago: kept
        note("utc", "2026-11-01T03:30:00+00:00"),
        # 23:30 at -08:00 on Oct 31 is 01:30 on Nov 1 in Chicago: left out
        note("west", "2026-10-31T23:30:00-08:00"),
        note("naive", "2026-11-01 00:00"),  # agency-local already: left out
        note("late", "2026-10-30 10:00", recorded="2026-11-01T02:00:00+00:00"),  # Oct 31 local
    )
    assert [e.id for e in view(r).log] == ["utc", "late"]


def test_assessments_after_the_day_are_left_out() -> None:
    r = records(
        client(),
        assessed=assessments(("2026-02-01", {"housing": 1}), ("2026-11-01", {"housing": 3})),
    )
    assert [a.date for a in view(r).assessments.assessments] == [date(2026, 2, 1)]


def test_done_dates_after_the_day_are_cleared() -> None:
    p = plan(
        goals=[
            {
                "id": "G1",
                "goal": "Housing",
                "actions": [
                    {"action": "Apply", "due": "2026-10-01", "done": "2026-10-31"},
                    {"action": "Visit", "due": "2026-10-20", "done": "2026-11-01"},
                ],
            }
        ],
        tasks=[
            {"id": "T1", "task": "Call", "due": "2026-10-15", "done": "2026-11-03"},
            {"id": "T2", "task": "Write", "due": "2026-10-15", "done": "2026-10-15"},
        ],
    )
    v = view(records(client(), plan_=p)).plan
    assert [a.done for a in v.goals[0].actions] == [date(2026, 10, 31), None]
    assert [t.done for t in v.tasks] == [None, date(2026, 10, 15)]


def test_a_goal_reaching_a_final_status_after_the_day_counts_as_active() -> None:
    p = plan(
        goals=[
            {"id": "G1", "goal": "a", "status": "met", "status_date": "2026-11-01"},
            {"id": "G2", "goal": "b", "status": "dropped", "status_date": "2026-10-31"},
            {"id": "G3", "goal": "c", "status": "not_met"},  # no date: final at every day
        ]
    )
    goals = view(records(client(), plan_=p)).plan.goals
    assert [(g.status, g.status_date) for g in goals] == [
        ("active", None),
        ("dropped", date(2026, 10, 31)),
        ("not_met", None),
    ]


def test_referrals_sent_after_the_day_are_left_out_and_later_statuses_undone() -> None:
    p = plan(
        referrals=[
            _referral("R1", "2026-10-05", "delivered", "2026-10-22"),
            _referral("R2", "2026-10-05", "delivered", "2026-11-02"),
            _referral("R3", "2026-11-01"),
        ]
    )
    refs = view(records(client(), plan_=p)).plan.referrals
    assert [(r.id, r.status, r.status_date) for r in refs] == [
        ("R1", "delivered", date(2026, 10, 22)),
        ("R2", "sent", None),  # with no logged change: the status it was sent with
    ]


def test_a_referral_status_is_rebuilt_from_the_changes_logged_by_the_day() -> None:
    p = plan(referrals=[_referral("R1", "2026-10-05", "delivered", "2026-11-02")])
    r = records(
        client(),
        note("x", "2026-10-10 09:00", "referral", changes=["R1 status sent -> accepted"]),
        note("y", "2026-10-20 09:00", "plan_change", changes=["R1 status accepted -> started"]),
        note("z", "2026-11-02 09:00", "referral", changes=["R1 status started -> delivered"]),
        plan_=p,
    )
    (ref,) = view(r).plan.referrals
    assert (ref.status, ref.status_date) == ("started", date(2026, 10, 20))
    (ref,) = view(r, date(2026, 10, 15)).plan.referrals
    assert (ref.status, ref.status_date) == ("accepted", date(2026, 10, 10))
    (ref,) = view(r, date(2026, 10, 9)).plan.referrals
    assert (ref.status, ref.status_date) == ("sent", None)


def test_a_closure_after_the_day_leaves_the_client_open() -> None:
    later = client(status="closed", closed={"date": "2026-11-01", "reason": "moved"})
    v = view(records(later)).client
    assert (v.status, v.closed) == ("active", None)
    on_the_day = client(status="closed", closed={"date": "2026-10-31", "reason": "moved"})
    assert view(records(on_the_day)).client.status == "closed"


def test_consents_and_flags_after_the_day_are_left_out() -> None:
    c = client(
        consents=[
            {"signed": "2026-02-03", "expires": "2027-02-03"},
            {"signed": "2026-11-15", "expires": "2027-11-15"},
        ],
        flags=[
            {"kind": "medical", "since": "2026-03-01", "cleared": "2026-11-01"},
            {"kind": "safeguarding", "since": "2026-11-01"},
            {"kind": "other", "since": "2026-04-01", "cleared": "2026-05-01"},
        ],
    )
    v = view(records(c)).client
    assert [x.signed for x in v.all_consents()] == [date(2026, 2, 3)]
    assert [(f.kind, f.cleared) for f in v.flags or ()] == [
        ("medical", None),
        ("other", date(2026, 5, 1)),
    ]
    old = view(records(client(consent={"signed": "2026-11-15", "expires": "2027-11-15"})))
    assert old.client.all_consents() == []


def test_undated_items_and_the_manager_are_read_as_they_are_now() -> None:
    p = plan(created="2026-12-01", goals=[{"id": "G1", "goal": "a", "target": "2027-01-01"}])
    r = records(client(manager="mkim", program="housing"), plan_=p)
    v = view(r)
    assert v.client == r.client
    assert v.plan == r.plan


# ------------------------------------------------------------------ properties


def _dated(r: ClientRecords) -> list[date]:
    """Every date of a dated record (not targets, dues, expiries or reviews)."""
    zone = zone_of(AGENCY)
    c = r.client
    out = [c.opened]
    out += [c.closed.date] if c.closed else []
    out += [x.signed for x in c.all_consents() if x.signed]
    out += [f.since for f in c.flags or ()] + [f.cleared for f in c.flags or () if f.cleared]
    out += [local_day(e.date, zone) for e in r.log]
    out += [local_day(e.recorded, zone) for e in r.log if e.recorded]
    out += [a.date for a in r.assessments.assessments]
    out += [g.status_date for g in r.plan.goals if g.status_date]
    out += [a.done for g in r.plan.goals for a in g.actions if a.done]
    out += [t.done for t in r.plan.tasks if t.done]
    out += [x.sent for x in r.plan.referrals]
    out += [x.status_date for x in r.plan.referrals if x.status_date]
    return out


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(client_records(), days)
def test_the_view_of_a_day_is_idempotent(r: ClientRecords, n: int) -> None:
    once = as_of(r, AGENCY, _day(n))
    assert (as_of(once, AGENCY, _day(n)) if once is not None else None) == once


@FAST
@given(client_records(), days)
def test_nothing_dated_after_the_day_appears(r: ClientRecords, n: int) -> None:
    v = as_of(r, AGENCY, _day(n))
    if v is None:
        assert r.client.opened > _day(n)
        return
    assert all(d <= _day(n) for d in _dated(v))


@st.composite
def with_later_records(draw: st.DrawFn) -> tuple[ClientRecords, date, ClientRecords]:
    """Records, a day, and the same records with things that happened after it."""
    r = draw(client_records())
    day = draw(days)
    after = st.integers(day + 1, DAYS + 40).map(_day)
    log = list(r.log)
    for i in range(draw(st.integers(0, 3))):
        log.append(note(f"later{i}", f"{draw(after).isoformat()} 10:00", "visit"))
    if draw(st.booleans()):  # a late entry dated on or before the day
        log.append(
            note("late", f"{_day(day).isoformat()} 09:00", "visit", recorded=f"{draw(after)} 08:00")
        )
    c = _later_client(draw, r.client, after)
    p = _later_plan(draw, r.plan, after, log)
    scored = [*r.assessments.assessments]
    if draw(st.booleans()):
        scored += assessments((draw(after).isoformat(), {"income": 2})).assessments
    assessed = r.assessments.model_copy(update={"assessments": scored})
    return r, _day(day), ClientRecords(c, assessed, p, tuple(log))


def _later_client(draw: st.DrawFn, c: Client, after: st.SearchStrategy[date]) -> Client:
    update: dict[str, Any] = {}
    if c.status == "active" and draw(st.booleans()):
        update["status"] = "closed"
        update["closed"] = _closure(max(draw(after), c.opened))
    flags = [
        f.model_copy(update={"cleared": draw(after)})
        if f.cleared is None and draw(st.booleans())
        else f
        for f in c.flags or ()
    ]
    flags += [f.model_copy(update={"since": draw(after), "cleared": None}) for f in flags[:1]]
    signed_later = [x.model_copy(update={"signed": draw(after)}) for x in c.all_consents()[:1]]
    consents = [*c.all_consents(), *signed_later]
    return c.model_copy(update={**update, "flags": flags, "consents": consents})


def _closure(day: date) -> Any:
    return client(status="closed", closed={"date": day, "reason": "moved"}).closed


def _later_plan(
    draw: st.DrawFn, p: Plan, after: st.SearchStrategy[date], log: list[LogEntry]
) -> Plan:
    goals = []
    for g in p.goals:
        actions = [
            a.model_copy(update={"done": draw(after)}) if a.done is None else a for a in g.actions
        ]
        if g.status == "active" and draw(st.booleans()):
            g = g.model_copy(update={"status": "met", "status_date": draw(after)})
        goals.append(g.model_copy(update={"actions": actions}))
    refs = []
    for x in p.referrals:
        if x.status != "delivered" and draw(st.booleans()):
            on = max(draw(after), x.sent)
            log.append(
                note(
                    f"upd-{x.id}",
                    f"{on.isoformat()} 15:00",
                    "referral",
                    changes=[f"{x.id} status {x.status} -> delivered"],
                )
            )
            x = x.model_copy(update={"status": "delivered", "status_date": on})
        refs.append(x)
    if p.referrals:  # a referral sent after the day
        refs.append(p.referrals[0].model_copy(update={"id": "R9", "sent": draw(after)}))
    return p.model_copy(update={"goals": goals, "referrals": refs})


@FAST
@given(with_later_records())
def test_records_dated_after_the_day_never_change_its_view(
    case: tuple[ClientRecords, date, ClientRecords],
) -> None:
    before, day, after = case
    assert as_of(after, AGENCY, day) == as_of(before, AGENCY, day)
