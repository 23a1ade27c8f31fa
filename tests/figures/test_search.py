"""``search``: notes whose text matches words (case-insensitive, any order, whole
words) or a guarded regex; filters; order; json rows; highlight spans."""

from __future__ import annotations

import io
import re
import time
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casectl.figures import ClientRecords, FiguresError
from casectl.figures.search import MAX_PATTERN, compile_pattern, search, spans
from casectl.present.output import Output
from casectl.present.search import write_json
from casectl.present.text import json_list
from tests.builders import AGENCY, client, note, records


def caseload() -> list[ClientRecords]:
    return [
        records(
            client("rc-b", manager="mkim"),
            note("b2", "2026-03-02 09:00", "phone", "Voucher approved; housing next."),
            note("b1", "2026-03-01 09:00", "visit", "Talked about food."),
        ),
        records(
            client("rc-a", manager="jdoe"),
            note("a1", "2026-03-02 09:00", "visit", "Housing VOUCHER application sent."),
            note("a2", "2026-03-05 10:00", "note", "Café visit; housing voucher pending."),
            # 03:00 UTC on Mar 2 is Mar 1 in Chicago, 21:00: first in date order
            note("a0", "2026-03-02T03:00:00+00:00", "email", "voucher housing"),
        ),
    ]


def ids(pattern: str, regex: bool = False, **filters: object) -> list[str]:
    found = search(caseload(), AGENCY, compile_pattern(pattern, regex=regex), **filters)  # type: ignore[arg-type]
    return [h.id for h in found]


def test_words_match_whole_words_in_any_order_whatever_the_case() -> None:
    assert ids("voucher housing") == ["a0", "a1", "b2", "a2"]
    assert ids("HOUSING Voucher") == ["a0", "a1", "b2", "a2"]
    assert ids("vouch") == []  # a word, not a part of one
    assert ids("voucher food") == []  # every word must appear
    assert ids("café") == ["a2"]
    assert ids("CAFÉ") == ["a2"]
    assert ids("approved;") == ["b2"]


def test_results_are_sorted_by_date_then_client_then_id() -> None:
    found = search(caseload(), AGENCY, compile_pattern("housing"))
    assert [(h.client, h.id) for h in found] == [
        ("rc-a", "a0"),  # Mar 1, 21:00 in the agency's zone
        ("rc-a", "a1"),  # Mar 2 09:00, client rc-a before rc-b
        ("rc-b", "b2"),
        ("rc-a", "a2"),
    ]


def test_filters_client_manager_type_and_dates() -> None:
    assert ids("voucher", client="rc-b") == ["b2"]
    assert ids("voucher", manager="jdoe") == ["a0", "a1", "a2"]
    assert ids("voucher", note_type="visit") == ["a1"]
    assert ids("voucher", start=date(2026, 3, 2)) == ["a1", "b2", "a2"]  # a0 is Mar 1 here
    assert ids("voucher", end=date(2026, 3, 1)) == ["a0"]
    assert ids("voucher", start=date(2026, 3, 2), end=date(2026, 3, 2)) == ["a1", "b2"]


def test_json_rows_have_the_contract_keys() -> None:
    (hit,) = search(caseload(), AGENCY, compile_pattern("approved"))
    assert hit.to_json() == {
        "client": "rc-b",
        "id": "b2",
        "date": "2026-03-02 09:00",
        "by": "jdoe",
        "type": "phone",
        "text": "Voucher approved; housing next.",
    }


def test_a_regex_is_a_python_regex_as_written() -> None:
    assert ids(r"vouchers?\b", regex=True) == ["a0", "a2"]  # case-sensitive as written
    assert ids(r"(?i)VOUCHER\s+(approved|application)", regex=True) == ["a1", "b2"]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(unclosed", "not a valid regular expression: missing ), unterminated subpattern"),
        ("x" * (MAX_PATTERN + 1), f"longer than {MAX_PATTERN} characters"),
        ("(a+)+$", "repetition inside a repetition"),
        ("(a*b?)*c", "repetition inside a repetition"),
        ("(?:x|(y{2,})*)+", "repetition inside a repetition"),
    ],
)
def test_bad_or_dangerous_regexes_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(FiguresError, match=re.escape(message)):
        compile_pattern(pattern, regex=True)


def test_safe_forms_of_repetition_are_allowed() -> None:
    for pattern in [r"(?>a+)+b", r"(a++)+b", r"(foo|bar)+", r"a{2}(bc)+", r"(ab)?c+"]:
        compile_pattern(pattern, regex=True)


def test_a_refused_pattern_costs_no_time() -> None:
    start = time.perf_counter()
    with pytest.raises(FiguresError):
        compile_pattern("(a+)+$", regex=True)
    assert time.perf_counter() - start < 0.5


def test_a_pattern_without_words_is_refused() -> None:
    with pytest.raises(FiguresError, match="no words"):
        compile_pattern("  \t ")
    with pytest.raises(FiguresError, match="empty"):
        compile_pattern("", regex=True)


def test_spans_mark_every_match_merged_and_in_order() -> None:
    words = compile_pattern("housing voucher")
    text = "Housing VOUCHER application; housing."
    assert spans(words, text) == [(0, 7), (8, 15), (29, 36)]
    assert [text[a:b] for a, b in spans(words, text)] == ["Housing", "VOUCHER", "housing"]
    overlapping = compile_pattern(r"ab|bc", regex=True)
    assert spans(overlapping, "abc abc") == [(0, 2), (4, 6)]
    merged = compile_pattern("a a-b", regex=False)
    assert spans(merged, "a-b") == [(0, 3)]
    assert spans(compile_pattern(r"x*", regex=True), "abc") == []  # no empty spans


@given(st.lists(st.sampled_from(["housing", "voucher", "food", "x", "Café"]), max_size=6))
def test_a_note_matches_exactly_when_every_word_has_a_span(words: list[str]) -> None:
    text = " ".join(words)
    for pattern in ["housing", "voucher food", "café"]:
        m = compile_pattern(pattern)
        found = {text[a:b].casefold() for a, b in spans(m, text)}
        assert m.matches(text) == all(w.casefold() in found for w in pattern.split())


# Characters that case-insensitive matching pairs with ASCII letters, and others.
ALPHABET = "kisnoKISNO \u0130\u0131\u017f\u212a\u0307\u00df_-.é"


@given(st.text(ALPHABET, max_size=12), st.sampled_from(["kiss", "is", "sin", "on", "s-k", "i"]))
def test_the_quick_test_before_the_regex_never_turns_a_match_down(text: str, word: str) -> None:
    m = compile_pattern(word)
    assert m.needles  # an ASCII word: the quick test is in use
    assert m.matches(text) == all(r.search(text) for r in m.regexes)
    clients = [records(client(), note("n", "2026-03-01 10:00", "note", text))]
    assert bool(search(clients, AGENCY, m)) == m.matches(text)


def test_letters_beyond_ascii_that_match_ascii_ones_are_found() -> None:
    assert compile_pattern("kiss").matches("\u212aISS")  # Kelvin sign
    assert compile_pattern("istanbul").matches("\u0130stanbul")
    assert compile_pattern("is").matches("\u0131s")
    assert compile_pattern("sos").matches("\u017fos")


@given(
    st.lists(
        st.text(alphabet=st.sampled_from('ab "\\\n\t\x00\x1f\x7f\x85\u202eé😀%s'), max_size=12),
        min_size=1,
        max_size=4,
    )
)
def test_the_json_rows_are_what_the_json_encoder_writes(texts: list[str]) -> None:
    """write_json's template: a text holding DEL, a quote, a backslash, control or
    bidi characters or a %-format comes out as ``json_list`` of the rows writes it."""
    log = [
        note(f"n{i}", f"2026-03-0{i + 1} 09:00", "visit", "rent " + t) for i, t in enumerate(texts)
    ]
    hits = search([records(client("rc-a"), *log)], AGENCY, compile_pattern("rent"))
    out = io.StringIO()
    write_json(Output(out=out, pager=False), hits, compile_pattern("rent"))
    assert out.getvalue() == json_list([h.to_json() for h in hits])
