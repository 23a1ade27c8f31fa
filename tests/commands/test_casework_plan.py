"""goal, action, task: plan.yaml edited in place (comments and untouched lines kept
byte for byte), the entry saying what changed, one commit, nothing written on refusal."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from casectl.read.agency import today_in, zone_named
from casectl.store.load import load_text
from tests.builders import cli, client_files, commit_count, make_agency, run_git

CID = "rc-0001"

PLAN = """\
# Care plan (synthetic)
created: 2026-01-12
goals:
  - id: G1            # housing first
    domain: housing
    goal: Move into stable housing
    target: 2026-12-31   # end of year
    status: active
    actions:
      - action: Apply for a housing voucher
        who: client
        due: 2026-02-01
        done: 2026-01-30
      - action: Visit two flats   # with the sister
        due: 2026-03-01
  # income next
  - id: G2
    domain: income
    goal: "Apply for benefits"
    status: active
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_agency(tmp_path / "ag", {CID: client_files(CID, **{"plan.yaml": PLAN})})


def _plan(root: Path) -> str:
    return (root / "clients" / CID / "plan.yaml").read_text()


def _entries(root: Path) -> list[dict[str, object]]:
    loaded = load_text("log.yaml", (root / "clients" / CID / "log.yaml").read_bytes())
    assert loaded.problems == [] and isinstance(loaded.data, list)
    return loaded.data


def _one_commit(root: Path, before: int, *files: str) -> None:
    assert commit_count(root) == before + 1
    changed = sorted(run_git(root, "show", "--name-only", "--format=", "HEAD").split())
    assert changed == sorted(files)
    assert run_git(root, "status", "--porcelain") == ""
    assert cli("-C", root, "validate").exit_code == 0


def test_goal_add_appends_the_next_goal_in_place(root: Path) -> None:
    before = commit_count(root)
    r = cli("-C", root, "goal", CID, "add", "Find part-time work", "--domain", "employment")
    assert r.exit_code == 0, r.stderr
    assert _plan(root) == PLAN + (
        "  - id: G3\n    domain: employment\n    goal: Find part-time work\n    status: active\n"
    )
    last = _entries(root)[-1]
    assert last["type"] == "plan_change" and last["changes"] == ["G3 added"]
    assert last["text"] == "Goal G3 added: Find part-time work\n"
    assert r.stdout.splitlines() == [f"{CID}: G3 added", str(last["id"])]
    # plan_change and changes: are format 2: casectl.yaml goes 1 -> 2 in the same commit.
    assert "casectl.yaml: format 1 -> 2 (this change uses format 2 fields)" in r.stderr
    _one_commit(root, before, "casectl.yaml", f"clients/{CID}/plan.yaml", f"clients/{CID}/log.yaml")
    subject = run_git(root, "log", "-1", "--format=%s").strip()
    assert subject == f"goal: {CID} G3 added (jdoe)"


def test_goal_status_met_gets_status_date_and_target_moves(root: Path) -> None:
    r = cli("-C", root, "goal", CID, "G2", "--status", "met", "--date", "2026-11-02")
    assert r.exit_code == 0, r.stderr
    assert _plan(root) == PLAN.replace(
        '    status: active\n"""'[:0] + '    goal: "Apply for benefits"\n    status: active\n',
        '    goal: "Apply for benefits"\n    status: met\n    status_date: 2026-11-02\n',
    )
    last = _entries(root)[-1]
    assert last["changes"] == ["G2 status active -> met"]
    assert last["text"] == "Goal G2: status active -> met.\n"
    assert last["date"] == "2026-11-02" and "recorded" in last  # a late entry
    before = commit_count(root)
    r = cli(
        "-C", root, "goal", CID, "G1", "--target", "2027-01-31", "--why", "Waiting list is long."
    )
    assert r.exit_code == 0, r.stderr
    assert "    target: 2027-01-31   # end of year\n" in _plan(root)
    last = _entries(root)[-1]
    assert last["changes"] == ["G1 target 2026-12-31 -> 2027-01-31"]
    assert last["text"] == "Waiting list is long.\n"
    _one_commit(root, before, f"clients/{CID}/plan.yaml", f"clients/{CID}/log.yaml")


def test_goal_back_to_active_drops_status_date(root: Path) -> None:
    assert cli("-C", root, "goal", CID, "G2", "--status", "dropped").exit_code == 0
    assert "status_date" in _plan(root)
    r = cli("-C", root, "goal", CID, "G2", "--status", "active")
    assert r.exit_code == 0, r.stderr
    assert _plan(root) == PLAN
    assert _entries(root)[-1]["changes"] == ["G2 status dropped -> active"]


def test_action_add_and_done(root: Path) -> None:
    r = cli("-C", root, "action", CID, "G1", "add", "Call the landlord", "--who", "jdoe")
    assert r.exit_code == 0, r.stderr
    added = "      - action: Call the landlord\n        who: jdoe\n"
    expected = PLAN.replace("  # income next\n", added + "  # income next\n")
    assert _plan(root) == expected
    last = _entries(root)[-1]
    assert last["changes"] == ["G1.3 added"]
    assert last["text"] == "Action G1.3 added: Call the landlord\n"
    before = commit_count(root)
    r = cli("-C", root, "action", CID, "G1.2", "--done")
    assert r.exit_code == 0, r.stderr
    today = _today(root)
    assert _plan(root) == expected.replace(
        "        due: 2026-03-01\n", f"        due: 2026-03-01\n        done: {today}\n"
    )
    last = _entries(root)[-1]
    assert last["changes"] == [f"G1.2 done {today}"]
    assert last["text"] == "Action G1.2 done: Visit two flats\n"
    _one_commit(root, before, f"clients/{CID}/plan.yaml", f"clients/{CID}/log.yaml")


def _today(root: Path) -> str:
    return today_in(zone_named("America/Chicago")).isoformat()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["goal", CID, "G9", "--status", "met"], "no goal 'G9' in clients/rc-0001/plan.yaml"),
        (["goal", CID, "G1", "--status", "done"], "is not a goal status"),
        (["goal", CID, "G1", "--status", "active"], "G1 is already active"),
        (["goal", CID, "G1"], "nothing to change"),
        (["goal", CID, "add"], "give the goal's text"),
        (["goal", CID, "add", "x", "--domain", "astrology"], "CM"),  # would not validate
        (["goal", CID, "add", "x", "--target", "soon"], "neither a date"),
        (["goal", CID, "G1", "--status", "met", "--date", "03/04"], "today, yesterday"),
        (["action", CID, "G1.9", "--done"], "no action G1.9"),
        (["action", CID, "G1.1", "--done"], "G1.1 is already done (2026-01-30)"),
        (["action", CID, "G1", "--done"], "not an action"),
        (["action", CID, "G1"], "--done"),
        (["task", CID, "Call"], "needs --due"),
        (["task", CID, "T1", "--done"], "no task 'T1'"),
        (["task", CID, "Call", "--due", "1 week", "--who", "nobody"], "--who: 'nobody'"),
    ],
)
def test_refusals_write_nothing(root: Path, args: list[str], message: str) -> None:
    plan, log, agency = (
        _plan(root),
        (root / "clients" / CID / "log.yaml").read_bytes(),
        (root / "casectl.yaml").read_bytes(),
    )
    commits = commit_count(root)
    r = cli("-C", root, *args)
    assert r.exit_code == 2, r.stdout
    assert message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert _plan(root) == plan
    assert (root / "clients" / CID / "log.yaml").read_bytes() == log
    assert (root / "casectl.yaml").read_bytes() == agency
    assert commit_count(root) == commits
    assert run_git(root, "status", "--porcelain") == ""


def test_a_plan_with_uncommitted_changes_is_refused(root: Path) -> None:
    path = root / "clients" / CID / "plan.yaml"
    path.write_text(PLAN + "# a hand edit\n")
    r = cli("-C", root, "goal", CID, "add", "x")
    assert r.exit_code == 2 and "not committed" in r.stderr
    assert path.read_text() == PLAN + "# a hand edit\n"


def test_task_is_due_and_stays_due_after_closure(root: Path) -> None:
    r = cli("-C", root, "task", CID, "Call two weeks after discharge", "--due", "1 day")
    assert r.exit_code == 0, r.stderr
    today = date.fromisoformat(_today(root))
    due_day = (today + timedelta(days=1)).isoformat()
    assert _plan(root) == PLAN + (
        f"tasks:\n  - id: T1\n    task: Call two weeks after discharge\n    due: {due_day}\n"
    )
    last = _entries(root)[-1]
    assert last["type"] == "task" and last["changes"] == [f"T1 added, due {due_day}"]
    assert last["text"] == "Task T1: Call two weeks after discharge\n"
    assert cli("-C", root, "close", CID, "--reason", "goals_met").exit_code == 0
    r = cli("-C", root, "due", "--format", "json")
    items = [i for i in json.loads(r.stdout) if i["client"] == CID]
    assert [(i["kind"], i["what"], i["due"]) for i in items] == [
        ("task", "T1: Call two weeks after discharge", due_day)
    ]
    r = cli("-C", root, "task", CID, "T1", "--done")
    assert r.exit_code == 0, r.stderr
    last = _entries(root)[-1]
    assert last["changes"] == [f"T1 done {today}"]
    assert last["text"] == "Task T1 done: Call two weeks after discharge\n"
    r = cli("-C", root, "due", "--format", "json")
    assert [i for i in json.loads(r.stdout) if i["client"] == CID] == []


def test_ids_are_never_reused(tmp_path: Path) -> None:
    plan = "created: 2026-01-12\ngoals:\n  - id: G4\n    goal: x\n    status: active\n"
    root = make_agency(tmp_path / "ag", {CID: client_files(CID, **{"plan.yaml": plan})})
    assert cli("-C", root, "goal", CID, "add", "y").exit_code == 0
    assert "id: G5" in _plan(root)


def test_an_empty_plan_gets_its_first_goal(tmp_path: Path) -> None:
    plan = "# plan\ncreated: 2026-01-12\ngoals: []   # none yet\n"
    root = make_agency(tmp_path / "ag", {CID: client_files(CID, **{"plan.yaml": plan})})
    r = cli("-C", root, "goal", CID, "add", "Stable housing", "--target", "2027-06-30")
    assert r.exit_code == 0, r.stderr
    text = _plan(root)
    assert text.startswith("# plan\ncreated: 2026-01-12\n")
    loaded = load_text("plan.yaml", text)
    assert loaded.data["goals"] == [
        {"id": "G1", "goal": "Stable housing", "target": date(2027, 6, 30), "status": "active"}
    ]
