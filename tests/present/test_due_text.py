"""``due``'s plain text (``present.due.plain_text``), written column by column, is the
table the plain per-row layout gives: any names, managers and texts (control
characters, spaces and other blanks at the end, empty), any days."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from casectl.core.schedule import KINDS, DueItem
from casectl.present.due import TEXT_HEADERS, plain_text
from casectl.present.output import visible

TEXTS = st.text(st.sampled_from(["a", "B", " ", "\t", "\x1b", "\u00a0", "\u2028", "é", ":"]))


def _reference(items: list[DueItem]) -> str:
    """The layout row by row: every cell through ``visible``, columns padded to the
    widest, two spaces apart, the last one not padded, each line's end stripped."""
    rows = [TEXT_HEADERS] + [
        (
            i.status,
            i.due.isoformat(),
            str(i.days),
            visible(i.manager or ""),
            i.client,
            visible(i.name or ""),
            i.kind,
            visible(i.what),
        )
        for i in items
    ]
    widths = [max(len(r[n]) for r in rows) for n in range(len(TEXT_HEADERS) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]) for r in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


ITEMS = st.lists(
    st.builds(
        DueItem,
        client=st.sampled_from(["ana", "rc-0001", "b"]),
        name=st.none() | TEXTS,
        manager=st.none() | TEXTS,
        kind=st.sampled_from(KINDS),
        what=TEXTS,
        due=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
        status=st.sampled_from(["overdue", "due_soon"]),
        days=st.integers(-5000, 5000),
        ref=st.just("ref"),
    ),
    max_size=12,
)


@given(ITEMS)
def test_plain_text_is_the_row_by_row_table(items: list[DueItem]) -> None:
    assert plain_text(items) == _reference(items)


def test_a_last_column_ending_in_spaces_is_cut_as_before() -> None:
    day = date(2026, 12, 1)
    items = [
        DueItem("ana", "Ana", "jdoe", "goal", "G1: ends in a space ", day, "overdue", 1, "r"),
        DueItem("ben", None, None, "record", "", day, "overdue", 0, "r"),
    ]
    lines = plain_text(items).splitlines()
    assert lines[1].endswith("G1: ends in a space") and lines[2].endswith("record")
    assert plain_text(items) == _reference(items)
