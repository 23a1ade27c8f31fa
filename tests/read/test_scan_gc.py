"""The cyclic garbage collector during reads (read.scan.gc_paused): paused while a
warm read decodes the cache and writes its output (hundreds of thousands of acyclic
objects), running as usual while changed clients are read and checked."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casectl.commands._common import agency_context
from casectl.present.output import Output
from casectl.read.scan import gc_paused, scan
from tests.builders import cli


@pytest.fixture
def collections() -> Iterator[list[str]]:
    """The phases of the collections that run while the test does; a young
    generation of 50 objects, so a running collector always collects something (with
    the default 700 a check of two small clients may not add that many)."""
    seen: list[str] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        seen.append(phase)

    thresholds = gc.get_threshold()
    gc.set_threshold(50, 100_000, 100_000)
    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*thresholds)


def test_gc_paused_restores_the_collector_whatever_happens() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused(False):
            assert gc.isenabled()
        assert not gc.isenabled()
        with pytest.raises(ZeroDivisionError), gc_paused(False):
            _ = 1 / 0
        assert not gc.isenabled()
    assert gc.isenabled()


def test_changed_clients_are_checked_with_the_collector_on(
    agency: Path, collections: list[str]
) -> None:
    ctx = agency_context(agency, None, out=Output(color=False, pager=False))
    with gc_paused():
        collections.clear()
        state = scan(ctx)  # a cold cache: both clients are read and checked
        during = list(collections)
        assert not gc.isenabled()
    assert [c.id for c in state.clients] == ["rc-0001", "rc-0002"]
    assert "start" in during


def test_a_warm_read_runs_no_collection(agency: Path, collections: list[str]) -> None:
    assert cli("-C", agency, "validate").exit_code == 0
    ctx = agency_context(agency, None, out=Output(color=False, pager=False))
    gc.collect()
    collections.clear()
    with gc_paused():
        state = scan(ctx)
        assert len(state.listings()) == 2 and len(state.schedules()) == 2
        garbage = [[object()] for _ in range(10_000)]
        during = list(collections)  # (the first allocation after the block may collect)
    assert during == [] and len(garbage) == 10_000
