"""The quick ways of checking records give exactly what the Python validators give:
``schema._tolerant`` (pydantic's strict str/int/bool tried first) and the note time
read by ``datetime.fromisoformat`` (``model._to_datetime``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from casectl.checks import schema
from casectl.core import dates
from casectl.core.model import Assessment, Goal, LogEntry, _to_datetime
from casectl.core.values import MAX_YEAR, MIN_YEAR

_TEXTS = st.one_of(
    st.text(max_size=5),
    st.text(alphabet="ab\n\ud800", min_size=60, max_size=70),
    st.text(alphabet="a", min_size=63, max_size=66),  # a manager key's limit: 64
    st.text(alphabet="a", min_size=255, max_size=258),  # an id's limit: 256
    st.sampled_from(["jdoe", "visit", "contact", "g1", "plan", "client"]),
)
_VALUES = st.one_of(
    _TEXTS,
    st.integers(-3, 2000),
    st.floats(allow_nan=False, max_value=2000, min_value=-3),
    st.sampled_from([2.0, 30.0, 1440.0, 1441.0, -0.0, 10**30]),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.sampled_from(["2026-01-10 10:00", "2026-01-10T10:00", "2026-02-30 10:00", "1799-01-01"]),
    st.lists(_TEXTS, max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), _TEXTS, max_size=2),
)
LOG_KEYS = [
    *("id", "date", "by", "type", "minutes", "goals", "text", "amends", "to", "with", "mode"),
    *("recorded", "entered_by", "from", "what", "object", "decision", "changes", "stauts"),
]
_LOG_KEYS = st.sampled_from(LOG_KEYS)
# values at the limits: 64 (a manager key), 256 (an id), 1000 (a line); minutes 0..1440
EDGES = [
    *("a" * n for n in (0, 1, 63, 64, 65, 255, 256, 257, 999, 1000, 1001)),
    *(-1, 0, 1440, 1441, 0.0, 1440.0, 1441.0, 30.5, True, False, "30", None, ["a" * 257]),
]
_EDGES = st.sampled_from(EDGES)
_VALID_ENTRY = {"id": "n1", "date": "2026-01-10 10:00", "by": "jdoe", "type": "visit", "text": "a"}
# a valid entry with a few values changed, a few keys added or left out
_ENTRY = st.tuples(
    st.dictionaries(_LOG_KEYS, st.one_of(_EDGES, _VALUES), max_size=3),
    st.sets(_LOG_KEYS, max_size=2),
).map(lambda c: {k: v for k, v in (_VALID_ENTRY | c[0]).items() if k not in c[1]})
_GOAL_KEYS = st.sampled_from(
    ["id", "domain", "goal", "status", "actions", "status_date", "target", "x"]
)
_GOAL = st.dictionaries(_GOAL_KEYS, st.one_of(_EDGES, _VALUES), max_size=3)
_ASSESSMENT_KEYS = st.sampled_from(["date", "by", "domains", "strengths", "summary", "x"])
_SCORE = st.fixed_dictionaries(
    {"score": st.one_of(st.integers(0, 6), st.floats(0, 6))}, optional={"note": _VALUES}
)
_ASSESSMENT = st.dictionaries(
    _ASSESSMENT_KEYS,
    st.one_of(
        _VALUES,
        st.dictionaries(st.sampled_from(["housing", "food"]), st.one_of(_VALUES, _SCORE)),
    ),
    max_size=6,
)


def _as_before(tp: Any, items: list[Any]) -> list[Any]:
    """Each item as the record model itself validates it (None: not valid)."""
    out: list[Any] = []
    for item in items:
        try:
            out.append(TypeAdapter(tp).validate_python(item))
        except ValidationError:
            out.append(None)
    return out


def _same(tp: Any, items: list[Any]) -> None:
    kept, positions = schema.valid_items(tp, items)
    quick: list[Any] = [None] * len(items)
    for at, record in zip(positions, kept, strict=True):
        quick[at] = record
    for got, wanted in zip(quick, _as_before(tp, items), strict=True):
        if wanted is None:
            assert got is None
            continue
        assert type(got) is type(wanted)
        assert got.model_dump() == wanted.model_dump()
        assert {k: type(v) for k, v in dict(got).items()} == {
            k: type(v) for k, v in dict(wanted).items()
        }
        assert got.model_fields_set == wanted.model_fields_set
        assert got.__pydantic_extra__ == wanted.__pydantic_extra__


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ENTRY, max_size=4))
def test_log_entries_are_the_same_as_the_python_validators_make_them(items: list[Any]) -> None:
    _same(LogEntry, items)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_GOAL, max_size=3), st.lists(_ASSESSMENT, max_size=3))
def test_goals_and_assessments_too(goals: list[Any], assessments: list[Any]) -> None:
    goals = [{"id": "g1", "goal": "a"} | goal for goal in goals]
    assessments = [{"date": "2026-01-05", "by": "jdoe"} | one for one in assessments]
    _same(Goal, goals)
    _same(Assessment, assessments)


def test_each_value_at_the_limits_of_each_field() -> None:
    _same(LogEntry, [_VALID_ENTRY | {key: edge} for key in LOG_KEYS for edge in EDGES])
    goal = {"id": "g1", "goal": "a"}
    _same(Goal, [goal | {key: edge} for key in ("id", "domain", "goal") for edge in EDGES])
    scores = [{"housing": {"score": edge}} for edge in EDGES]
    _same(Assessment, [{"date": "2026-01-05", "by": "jdoe", "domains": d} for d in scores])


def test_the_quick_way_is_taken_for_log_entries() -> None:
    assert not isinstance(schema._tolerant(LogEntry), TypeAdapter)


def _slow(value: Any) -> datetime | None:
    parsed = dates.parse_datetime(value)
    if parsed is None or not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return None
    return parsed


@settings(max_examples=500)
@given(
    st.one_of(
        st.datetimes(min_value=datetime(1, 1, 1)).map(
            lambda d: d.strftime("%Y-%m-%d") + " T"[d.second % 2] + d.strftime("%H:%M")
        ),
        st.from_regex(r"\A[0-9٣]{4}-[0-9]{2}-[0-9]{2}[ Tt][0-9]{2}:[0-9]{2}\s?\Z"),
        st.text(alphabet="0123456789- T:", max_size=20),
        st.tuples(st.sampled_from([1, 1799, 1800, 2026, 2999, 3000, 9999]), st.integers(0, 99)).map(
            lambda y: f"{y[0]:04d}-{y[1] % 14:02d}-{y[1] % 33:02d} {y[1] % 26:02d}:{y[1]:02d}"
        ),
        st.dates().map(date.isoformat),
    )
)
def test_note_times_read_quickly_are_the_same(text: str) -> None:
    try:
        got: datetime | None = _to_datetime(text)
    except ValidationError:
        got = None
    except Exception as exc:  # PydanticCustomError: not a date and time, or out of range
        assert type(exc).__name__ == "PydanticCustomError"
        got = None
    wanted = _slow(text)
    assert got == wanted
    assert (got is None) or got.tzinfo is None


@pytest.mark.parametrize(
    "text", ["1799-12-31 23:59", "1800-01-01 00:00", "2999-12-31 23:59", "3000-01-01 00:00"]
)
def test_note_times_at_the_limits(text: str) -> None:
    test_note_times_read_quickly_are_the_same.hypothesis.inner_test(text)  # type: ignore[attr-defined]
