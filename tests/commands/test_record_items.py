"""A client with errors never disappears (contract 5.2, due kind ``record``).

Each client below has a different kind of broken file; every one of them is still
listed by ``due``, ``digest``, ``list`` and ``caseload``, with a ``record`` item and
whatever can still be computed from its valid files. Dates worked out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.builders import cli, cli_subprocess, client_files, make_agency

AS_OF = "2026-06-01"

# status misspelt: the rest of client.yaml is readable; treated as active.
EVE_CLIENT = """\
id: eve
name: Eve Test
status: actve
opened: 2026-05-20
manager: jdoe
consent:
  signed: 2026-05-20
  expires: 2026-06-10
"""
EMPTY = {"assessment.yaml": "assessments: []\n", "plan.yaml": "goals: []\n", "log.yaml": "[]\n"}

# client.yaml cannot be parsed at all: no name, no manager, no opened date.
FAY_PLAN = """\
goals:
  - id: G1
    goal: Find a flat
    target: 2026-05-30
"""

# A valid client.yaml, a log with one good and one bad entry.
GUS_CLIENT = """\
id: gus
name: Gus Test
status: active
opened: 2026-01-05
manager: mkim
"""
GUS_LOG = """\
- id: 20260510-1000-mkim
  date: 2026-05-10 10:00
  by: mkim
  type: visit
  text: Home visit.
- id: 20260512-1000-mkim
  date: 2026-05-12 10:00
  by: mkim
  type: vist
  text: Typo in the type.
"""

# Closed, with an error in the plan: only the record item.
HAL_CLIENT = """\
id: hal
name: Hal Test
status: closed
opened: 2026-01-05
manager: mkim
closed:
  date: 2026-03-01
  reason: moved
"""


def record(client: str, name: str | None, manager: str | None) -> dict[str, Any]:
    return {
        "client": client,
        "name": name,
        "manager": manager,
        "kind": "record",
        "what": f"records have errors: casectl validate clients/{client}",
        "due": AS_OF,
        "status": "overdue",
        "days": 0,
    }


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return make_agency(
        tmp_path / "ag",
        {
            "ana": client_files("ana"),
            "eve": {"client.yaml": EVE_CLIENT, **EMPTY},
            "fay": {**EMPTY, "client.yaml": "id: fay\nname: [Fay\n", "plan.yaml": FAY_PLAN},
            "gus": client_files("gus", **{"client.yaml": GUS_CLIENT, "log.yaml": GUS_LOG}),
            "hal": client_files(
                "hal",
                **{
                    "client.yaml": HAL_CLIENT,
                    "plan.yaml": "goals:\n  - {id: G1, goal: x, status: dne}\n",
                },
            ),
        },
    )


def due_json(root: Path, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    r = cli("-C", root, "due", "--as-of", AS_OF, "--format", "json", *args)
    assert r.exit_code in (0, 1), r.stderr
    return r.exit_code, json.loads(r.stdout), r.stderr


def test_every_client_with_errors_gets_a_record_item(broken: Path) -> None:
    _, items, stderr = due_json(broken, "--kind", "record")
    assert items == [
        record("eve", "Eve Test", "jdoe"),
        record("fay", None, None),
        record("gus", "Gus Test", "mkim"),
        record("hal", "Hal Test", "mkim"),
    ]
    assert "left out" not in stderr


def test_what_can_still_be_computed_is_shown_too(broken: Path) -> None:
    _, items, _ = due_json(broken)
    got = {(i["client"], i["kind"]): (i["due"], i["status"], i["days"]) for i in items}
    # eve, treated as active: opened 2026-05-20 + 14 days; consent expires 2026-06-10
    assert got[("eve", "assessment")] == ("2026-06-03", "due_soon", -2)
    assert got[("eve", "consent")] == ("2026-06-10", "due_soon", -9)
    # fay: nothing is known of client.yaml, but the plan's goal still counts
    assert got[("fay", "goal")] == ("2026-05-30", "overdue", 2)
    assert {k for c, k in got if c == "fay"} == {"goal", "record"}
    # gus: the valid visit (2026-05-10) + 30 days; plan created 2026-01-12 + 90 days
    assert got[("gus", "contact")] == ("2026-06-09", "due_soon", -8)
    assert got[("gus", "plan_review")] == ("2026-04-12", "overdue", 50)
    # hal is closed: nothing but the record
    assert {k for c, k in got if c == "hal"} == {"record"}
    # a valid client is as before
    ana = [i for i in items if i["client"] == "ana"]
    assert ana and all(i["kind"] != "record" for i in ana)


def test_record_sorts_after_consent_on_the_same_day(tmp_path: Path) -> None:
    client = EVE_CLIENT.replace("2026-06-10", AS_OF)
    root = make_agency(tmp_path / "ag", {"eve": {"client.yaml": client, **EMPTY}})
    _, items, _ = due_json(root)
    assert [i["kind"] for i in items if i["due"] == AS_OF] == ["consent", "record"]


def test_fail_on_overdue_exits_1_for_a_record_alone(tmp_path: Path) -> None:
    client = EVE_CLIENT.replace("opened: 2026-05-20", "opened: 2026-05-30").replace(
        "signed: 2026-05-20", "signed: 2026-05-30"
    )
    root = make_agency(tmp_path / "ag", {"eve": {"client.yaml": client, **EMPTY}})
    code, items, _ = due_json(root, "--fail-on-overdue")
    assert [i["kind"] for i in items if i["status"] == "overdue"] == ["record"]
    assert code == 1
    fixed = make_agency(
        tmp_path / "ok",
        {"eve": {"client.yaml": client.replace("actve", "active"), **EMPTY}},
    )
    assert due_json(fixed, "--fail-on-overdue")[0] == 0


def test_text_output_lists_the_client(broken: Path) -> None:
    done = cli_subprocess("-C", broken, "due", "--as-of", AS_OF, "--kind", "record")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any("eve" in ln and "Eve Test" in ln and "record" in ln for ln in lines)
    assert any(ln.split()[:5] == ["overdue", AS_OF, "0", "fay", "record"] for ln in lines)
    assert "None" not in done.stdout
    md = cli("-C", broken, "due", "--as-of", AS_OF, "--format", "md", "--kind", "record")
    assert "None" not in md.stdout and "clients/fay" in md.stdout


def test_digest_has_a_records_with_errors_section(broken: Path) -> None:
    r = cli("-C", broken, "digest", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    text = r.stdout
    assert "Records with errors" in text
    section = text.split("Records with errors", 1)[1].split("\n\n", 1)[0]
    for cid in ("eve", "fay", "gus", "hal"):
        assert cid in section
    assert "Eve Test" in section and "None" not in text
    # one manager's digest: only their clients' records
    mine = cli("-C", broken, "digest", "--as-of", AS_OF, "--manager", "jdoe").stdout
    assert "eve" in mine and "gus" not in mine


def test_list_shows_every_client_marked(broken: Path) -> None:
    r = cli("-C", broken, "list", "--format", "json")
    assert r.exit_code == 0
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert sorted(rows) == ["ana", "eve", "fay", "gus", "hal"]
    assert [rows[c]["errors"] for c in sorted(rows)] == [False, True, True, True, True]
    assert rows["fay"]["name"] is None and rows["fay"]["manager"] is None
    assert rows["eve"]["name"] == "Eve Test" and rows["eve"]["status"] == "active"
    text = cli("-C", broken, "list").stdout
    eve = next(ln for ln in text.splitlines() if ln.startswith("eve"))
    assert "Eve Test" in eve and "errors" in eve
    assert any(ln.startswith("fay") and "errors" in ln for ln in text.splitlines())
    assert "left out" not in r.stderr
    jdoe = json.loads(cli("-C", broken, "list", "--format", "json", "--manager", "jdoe").stdout)
    assert [row["id"] for row in jdoe] == ["ana", "eve"]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_caseload_shows_the_clients_with_errors(broken: Path, fmt: str) -> None:
    r = cli("-C", broken, "caseload", "--as-of", AS_OF, "--format", fmt)
    assert r.exit_code == 0, r.stderr
    assert "Records with errors" in r.stdout
    section = r.stdout.split("Records with errors", 1)[1]
    for cid in ("eve", "fay", "gus", "hal"):
        assert cid in section
    assert "Eve Test" in section
    assert ">None<" not in r.stdout and "| None |" not in r.stdout
    assert "left out" not in r.stdout + r.stderr


def test_warm_runs_use_the_cache_for_clients_with_errors(broken: Path) -> None:
    first = due_json(broken)[1]
    schedules = json.loads((broken / ".casectl" / "read-cache.schedule.json").read_text())
    assert schedules["clients"]["eve"][1] is not None
    assert schedules["clients"]["fay"][1] is not None
    assert due_json(broken)[1] == first
