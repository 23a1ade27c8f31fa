"""iCalendar output: parsed back with the ``icalendar`` package, checked line by line."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import icalendar
from hypothesis import given
from hypothesis import strategies as st

from casectl.core.facts import ActionFact, ClientFacts, GoalFact
from casectl.core.model import Cadence
from casectl.core.schedule import DueItem, due_items, sort_items
from casectl.present.ics import escape_text, fold, to_ics
from casectl.present.output import CONTROL_CHARS

STAMP = datetime(2026, 11, 25, 14, 5, 9, tzinfo=UTC)
AGENCY = "Riverside Community Services"


def client(**changes: Any) -> ClientFacts:
    base = ClientFacts(
        id="rc-0042",
        name="Maria Lopez",
        status="active",
        manager="jdoe",
        program=None,
        opened=date(2026, 2, 3),
        closed=None,
        consent_expires=date(2026, 11, 30),
        plan_created=date(2026, 2, 10),
        goals=(GoalFact("G1", "Move into stable housing", "housing", "active", date(2026, 6, 30)),),
        actions=(
            ActionFact("G1", 0, "Apply for a housing voucher", "client", date(2026, 3, 1), None),
            ActionFact("G1", 1, "Apply for a second voucher", "client", date(2026, 3, 2), None),
        ),
    )
    return dataclasses.replace(base, **changes)


def items_for(*facts: ClientFacts, as_of: date = date(2026, 11, 24)) -> list[DueItem]:
    found: list[DueItem] = []
    for f in facts:
        found.extend(due_items(f, Cadence(), as_of))
    return sort_items(found)


def item(**changes: Any) -> DueItem:
    base = DueItem(
        client="rc-0042",
        name="Maria Lopez",
        manager="jdoe",
        kind="plan_review",
        what="plan review",
        due=date(2026, 5, 11),
        status="overdue",
        days=3,
        ref="rc-0042/plan_review",
    )
    return dataclasses.replace(base, **changes)


def parse(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text)


def events(text: str) -> list[Any]:
    return list(parse(text).walk("VEVENT"))


def unescape(value: object) -> str:
    """A TEXT value that icalendar leaves raw (X- properties): undo RFC 5545 escapes."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], str(value))


def physical_lines(text: str) -> list[str]:
    assert text.endswith("\r\n")
    return text[: -len("\r\n")].split("\r\n")


def test_one_event_per_item_with_calendar_header() -> None:
    items = items_for(client(), client(id="rc-0043", name="Sam Reyes"))
    # per client: plan review, initial assessment, contact, goal, two actions; consent is
    # due soon (Nov 30)
    assert len(items) == 14
    text = to_ics(items, AGENCY, STAMP)
    cal = parse(text)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == "-//casectl//casectl//EN"
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["X-WR-CALNAME"]) == AGENCY
    assert len(events(text)) == 14


def test_empty_list_is_still_a_calendar() -> None:
    text = to_ics([], "A, B; and C", STAMP)
    cal = parse(text)
    assert events(text) == []
    assert unescape(cal["X-WR-CALNAME"]) == "A, B; and C"
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")


def test_event_fields() -> None:
    chicago = timezone(timedelta(hours=-6))
    stamp = datetime(2026, 11, 24, 22, 30, tzinfo=chicago)  # 04:30 UTC the next day
    overdue = item()
    soon = item(
        kind="consent",
        what="consent expires",
        due=date(2026, 11, 30),
        status="due_soon",
        days=-6,
        ref="rc-0042/consent",
    )
    [a, b] = events(to_ics([overdue, soon], AGENCY, stamp))
    assert str(a["SUMMARY"]) == "Overdue: plan review — Maria Lopez (rc-0042)"
    assert str(b["SUMMARY"]) == "Due: consent expires — Maria Lopez (rc-0042)"
    assert a.decoded("DTSTART") == date(2026, 5, 11)
    assert a.decoded("DTEND") == date(2026, 5, 12)
    assert b.decoded("DTSTART") == date(2026, 11, 30)
    assert b.decoded("DTEND") == date(2026, 12, 1)
    assert a.decoded("DTSTAMP") == datetime(2026, 11, 25, 4, 30, tzinfo=UTC)
    assert a["CATEGORIES"].cats == ["plan_review"]
    assert b["CATEGORIES"].cats == ["consent"]
    desc = str(a["DESCRIPTION"])
    assert "Maria Lopez (rc-0042)" in desc
    assert "Manager: jdoe" in desc
    assert "2026-05-11 (3 days overdue)" in desc
    assert "due in 6 days" in str(b["DESCRIPTION"])


def test_month_end_rollover_in_dtend() -> None:
    [e] = events(to_ics([item(due=date(2028, 2, 29))], AGENCY, STAMP))
    assert e.decoded("DTEND") == date(2028, 3, 1)
    [e] = events(to_ics([item(due=date(2026, 12, 31))], AGENCY, STAMP))
    assert e.decoded("DTEND") == date(2027, 1, 1)


def test_naive_stamp_is_taken_as_utc() -> None:
    [e] = events(to_ics([item()], AGENCY, datetime(2026, 11, 25, 14, 5, 9)))
    assert e.decoded("DTSTAMP") == STAMP


def test_uids_are_stable_unique_and_follow_the_obligation() -> None:
    items = items_for(client(), client(id="rc-0043"))
    first = [str(e["UID"]) for e in events(to_ics(items, AGENCY, STAMP))]
    later = STAMP + timedelta(days=3)
    second = [str(e["UID"]) for e in events(to_ics(items, AGENCY, later))]
    assert first == second
    assert len(set(first)) == len(first) == len(items)
    assert all(uid.endswith("@casectl") for uid in first)
    # same obligation, new date (a review was recorded): same UID, so calendars update it
    moved = [str(e["UID"]) for e in events(to_ics([item(due=date(2026, 9, 1))], AGENCY, STAMP))]
    orig = [str(e["UID"]) for e in events(to_ics([item()], AGENCY, STAMP))]
    assert moved == orig
    # another agency's calendar does not collide
    other = [str(e["UID"]) for e in events(to_ics([item()], "Other Agency", STAMP))]
    assert other != orig


def test_output_is_deterministic() -> None:
    items = items_for(client())
    assert to_ics(items, AGENCY, STAMP) == to_ics(items, AGENCY, STAMP)


AWKWARD = "Zoë Ångström-Øster, Jr.; née 日本語 \\ back 🙂 and a very long surname indeed"


def test_crlf_and_folding_with_multibyte_text() -> None:
    items = [
        item(name=AWKWARD),
        item(
            kind="action",
            what="G1: Call the landlord, then the council; bring ID\nand the lease — ça va",
            ref="rc-0042/action/G1/0",
            name=AWKWARD * 2,
        ),
    ]
    text = to_ics(items, "Agence Rivière, Québec; Zoë 🙂", STAMP)
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")
    lines = physical_lines(text)
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)  # something really was folded
    # the folds fell between characters: every physical line is valid UTF-8 on its own
    for line in lines:
        line.encode("utf-8").decode("utf-8")
    [a, b] = events(text)
    assert str(a["SUMMARY"]) == f"Overdue: plan review — {AWKWARD} (rc-0042)"
    assert str(b["SUMMARY"]) == (
        "Overdue: G1: Call the landlord, then the council; bring ID\nand the lease — ça va"
        f" — {AWKWARD * 2} (rc-0042)"
    )
    assert f"Client: {AWKWARD * 2} (rc-0042)\n" in str(b["DESCRIPTION"])
    assert unescape(parse(text)["X-WR-CALNAME"]) == "Agence Rivière, Québec; Zoë 🙂"


def test_escape_text() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf\rg") == "a\\\\b\\;c\\,d\\ne\\nf\\ng"
    assert escape_text("tab\tok\x00\x07\x7f") == "tab\tok"


def test_fold_exact_boundaries() -> None:
    assert fold("x" * 75) == "x" * 75
    assert fold("x" * 76) == "x" * 75 + "\r\n x"
    assert fold("x" * 149) == "x" * 75 + "\r\n " + "x" * 74
    assert fold("x" * 150) == "x" * 75 + "\r\n " + "x" * 74 + "\r\n x"
    # a 2-octet character that would straddle octet 75 moves to the next line whole
    assert fold("x" * 74 + "é") == "x" * 74 + "\r\n é"


def test_fold_drops_raw_line_breaks() -> None:
    # escape_text turns newlines into "\\n" first; a raw one must never end a line early.
    assert fold("a\r\nb\nc") == "abc"


# Content lines never hold raw CR/LF (see the test above), so the round trip excludes them.
@given(
    st.text(
        alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"),
        max_size=400,
    )
)
def test_fold_property(text: str) -> None:
    folded = fold(text)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") and len(p) > 1 for p in parts[1:])
    assert parts[0] + "".join(p[1:] for p in parts[1:]) == text


@given(st.text(max_size=200))
def test_any_name_round_trips(name: str) -> None:
    text = to_ics([item(name=name)], AGENCY, STAMP)
    assert max(len(line.encode("utf-8")) for line in physical_lines(text)) <= 75
    [e] = events(text)
    # control characters other than tab and newline are not allowed in TEXT, and C1
    # controls and bidi overrides would be obeyed by a calendar: dropped
    kept = "".join(
        c
        for c in name.replace("\r\n", "\n").replace("\r", "\n")
        if c in "\t\n" or not re.match(f"[{CONTROL_CHARS}]", c)
    )
    assert str(e["SUMMARY"]) == f"Overdue: plan review — {kept} (rc-0042)"
