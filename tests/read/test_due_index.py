"""The read cache's flat indexes: a warm ``due`` takes every unchanged client's items
from the due index (``read-cache.due.idx``, ``store.cache.DueIndex``), a warm ``list``
its rows from the list index (``read-cache.list.idx``), and the answer is always the
one the records give (a cold run), whatever happened to the index: a client changed
since, damage, an index of another run or of another day, every option."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from casectl.read.agency import open_agency
from casectl.read.scan import DueFound, ListingsFound, due_of, listings_of
from casectl.store import cache
from tests.builders import cli, due_index_agency, rewrite_due_index

INDEX = Path(".casectl") / "read-cache.due.idx"
CLIENTS = 8

# as-of days: today (none), ahead (the index's case), in the past (an as-of view)
RUNS: list[tuple[str, ...]] = [
    (),
    ("--as-of", "2027-03-01"),
    ("--as-of", "2027-03-01", "--within", "400 days"),
    ("--as-of", "2027-03-01", "--within", "0 days"),
    ("--within", "3 months"),
    ("--as-of", "2027-03-01", "--manager", "dana"),
    ("--as-of", "2027-03-01", "--manager", "jdoe"),
    ("--as-of", "2027-03-01", "--kind", "approval", "--kind", "record"),
    ("--as-of", "2027-03-01", "--client", "ana", "--client", "eve"),
    (
        "--as-of",
        "2026-06-01",
    ),
    ("--as-of", "2026-06-01", "--within", "30 days", "--manager", "mkim"),
]


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    return due_index_agency(tmp_path / "agency")


def _due(root: Path, *args: str, fmt: str = "json") -> str:
    done = cli("-C", root, "due", "--format", fmt, *args)
    assert done.exit_code == 0, done.stderr
    return done.stdout


def _cold(root: Path, *args: str, fmt: str = "json") -> str:
    """The answer from the records themselves: no read cache at all."""
    shutil.rmtree(root / ".casectl", ignore_errors=True)
    return _due(root, *args, fmt=fmt)


def _found(root: Path, as_of: str = "2027-03-01") -> DueFound:
    ctx = open_agency(root, as_of=date.fromisoformat(as_of))
    return due_of(ctx, None, ctx.as_of)


def test_a_warm_due_takes_every_client_from_the_index(agency: Path) -> None:
    cold = _cold(agency, "--as-of", "2027-03-01")
    assert (agency / INDEX).is_file()
    assert _found(agency).indexed == CLIENTS
    assert _due(agency, "--as-of", "2027-03-01") == cold
    # the index holds what the JSON shows: approvals, ties, the record item
    for expected in ('"kind": "approval"', '"manager": "dana"', '"kind": "record"', '"ana2"'):
        assert expected in cold
    shown = [i["client"] for i in json.loads(cold)]
    assert "aab" in shown and "zed" not in shown  # zed's client.yaml: its id, not its folder


@pytest.mark.parametrize("args", RUNS, ids=lambda args: " ".join(args) or "today")
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_every_option_gives_the_uncached_answer(
    agency: Path, args: tuple[str, ...], fmt: str
) -> None:
    cold = _cold(agency, *args, fmt=fmt)
    _due(agency)  # today's run writes the cache and its index
    assert _due(agency, *args, fmt=fmt) == cold
    assert _due(agency, *args, fmt=fmt) == cold


def test_a_client_changed_since_is_read_again_and_merged_in_order(agency: Path) -> None:
    _due(agency)
    plan = agency / "clients" / "ana2" / "plan.yaml"
    plan.write_text(plan.read_text().replace("due: 2026-06-15", "due: 2027-02-20"))
    found = _found(agency)
    assert found.indexed == CLIENTS - 1  # ana2 from its files, the others from the index
    assert _found(agency).indexed == CLIENTS  # the run before wrote the index anew
    assert [i.to_json() for i in found.items] == json.loads(_cold(agency, "--as-of", "2027-03-01"))


def test_a_damaged_index_is_not_read_and_is_written_anew(agency: Path) -> None:
    expected = _cold(agency, "--as-of", "2027-03-01")
    path = agency / INDEX
    data = path.read_bytes()
    # a day of one row one less: still JSON, but not what the digest says
    at = data.rindex(b"[7") + 1
    damaged = data[:at] + bytes([data[at] - 1]) + data[at + 1 :]
    for broken in (damaged, data[: len(data) // 2], b"", b"\n\n", data.replace(b"\n", b" ", 1)):
        path.write_bytes(broken)
        assert _found(agency).indexed == 0
        assert path.read_bytes() == data  # the fallback wrote it again
        path.write_bytes(broken)
        assert _due(agency, "--as-of", "2027-03-01") == expected


def test_an_index_of_another_run_serves_only_the_clients_it_still_matches(
    agency: Path, tmp_path: Path
) -> None:
    _due(agency)
    old = (agency / INDEX).read_bytes()
    log = agency / "clients" / "ben" / "log.yaml"
    log.write_text(
        "- id: 20261101-1000-mkim\n  date: 2026-11-01 10:00\n  by: mkim\n"
        "  type: visit\n  text: Visit.\n"
    )
    expected = _cold(agency, "--as-of", "2027-03-01")
    (agency / INDEX).write_bytes(old)  # the index from before ben's visit
    assert _due(agency, "--as-of", "2027-03-01") == expected
    (agency / INDEX).write_bytes(old)
    found = _found(agency)
    assert found.indexed == CLIENTS - 1
    assert [i.to_json() for i in found.items] == json.loads(expected)
    # an index of another agency (same casectl.yaml: the same key): no stamp matches
    other = due_index_agency(tmp_path / "other")
    _due(other)
    shutil.copy(other / INDEX, agency / INDEX)
    assert _found(agency).indexed == 0
    assert _due(agency, "--as-of", "2027-03-01") == expected


def test_an_index_of_another_casectl_yaml_is_not_read(agency: Path) -> None:
    expected = _cold(agency, "--as-of", "2027-03-01")
    rewrite_due_index(agency, lambda head, rows: head.update(key="0" * 64))
    assert _found(agency).indexed == 0
    assert _due(agency, "--as-of", "2027-03-01") == expected


def test_a_client_checked_before_a_date_it_saw_in_the_future_is_checked_again(
    agency: Path,
) -> None:
    """An entry is usable on another day only when no date it was checked against was
    then in the future (``store.cache.usable``): the index keeps that day."""
    expected = _cold(agency, "--as-of", "2027-03-01")

    def checked_long_ago(head: dict[str, Any], rows: list[Any]) -> None:
        head["clients"][0][2] = "2020-01-01"

    rewrite_due_index(agency, checked_long_ago)
    assert _found(agency).indexed == CLIENTS - 1
    assert _due(agency, "--as-of", "2027-03-01") == expected


def test_a_client_gone_since_is_not_shown_and_leaves_the_cache(agency: Path) -> None:
    _due(agency)
    shutil.rmtree(agency / "clients" / "ana2")
    expected_rows = _due(agency, "--as-of", "2027-03-01")
    assert "ana2" not in expected_rows
    assert b"ana2" not in (agency / INDEX).read_bytes()  # pruned, the index written anew
    assert _found(agency).indexed == CLIENTS - 1


def test_rows_beyond_the_horizon_are_left_in_the_file(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body in pieces of one day each (the smallest): every horizon still gives the
    uncached answer."""
    monkeypatch.setattr(cache, "_DUE_CHUNK", 1)
    for within in ("0 days", "30 days", "1 year", "10 years"):
        args = ("--as-of", "2026-12-01", "--within", within)
        expected = _cold(agency, *args)
        _due(agency)
        assert _found(agency, "2026-12-01").indexed == CLIENTS
        assert _due(agency, *args) == expected


def test_validate_and_due_write_the_same_index(agency: Path) -> None:
    assert cli("-C", agency, "validate").exit_code == 1  # eve's plan
    by_validate = (agency / INDEX).read_bytes()
    shutil.rmtree(agency / ".casectl", ignore_errors=True)
    _due(agency)
    assert (agency / INDEX).read_bytes() == by_validate


# ------------------------------------------------------------------ the list index

LIST_INDEX = Path(".casectl") / "read-cache.list.idx"


def _list(root: Path, *args: str) -> str:
    done = cli("-C", root, "list", *args)
    assert done.exit_code == 0, done.stderr
    return done.stdout


def _listed(root: Path) -> ListingsFound:
    return listings_of(open_agency(root))


LIST_RUNS: list[tuple[str, ...]] = [
    (),
    ("--format", "json"),
    ("--status", "active", "--manager", "jdoe"),
    ("--as-of", "2026-06-01", "--format", "json"),
]


@pytest.mark.parametrize("args", LIST_RUNS, ids=lambda args: " ".join(args) or "plain")
def test_a_warm_list_takes_every_client_from_its_index(agency: Path, args: tuple[str, ...]) -> None:
    shutil.rmtree(agency / ".casectl", ignore_errors=True)
    cold = _list(agency, *args)
    _list(agency)  # (an as-of view is never cached: today's run fills the cache)
    assert (agency / LIST_INDEX).is_file()
    assert _listed(agency).indexed == CLIENTS
    assert _list(agency, *args) == cold
    assert "(records have errors)" in _list(agency)  # eve: listed from the index too


def test_a_listed_client_changed_since_is_read_again(agency: Path) -> None:
    _list(agency)
    client = agency / "clients" / "cal" / "client.yaml"
    client.write_text(client.read_text().replace("Cal Test", "Cal Changed"))
    found = _listed(agency)
    assert found.indexed == CLIENTS - 1
    assert "Cal Changed" in [f.name for f in found.listed]
    assert _listed(agency).indexed == CLIENTS  # written anew by the run before
    expected = _list(agency, "--format", "json")
    shutil.rmtree(agency / ".casectl", ignore_errors=True)
    cold = _listed(agency)
    assert cold.indexed == 0
    assert found.listed == cold.listed  # merged in the folders' order (zed's "aab" last)
    assert _list(agency, "--format", "json") == expected


def test_a_damaged_or_foreign_list_index_is_not_read(agency: Path, tmp_path: Path) -> None:
    shutil.rmtree(agency / ".casectl", ignore_errors=True)
    expected = _list(agency, "--format", "json")
    path = agency / LIST_INDEX
    data = path.read_bytes()
    for broken in (data.replace(b"Ana Test", b"Ana Tost"), data[:-9], b"x\n{}\n"):
        path.write_bytes(broken)
        assert _listed(agency).indexed == 0
        assert path.read_bytes() == data  # written anew
        path.write_bytes(broken)
        assert _list(agency, "--format", "json") == expected
    other = due_index_agency(tmp_path / "other")
    _list(other)
    shutil.copy(other / LIST_INDEX, path)  # the same clients, other folders
    assert _listed(agency).indexed == 0
    shutil.copy(other / LIST_INDEX, path)
    assert _list(agency, "--format", "json") == expected
