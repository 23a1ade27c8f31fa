"""``export``: one row per record, stable columns, CSV (RFC 4180, formula-safe) and
JSON Lines, streamed. The CSV is read back by Python's csv module and by a strict
RFC 4180 parser written here (pandas is not in the shared environment)."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from casectl.core.model import Client
from casectl.figures import ClientRecords, FiguresError
from casectl.figures.export import (
    NOTE_COLUMNS,
    ExportKind,
    Redaction,
    columns,
    csv_cell,
    rows,
    write_csv,
    write_jsonl,
)
from tests.builders import AGENCY, assessments, client, note, plan, records

TRICKY = [
    'She said "no", then left.',
    "line one\nline two\r\nline three",
    '=HYPERLINK("http://x")',
    "+1 555 0100",
    "-5 is the score",
    "@SUM(A1)",
    "  =1+1",
    "\t-2",
    "ünïcode – 日本語 😀",
    "comma, separated",
    "",
    'trailing quote"',
    "a\u2028b\x85c",
]


def maria() -> ClientRecords:
    return records(
        client(
            "rc-0042",
            name="Maria de la Cruz",
            phone="+1 555 0100",
            email="maria@example.org",
            address="12 Elm St, Springfield",
            born="1984-03-12",
            program="housing",
            consents=[{"signed": "2026-02-03", "expires": "2027-02-03"}],
            flags=[
                {"kind": "medical", "since": "2026-03-01", "cleared": "2026-06-01"},
                {"kind": "safeguarding", "since": "2026-10-16"},
            ],
        ),
        note("n1", "2026-02-05 10:30", "visit", "Maria signed the form.", minutes=45,
             goals=["G1", "G2"], mode="in_person"),
        note("n2", "2026-02-06T09:00:00-06:00", "phone", "Called her sister.",
             **{"with": "family"}, recorded="2026-02-08 17:05"),
        note("n3", "2026-02-07 11:00", "referral", "Referred Maria.", to="Legal Aid"),
        note("n4", "2026-02-09 11:00", "amendment", "Typo.", amends="n1"),
        plan_=plan(
            goals=[
                {"id": "G1", "domain": "housing", "goal": "Maria moves in", "target": "2026-06-30",
                 "status": "met", "status_date": "2026-05-02",
                 "actions": [{"action": "a", "done": "2026-03-01"}, {"action": "b"}]},
                {"id": "G2", "goal": "Income"},
            ],
            referrals=[
                {"id": "R1", "to": "Legal Aid", "service": "advice", "goal": "G1",
                 "sent": "2026-02-07", "expect_by": "2026-02-21", "status": "delivered",
                 "status_date": "2026-02-20", "outcome": "Maria got advice"},
            ],
        ),
        assessed=assessments(
            ("2026-02-05", {"housing": 1, "income": 2}), ("2026-08-01", {"housing": 3})
        ),
    )  # fmt: skip


def test_note_rows_have_the_contract_columns_and_values() -> None:
    assert columns("notes", AGENCY) == NOTE_COLUMNS == (
        "client", "id", "date", "recorded", "by", "type", "with", "mode", "minutes",
        "goals", "to", "amends", "text",
    )  # fmt: skip
    got = list(rows("notes", [maria()], AGENCY))
    assert [list(r) for r in got] == [list(NOTE_COLUMNS)] * 4
    assert got[0] == {
        "client": "rc-0042", "id": "n1", "date": "2026-02-05 10:30", "recorded": None,
        "by": "jdoe", "type": "visit", "with": "client", "mode": "in_person", "minutes": 45,
        "goals": "G1 G2", "to": None, "amends": None, "text": "Maria signed the form.",
    }  # fmt: skip
    assert got[1]["date"] == "2026-02-06 09:00-06:00"  # the offset is kept
    assert got[1]["recorded"] == "2026-02-08 17:05"
    assert got[1]["with"] == "family"
    assert got[2]["to"] == "Legal Aid"
    assert got[3]["amends"] == "n1"


def test_other_kinds_have_their_documented_columns() -> None:
    assert columns("clients", AGENCY)[:3] == ("client", "name", "status")
    (c,) = rows("clients", [maria()], AGENCY)
    assert c["opened"] == "2026-01-05"
    assert c["flags"] == "safeguarding"  # flags not cleared
    assert (c["consent_signed"], c["consent_expires"]) == ("2026-02-03", "2027-02-03")
    g1, g2 = rows("goals", [maria()], AGENCY)
    assert g1 == {
        "client": "rc-0042", "id": "G1", "domain": "housing", "goal": "Maria moves in",
        "target": "2026-06-30", "status": "met", "status_date": "2026-05-02", "actions": 2,
        "actions_done": 1,
    }  # fmt: skip
    assert g2["status"] == "active"
    a1, a2 = rows("assessments", [maria()], AGENCY)
    assert list(a1)[:3] == ["client", "date", "by"]
    assert (a1["housing"], a1["income"], a1["food"]) == (1, 2, None)
    assert list(a1)[3:] == [*AGENCY.domains, "strengths", "summary"]
    assert a2["housing"] == 3
    (r,) = rows("referrals", [maria()], AGENCY)
    assert r == {
        "client": "rc-0042", "id": "R1", "to": "Legal Aid", "service": "advice", "goal": "G1",
        "sent": "2026-02-07", "expect_by": "2026-02-21", "status": "delivered",
        "status_date": "2026-02-20", "outcome": "Maria got advice",
    }  # fmt: skip


def test_a_domain_named_like_a_column_is_refused() -> None:
    odd = AGENCY.model_copy(update={"domains": ["housing", "date"]})
    with pytest.raises(FiguresError, match="domain 'date'"):
        columns("assessments", odd)
    with pytest.raises(FiguresError, match="domain 'date'"):
        rows("assessments", [maria()], odd)  # before any row is asked for


def test_from_and_to_filter_by_each_records_agency_day() -> None:
    def ids(kind: ExportKind, start: str | None, end: str | None) -> list[object]:
        s = date.fromisoformat(start) if start else None
        e = date.fromisoformat(end) if end else None
        key = {"assessments": "date", "clients": "client"}.get(kind, "id")
        return [r[key] for r in rows(kind, [maria()], AGENCY, start=s, end=e)]

    assert ids("notes", "2026-02-06", "2026-02-07") == ["n2", "n3"]
    assert ids("notes", None, "2026-02-05") == ["n1"]
    assert ids("notes", "2026-02-09", None) == ["n4"]
    # a time with an offset is taken on the agency's day: 03:30 UTC is 21:30 the day before
    late = records(client(), note("x", "2026-02-10T03:30:00+00:00"))
    assert [r["id"] for r in rows("notes", [late], AGENCY, end=date(2026, 2, 9))] == ["x"]
    assert ids("goals", "2026-05-01", "2026-05-31") == ["G1"]  # by status_date
    assert ids("referrals", "2026-02-07", "2026-02-07") == ["R1"]  # by sent
    assert ids("assessments", "2026-08-01", None) == ["2026-08-01"]
    assert ids("clients", "2026-01-05", "2026-01-05") == ["rc-0042"]  # by opened
    assert ids("clients", "2026-01-06", None) == []
    with pytest.raises(FiguresError, match="--from 2026-03-01 is after --to 2026-02-01"):
        rows("notes", [maria()], AGENCY, start=date(2026, 3, 1), end=date(2026, 2, 1))


def _scrub_names(client_: Client) -> Callable[[str], str]:
    first = client_.name.split()[0]
    return lambda text: text.replace(first, f"{first[0]}.")


def _initials(name: str) -> str:
    return "".join(f"{p[0]}." for p in name.split())


def test_redaction_gives_initials_drops_contact_details_and_scrubs_free_text() -> None:
    red = Redaction(scrubber=_scrub_names, initials=_initials)
    (c,) = rows("clients", [maria()], AGENCY, redaction=red)
    assert c["name"] == "M.d.l.C."
    assert (c["born"], c["phone"], c["email"], c["address"]) == (None, None, None, None)
    notes = list(rows("notes", [maria()], AGENCY, redaction=red))
    assert notes[0]["text"] == "M. signed the form."
    assert notes[2]["text"] == "Referred M.."
    (g1, _) = rows("goals", [maria()], AGENCY, redaction=red)
    assert g1["goal"] == "M. moves in"
    (r,) = rows("referrals", [maria()], AGENCY, redaction=red)
    assert r["outcome"] == "M. got advice"


# ------------------------------------------------------------------ writers


def rfc4180(data: str) -> list[list[str]]:
    """A strict RFC 4180 reader, independent of the csv module: every record ends in
    CRLF; a field is quoted (quotes doubled inside) or holds no comma, quote, CR or LF."""
    out: list[list[str]] = []
    row: list[str] = []
    i = 0
    while i < len(data):
        if data[i] == '"':
            j, cell = i + 1, []
            while True:
                k = data.index('"', j)
                cell.append(data[j:k])
                if data.startswith('""', k):
                    cell.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            value = "".join(cell)
        else:
            j = i
            while j < len(data) and data[j] not in ",\r\n":
                assert data[j] != '"', f"a quote inside an unquoted field at {j}"
                j += 1
            value, i = data[i:j], j
        row.append(value)
        if data.startswith(",", i):
            i += 1
            continue
        assert data.startswith("\r\n", i), f"a record must end in CRLF at {i}"
        out.append(row)
        row = []
        i += 2
    return out


def tricky_records() -> list[ClientRecords]:
    log = [
        note(f"t{i}", f"2026-03-{i + 1:02d} 10:00", "note", text) for i, text in enumerate(TRICKY)
    ]
    return [records(client(), *log)]


def _csv_text() -> str:
    out = io.StringIO(newline="")
    count = write_csv(rows("notes", tricky_records(), AGENCY), NOTE_COLUMNS, out)
    assert count == len(TRICKY)
    return out.getvalue()


def _unprefixed(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def test_csv_reads_back_with_the_csv_module() -> None:
    text = _csv_text()
    got = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [list(r) for r in got] == [list(NOTE_COLUMNS)] * len(TRICKY)
    assert [_unprefixed(r["text"]) for r in got] == TRICKY
    assert got[0]["minutes"] == "" and got[0]["with"] == "client"


def test_csv_is_strict_rfc_4180_utf8_with_crlf() -> None:
    text = _csv_text()
    data = text.encode("utf-8")
    assert not data.startswith(b"\xef\xbb\xbf")  # no byte order mark
    assert data.startswith(
        b"client,id,date,recorded,by,type,with,mode,minutes,goals,to,amends,text\r\n"
    )
    parsed = rfc4180(data.decode("utf-8"))
    assert parsed[0] == list(NOTE_COLUMNS)
    assert [_unprefixed(r[-1]) for r in parsed[1:]] == TRICKY
    assert all(len(r) == len(NOTE_COLUMNS) for r in parsed)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1 555", "'+1 555"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1+1", "'  =1+1"),
        ("\t-2", "'\t-2"),
        (" \t @x", "' \t @x"),
        ("a=b", "a=b"),
        ("x -", "x -"),
        ("", ""),
        (None, ""),
        (45, "45"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_prefixed(value: str | int | None, cell: str) -> None:
    assert csv_cell(value) == cell


def test_formula_cells_are_prefixed_in_the_file() -> None:
    parsed = rfc4180(_csv_text())
    texts = [r[-1] for r in parsed[1:]]
    for original, written in zip(TRICKY, texts, strict=True):
        if original.lstrip(" \t")[:1] in ("=", "+", "-", "@"):
            assert written == "'" + original
        else:
            assert written == original


def test_json_lines_one_object_per_line_same_keys_exact_text() -> None:
    out = io.StringIO()
    count = write_jsonl(rows("notes", tricky_records(), AGENCY), NOTE_COLUMNS, out)
    assert count == len(TRICKY)
    text = out.getvalue()
    lines = text.splitlines()  # splits on U+2028 and NEL too: those are escaped
    assert len(lines) == len(TRICKY) and text.endswith("\n")
    objects = [json.loads(line) for line in lines]
    assert [list(o) for o in objects] == [list(NOTE_COLUMNS)] * len(TRICKY)
    assert [o["text"] for o in objects] == TRICKY  # no spreadsheet prefix in JSON
    assert objects[0]["minutes"] is None and objects[0]["recorded"] is None
    assert "日本語" in text  # UTF-8, not \u escapes


# ------------------------------------------------------------------ streaming


def test_rows_are_produced_lazily_one_client_at_a_time() -> None:
    def clients() -> Iterator[ClientRecords]:
        yield maria()
        raise AssertionError("read past the first client")

    first = next(rows("notes", clients(), AGENCY))
    assert first["id"] == "n1"


def _many(clients: int, notes: int) -> Iterator[ClientRecords]:
    base = client()
    text = "Visit at home; discussed the budget and the voucher application. " * 4
    for n in range(clients):
        c = base.model_copy(update={"id": f"rc-{n:05d}"})
        one = note("n0", "2026-03-01 10:00", text=text)
        log = tuple(one.model_copy(update={"id": f"n{i}"}) for i in range(notes))
        yield ClientRecords(c, log=log)


class _Sink(io.TextIOBase):
    def write(self, s: str) -> int:
        return len(s)


def test_export_memory_stays_flat_whatever_the_number_of_notes() -> None:
    tracemalloc.start()
    try:
        count = write_csv(rows("notes", _many(200, 100), AGENCY), NOTE_COLUMNS, _Sink())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    # 20,000 notes held at once take tens of MB; one client's 100 notes well under 2
    assert peak < 2_000_000, peak
