"""logformat: note text reads back exactly, whatever it holds; appends keep the file."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casectl.core import dates
from casectl.edit.logtext import (
    EntryError,
    append_plan,
    check_append,
    entry_text_safe,
    format_datetime,
    format_entry,
    needs_leading_newline,
    scalar,
)
from casectl.store.load import load_text

EXISTING = (
    b"# progress notes for rc-0001 (synthetic)\n"
    b"- id: 20260105-0900-jdoe\n"
    b"  date: 2026-01-05 09:00\n"
    b"  by: jdoe\n"
    b"  type: visit\n"
    b"  text: |+\n"
    b"    First visit.\n"
    b"\n"
    b"- id: 20260106-0900-jdoe   # a comment\n"
    b"  date: 2026-01-06 09:00\n"
    b"  by: jdoe\n"
    b"  type: note\n"
    b'  text: "ends without a newline"'
)

# Pieces that are awkward for YAML, mixed with arbitrary unicode text.
TRICKY = st.sampled_from(
    [
        ":",
        ": ",
        "#",
        " #",
        "'",
        '"',
        " ",
        "  ",
        "\t",
        "\n",
        "\n\n",
        "\r",
        "\r\n",
        "---",
        "- ",
        "...",
        "|",
        ">",
        "|-",
        "? ",
        "&a",
        "*a",
        "!tag",
        "%YAML",
        "@",
        "`",
        "{",
        "}",
        "[",
        "]",
        ",",
        "\x85",
        "\u2028",
        "\u2029",
        "\ufeff",
        "\x00",
        "\x1b",
        "\x7f",
        "é",
        "\U0001f600",
        "\ufffe",
        "yes",
        "no",
        "null",
        "~",
        "123",
        "0x1f",
        "1:20",
        ".inf",
        "2026-01-01",
        "2026-01-01 10:00:00",
        "<<",
        "=",
    ]
)
TEXTS = st.lists(TRICKY | st.text(), max_size=12).map("".join) | st.text()
IDS = st.lists(TRICKY | st.text(min_size=1), min_size=1, max_size=4).map("".join)


def _load_log(raw: bytes) -> list[dict[str, object]]:
    loaded = load_text("clients/rc-0001/log.yaml", raw)
    assert loaded.problems == []
    assert isinstance(loaded.data, list)
    return loaded.data


BEFORE = _load_log(EXISTING)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, note_id=IDS, by=IDS)
def test_any_text_reads_back_exactly_after_append(text: str, note_id: str, by: str) -> None:
    entry = {
        "id": note_id,
        "date": datetime(2026, 11, 22, 14, 30),
        "by": by,
        "type": "note",
        "text": text,
    }
    new = append_plan(EXISTING, format_entry(entry))
    assert new.startswith(EXISTING)
    items = _load_log(new)
    assert items[:-1] == BEFORE
    assert items[-1] == {**entry, "date": "2026-11-22 14:30"}
    # What yaml.CSafeLoader itself sees agrees.
    assert yaml.load(new, Loader=yaml.CSafeLoader)[-1]["text"] == text


@settings(max_examples=300, deadline=None)
@given(to=IDS, amends=IDS, goals=st.lists(IDS, max_size=4), minutes=st.integers(0, 1440))
def test_every_string_field_reads_back_exactly(
    to: str, amends: str, goals: list[str], minutes: int
) -> None:
    entry = {
        "id": "n1",
        "date": "2026-11-22 14:30",
        "by": "jdoe",
        "type": "referral",
        "minutes": minutes,
        "goals": goals,
        "to": to,
        "amends": amends,
        "text": "x\n",
    }
    text = format_entry(entry)
    assert _load_log(text.encode()) == [entry]
    assert check_append("log.yaml", EXISTING, append_plan(EXISTING, text), text) == []


def test_typical_entry_is_readable_yaml() -> None:
    entry = {
        "id": "20260205-1030-jdoe",
        "date": datetime(2026, 2, 5, 10, 30),
        "by": "jdoe",
        "type": "visit",
        "minutes": 45,
        "goals": ["G1", "yes"],
        "text": "Met at the shelter.\nCompleted voucher application together.\n",
    }
    assert format_entry(entry) == (
        "- id: 20260205-1030-jdoe\n"
        "  date: 2026-02-05 10:30\n"
        "  by: jdoe\n"
        "  type: visit\n"
        "  minutes: 45\n"
        '  goals: [G1, "yes"]\n'
        "  text: |\n"
        "    Met at the shelter.\n"
        "    Completed voucher application together.\n"
    )


@pytest.mark.parametrize(
    ("text", "header"),
    [
        ("one line", "|-"),
        ("one line\n", "|"),
        ("two blank\n\n", "|+"),
        (" starts with a space\n", "|2"),
        ("\nstarts with a newline", "|2-"),
        ("\n", "|2+"),
        ("trailing space \nx", '"'),
        ("carriage\r\nreturn", '"'),
        ("bell\x07", '"'),
        ("", '""'),
    ],
)
def test_text_style_is_chosen_by_content(text: str, header: str) -> None:
    out = format_entry({"id": "a", "text": text})
    assert out.split("text: ", 1)[1].startswith(header)
    assert _load_log(out.encode())[0]["text"] == text


def test_strings_that_yaml_would_retype_are_quoted() -> None:
    for value in ["yes", "No", "null", "~", "123", "1.5", "2026-01-01", "1:20", ".inf", "<<"]:
        assert scalar(value).startswith('"'), value
    for value in ["jdoe", "20260205-1030-jdoe", "Springfield Legal Aid", "min.kim@example.org"]:
        assert scalar(value) == value


def test_dates_are_written_in_note_time_form() -> None:
    assert format_datetime(datetime(2026, 11, 22, 14, 30)) == "2026-11-22 14:30"
    assert format_datetime(datetime(2026, 11, 22, 14, 30, 5, 999)) == "2026-11-22 14:30:05"
    assert format_datetime(date(2026, 11, 22)) == "2026-11-22 00:00"
    aware = datetime(2026, 11, 22, 14, 30, tzinfo=timezone(timedelta(hours=-6)))
    assert format_datetime(aware) == "2026-11-22T14:30:00-06:00"
    for value in (aware, datetime(2026, 11, 22, 14, 30, 5)):
        read = _load_log(format_entry({"id": "a", "date": value}).encode())[0]["date"]
        assert isinstance(read, str)
        assert dates.parse_datetime(read) == value
    assert "date: 2026-11-22 14:30\n" in format_entry({"id": "a", "date": "2026-11-22 14:30"})
    with pytest.raises(EntryError, match="not a date"):
        format_datetime("yesterday")


def test_bad_entries_are_refused() -> None:
    with pytest.raises(EntryError, match="unknown"):
        format_entry({"id": "a", "colour": "red"})
    with pytest.raises(EntryError, match="minutes"):
        format_entry({"id": "a", "minutes": True})
    with pytest.raises(EntryError, match="goals"):
        format_entry({"id": "a", "goals": "G1"})
    with pytest.raises(EntryError, match="surrogate"):
        format_entry({"id": "a", "text": "bad \ud800"})
    assert entry_text_safe("bad \udfff") is not None
    assert entry_text_safe("fine \x00 \r \t") is None


def test_none_values_are_left_out() -> None:
    assert format_entry({"id": "a", "minutes": None, "to": None}) == "- id: a\n"


# ------------------------------------------------------------------ append_plan


ENTRY = format_entry({"id": "n2", "by": "jdoe", "text": "Second.\n"})


def test_append_keeps_existing_bytes_as_prefix() -> None:
    existing = b"- id: n1\n  text: |\n    First.\n# trailing comment\n"
    assert append_plan(existing, ENTRY) == existing + ENTRY.encode()


def test_append_terminates_an_unterminated_last_line() -> None:
    assert needs_leading_newline(b"- id: n1")
    assert not needs_leading_newline(b"")
    assert not needs_leading_newline(b"- id: n1\n")
    assert append_plan(b"- id: n1", ENTRY) == b"- id: n1\n" + ENTRY.encode()


@pytest.mark.parametrize(
    ("existing", "expected_head"),
    [
        (b"[]\n", b""),
        (b"[]", b""),
        (b"# notes\n[ ]  # none yet\n# end\n", b"# notes\n# none yet\n# end\n"),
        (b"---\n[]\n", b"---\n"),
        (b"--- []\n", b"---\n"),
        (b"\xef\xbb\xbf[]\n", b"\xef\xbb\xbf\n"),
        (b"", b""),
        (b"\n\n", b"\n\n"),
        (b"# only a comment", b"# only a comment\n"),
    ],
)
def test_empty_logs_become_a_list_of_one(existing: bytes, expected_head: bytes) -> None:
    new = append_plan(existing, ENTRY)
    assert new == expected_head + ENTRY.encode()
    assert _load_log(new) == [{"id": "n2", "by": "jdoe", "text": "Second.\n"}]
    assert check_append("log.yaml", existing, new, ENTRY) == []


def test_crlf_files_stay_crlf_and_text_stays_exact() -> None:
    existing = b"- id: n1\r\n  text: |\r\n    First.\r\n"
    entry = format_entry({"id": "n2", "text": "a\n\nb\n"})
    new = append_plan(existing, entry)
    assert new.startswith(existing)
    assert b"\n" not in new.replace(b"\r\n", b"")
    assert _load_log(new)[-1] == {"id": "n2", "text": "a\n\nb\n"}


def test_indented_top_level_sequence_is_matched() -> None:
    existing = b"# notes\n  - id: n1\n    text: x\n"
    entry = format_entry({"id": "n2", "text": " indented\n\nlines\n"})
    new = append_plan(existing, entry)
    assert new.startswith(existing)
    assert _load_log(new) == [
        {"id": "n1", "text": "x"},
        {"id": "n2", "text": " indented\n\nlines\n"},
    ]


def test_check_append_refuses_unreadable_or_wrong_results() -> None:
    broken = b"- id: n1\n  text: [unclosed\n"
    assert (
        "cannot be read safely"
        in check_append("log.yaml", broken, broken + ENTRY.encode(), ENTRY)[0]
    )
    mapping = b"id: n1\n"
    assert "not a list" in check_append("log.yaml", mapping, mapping + ENTRY.encode(), ENTRY)[0]
    old = b"- id: n1\n"
    assert check_append("log.yaml", old, b"- id: changed\n" + ENTRY.encode(), ENTRY)
    assert check_append("log.yaml", old, old + ENTRY.encode(), ENTRY) == []
    # A flow-style log cannot take a block item after it: reported, not written.
    flow = b"[{id: n1}]\n"
    assert check_append("log.yaml", flow, append_plan(flow, ENTRY), ENTRY)
