"""The notes' index (``figures.search.NoteIndex``, ``read-cache.notes.idx``): a warm
``search`` for words of ASCII searches every cached client's notes as one body. It must
find exactly what ``search`` finds in the records (any text, any word, any filter), in
the same order; a client changed since the index was written is read as before and
merged in order; an index damaged, of another run or of another notes file is never
used (the answer is the same, only slower)."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casectl.figures import ClientRecords, zone_of
from casectl.figures.search import NoteIndex, NoteRows, compile_pattern, json_row, search
from casectl.read.agency import open_agency
from casectl.read.figures import client_records
from casectl.store.cache import ReadCache, WithBlob
from tests.builders import AGENCY, START, cli, client, figures_agency, moments, note, records

INDEX = "read-cache.notes.idx"
BIN = "read-cache.notes.bin"

# ------------------------------------------------------- the index against the records

TEXT = st.text(alphabet='aAb rRent-_.\u00e9\u0130\u017f\u212a"\\\n\t\x00\x7fK\u2028', max_size=14)
WORDS = st.sampled_from(["rent", "a", "b-a", "ent", "k", "rent a", "i", "a_", "s", '"a'])


@st.composite
def agency_notes(draw: st.DrawFn) -> list[ClientRecords]:
    """A few clients (two managers) with notes of any text: words, case, non-ASCII, NUL,
    quotes and backslashes; times with and without offsets; ids that may repeat."""
    out = []
    for n in range(draw(st.integers(1, 4))):
        log = [
            note(
                draw(st.sampled_from(["n1", "n2", "n3"])),
                draw(moments()),
                draw(st.sampled_from(["visit", "note"])),
                text=draw(st.sampled_from(["", "rent ", "a", "Rent-a "])) + draw(TEXT),
                by=draw(st.sampled_from(["jdoe", 'm"kim'])),
            )
            for _ in range(draw(st.integers(0, 6)))
        ]
        manager = draw(st.sampled_from(["jdoe", "mkim"]))
        out.append(records(client(f"c-{n:04d}", manager=manager), *log))
    return out


def _cache_of(root: Path, clients: list[ClientRecords]) -> ReadCache:
    """A real read cache holding the clients' notes (saved, then read back)."""
    cache = ReadCache(root, b"format: 2\n")
    cache.load()
    for r in clients:
        rows = NoteRows.of(r, AGENCY)
        cid = r.client.id
        cache.put(cid, {"stamp": f"stamp-{cid}"}, {"notes": WithBlob(rows.to_json(), rows.blob())})
    cache.save()
    NoteIndex.write(cache)
    again = ReadCache(root, b"format: 2\n")
    again.load()
    return again


def _indexed(
    cache: ReadCache, words: str, as_json: bool = False, manager: str | None = None, **kw: Any
) -> list[Any]:
    index = NoteIndex.load(cache)
    assert index is not None
    wanted = bytearray(manager is None or m == manager for m in index.managers)
    matcher = compile_pattern(words)
    scanned = index.scan(cache, matcher, wanted, zone=zone_of(AGENCY), as_json=as_json, **kw)
    assert scanned is not None
    keyed = NoteIndex.hits(scanned, bytearray(b"\1" * len(index.clients)))
    keyed.sort(key=itemgetter(0))
    return [hit for _, hit, _ in keyed]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(agency_notes(), WORDS, st.sampled_from([None, "visit"]), st.integers(0, 120))
def test_the_index_finds_what_search_finds_in_the_records(
    tmp_path_factory: pytest.TempPathFactory,
    clients: list[ClientRecords],
    words: str,
    kind: str | None,
    first: int,
) -> None:
    cache = _cache_of(tmp_path_factory.mktemp("agency"), clients)
    matcher = compile_pattern(words)
    start, end = START + timedelta(days=first), START + timedelta(days=first + 30)
    for filters in ({}, {"note_type": kind, "start": start, "end": end}):
        want = search(clients, AGENCY, matcher, **filters)  # type: ignore[arg-type]
        got = _indexed(cache, words, **filters)
        assert [h.to_json() for h in got] == [h.to_json() for h in want], words
        assert [h.at for h in got] == [h.at for h in want]
        rows = _indexed(cache, words, as_json=True, **filters)
        assert rows == [json_row(h) for h in want]
    for manager in ("jdoe", "mkim"):
        want = search(clients, AGENCY, matcher, manager=manager)
        got = _indexed(cache, words, manager=manager)
        assert [h.to_json() for h in got] == [h.to_json() for h in want]


def test_json_rows_are_what_json_dumps_writes() -> None:
    """A row written as it is (plain values, a text with only LF to escape) or through
    the encoder decodes to the contract's object."""
    r = records(
        client("c-0001"),
        note("n1", "2026-01-02 10:00", text="Paid rent.\nTwo lines"),
        note("n2", "2026-01-03 10:00+09:30", text='Said "rent" \\ \t\x00 \u2028'),
    )
    for hit in search([r], AGENCY, compile_pattern("rent")):
        assert json.loads(json_row(hit)) == hit.to_json()


# ------------------------------------------------------------- through the command line

FILTERS = [
    ["voucher"],
    ["VOUCHER", "--client", "a-0001"],
    ["visit", "--manager", "mkim"],
    ["visit", "--type", "phone"],
    ["visit", "--from", "2026-10-01", "--to", "2026-10-31"],
    ["housing voucher"],
    ["nothing-here"],
    ["--regex", "(?i)v.u"],
]


def _search(root: Path, *args: str) -> list[dict[str, str]]:
    done = cli("-C", str(root), "search", *args, "--format", "json")
    assert done.exit_code == 0, done.stderr
    result: list[dict[str, str]] = json.loads(done.stdout)
    return result


def _pure(root: Path, args: list[str]) -> list[dict[str, str]]:
    """The same search over the records as read without any cache."""
    ctx = open_agency(root)
    words = args[1] if args[0] == "--regex" else args[0]
    matcher = compile_pattern(words, regex=args[0] == "--regex")
    opts = dict(zip(args[1::2], args[2::2], strict=False)) if args[0] != "--regex" else {}
    hits = search(
        client_records(ctx),
        ctx.agency,
        matcher,
        client=opts.get("--client"),
        manager=opts.get("--manager"),
        note_type=opts.get("--type"),
        start=date.fromisoformat(opts["--from"]) if "--from" in opts else None,
        end=date.fromisoformat(opts["--to"]) if "--to" in opts else None,
    )
    return [h.to_json() for h in hits]


def _same_as_pure(root: Path) -> None:
    for args in FILTERS:
        assert _search(root, *args) == _pure(root, args), args


def test_a_warm_search_uses_the_index_and_gives_the_pure_answers(tmp_path: Path) -> None:
    root = figures_agency(tmp_path / "agency")
    index = root / ".casectl" / INDEX
    _same_as_pure(root)  # cold: the notes saved, the index written after them
    assert index.exists()
    before = index.read_bytes()
    _same_as_pure(root)  # warm: read from the index, not written again
    assert index.read_bytes() == before
    assert json.loads((root / ".casectl" / "read-cache.notes.json").read_text())["blob"] in (
        before.decode("latin-1")
    )


@pytest.mark.parametrize("validated", [False, True])
def test_a_client_changed_since_the_index_is_read_again_and_merged_in_order(
    tmp_path: Path, validated: bool
) -> None:
    root = figures_agency(tmp_path / "agency")
    _same_as_pure(root)
    index = root / ".casectl" / INDEX
    before = index.read_bytes()
    # a voucher note dated between the other clients' voucher notes; `validate` then
    # has the client's new stamp in the cache's index, not in its notes
    with (root / "clients" / "c-0003" / "log.yaml").open("a") as fh:
        fh.write(
            "- id: 20261020-0900-jdoe\n  date: 2026-10-20 09:00\n  by: jdoe\n  type: visit\n"
            "  minutes: 20\n  text: Voucher forms, and a visit.\n"
        )
    if validated:
        assert cli("-C", str(root), "validate").exit_code in (0, 1)
    got = _search(root, "voucher")  # the index of before, c-0003 read again
    assert got == _pure(root, ["voucher"])
    assert "c-0003" in {h["client"] for h in got} and len({h["client"] for h in got}) > 1
    assert [h["date"] for h in got] == sorted(h["date"] for h in got)
    assert index.read_bytes() != before  # written anew with the notes
    _same_as_pure(root)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "a byte changed", "emptied", "another run's", "a link", "notes file changed"],
)
def test_a_damaged_or_foreign_index_is_never_used(tmp_path: Path, damage: str) -> None:
    root = figures_agency(tmp_path / "agency")
    _same_as_pure(root)
    cache = root / ".casectl"
    index = cache / INDEX
    data = index.read_bytes()
    if damage == "truncated":
        index.write_bytes(data[: len(data) // 2])
    elif damage == "a byte changed":  # (in the arrays: the CRC says so)
        at = len(data) - 20
        index.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    elif damage == "emptied":
        index.write_bytes(b"")
    elif damage == "another run's":  # an index of the notes before a client changed
        old = tmp_path / "old.idx"
        shutil.copy(index, old)
        with (root / "clients" / "a-0001" / "log.yaml").open("a") as fh:
            fh.write(
                "- id: 20261025-1000-jdoe\n  date: 2026-10-25 10:00\n  by: jdoe\n"
                "  type: visit\n  minutes: 20\n  text: A second voucher visit.\n"
            )
        assert _search(root, "voucher") == _pure(root, ["voucher"])
        shutil.copy(old, index)
    elif damage == "a link":
        (cache / "elsewhere.idx").write_bytes(data)
        index.unlink()
        index.symlink_to(cache / "elsewhere.idx")
    else:  # a text in the notes file changed under the index (its CRC no longer fits)
        path = cache / BIN
        texts = path.read_bytes()
        at = texts.index(b"voucher")
        path.write_bytes(texts[:at] + b"VOUCHER" + texts[at + 7 :])
    _same_as_pure(root)
    if damage == "a link":  # never written through (a new file replaced the link)
        assert (cache / "elsewhere.idx").read_bytes() == data


def test_no_index_without_notes_texts_and_none_for_a_restricted_client(tmp_path: Path) -> None:
    """The index holds offsets, days and ids, no text; a restricted client is in it no
    more than in the notes."""
    root = figures_agency(tmp_path / "agency")
    (root / ".gitattributes").write_text("clients/a-0001/** filter=git-crypt diff=git-crypt\n")
    _same_as_pure(root)
    data = (root / ".casectl" / INDEX).read_bytes()
    assert b"oucher" not in data and b"a-0001" not in data and b"b-0002" in data
