"""Due kind ``retention`` (contract 5.2, 5.7): a closed client is due for purging on
``closed.date`` + ``retention.closed``; no retention period, no item."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from casectl.core import dates, schedule
from casectl.core.facts import ClientFacts
from casectl.core.model import Cadence
from tests.builders import AGENCY_YAML, OLD, RECENT, cli, retention_agency


def test_closed_clients_are_due_for_purging_when_retention_ends(tmp_path: Path) -> None:
    root = retention_agency(tmp_path / "a")
    done = cli("-C", root, "due", "--as-of", "2033-01-10", "--kind", "retention", "--format",
               "json")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["client"], r["kind"], r["what"], r["due"], r["status"]) for r in rows] == [
        (OLD, "retention", "retention ends (closed 2018-03-01)", "2025-03-01", "overdue"),
        (RECENT, "retention", "retention ends (closed 2026-01-20)", "2033-01-20", "due_soon"),
    ]
    text = cli("-C", root, "due", "--as-of", "2033-01-10", "--kind", "retention")
    assert "retention ends (closed 2018-03-01)" in text.stdout
    # purged: gone from the list
    assert cli("-C", root, "purge", OLD).exit_code == 0
    again = cli("-C", root, "due", "--as-of", "2033-01-10", "--kind", "retention", "--format",
                "json")  # fmt: skip
    assert [r["client"] for r in json.loads(again.stdout)] == [RECENT]


def test_no_retention_period_no_item(tmp_path: Path) -> None:
    root = retention_agency(tmp_path / "a", agency_yaml=AGENCY_YAML)
    done = cli("-C", root, "due", "--as-of", "2040-01-01", "--kind", "retention")
    assert done.exit_code == 0 and "retention" not in done.stdout.replace("--kind", "")


def test_the_kind_sorts_after_the_contract_v1_kinds_and_before_record() -> None:
    assert schedule.KINDS.index("retention") == len(schedule.KINDS) - 2
    assert schedule.KINDS[-1] == "record"


def test_retention_is_computed_from_facts() -> None:
    period = dates.Duration(7, "years")
    plan = schedule.client_schedule(_facts(date(2024, 2, 29)), Cadence(), retention=period)
    assert [(k, w, d) for k, w, _, d in plan.dates] == [
        ("retention", "retention ends (closed 2024-02-29)", date(2031, 2, 28))
    ]
    assert schedule.client_schedule(_facts(date(2024, 2, 29)), Cadence()).dates == ()


def _facts(closed: date) -> ClientFacts:
    return ClientFacts(
        id="rc-1", name="X", status="closed", manager="jdoe", program=None,
        opened=date(2020, 1, 1), closed=closed, consent_expires=None,
    )  # fmt: skip
