"""``stats`` and ``search`` from the read cache's rows give exactly what the pure path
gives (``figures.stats``/``figures.search`` over ``read.figures.client_records``):
with a cold cache, a warm one, after one client's files changed, as of past days, and
never with a restricted client's records in the cache."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casectl.figures import ClientRecords, Period
from casectl.figures.search import NoteRows, compile_pattern, search
from casectl.figures.stats import GroupBy, StatsRows, client_figures, monthly_contacts, stats
from casectl.read.agency import open_agency
from casectl.read.figures import client_records
from tests.builders import AGENCY, START, cli, figures_agency
from tests.builders import client_records as records_strategy

PERIODS = [
    ("2026-10-01", "2026-10-31"),
    ("2026-09-01", "2026-09-30"),
    ("2026-11-01", "2026-11-30"),
    ("2026-01-01", "2026-12-31"),
]
AS_OF = [None, "2026-11-04", "2026-10-20"]
PATTERNS = [["voucher"], ["visit"], ["period"], ["--regex", "(?i)v.u"], ["nothing-here"]]


@settings(max_examples=200, deadline=None)
@given(records_strategy(), st.integers(0, 120), st.integers(0, 40))
def test_rows_give_the_figures_of_the_records(r: ClientRecords, first: int, length: int) -> None:
    period = Period(START + timedelta(days=first), START + timedelta(days=first + length))
    rows = StatsRows.from_json(json.loads(json.dumps(StatsRows.of(r, AGENCY).to_json())))
    assert rows is not None
    assert rows.figures(AGENCY, period) == client_figures(r, AGENCY, period)
    assert rows.monthly_contacts(AGENCY, period) == monthly_contacts(r, AGENCY, period)
    for by in ("manager", "program"):
        assert stats([rows], AGENCY, period, by) == stats([r], AGENCY, period, by)
    for by_ in (None, "manager"):  # the months counted in the same pass as the figures
        got: Counter[str] = Counter()
        want: Counter[str] = Counter()
        assert stats([rows], AGENCY, period, by_, got) == stats([r], AGENCY, period, by_, want)
        assert got == want


@settings(max_examples=100, deadline=None)
@given(records_strategy(), st.sampled_from(["met", "office", "at the", "visit"]))
def test_note_rows_find_the_notes_of_the_records(r: ClientRecords, words: str) -> None:
    rows = _round_trip(NoteRows.of(r, AGENCY))
    assert rows is not None
    matcher = compile_pattern(words)
    for kind in (None, "visit"):
        for start, end in ((None, None), (START, START + timedelta(days=30))):
            want = search([r], AGENCY, matcher, note_type=kind, start=start, end=end)
            got = search([rows], AGENCY, matcher, note_type=kind, start=start, end=end)
            assert [h.to_json() for h in got] == [h.to_json() for h in want]
            assert [h.at for h in got] == [h.at for h in want]


def _round_trip(rows: NoteRows) -> NoteRows | None:
    """The rows as the read cache gives them back: JSON, and the texts as bytes."""
    return NoteRows.from_json(json.loads(json.dumps(rows.to_json())), rows.blob())


def _pure_stats(root: Path, start: str, end: str, by: str | None, as_of: str | None) -> Any:
    day = date.fromisoformat(as_of) if as_of else None
    ctx = open_agency(root, as_of=day)
    period = Period(date.fromisoformat(start), date.fromisoformat(end))
    months: Counter[str] = Counter()
    result = stats(client_records(ctx), ctx.agency, period, cast(GroupBy | None, by), months)
    return result, months


def _pure_search(root: Path, pattern: list[str], as_of: str | None) -> list[dict[str, str]]:
    ctx = open_agency(root, as_of=date.fromisoformat(as_of) if as_of else None)
    matcher = compile_pattern(pattern[-1], regex=pattern[0] == "--regex")
    return [h.to_json() for h in search(client_records(ctx), ctx.agency, matcher)]


def _cli_json(*args: str) -> Any:
    done = cli(*args)
    assert done.exit_code == 0, done.stderr
    return json.loads(done.stdout)


def _same_as_pure(root: Path) -> None:
    for as_of in AS_OF:
        when = ("--as-of", as_of) if as_of else ()
        for start, end in PERIODS:
            for by in (None, "manager", "program"):
                grouped = ("--by", by) if by else ()
                got = _cli_json("-C", str(root), "stats", "--from", start, "--to", end,
                                *grouped, *when, "--format", "json")  # fmt: skip
                assert got == _pure_stats(root, start, end, by, as_of)[0], (start, end, by, as_of)
        for pattern in PATTERNS:
            got = _cli_json("-C", str(root), "search", *pattern, *when, "--format", "json")
            assert got == _pure_search(root, pattern, as_of), (pattern, as_of)


def test_cold_warm_and_edited_cache_give_the_pure_answers(tmp_path: Path) -> None:
    root = figures_agency(tmp_path / "agency")
    cache = root / ".casectl"
    assert not (cache / "read-cache.figures.json").exists()
    _same_as_pure(root)  # cold, then warm within the loop
    assert (cache / "read-cache.figures.json").exists()
    assert (cache / "read-cache.notes.json").exists()
    _same_as_pure(root)  # warm
    # One client's files change: a note, a closure, a goal met; the cache's old rows
    # of it must not be served.
    folder = root / "clients" / "a-0001"
    with (folder / "log.yaml").open("a") as fh:
        fh.write(
            "- id: 20261025-1000-jdoe\n  date: 2026-10-25 10:00\n  by: jdoe\n  type: visit\n"
            "  minutes: 20\n  text: A second voucher visit.\n"
        )
    closed = "status: closed\nclosed:\n  date: 2026-10-29\n  reason: moved"
    client = (folder / "client.yaml").read_text()
    (folder / "client.yaml").write_text(client.replace("status: active", closed))
    assert cli("-C", str(root), "validate").exit_code in (0, 1)
    _same_as_pure(root)
    oct_ = _cli_json("-C", str(root), "stats", "--from", "2026-10-01", "--to", "2026-10-31",
                     "--format", "json")  # fmt: skip
    assert oct_["closed"].get("moved") == 2  # b-0002 and now a-0001
    hits = _cli_json("-C", str(root), "search", "second voucher", "--format", "json")
    assert [h["id"] for h in hits] == ["20261025-1000-jdoe"]


def test_a_damaged_section_costs_a_reread_never_a_wrong_answer(tmp_path: Path) -> None:
    root = figures_agency(tmp_path / "agency")
    _same_as_pure(root)
    for name in ("figures", "notes"):
        path = root / ".casectl" / f"read-cache.{name}.json"
        data = json.loads(path.read_text())
        for item in data["clients"].values():
            item[1] = ["garbage"] if item[1] else item[1]
        path.write_text(json.dumps(data))
    _same_as_pure(root)


@pytest.mark.parametrize("section", ["figures", "notes"])
def test_a_restricted_client_never_enters_the_cache(tmp_path: Path, section: str) -> None:
    root = figures_agency(tmp_path / "agency")
    (root / ".gitattributes").write_text("clients/a-0001/** filter=git-crypt diff=git-crypt\n")
    _same_as_pure(root)
    data = json.loads((root / ".casectl" / f"read-cache.{section}.json").read_text())
    assert "a-0001" not in data["clients"] and "b-0002" in data["clients"]
    index = json.loads((root / ".casectl" / "read-cache.json").read_text())
    assert "a-0001" not in index["clients"]


def test_note_rows_find_words_in_tricky_texts() -> None:
    from tests.builders import client, note, records

    texts = [
        "Parent asked about rent.",
        "RENT paid; rent again next month",
        "Stra\u00dfe rent",
        "K\u0130NG rent arrears",
        "current rentals",
        "",
        "rent",
    ]
    log = [note(f"n{i}", f"2026-01-{i + 1:02d} 10:00", text=t) for i, t in enumerate(texts)]
    r = records(client(), *log)
    rows = _round_trip(NoteRows.of(r, AGENCY))
    assert rows is not None
    for words in ["rent", "RENT again", "arrears", "stra\u00dfe", "rentals current", "king"]:
        matcher = compile_pattern(words)
        want = [h.to_json() for h in search([r], AGENCY, matcher)]
        assert [h.to_json() for h in search([rows], AGENCY, matcher)] == want, words
    plain = records(client(), *log[:2], log[4], log[6])  # ASCII only: the joined find
    rows = NoteRows.of(plain, AGENCY)
    matcher = compile_pattern("rent")
    assert [h.id for h in search([rows], AGENCY, matcher)] == ["n0", "n1", "n6"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="aAb-_ .\u00e9\n", max_size=12), min_size=1, max_size=6),
    st.text(alphabet="aAb-_.", min_size=1, max_size=4),
)
def test_note_rows_judge_words_in_bytes_as_the_regex_does(texts: list[str], word: str) -> None:
    """The bytes of ASCII texts decide a one-word search without the regex: word
    characters beside a find, overlapping finds ("a-a" in "xa-a-a"), note ends."""
    from tests.builders import client, note, records

    log = [note(f"n{i}", f"2026-01-{i + 1:02d} 10:00", text=t) for i, t in enumerate(texts)]
    r = records(client(), *log)
    rows = _round_trip(NoteRows.of(r, AGENCY))
    assert rows is not None
    for words in (word, f"{word} b"):
        matcher = compile_pattern(words)
        want = [h.to_json() for h in search([r], AGENCY, matcher)]
        assert [h.to_json() for h in search([rows], AGENCY, matcher)] == want, words


def test_note_texts_are_kept_as_bytes_beside_the_section(tmp_path: Path) -> None:
    """The notes section's JSON holds no note text (a warm search decodes only the
    texts it may show); they are in read-cache.notes.bin."""
    root = figures_agency(tmp_path / "agency")
    assert cli("-C", str(root), "search", "voucher").exit_code == 0
    section = (root / ".casectl" / "read-cache.notes.json").read_text()
    texts = (root / ".casectl" / "read-cache.notes.bin").read_bytes()
    assert "oucher" not in section and b"oucher" in texts


@pytest.mark.parametrize(
    "damage",
    ["truncated", "other token", "missing", "a link", "emptied", "offsets"],
)
def test_a_damaged_texts_file_costs_a_reread_never_a_wrong_answer(
    tmp_path: Path, damage: str
) -> None:
    root = figures_agency(tmp_path / "agency")
    _same_as_pure(root)
    cache = root / ".casectl"
    path = cache / "read-cache.notes.bin"
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "other token":
        path.write_bytes(data[:8] + b"0" * 16 + data[24:])
    elif damage == "missing":
        path.unlink()
    elif damage == "a link":
        (cache / "elsewhere.bin").write_bytes(data)
        path.unlink()
        path.symlink_to(cache / "elsewhere.bin")
    elif damage == "emptied":
        path.write_bytes(b"")
    else:  # every client's texts said to be somewhere else
        section = cache / "read-cache.notes.json"
        doc = json.loads(section.read_text())
        for item in doc["clients"].values():
            if len(item) == 3:
                item[2] = [item[2][0] + 1, item[2][1]]
        section.write_text(json.dumps(doc))
    _same_as_pure(root)
    if damage != "offsets":  # (shifted by one byte, the texts are still found whole)
        return
    assert path.read_bytes()[:8] == b"casectl\n"


def test_a_client_gone_from_the_agency_leaves_no_note_text_in_the_cache(tmp_path: Path) -> None:
    """A client removed (or purged) is dropped from every section, the lazy ones too:
    its note texts leave read-cache.notes.bin at the next save."""
    import shutil

    root = figures_agency(tmp_path / "agency")
    assert cli("-C", str(root), "search", "voucher").exit_code == 0
    texts = root / ".casectl" / "read-cache.notes.bin"
    assert b"voucher paperwork" in texts.read_bytes()
    shutil.rmtree(root / "clients" / "a-0001")
    assert cli("-C", str(root), "validate").exit_code in (0, 1)
    assert b"voucher paperwork" not in texts.read_bytes()
    section = json.loads((root / ".casectl" / "read-cache.notes.json").read_text())
    assert "a-0001" not in section["clients"]
