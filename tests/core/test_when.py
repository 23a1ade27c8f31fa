"""--date forms (core/dates.parse_when), late entries (`recorded:`), --with/--mode."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casectl.core import dates
from casectl.core.dates import WEEKDAYS, WhenError, parse_when
from casectl.store.load import load_text
from tests.builders import cli, client_files, commit_count, make_agency, run_git

CID = "rc-0001"
TODAY = date(2026, 11, 30)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-02", date(2026, 11, 2)),
        ("2026-11-02 14:30", datetime(2026, 11, 2, 14, 30)),
        ("today", TODAY),
        ("Today", TODAY),
        ("yesterday", date(2026, 11, 29)),
        ("today 14:30", datetime(2026, 11, 30, 14, 30)),
        ("yesterday 09:00", datetime(2026, 11, 29, 9, 0)),
        ("-2d", date(2026, 11, 28)),
        ("-0d", TODAY),
        ("monday", date(2026, 11, 23)),  # strictly before today, so a week ago today
        ("sunday", date(2026, 11, 29)),
        ("tuesday 8:15", datetime(2026, 11, 24, 8, 15)),
    ],
)
def test_accepted_forms(text: str, expected: date) -> None:
    assert parse_when(text, TODAY) == expected


def test_offset_is_kept() -> None:
    got = parse_when("2026-11-02T14:30:00-06:00", TODAY)
    assert isinstance(got, datetime) and got.utcoffset() == timedelta(hours=-6)


@pytest.mark.parametrize(
    "text", ["03/04", "3/4/2026", "tomorrow", "next monday", "2d", "-2 days", "noon", "", "mon"]
)
def test_ambiguous_or_unknown_is_refused_listing_the_forms(text: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_when(text, TODAY)
    assert "today, yesterday" in str(err.value) and "YYYY-MM-DD" in str(err.value)


@pytest.mark.parametrize("text", ["2026-12-01", "2026-12-01 00:00", "2099-01-01"])
def test_future_days_are_refused(text: str) -> None:
    with pytest.raises(WhenError, match="in the future"):
        parse_when(text, TODAY)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2900, 1, 1)))
def test_iso_dates_read_back_and_never_after_today(day: date) -> None:
    if day > TODAY:
        with pytest.raises(WhenError):
            parse_when(day.isoformat(), TODAY)
    else:
        assert parse_when(day.isoformat(), TODAY) == day


@given(st.dates(min_value=date(1900, 1, 8), max_value=date(2900, 1, 1)), st.sampled_from(WEEKDAYS))
def test_a_weekday_is_within_the_last_week(today: date, name: str) -> None:
    got = parse_when(name, today)
    assert isinstance(got, date) and not isinstance(got, datetime)
    assert 1 <= (today - got).days <= 7
    assert WEEKDAYS[got.weekday()] == name


@given(st.integers(0, 9999), st.integers(0, 23), st.integers(0, 59))
def test_days_ago_with_a_time(ago: int, hour: int, minute: int) -> None:
    got = parse_when(f"-{ago}d {hour:02d}:{minute:02d}", TODAY)
    assert got == datetime.combine(TODAY - timedelta(days=ago), datetime.min.time()).replace(
        hour=hour, minute=minute
    )


@given(st.text(max_size=20))
def test_anything_else_is_a_day_or_a_when_error(text: str) -> None:
    try:
        got = parse_when(text, TODAY)
    except WhenError:
        return
    assert dates.when_day(got) <= TODAY


# ------------------------------------------------------------------ through the CLI


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_agency(tmp_path / "ag", {CID: client_files(CID)})


def _entries(root: Path) -> list[dict[str, object]]:
    loaded = load_text("log.yaml", (root / "clients" / CID / "log.yaml").read_bytes())
    assert loaded.problems == [] and isinstance(loaded.data, list)
    return loaded.data


def test_a_late_note_gets_recorded_and_is_in_order(root: Path) -> None:
    log = root / "clients" / CID / "log.yaml"
    before = log.read_bytes()
    r = cli("-C", root, "note", CID, "Called back.", "--date", "-2d 09:00", "--type", "phone")
    assert r.exit_code == 0, r.stderr
    last = _entries(root)[-1]
    assert isinstance(last["recorded"], str) and len(last["recorded"]) == 16
    assert str(last["date"]).endswith(" 09:00")
    assert log.read_bytes().startswith(before)  # appended, nothing else touched
    # Dated before the entry before it, yet in order: CM421 compares `recorded`.
    r = cli("-C", root, "note", CID, "Earlier visit.", "--date", "2026-01-08 10:00")
    assert r.exit_code == 0, r.stderr
    assert cli("-C", root, "validate").exit_code == 0


def test_a_note_within_24_hours_has_no_recorded(root: Path) -> None:
    r = cli("-C", root, "note", CID, "Now.")
    assert r.exit_code == 0, r.stderr
    assert "recorded" not in _entries(root)[-1]
    assert "format: 1" in (root / "casectl.yaml").read_text()


def test_note_with_and_mode_bump_the_format_in_the_same_commit(root: Path) -> None:
    commits = commit_count(root)
    r = cli("-C", root, "note", CID, "Spoke to the landlord.", "--with", "other", "--mode", "phone")
    assert r.exit_code == 0, r.stderr
    last = _entries(root)[-1]
    assert last["with"] == "other" and last["mode"] == "phone"
    assert commit_count(root) == commits + 1
    changed = sorted(run_git(root, "show", "--name-only", "--format=", "HEAD").split())
    assert changed == ["casectl.yaml", f"clients/{CID}/log.yaml"]
    assert "casectl.yaml: format 1 -> 2 (this change uses format 2 fields)" in r.stderr
    assert run_git(root, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--with", "neighbour"], "--with: 'neighbour' is not one of client, family"),
        (["--mode", "pigeon"], "--mode: 'pigeon' is not one of in_person"),
        (["--date", "03/04"], "--date: '03/04' is not a date or time casectl reads"),
        (["--date", "tomorrow"], "today, yesterday"),
    ],
)
def test_bad_with_mode_date_are_refused(root: Path, args: list[str], message: str) -> None:
    log = (root / "clients" / CID / "log.yaml").read_bytes()
    r = cli("-C", root, "note", CID, "x", *args)
    assert r.exit_code == 2 and message in r.stderr, r.stderr
    assert (root / "clients" / CID / "log.yaml").read_bytes() == log


def test_review_takes_the_same_date_forms(root: Path) -> None:
    r = cli("-C", root, "review", CID, "Reviewed.", "--date", "-3d")
    assert r.exit_code == 0, r.stderr
    last = _entries(root)[-1]
    assert last["type"] == "review" and "recorded" in last


def test_reports_show_a_late_entry(root: Path) -> None:
    r = cli("-C", root, "note", CID, "Home visit written up late.", "--date", "-3d 10:00")
    assert r.exit_code == 0, r.stderr
    for fmt in ("md", "html"):
        r = cli("-C", root, "report", CID, "--format", fmt)
        assert r.exit_code == 0, r.stderr
        assert "late entry (recorded " in r.stdout
