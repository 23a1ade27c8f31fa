"""flag: client.yaml edited in place, a flag entry, one commit; flags, stage and tasks in
list, show, caseload and the report header; the flag_review due kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casectl.read.agency import today_in, zone_named
from casectl.store.load import load_text
from tests.builders import cli, client_files, commit_count, make_agency, run_git

CID = "rc-0001"

CLIENT = """\
# Client record (synthetic)
id: rc-0001      # folder name
name: Test Person
status: active   # active | on_hold | closed
opened: 2026-01-05
manager: jdoe
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_agency(tmp_path / "ag", {CID: client_files(CID, **{"client.yaml": CLIENT})})


def _client(root: Path) -> str:
    return (root / "clients" / CID / "client.yaml").read_text()


def _entries(root: Path) -> list[dict[str, object]]:
    loaded = load_text("log.yaml", (root / "clients" / CID / "log.yaml").read_bytes())
    assert isinstance(loaded.data, list)
    return loaded.data


def test_raise_and_clear_a_flag(root: Path) -> None:
    today = today_in(zone_named("America/Chicago")).isoformat()
    before = commit_count(root)
    r = cli("-C", root, "flag", CID, "safeguarding", "--review-by", "2099-01-15")
    assert r.exit_code == 0, r.stderr
    assert _client(root) == CLIENT + (
        f"flags:\n  - kind: safeguarding\n    since: {today}\n    review_by: 2099-01-15\n"
    )
    last = _entries(root)[-1]
    assert last["type"] == "flag" and last["text"] == "Flag safeguarding raised.\n"
    assert last["changes"] == ["flag safeguarding raised, review by 2099-01-15"]
    assert commit_count(root) == before + 1
    changed = sorted(run_git(root, "show", "--name-only", "--format=", "HEAD").split())
    assert changed == ["casectl.yaml", f"clients/{CID}/client.yaml", f"clients/{CID}/log.yaml"]
    assert run_git(root, "status", "--porcelain") == ""
    # Shown everywhere a client is listed.
    rows = json.loads(cli("-C", root, "list", "--format", "json").stdout)
    row = next(r for r in rows if r["id"] == CID)
    assert row["flags"] == ["safeguarding"] and row["stage"] == "planned"
    assert row["tasks_open"] == 0
    assert "safeguarding" in cli("-C", root, "list").stdout
    shown = cli("-C", root, "show", CID).stdout
    assert "FLAG:     safeguarding since" in shown and "stage:    planned" in shown
    assert "**Flag** | **safeguarding** since" in cli("-C", root, "report", CID).stdout
    assert "**safeguarding**" in cli("-C", root, "caseload").stdout
    # Raising it again is refused; clearing it sets `cleared`, the item stays.
    r = cli("-C", root, "flag", CID, "safeguarding")
    assert r.exit_code == 2 and "already raised" in r.stderr
    r = cli("-C", root, "flag", CID, "safeguarding", "--clear", "Ex-partner moved away.")
    assert r.exit_code == 0, r.stderr
    assert _client(root).endswith(f"    review_by: 2099-01-15\n    cleared: {today}\n")
    last = _entries(root)[-1]
    assert last["changes"] == ["flag safeguarding cleared"]
    assert last["text"] == "Ex-partner moved away.\n"
    rows = json.loads(cli("-C", root, "list", "--format", "json").stdout)
    assert next(r for r in rows if r["id"] == CID)["flags"] == []
    assert cli("-C", root, "validate").exit_code == 0


def test_flag_review_is_due(root: Path) -> None:
    r = cli("-C", root, "flag", CID, "medical", "--review-by", "1 day")
    assert r.exit_code == 0, r.stderr
    items = json.loads(cli("-C", root, "due", "--format", "json").stdout)
    flags = [i for i in items if i["kind"] == "flag_review"]
    assert [(i["client"], i["what"], i["status"]) for i in flags] == [
        (CID, "flag medical", "due_soon")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["flag", CID, "grumpy"], "'grumpy' is not a flag kind of casectl.yaml flag_kinds"),
        (["flag", CID, "medical", "--clear"], "no raised flag medical"),
        (["flag", CID, "medical", "--review-by", "whenever"], "--review-by"),
        (["flag", CID, "medical", "--clear", "--review-by", "2 weeks"], "leave it out"),
    ],
)
def test_flag_refusals_write_nothing(root: Path, args: list[str], message: str) -> None:
    before = (_client(root), commit_count(root))
    r = cli("-C", root, *args)
    assert r.exit_code == 2 and message in r.stderr, r.stderr
    assert (_client(root), commit_count(root)) == before
    assert run_git(root, "status", "--porcelain") == ""


def test_flag_kinds_come_from_casectl_yaml(tmp_path: Path) -> None:
    agency = (
        "format: 2\nagency: T\ntimezone: America/Chicago\nflag_kinds: [fire_risk]\n"
        "managers:\n  jdoe: {name: Jane Doe, email: jane.doe@example.org}\n"
    )
    root = make_agency(tmp_path / "ag", {CID: client_files(CID)}, agency_yaml=agency)
    assert cli("-C", root, "flag", CID, "fire_risk").exit_code == 0
    r = cli("-C", root, "flag", CID, "medical")
    assert r.exit_code == 2 and "one of: fire_risk" in r.stderr


def test_stage_follows_the_case(tmp_path: Path) -> None:
    files = client_files(
        CID,
        **{
            "assessment.yaml": "assessments: []\n",
            "plan.yaml": "created: 2026-01-12\ngoals: []\n",
            "log.yaml": "[]\n",
        },
    )
    root = make_agency(tmp_path / "ag", {CID: files})

    def stage() -> str:
        rows = json.loads(cli("-C", root, "list", "--format", "json").stdout)
        return str(rows[0]["stage"])

    assert stage() == "intake"
    r = cli("-C", root, "assess", CID, "--score", "housing=2", "--date", "2026-01-20")
    assert r.exit_code == 0, r.stderr
    assert stage() == "assessed"
    items = json.loads(cli("-C", root, "due", "--format", "json").stdout)
    assert [i["what"] for i in items if i["kind"] == "initial_plan"] == ["initial plan"]
    assert cli("-C", root, "goal", CID, "add", "Stable housing").exit_code == 0
    assert stage() == "planned"
    assert cli("-C", root, "note", CID, "Visit.", "--type", "visit").exit_code == 0
    assert stage() == "monitoring"
    assert cli("-C", root, "close", CID, "--reason", "goals_met").exit_code == 0
    assert stage() == "closed"
