"""A month of casework in a small agency (3 managers, 8 clients), through casectl
commands only: no hand-edited YAML, no plain git. Intake with a crisis, assessment,
plan, visits, a goal met, a target moved, a reassessment showing progress, and a
reminder after discharge that is still due once the case is closed."""

from __future__ import annotations

import json
from pathlib import Path

from casectl.store.load import load_text
from tests.builders import cli, make_agency, run_git

AGENCY = """\
format: 1
agency: Riverside Community Services
timezone: America/Chicago
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
  mkim: Min Kim
  bo: {name: Bo Park, role: supervisor}
"""

OTHERS = [
    ("rc-0002", "Marcus Bell", "mkim"),
    ("rc-0003", "Ana Ruiz", "bo"),
    ("rc-0004", "Jamal Whitaker", "jdoe"),
    ("rc-0005", "Lena Ortiz", "mkim"),
    ("rc-0006", "Tom Becker", "bo"),
    ("rc-0007", "Ivy Chen", "jdoe"),
    ("rc-0008", "Sam Ngata", "mkim"),
]


def run(root: Path, *args: str) -> str:
    r = cli("-C", root, *args)
    assert r.exit_code == 0, (args, r.stderr)
    assert "Traceback" not in r.stderr
    return r.stdout


def test_a_month_of_casework(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "riverside", agency_yaml=AGENCY)
    start = int(run_git(root, "rev-list", "--count", "HEAD"))
    g = "rc-0001"
    commands = 0

    def do(*args: str) -> str:
        nonlocal commands
        commands += 1
        return run(root, *args)

    # Intake with a crisis.
    do(
        "new", g, "--name", "Grace Hill", "--manager", "jdoe", "--opened", "2026-11-02",
        "--born", "1950-04-01", "--phone", "+1 555 0100", "--program", "seniors",
        "--consent-signed", "2026-11-02", "--consent-expires", "2027-11-02",
    )  # fmt: skip
    do("note", g, "Found without heating; emergency placement arranged.", "--type", "crisis",
       "--date", "2026-11-02 15:00", "--minutes", "90", "--mode", "in_person")  # fmt: skip
    do("flag", g, "safeguarding", "--review-by", "2026-12-15", "--date", "2026-11-02")
    do("note", g, "Called her daughter about the placement.", "--type", "phone",
       "--with", "family", "--date", "2026-11-03 10:00")  # fmt: skip
    # Assessment and plan.
    do("assess", g, "--date", "2026-11-04", "--score", "housing=1", "--score", "income=2",
       "--summary", "Housing first.")  # fmt: skip
    do("goal", g, "add", "Move into stable housing", "--domain", "housing",
       "--target", "2026-12-15")  # fmt: skip
    do("goal", g, "add", "Apply for pension credit", "--domain", "income")
    do("action", g, "G1", "add", "Apply for a housing voucher", "--who", "client",
       "--due", "2026-11-20")  # fmt: skip
    # Visits; an action done, a goal met, a target moved.
    do("note", g, "Home visit: voucher form filled in.", "--type", "visit",
       "--date", "2026-11-10 11:00", "--goal", "G1")  # fmt: skip
    do("action", g, "G1.1", "--done", "--date", "2026-11-12")
    do("goal", g, "G2", "--status", "met", "--date", "2026-11-16")
    do("goal", g, "G1", "--target", "2027-01-31", "--why", "The waiting list is long.")
    # A reassessment showing progress.
    do("assess", g, "--date", "2026-11-25", "--score", "housing=3", "--score", "income=4")
    # A reminder after discharge, then the discharge.
    do("task", g, "Call Grace two weeks after discharge", "--due", "2026-12-10", "--who", "jdoe")
    do("goal", g, "G1", "--status", "met", "--date", "2026-11-26")
    do("flag", g, "safeguarding", "--clear", "Moved in with her daughter.", "--date", "2026-11-26")
    do("close", g, "--reason", "goals_met", "--date", "2026-11-26")

    # The rest of the caseload: three managers, seven more clients.
    for i, (cid, name, manager) in enumerate(OTHERS):
        day = f"2026-11-{3 + i:02d}"
        do("new", cid, "--name", name, "--manager", manager, "--opened", day)
        do("assess", cid, "--date", day, "--score", "housing=2", "--by", manager)
        if i % 2 == 0:
            do("goal", cid, "add", "Stable income", "--domain", "income", "--by", manager)
            do("note", cid, "First visit.", "--type", "visit", "--date", f"{day} 14:00",
               "--by", manager)  # fmt: skip

    # Every change was one commit made by casectl; the records validate; nothing is left.
    assert int(run_git(root, "rev-list", "--count", "HEAD")) == start + commands
    assert run_git(root, "status", "--porcelain") == ""
    assert cli("-C", root, "validate").exit_code == 0
    assert "format: 2" in (root / "casectl.yaml").read_text()

    plan = load_text("plan.yaml", (root / "clients" / g / "plan.yaml").read_text()).data
    assert [(x["id"], x["status"], str(x.get("status_date"))) for x in plan["goals"]] == [
        ("G1", "met", "2026-11-26"),
        ("G2", "met", "2026-11-16"),
    ]
    assert str(plan["goals"][0]["target"]) == "2027-01-31"
    log = load_text("log.yaml", (root / "clients" / g / "log.yaml").read_text()).data
    assert [e["type"] for e in log] == [
        "crisis", "flag", "phone", "assessment", "plan_change", "plan_change", "plan_change",
        "visit", "plan_change", "plan_change", "plan_change", "assessment", "task",
        "plan_change", "flag", "closure",
    ]  # fmt: skip
    # Everything dated in the month was written up after the fact: late entries.
    assert all("recorded" in e for e in log if str(e["date"])[:10] <= "2026-11-26")

    # The reassessment shows progress in the report.
    report = run(root, "report", g)
    assert "late entry" in report
    assert "| housing | 3 | +2 |" in report and "| income | 4 | +2 |" in report

    # Stages across the caseload; the reminder is due after discharge.
    rows = {r["id"]: r for r in json.loads(run(root, "list", "--format", "json"))}
    assert rows[g]["stage"] == "closed" and rows[g]["flags"] == []
    assert rows["rc-0002"]["stage"] == "monitoring"
    assert rows["rc-0003"]["stage"] == "assessed"
    r = cli("-C", root, "due", "--as-of", "2026-12-10", "--format", "json")
    items = json.loads(r.stdout)
    grace = [(i["kind"], i["what"], i["status"]) for i in items if i["client"] == g]
    assert grace == [("task", "T1: Call Grace two weeks after discharge", "due_soon")]
    plans = [i["client"] for i in items if i["kind"] == "initial_plan"]
    assert plans == ["rc-0003", "rc-0005", "rc-0007"]
    run(root, "task", g, "T1", "--done", "--date", "2026-11-30")
    r = cli("-C", root, "due", "--as-of", "2026-12-10", "--format", "json")
    assert [i for i in json.loads(r.stdout) if i["client"] == g] == []


def test_schema_has_the_casework_fields(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    r = cli("schema", "-o", out)
    assert r.exit_code == 0, r.stderr
    client = json.loads((out / "client.schema.json").read_text())
    plan = json.loads((out / "plan.schema.json").read_text())
    log = json.loads((out / "log.schema.json").read_text())
    text = json.dumps([client, plan, log])
    for field in ("contacts", "flags", "review_by", "cleared", "status_date", "tasks"):
        assert f'"{field}"' in text, field
    for field in ("with", "mode", "recorded", "changes"):
        assert f'"{field}"' in json.dumps(log), field
    assert "plan_change" in json.dumps(log)
