"""The run context: immutable, and --as-of never becomes the validation day."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from casectl.read.agency import open_agency, today_in, zone_named
from tests.builders import cli


def test_as_of_is_kept_apart_from_today(agency: Path) -> None:
    real = today_in(zone_named("America/Chicago"))
    ctx = open_agency(agency, as_of=date(2020, 1, 1))
    assert (ctx.today, ctx.as_of) == (real, date(2020, 1, 1))
    assert ctx.env.today == real  # what the checks judge against
    assert open_agency(agency).as_of == real
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.today = date(2020, 1, 1)  # type: ignore[misc]
    assert ctx.with_as_of(date(2021, 1, 1)).today == real


def test_a_past_as_of_makes_no_later_record_an_error(agency: Path) -> None:
    # The records are dated 2026; counted from 2020 they are "in the future", but the
    # checks run on the real today: no client gets a `record` item for them.
    r = cli("-C", agency, "due", "--as-of", "2020-01-01", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert '"record"' not in r.stdout
