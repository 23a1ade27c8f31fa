"""What is due (contract section 2): hand-computed dates and properties of the rules."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from casectl.core.dates import Duration
from casectl.core.facts import (
    DETAIL_FIELDS,
    SUMMARY_FIELDS,
    ActionFact,
    ClientFacts,
    GoalFact,
)
from casectl.core.model import Cadence
from casectl.core.schedule import (
    KINDS,
    RULES,
    ClientSchedule,
    DueItem,
    client_schedule,
    due_dates,
    due_items,
    effective_cadence,
    items_from_json,
    items_from_schedule,
    sort_items,
)
from casectl.read.agency import today_in, zone_named

DEFAULT = Cadence()


def make(**changes: Any) -> ClientFacts:
    """An active client with no notes, plan or assessment unless ``changes`` add them."""
    base = ClientFacts(
        id="rc-0042",
        name="Maria Lopez",
        status="active",
        manager="jdoe",
        program=None,
        opened=date(2026, 2, 3),
        closed=None,
        consent_expires=None,
    )
    return dataclasses.replace(base, **changes)


def cadence(**values: str) -> Cadence:
    return Cadence.model_validate(values)


def dues(facts: ClientFacts, agency: Cadence = DEFAULT) -> dict[str, tuple[str, date]]:
    """kind/ref -> (what, due), for the one-per-client kinds keyed by kind."""
    return {ref.split("/", 1)[1]: (what, due) for _, what, ref, due in due_dates(facts, agency)}


# ------------------------------------------------------------ hand-computed dates


def test_new_client_with_nothing_recorded_falls_back_to_opened() -> None:
    # opened 2026-02-03, default cadence, no notes, no plan date, no assessment
    assert dues(make()) == {
        "plan_review": ("plan review", date(2026, 5, 4)),  # + 90 days
        "assessment": ("initial assessment", date(2026, 2, 17)),  # + 14 days
        "contact": ("contact", date(2026, 3, 5)),  # + 30 days
    }


def test_plan_created_then_last_review_take_precedence() -> None:
    created = make(plan_created=date(2026, 2, 10))
    assert dues(created)["plan_review"] == ("plan review", date(2026, 5, 11))
    reviewed = make(plan_created=date(2026, 2, 10), last_review=date(2026, 4, 1))
    assert dues(reviewed)["plan_review"] == ("plan review", date(2026, 6, 30))


def test_last_contact_and_last_assessment_are_the_base() -> None:
    f = make(last_contact=date(2026, 3, 20), last_assessment=date(2026, 2, 5))
    got = dues(f)
    assert got["contact"] == ("contact", date(2026, 4, 19))
    assert got["assessment"] == ("reassessment", date(2026, 8, 4))  # + 180 days


def test_calendar_months_clamp_to_month_end() -> None:
    agency = cadence(plan_review="1 month", reassessment="6 months")
    f = make(last_review=date(2026, 1, 31), last_assessment=date(2025, 8, 31))
    got = dues(f, agency)
    assert got["plan_review"][1] == date(2026, 2, 28)
    assert got["assessment"][1] == date(2026, 2, 28)
    later = make(last_review=date(2026, 3, 31), last_assessment=date(2026, 8, 31))
    got = dues(later, agency)
    assert got["plan_review"][1] == date(2026, 4, 30)
    assert got["assessment"][1] == date(2027, 2, 28)


def test_leap_days() -> None:
    agency = cadence(reassessment="1 year", contact="1 year", plan_review="90 days")
    f = make(
        opened=date(2027, 1, 1),
        last_assessment=date(2028, 2, 29),
        last_contact=date(2027, 2, 28),
        last_review=date(2028, 2, 29),
    )
    got = dues(f, agency)
    assert got["assessment"][1] == date(2029, 2, 28)
    assert got["contact"][1] == date(2028, 2, 28)  # not the 29th
    assert got["plan_review"][1] == date(2028, 5, 29)


def test_per_client_override_beats_agency_cadence() -> None:
    f = make(last_contact=date(2026, 3, 1), cadence={"contact": "14 days", "due_soon": "1 week"})
    eff = effective_cadence(DEFAULT, f)
    assert eff["contact"] == Duration(14, "days")
    assert eff["due_soon"] == Duration(1, "weeks")
    assert eff["plan_review"] == Duration(90, "days")  # untouched keys stay the agency's
    assert dues(f)["contact"][1] == date(2026, 3, 15)
    # and the agency's own setting is used when the client has none
    assert dues(make(last_contact=date(2026, 3, 1)), cadence(contact="2 weeks"))["contact"][
        1
    ] == date(2026, 3, 15)


def test_goals_actions_and_consent() -> None:
    f = make(
        consent_expires=date(2027, 2, 3),
        goals=(
            GoalFact("G1", "Move into stable housing", "housing", "active", date(2026, 6, 30)),
            GoalFact("G2", "Find work", "employment", "met", date(2026, 5, 1)),
            GoalFact("G3", "Open a bank account", "income", "active", None),
        ),
        actions=(
            ActionFact("G1", 0, "Apply for a housing voucher", "client", date(2026, 3, 1), None),
            ActionFact("G1", 1, "Visit two flats", "client", date(2026, 3, 9), date(2026, 3, 8)),
            ActionFact("G2", 0, "Update the CV", None, None, None),
            ActionFact("G3", 0, "Get an ID card", "jdoe", date(2026, 4, 2), None),
        ),
    )
    got = dues(f)
    assert got["goal/G1"] == ("G1: Move into stable housing", date(2026, 6, 30))
    assert got["action/G1/0"] == ("G1: Apply for a housing voucher", date(2026, 3, 1))
    assert got["action/G3/0"] == ("G3: Get an ID card", date(2026, 4, 2))
    assert got["consent"] == ("consent expires", date(2027, 2, 3))
    assert "goal/G2" not in got  # met
    assert "goal/G3" not in got  # no target
    assert "action/G1/1" not in got  # done
    assert "action/G2/0" not in got  # no due date
    assert len(got) == 3 + 4


def test_on_hold_has_plan_review_only_and_closed_nothing() -> None:
    busy = make(
        consent_expires=date(2026, 1, 1),
        goals=(GoalFact("G1", "Housing", None, "active", date(2026, 1, 1)),),
        actions=(ActionFact("G1", 0, "Call", None, date(2026, 1, 1), None),),
    )
    on_hold = dataclasses.replace(busy, status="on_hold")
    assert [(k, d) for k, _, _, d in due_dates(on_hold, DEFAULT)] == [
        ("plan_review", date(2026, 5, 4))
    ]
    closed = dataclasses.replace(busy, status="closed", closed=date(2026, 3, 1))
    assert due_dates(closed, DEFAULT) == []
    assert due_items(closed, DEFAULT, date(2030, 1, 1)) == []
    assert len(due_dates(busy, DEFAULT)) == 6


# ------------------------------------------------------------ due_items: the window


def _action_due(day: date) -> ClientFacts:
    # contact/plan/assessment far in the future so only the action can show up
    far = date(2026, 12, 1)
    return make(
        last_review=far,
        last_contact=far,
        last_assessment=far,
        actions=(ActionFact("G1", 0, "Apply for a housing voucher", "client", day, None),),
    )


def test_due_soon_boundary_is_inclusive() -> None:
    as_of = date(2026, 3, 1)
    on_edge = due_items(_action_due(date(2026, 3, 15)), DEFAULT, as_of)  # exactly 14 days
    assert [(i.status, i.days) for i in on_edge] == [("due_soon", -14)]
    assert due_items(_action_due(date(2026, 3, 16)), DEFAULT, as_of) == []  # 15 days
    today = due_items(_action_due(as_of), DEFAULT, as_of)
    assert [(i.status, i.days) for i in today] == [("due_soon", 0)]
    yesterday = due_items(_action_due(date(2026, 2, 28)), DEFAULT, as_of)
    assert [(i.status, i.days) for i in yesterday] == [("overdue", 1)]


def test_within_replaces_the_due_soon_window() -> None:
    as_of = date(2026, 3, 1)
    f = _action_due(date(2026, 3, 8))
    assert len(due_items(f, DEFAULT, as_of, within=Duration(7, "days"))) == 1
    assert due_items(f, DEFAULT, as_of, within=Duration(6, "days")) == []
    assert due_items(f, DEFAULT, as_of, within=Duration(0, "days")) == []
    # a month window is a calendar month: 2026-03-01 + 1 month = 2026-04-01
    g = _action_due(date(2026, 4, 1))
    assert len(due_items(g, DEFAULT, as_of, within=Duration(1, "months"))) == 1


def test_client_due_soon_override_sets_the_window() -> None:
    f = dataclasses.replace(_action_due(date(2026, 3, 20)), cadence={"due_soon": "3 weeks"})
    assert len(due_items(f, DEFAULT, date(2026, 3, 1))) == 1
    assert due_items(_action_due(date(2026, 3, 20)), DEFAULT, date(2026, 3, 1)) == []


def test_due_item_fields_and_json() -> None:
    f = make(opened=date(2026, 1, 1))
    items = due_items(f, DEFAULT, date(2026, 2, 10))
    by_kind = {i.kind: i for i in items}
    assert set(by_kind) == {"assessment", "contact"}  # plan review (Apr 1) is further out
    a = by_kind["assessment"]
    assert a == DueItem(
        client="rc-0042",
        name="Maria Lopez",
        manager="jdoe",
        kind="assessment",
        what="initial assessment",
        due=date(2026, 1, 15),
        status="overdue",
        days=26,
        ref="rc-0042/assessment",
    )
    assert a.to_json() == {
        "client": "rc-0042",
        "name": "Maria Lopez",
        "manager": "jdoe",
        "kind": "assessment",
        "what": "initial assessment",
        "due": "2026-01-15",
        "status": "overdue",
        "days": 26,
    }
    assert by_kind["contact"].to_json()["due"] == "2026-01-31"


def test_sort_items_by_date_client_kind_what() -> None:
    def item(client: str, kind: Any, what: str, due: date) -> DueItem:
        return DueItem(client, client.upper(), "jdoe", kind, what, due, "overdue", 1, what)

    d1, d2 = date(2026, 3, 1), date(2026, 3, 2)
    items = [
        item("b", "contact", "contact", d1),
        item("a", "action", "G2: x", d1),
        item("a", "action", "G1: y", d1),
        item("a", "plan_review", "plan review", d1),
        item("a", "consent", "consent expires", d2),
        item("a", "assessment", "reassessment", d1),
    ]
    got = [(i.due.day, i.client, i.kind, i.what) for i in sort_items(items)]
    rows = [i.to_json() for i in sort_items(items)]
    assert rows == sorted(rows, key=lambda r: (r["due"], r["client"], r["kind"], r["what"]))
    # the kinds by name, as `sorted` orders the json rows' (due, client, kind, what)
    assert got == [
        (1, "a", "action", "G1: y"),
        (1, "a", "action", "G2: x"),
        (1, "a", "assessment", "reassessment"),
        (1, "a", "plan_review", "plan review"),
        (1, "b", "contact", "contact"),
        (2, "a", "consent", "consent expires"),
    ]


# ------------------------------------------------------------------------ today_in


def test_today_in_near_midnight() -> None:
    chicago, utc = zone_named("America/Chicago"), zone_named("UTC")
    late = datetime(2026, 11, 25, 5, 30, tzinfo=UTC)
    assert today_in(chicago, late) == date(2026, 11, 24)  # 23:30 CST
    assert today_in(chicago, datetime(2026, 11, 25, 6, 0, tzinfo=UTC)) == date(2026, 11, 25)
    assert today_in(utc, late) == date(2026, 11, 25)
    auckland = zone_named("Pacific/Auckland")
    assert today_in(auckland, datetime(2026, 11, 24, 11, 30, tzinfo=UTC)) == date(2026, 11, 25)
    # summer time: 04:30Z in July is 23:30 CDT the day before
    assert today_in(chicago, datetime(2026, 7, 1, 4, 30, tzinfo=UTC)) == date(2026, 6, 30)
    # an aware now in another zone is converted, not read as wall time
    tokyo = timezone(timedelta(hours=9))
    assert today_in(utc, datetime(2026, 11, 25, 8, 0, tzinfo=tokyo)) == date(2026, 11, 24)


@pytest.mark.parametrize("name", ["Mars/Olympus", "America", "", "../etc/passwd", "/etc/x"])
def test_unknown_zones_are_none_never_an_exception(name: str) -> None:
    assert zone_named(name) is None  # casectl.yaml's check says so (CM5xx); UTC meanwhile
    assert today_in(None, datetime(2026, 1, 1, 23, 30, tzinfo=UTC)) == date(2026, 1, 1)


def test_today_in_reads_the_clock() -> None:
    before = datetime.now(UTC).date()
    got = today_in(zone_named("UTC"))
    assert before <= got <= datetime.now(UTC).date()


# ---------------------------------------------------------------------- properties

DAY0 = date(2020, 1, 1)
days_ = st.integers(min_value=0, max_value=365 * 10).map(lambda n: DAY0 + timedelta(days=n))
durations = st.one_of(
    st.builds(Duration, st.integers(0, 400), st.just("days")),
    st.builds(Duration, st.integers(0, 60), st.just("weeks")),
    st.builds(Duration, st.integers(0, 24), st.just("months")),
    st.builds(Duration, st.integers(0, 3), st.just("years")),
)
KEYS = ("plan_review", "reassessment", "initial_assessment", "contact", "due_soon")
cadences = st.fixed_dictionaries({}, optional={k: durations for k in KEYS}).map(
    lambda d: Cadence(**d)
)
overrides = st.fixed_dictionaries({}, optional={k: durations.map(str) for k in KEYS})
goal_ids = st.sampled_from(["G1", "G2", "G3"])


@st.composite
def client_facts(draw: st.DrawFn) -> ClientFacts:
    goals = draw(
        st.lists(
            st.builds(
                GoalFact,
                goal_ids,
                st.text(max_size=20),
                st.none(),
                st.sampled_from(["active", "met", "partly_met", "not_met", "dropped"]),
                st.none() | days_,
            ),
            max_size=3,
            unique_by=lambda g: g.id,
        )
    )
    actions = tuple(
        ActionFact(gid, i, text, None, due, done)
        for gid in ("G1", "G2")
        for i, (text, due, done) in enumerate(
            draw(
                st.lists(
                    st.tuples(st.text(max_size=10), st.none() | days_, st.none() | days_),
                    max_size=3,
                )
            )
        )
    )
    return ClientFacts(
        id=draw(st.from_regex(r"[a-z0-9][a-z0-9-]{0,8}", fullmatch=True)),
        name=draw(st.text(max_size=20)),
        status=draw(st.sampled_from(["active", "active", "on_hold", "closed"])),
        manager="jdoe",
        program=None,
        opened=draw(days_),
        closed=None,
        consent_expires=draw(st.none() | days_),
        cadence=draw(overrides),
        plan_created=draw(st.none() | days_),
        last_review=draw(st.none() | days_),
        last_contact=draw(st.none() | days_),
        last_assessment=draw(st.none() | days_),
        goals=tuple(goals),
        actions=actions,
    )


@settings(max_examples=200, deadline=None)
@given(client_facts(), cadences, days_, st.none() | durations)
def test_overdue_iff_before_as_of_and_days_are_exact(
    facts: ClientFacts, agency: Cadence, as_of: date, within: Duration | None
) -> None:
    items = due_items(facts, agency, as_of, within)
    window = within or effective_cadence(agency, facts)["due_soon"]
    horizon = as_of + window.delta()
    for item in items:
        assert (item.status == "overdue") == (item.due < as_of)
        assert item.days == (as_of - item.due).days
        assert item.due <= horizon
        assert item.client == facts.id
    # nothing within the window is left out, and refs identify items uniquely
    expected = sorted(ref for _, _, ref, due in due_dates(facts, agency) if due <= horizon)
    assert sorted(i.ref for i in items) == expected
    assert len(set(expected)) == len(expected)
    if facts.status == "closed":
        assert items == []
    if facts.status == "on_hold":
        assert {i.kind for i in items} <= {"plan_review"}


def _days_for(facts: ClientFacts, agency: Cadence, kind: str, as_of: date) -> int:
    [due] = [d for k, _, _, d in due_dates(facts, agency) if k == kind]
    return (as_of - due).days


@settings(max_examples=200, deadline=None)
@given(
    client_facts(),
    cadences,
    days_,
    st.sampled_from(["plan_review", "contact", "assessment"]),
    st.integers(0, 800),
)
def test_a_newer_record_never_makes_its_kind_more_overdue(
    facts: ClientFacts, agency: Cadence, as_of: date, kind: str, later: int
) -> None:
    facts = dataclasses.replace(facts, status="active")
    if kind == "plan_review":
        base = facts.last_review or facts.plan_created or facts.opened
        newer = dataclasses.replace(facts, last_review=base + timedelta(days=later))
    elif kind == "contact":
        base = facts.last_contact or facts.opened
        newer = dataclasses.replace(facts, last_contact=base + timedelta(days=later))
    else:
        if facts.last_assessment is None:
            # from "initial" to "re-": only comparable when reassessment is the longer one
            eff = effective_cadence(agency, facts)
            re_, init = eff["reassessment"], eff["initial_assessment"]
            assume(re_.unit == init.unit and re_.count >= init.count)
        base = facts.last_assessment or facts.opened
        newer = dataclasses.replace(facts, last_assessment=base + timedelta(days=later))
    assert _days_for(newer, agency, kind, as_of) <= _days_for(facts, agency, kind, as_of)
    before = {i.kind: i.days for i in due_items(facts, agency, as_of)}
    for item in due_items(newer, agency, as_of):
        if item.kind == kind:
            assert kind in before and item.days <= before[kind]


# ------------------------------------------------------------ the cache's JSON form


@settings(max_examples=200, deadline=None)
@given(client_facts())
def test_facts_json_round_trips(facts: ClientFacts) -> None:
    """The cache's JSON of facts is derived from the fields: every field comes back."""
    data = facts.to_json()
    assert set(data) == {f.name for f in dataclasses.fields(ClientFacts)}
    assert ClientFacts.from_json(data) == facts


@settings(max_examples=100, deadline=None)
@given(client_facts())
def test_facts_summary_is_every_field_but_the_collections(facts: ClientFacts) -> None:
    """The cache keeps facts in two parts derived from the fields: a summary (what
    `list` reads) and the collections; the summary alone leaves only those empty."""
    data = facts.to_json()
    assert set(SUMMARY_FIELDS) | set(DETAIL_FIELDS) == set(data)
    assert not set(SUMMARY_FIELDS) & set(DETAIL_FIELDS)
    summary = {name: data[name] for name in SUMMARY_FIELDS}
    empty = dataclasses.replace(facts, cadence={}, goals=(), actions=(), contact_dates=())
    assert ClientFacts.from_json(summary, summary_only=True) == empty
    assert ClientFacts.from_json({**summary, "opened": "x"}, summary_only=True) is None


@settings(max_examples=200, deadline=None)
@given(client_facts(), cadences)
def test_schedule_json_round_trips(facts: ClientFacts, cadence: Cadence) -> None:
    plan = client_schedule(facts, cadence)
    assert ClientSchedule.from_json(plan.to_json()) == plan


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("goals"),
        lambda d: d.__setitem__("goals", [["G1", "x"]]),  # a row of the wrong width
        lambda d: d.__setitem__("opened", "2026-13-01"),
        lambda d: d.__setitem__("contact_dates", ["x"]),
        lambda d: d.__setitem__("actions", 7),
    ],
)
def test_damaged_facts_json_is_none_not_an_exception(damage: Any) -> None:
    data = _busy().to_json()
    damage(data)
    assert ClientFacts.from_json(data) is None
    assert ClientFacts.from_json("not a mapping") is None


@settings(max_examples=200, deadline=None)
@given(client_facts(), cadences, days_, st.none() | durations, st.booleans())
def test_items_from_the_cached_rows_are_those_of_the_decoded_schedule(
    facts: ClientFacts, cadence: Cadence, as_of: date, within: Duration | None, errors: bool
) -> None:
    """`due` takes its items straight from the cache's rows (no schedule decoded):
    exactly the items, in the same order, of the schedule they encode."""
    plan = dataclasses.replace(client_schedule(facts, cadence), errors=errors)
    expected = items_from_schedule(plan, as_of, within)
    assert items_from_json(plan.to_json(), as_of, within) == (plan.manager, expected)


def test_damaged_schedule_json_is_none_not_an_exception() -> None:
    good = client_schedule(_busy(), Cadence()).to_json()
    for damage in (
        {**good, "due_soon": [14, "fortnights"]},
        {**good, "dates": [["no_such_kind", "x", "r", 739000]]},
        {**good, "dates": [["contact", "x"]]},
        {k: v for k, v in good.items() if k != "client"},
    ):
        assert ClientSchedule.from_json(damage) is None
        assert items_from_json(damage, date(2026, 6, 1)) is None
    # the rows beyond the horizon are checked too; any value of the wrong type is damage
    far = [["contact", "x", "r", 999_999_999], ["contact", "x", "r", "739000"]]
    for damage in (
        *({**good, "dates": [*good["dates"], row]} for row in far),
        {**good, "dates": [["contact", 5, "r", 739000]]},
        {**good, "errors": "no"},
        {**good, "manager": 7},
        {**good, "due_soon": ["14", "days"]},
        "not a mapping",
        None,
    ):
        assert items_from_json(damage, date(2026, 6, 1)) is None


def test_every_kind_is_in_the_table_in_contract_order() -> None:
    """One table of kinds: the contract's order, `record` last (for errors only)."""
    # The contract's kinds (section 2, then 5.2 in CASEWORK.md's order), `record` last.
    assert KINDS == (
        "plan_review", "assessment", "contact", "goal", "action", "consent", "task",
        "referral", "flag_review", "initial_plan", "approval", "retention", "record",
    )  # fmt: skip
    assert tuple(RULES) == KINDS[:-1]
    assert RULES["plan_review"].statuses == {"active", "on_hold"}
    assert all(RULES[k].statuses == {"active"} for k in KINDS[1:6])
    assert RULES["task"].statuses == {"active", "on_hold", "closed"}
    assert RULES["referral"].statuses == {"active", "on_hold"}
    assert RULES["flag_review"].statuses == {"active", "on_hold"}
    assert RULES["initial_plan"].statuses == {"active"}
    assert RULES["approval"].statuses == {"active", "on_hold", "closed"}
    assert RULES["retention"].statuses == {"closed"}


def _busy() -> ClientFacts:
    return make(
        goals=(GoalFact("G1", "Housing", None, "active", date(2026, 6, 1)),),
        actions=(ActionFact("G1", 0, "Apply", "client", date(2026, 3, 1), None),),
        contact_dates=(date(2026, 2, 10),),
    )
