"""``stats``: period figures (contract 5.4) asserted key by key against answers
counted by hand on a small agency built here."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casectl.figures import ClientRecords, FiguresError, Period
from casectl.figures.asof import as_of
from casectl.figures.stats import Figures, client_figures, stats, total
from tests.builders import AGENCY, START, assessments, client, client_records, note, plan, records

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))


def agency_clients() -> list[ClientRecords]:
    """Eight clients; the comments say what each record adds to October's figures."""
    a = records(
        client("rc-a", opened="2026-01-05", manager="jdoe", program="housing"),
        note("a0", "2026-09-30 10:00", "visit", minutes=30),  # before the period
        note("a1", "2026-10-02 10:00", "visit", minutes=45),  # contact, client: served
        note("a2", "2026-10-05 11:00", "phone", minutes=15, **{"with": "family"}),
        note("a3", "2026-10-08 09:00", "referral", changes=["R2 status sent -> accepted"]),
        note("a4", "2026-10-10 09:00", "note", minutes=10),  # minutes only
        note("a5", "2026-10-20 22:00", "crisis", minutes=30),  # contact and crisis
        # a late entry: dated in the period, written after it: not counted (as-of `to`)
        note("a6", "2026-10-30 10:00", "visit", minutes=60, recorded="2026-11-02 09:00"),
        note("a7", "2026-11-02 09:00", "visit", minutes=20),  # after the period
        plan_=plan(
            goals=[
                {"id": "G1", "goal": "g", "status": "met", "status_date": "2026-10-19"},
                {"id": "G2", "goal": "g", "status": "met", "status_date": "2026-11-03"},
                {"id": "G3", "goal": "g", "status": "partly_met", "status_date": "2026-10-12"},
                {"id": "G4", "goal": "g", "status": "met", "status_date": "2026-09-15"},
                {"id": "G5", "goal": "g", "status": "met"},  # no date: in no period
            ],
            referrals=[
                # sent before, delivered in the period: counted as delivered
                {
                    "id": "R1",
                    "to": "x",
                    "sent": "2026-09-20",
                    "status": "delivered",
                    "status_date": "2026-10-22",
                },
                # sent in the period, delivered after it: accepted at `to` (entry a3)
                {
                    "id": "R2",
                    "to": "x",
                    "sent": "2026-10-05",
                    "status": "delivered",
                    "status_date": "2026-11-04",
                },
                # nothing happened in the period
                {
                    "id": "R3",
                    "to": "x",
                    "sent": "2026-08-01",
                    "status": "accepted",
                    "status_date": "2026-08-10",
                },
                {"id": "R4", "to": "x", "sent": "2026-11-01"},  # sent after the period
            ],
        ),
        assessed=assessments(
            ("2026-03-01", {"housing": 1, "income": 2, "food": 3}),
            ("2026-10-15", {"housing": 3, "income": 2, "food": 2, "health": 4}),
            ("2026-11-10", {"housing": 5}),  # after the period
        ),
    )
    # opened and closed inside the period
    b = records(
        client(
            "rc-b",
            opened="2026-10-03",
            status="closed",
            closed={"date": "2026-10-28", "reason": "moved"},
            manager="mkim",
        ),
        note("b1", "2026-10-03 09:00", "assessment", minutes=60),  # a contact type (format 2)
        assessed=assessments(("2026-10-03", {"housing": 2})),  # one only: no comparison
    )
    # on hold: open; a contact with a provider only: not served
    c = records(
        client("rc-c", opened="2025-06-01", status="on_hold", manager="mkim", program="housing"),
        note("c1", "2026-10-12 14:00", "email", minutes=5, **{"with": "provider"}),
    )
    # a contact with family only: counted in contacts, not in served
    d = records(
        client("rc-d", opened="2026-02-01", manager="jdoe"),
        note("d1", "2026-10-07 13:00", "meeting", minutes=30, **{"with": "family"}),
        assessed=assessments(("2026-10-02", {"housing": 2}), ("2026-10-25", {"housing": 1})),
    )
    # closed before the period: nothing
    e = records(
        client(
            "rc-e",
            opened="2025-01-01",
            status="closed",
            closed={"date": "2026-09-15", "reason": "goals_met"},
            manager="cara",
        )
    )
    # opened after the period: did not exist at `to`
    f = records(
        client("rc-f", opened="2026-11-05", manager="jdoe"),
        note("f1", "2026-11-05 10:00", "visit", minutes=30),
    )
    # closed after the period: open and active at `to`; times with offsets
    g = records(
        client(
            "rc-g",
            opened="2026-01-01",
            status="closed",
            closed={"date": "2026-11-02", "reason": "lost_contact"},
            manager="jdoe",
        ),
        note("g1", "2026-10-01T02:00:00+00:00", "visit", minutes=20),  # Sep 30 in Chicago
        note("g2", "2026-11-01T03:00:00+00:00", "phone", minutes=10),  # Oct 31 in Chicago
    )
    # closed on the first day: open (not closed before `from`) and closed in the period
    h = records(
        client(
            "rc-h",
            opened="2025-03-01",
            status="closed",
            closed={"date": "2026-10-01", "reason": "declined"},
            manager="jdoe",
        )
    )
    return [a, b, c, d, e, f, g, h]


ALL = {
    "from": "2026-10-01",
    "to": "2026-10-31",
    "open": 6,  # a b c d g h
    "served": 3,  # a b g
    "new": 1,  # b
    "closed": {"moved": 1, "declined": 1},
    "contacts": {"visit": 1, "phone": 2, "email": 1, "meeting": 1, "crisis": 1, "assessment": 1},
    "contacts_with": {"client": 4, "family": 2, "provider": 1},
    "minutes": 205,  # a 100, b 60, c 5, d 30, g 10
    "referrals": {"accepted": 1, "delivered": 1},
    "goals_met": 1,
    "crises": 1,
    "domains": {
        "housing": {"improved": 1, "same": 0, "worse": 1},
        "income": {"improved": 0, "same": 1, "worse": 0},
        "food": {"improved": 0, "same": 0, "worse": 1},
    },
}

JDOE = {
    "from": "2026-10-01",
    "to": "2026-10-31",
    "open": 4,  # a d g h
    "served": 2,  # a g
    "new": 0,
    "closed": {"declined": 1},
    "contacts": {"visit": 1, "phone": 2, "meeting": 1, "crisis": 1},
    "contacts_with": {"client": 3, "family": 2},
    "minutes": 140,
    "referrals": {"accepted": 1, "delivered": 1},
    "goals_met": 1,
    "crises": 1,
    "domains": ALL["domains"],
}

MKIM = {
    "from": "2026-10-01",
    "to": "2026-10-31",
    "open": 2,  # b c
    "served": 1,  # b
    "new": 1,
    "closed": {"moved": 1},
    "contacts": {"email": 1, "assessment": 1},
    "contacts_with": {"client": 1, "provider": 1},
    "minutes": 65,
    "referrals": {},
    "goals_met": 0,
    "crises": 0,
    "domains": {},
}


def test_every_figure_of_the_month_matches_the_hand_count() -> None:
    assert stats(agency_clients(), AGENCY, OCTOBER) == ALL


def test_keys_come_in_the_contract_order_and_counts_in_a_fixed_order() -> None:
    got = stats(agency_clients(), AGENCY, OCTOBER)
    assert list(got) == [
        "from", "to", "open", "served", "new", "closed", "contacts", "contacts_with",
        "minutes", "referrals", "goals_met", "crises", "domains",
    ]  # fmt: skip
    assert list(got["closed"]) == ["moved", "declined"]  # the contract's order of reasons
    # the agency's contact_types order (format 2 default)
    assert list(got["contacts"]) == ["visit", "phone", "email", "meeting", "crisis", "assessment"]
    assert list(got["referrals"]) == ["accepted", "delivered"]
    assert list(got["domains"]) == ["housing", "income", "food"]  # the agency's domain order
    # the same records in another order give the same text
    shuffled = list(reversed(agency_clients()))
    assert json.dumps(stats(shuffled, AGENCY, OCTOBER)) == json.dumps(got)


def test_by_manager_groups_by_the_managers_key_plus_all() -> None:
    got = stats(agency_clients(), AGENCY, OCTOBER, by="manager")
    # cara's only client was closed before the period: no figures, no group
    assert list(got) == ["jdoe", "mkim", "all"]
    assert got == {"jdoe": JDOE, "mkim": MKIM, "all": ALL}


def test_by_program_puts_clients_without_one_under_none() -> None:
    got = stats(agency_clients(), AGENCY, OCTOBER, by="program")
    assert list(got) == ["(none)", "housing", "all"]
    assert got["housing"]["open"] == 2  # a c
    assert got["housing"]["served"] == 1  # a
    assert got["(none)"]["open"] == 4  # b d g h
    assert got["(none)"]["minutes"] == 100  # b 60, d 30, g 10
    assert got["all"] == ALL


def test_a_group_named_all_is_refused() -> None:
    clients = [records(client("rc-x", manager="all"), note("x", "2026-10-02 10:00"))]
    with pytest.raises(FiguresError, match="'all'"):
        stats(clients, AGENCY, OCTOBER, by="manager")


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(FiguresError, match="--from 2026-11-01 is after --to 2026-10-31"):
        Period(date(2026, 11, 1), date(2026, 10, 31))


def test_format_1_counts_contacts_of_section_2_types() -> None:
    old = AGENCY.model_copy(update={"format": 1})
    got = stats(agency_clients(), old, OCTOBER)
    # an assessment entry is no contact in format 1: rc-b is no longer served
    assert got["contacts"] == {"visit": 1, "phone": 2, "email": 1, "meeting": 1, "crisis": 1}
    assert got["served"] == 2


def test_a_month_with_nothing_has_zeros_and_empty_objects() -> None:
    got = stats([], AGENCY, OCTOBER)
    assert got == {
        "from": "2026-10-01", "to": "2026-10-31", "open": 0, "served": 0, "new": 0,
        "closed": {}, "contacts": {}, "contacts_with": {}, "minutes": 0, "referrals": {},
        "goals_met": 0, "crises": 0, "domains": {},
    }  # fmt: skip
    assert stats([], AGENCY, OCTOBER, by="manager") == {"all": got}


def test_per_client_figures_add_up_to_the_agencys() -> None:
    clients = agency_clients()
    parts = [client_figures(r, AGENCY, OCTOBER) for r in clients]
    assert total(parts).to_json(OCTOBER, AGENCY) == ALL


LATER = [
    note("z1", "2026-11-03 10:00", "visit", minutes=40),
    note("z2", "2026-10-15 10:00", "crisis", minutes=40, recorded="2026-11-03 10:00"),
    note("z3", "2026-10-16 10:00", "referral", changes=["R1 status delivered -> closed_unmet"],
         recorded="2026-11-20 10:00"),
]  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(LATER)), max_size=6))
def test_a_past_months_figures_never_change_when_later_records_are_added(
    added: list[tuple[int, Any]],
) -> None:
    clients = agency_clients()
    for i, entry in added:
        r = clients[i]
        clients[i] = ClientRecords(r.client, r.assessments, r.plan, (*r.log, entry))
    assert stats(clients, AGENCY, OCTOBER) == ALL


@settings(max_examples=150, deadline=None)
@given(client_records(), st.integers(0, 120), st.integers(0, 40))
def test_a_clients_figures_are_those_of_its_view_at_the_periods_end(
    r: ClientRecords, first: int, length: int
) -> None:
    period = Period(START + timedelta(days=first), START + timedelta(days=first + length))
    view = as_of(r, AGENCY, period.end)
    expected = Figures() if view is None else client_figures(view, AGENCY, period)
    assert client_figures(r, AGENCY, period) == expected
