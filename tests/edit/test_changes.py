"""close / reopen as edits in place: status and the closure block change, every other
byte of client.yaml stays (edit.changes on edit.yamledit)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casectl.edit.changes import close_text as close_client
from casectl.edit.changes import reopen_text as reopen_client
from casectl.edit.changes import set_status_text as set_status
from casectl.edit.yamledit import EditRefused
from casectl.store.load import load_text

CLIENT = """\
# synthetic client for tests
id: rc-0042
name: Maria Lopez   # not a real person
born: 1984-03-12            # optional
status: active              # active | on_hold | closed
opened: 2026-02-03
manager: jdoe
phone: "+1 555 0100"

consent:                    # optional
  signed: 2026-02-03
  expires: 2027-02-03
cadence:
  contact: 14 days
# end of file comment
"""

DAY = date(2026, 10, 1)


def _data(text: str) -> dict[str, object]:
    loaded = load_text("client.yaml", text)
    assert loaded.problems == []
    assert isinstance(loaded.data, dict)
    return loaded.data


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=False) if a != b]


def test_close_changes_only_the_status_value_and_appends_the_block() -> None:
    closed = close_client(CLIENT, DAY, "goals_met")
    assert closed == CLIENT.replace(
        "status: active              #", "status: closed              #"
    ) + ("closed:\n  date: 2026-10-01\n  reason: goals_met\n")
    data = _data(closed)
    assert data == {
        **_data(CLIENT),
        "status": "closed",
        "closed": {"date": DAY, "reason": "goals_met"},
    }


def test_close_then_reopen_gives_back_the_original() -> None:
    closed = close_client(CLIENT, DAY, "moved", note="Moved: to Ohio # for work")
    assert reopen_client(closed) == CLIENT


def test_tricky_notes_are_quoted_and_read_back() -> None:
    note = 'Client said: "no" # really\n second line\ttab'
    closed = close_client(CLIENT, DAY, "declined", note)
    assert _data(closed)["closed"] == {"date": DAY, "reason": "declined", "note": note}
    assert reopen_client(closed) == CLIENT


@settings(max_examples=200, deadline=None)
@given(note=st.text(), reason=st.sampled_from(["goals_met", "other", "yes", "a: b"]))
def test_any_note_round_trips(note: str, reason: str) -> None:
    closed = close_client(CLIENT, DAY, reason, note)
    assert _data(closed)["closed"] == {"date": DAY, "reason": reason, "note": note}
    assert closed.startswith(CLIENT.split("status:")[0])
    assert reopen_client(closed) == CLIENT


def test_existing_closed_block_is_replaced_or_removed_in_place() -> None:
    text = (
        "id: rc-1\n"
        "status: closed   # was active\n"
        "# closure below\n"
        "closed:\n"
        "    date: 2026-01-01\n"
        "\n"
        "    # indented comment inside the block\n"
        "    reason: other\n"
        "\n"
        "# a comment after the block\n"
        "manager: jdoe\n"
        "opened: 2025-01-01\n"
        "name: Test Person\n"
    )
    again = close_client(text, DAY, "transferred")
    assert again == text.replace(
        "    date: 2026-01-01\n\n    # indented comment inside the block\n    reason: other\n",
        "    date: 2026-10-01\n    reason: transferred\n",
    )
    reopened = reopen_client(text)
    assert reopened == (
        "id: rc-1\n"
        "status: active   # was active\n"
        "# closure below\n"
        "\n"
        "# a comment after the block\n"
        "manager: jdoe\n"
        "opened: 2025-01-01\n"
        "name: Test Person\n"
    )
    assert "closed" not in _data(reopened)


def test_quoted_status_keeps_its_quotes_and_comment_column() -> None:
    text = 'id: rc-1\nstatus: "on_hold"   # paused\nname: A B\n'
    closed = close_client(text, DAY, "other")
    assert closed.splitlines()[1] == 'status: "closed"    # paused'
    assert set_status(text, "active").splitlines()[1] == 'status: "active"    # paused'
    single = "id: rc-1\nstatus: 'active'\n"
    assert set_status(single, "on_hold") == "id: rc-1\nstatus: 'on_hold'\n"


def test_file_without_final_newline_and_crlf_files() -> None:
    closed = close_client("id: rc-1\nstatus: active", DAY, "moved")
    assert closed == "id: rc-1\nstatus: closed\nclosed:\n  date: 2026-10-01\n  reason: moved\n"
    crlf = "id: rc-1\r\nstatus: active\r\n"
    closed = close_client(crlf, DAY, "moved")
    assert (
        closed
        == "id: rc-1\r\nstatus: closed\r\nclosed:\r\n  date: 2026-10-01\r\n  reason: moved\r\n"
    )
    assert reopen_client(closed) == crlf


def test_file_indentation_is_followed() -> None:
    text = "id: rc-1\nstatus: active\nconsent:\n    signed: 2026-01-01\n"
    assert close_client(text, DAY, "moved").endswith(
        "closed:\n    date: 2026-10-01\n    reason: moved\n"
    )


def test_nested_status_keys_and_look_alikes_are_left_alone() -> None:
    text = (
        "id: rc-1\n"
        'address: "12 Elm St,\n'
        '  status: active"\n'
        "history:\n"
        "  status: active\n"
        "status: on_hold\n"
    )
    closed = close_client(text, DAY, "moved")
    assert _changed_lines(text, closed) == [("status: on_hold", "status: closed")]
    assert _data(closed)["history"] == {"status": "active"}
    assert _data(closed)["address"] == "12 Elm St, status: active"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{id: rc-1, status: active}\n", "flow style"),
        ("id: rc-1\nname: A\n", "no top-level 'status:'"),
        ("id: rc-1\nstatus: [active]\n", "not a simple one-line value"),
        ("id: rc-1\nstatus: {value: active}\n", "not a simple one-line value"),
        ("id: rc-1\nstatus: |\n  active\n", "not a simple one-line value"),
        ("id: rc-1\nstatus:\n", "not a simple one-line value"),
        ("id: rc-1\nstatus: active\nstatus: closed\n", "fix them first"),
        ("id: rc-1\nstatus: [unclosed\n", "fix them first"),
        ("- id: rc-1\n", "not a mapping"),
        ("id: rc-1\nstatus: active\n...\n", "cannot be edited safely"),
    ],
)
def test_unsafe_layouts_are_refused(text: str, message: str) -> None:
    with pytest.raises(EditRefused, match=message):
        close_client(text, DAY, "moved")


def test_block_with_column_zero_comment_and_block_scalar_note() -> None:
    text = (
        "id: rc-1\n"
        "status: closed\n"
        "closed:\n"
        "  date: 2026-01-01\n"
        "# a comment between the children\n"
        "  reason: other\n"
        "  note: |\n"
        "    Long story.\n"
        "\n"
        "# stays\n"
        "manager: jdoe\n"
    )
    assert reopen_client(text) == "id: rc-1\nstatus: active\n\n# stays\nmanager: jdoe\n"
    replaced = close_client(text, DAY, "moved")
    assert replaced == (
        "id: rc-1\n"
        "status: closed\n"
        "closed:\n"
        "  date: 2026-10-01\n"
        "  reason: moved\n"
        "\n"
        "# stays\n"
        "manager: jdoe\n"
    )
