"""`casectl refer` (contract 5.1, 5.3): referrals in plan.yaml tracked from sent to
their outcome, a `referral` entry per change, the `referral` due kind."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import yaml

from tests.builders import PLAN, cli, client_files, make_agency, run_git

PLAN_COMMENTED = "# The plan agreed with the client.\n" + PLAN + "# end of plan\n"
CLIENT = """\
id: rc-0001
name: Test Person
status: active
opened: 2026-01-05
manager: jdoe
consent:
  signed: 2026-01-05
  expires: 2099-01-05
"""


def _agency(tmp_path: Path) -> Path:
    return make_agency(
        tmp_path / "a",
        {
            "rc-0001": client_files(
                "rc-0001", **{"plan.yaml": PLAN_COMMENTED, "client.yaml": CLIENT}
            ),
            "rc-0002": client_files("rc-0002"),
        },
    )


def _log(root: Path, cid: str = "rc-0001") -> list[dict[str, object]]:
    data = yaml.safe_load((root / f"clients/{cid}/log.yaml").read_text())
    assert isinstance(data, list)
    return data


def _due(root: Path, as_of: str) -> list[dict[str, object]]:
    r = cli("-C", root, "due", "--as-of", as_of, "--format", "json", "--kind", "referral")
    assert r.exit_code in (0, 1), r.stderr
    return json.loads(r.stdout)


def test_referral_from_sent_to_delivered(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    plan = root / "clients/rc-0001/plan.yaml"
    before = plan.read_text()
    head = run_git(root, "rev-parse", "HEAD").strip()
    r = cli(
        "-C",
        root,
        "refer",
        "rc-0001",
        "--to",
        "Senior Meals Program",
        "--service",
        "home-delivered meals",
        "--goal",
        "G1",
        "--date",
        "2026-10-05 10:00",
    )
    assert r.exit_code == 0, r.stderr
    after = plan.read_text()
    added = [
        ln[2:] for ln in difflib.ndiff(before.splitlines(), after.splitlines()) if ln[:2] == "+ "
    ]
    removed = [
        ln for ln in difflib.ndiff(before.splitlines(), after.splitlines()) if ln[:2] == "- "
    ]
    assert removed == []
    assert after.startswith(before.removesuffix("# end of plan\n"))
    assert "# end of plan" in after
    data = yaml.safe_load(after)
    assert data["referrals"] == [
        {
            "id": "R1",
            "to": "Senior Meals Program",
            "service": "home-delivered meals",
            "goal": "G1",
            "sent": __import__("datetime").date(2026, 10, 5),
            "expect_by": __import__("datetime").date(2026, 10, 19),
            "status": "sent",
        }
    ]
    assert added[0] == "referrals:"
    entry = _log(root)[-1]
    assert entry["type"] == "referral"
    assert entry["to"] == "Senior Meals Program"
    assert entry["goals"] == ["G1"]
    assert entry["changes"] == ["R1 sent to Senior Meals Program, expect by 2026-10-19"]
    assert entry["text"] == "Referred to Senior Meals Program (home-delivered meals).\n"
    assert len(run_git(root, "rev-list", f"{head}..HEAD").split()) == 1
    assert run_git(root, "status", "--porcelain") == ""

    # The due item appears before expect_by (due soon) and after it (overdue)...
    items = _due(root, "2026-10-10")
    assert [(i["kind"], i["what"], i["status"]) for i in items] == [
        ("referral", "R1: Senior Meals Program (home-delivered meals)", "due_soon")
    ]
    assert _due(root, "2026-10-25")[0]["status"] == "overdue"
    for status, day in (("accepted", "2026-10-08"), ("started", "2026-10-12")):
        r = cli("-C", root, "refer", "rc-0001", "R1", "--status", status, "--date", day)
        assert r.exit_code == 0, r.stderr
        assert _due(root, "2026-10-25"), status  # still open: still due
    r = cli(
        "-C",
        root,
        "refer",
        "rc-0001",
        "R1",
        "--status",
        "delivered",
        "--date",
        "2026-10-22",
        "--outcome",
        "First delivery received",
    )
    assert r.exit_code == 0, r.stderr
    # ... and clears once the referral is final.
    assert _due(root, "2026-10-25") == []
    ref = yaml.safe_load(plan.read_text())["referrals"][0]
    assert ref["status"] == "delivered"
    assert str(ref["status_date"]) == "2026-10-22"
    assert ref["outcome"] == "First delivery received"
    log = _log(root)
    assert [e["changes"] for e in log[-3:]] == [
        ["R1 status sent -> accepted"],
        ["R1 status accepted -> started"],
        ["R1 status started -> delivered"],
    ]
    assert log[-2]["text"] == "Referral R1: accepted -> started.\n"
    assert log[-1]["text"] == "First delivery received\n"
    assert all(e["to"] == "Senior Meals Program" for e in log[-3:])
    assert len(run_git(root, "rev-list", f"{head}..HEAD").split()) == 4
    assert cli("-C", root, "validate").exit_code == 0
    shown = cli("-C", root, "show", "rc-0001", "--as-of", "2026-10-25").stdout
    assert "Services and referrals:" in shown
    assert "R1 Senior Meals Program (home-delivered meals) [delivered 2026-10-22]" in shown


def test_referral_refusals(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    assert (
        cli("-C", root, "refer", "rc-0001", "--to", "Legal Aid", "--date", "2026-10-05").exit_code
        == 0
    )
    head = run_git(root, "rev-parse", "HEAD")
    for args, message in [
        (("R1", "--status", "sent"), "later status only"),
        (("R1", "--status", "finished"), "not a referral status"),
        (("R9", "--status", "accepted"), "no referral 'R9'"),
        (("R1",), "nothing to change"),
        (("--to", "X", "--goal", "G7"), "--goal: 'G7' not in"),
        (("R1", "--status", "accepted", "--date", "2026-10-01"), "before referral R1 was sent"),
    ]:
        r = cli("-C", root, "refer", "rc-0001", *args)
        assert r.exit_code == 2, (args, r.stdout, r.stderr)
        assert message in r.stderr, (args, r.stderr)
    assert cli("-C", root, "refer", "rc-0001", "R1", "--status", "declined").exit_code == 0
    r = cli("-C", root, "refer", "rc-0001", "R1", "--status", "started")
    assert r.exit_code == 2 and "final" in r.stderr
    assert run_git(root, "status", "--porcelain") == ""
    assert len(run_git(root, "rev-list", f"{head.strip()}..HEAD").split()) == 1


def test_referral_ids_never_reused(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    for org in ("A", "B"):
        assert cli("-C", root, "refer", "rc-0001", "--to", org).exit_code == 0
    plan = root / "clients/rc-0001/plan.yaml"
    data = yaml.safe_load(plan.read_text())
    assert [r["id"] for r in data["referrals"]] == ["R1", "R2"]


def test_referral_to_party_no_consent_names_warns(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    r = cli("-C", root, "refer", "rc-0002", "--to", "Legal Aid", "Needs advice.")
    assert r.exit_code == 0, r.stderr
    assert "Warning: no unexpired consent" in r.stderr
    entry = _log(root, "rc-0002")[-1]
    assert entry["text"].startswith("Needs advice.\nWarning: no unexpired consent")
    # A consent without parties covers any referral.
    r = cli("-C", root, "refer", "rc-0001", "--to", "Legal Aid")
    assert "Warning" not in r.stderr


def test_format_change_said_once(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    r = cli("-C", root, "refer", "rc-0001", "--to", "A")
    assert r.stderr.count("casectl.yaml: format 1 -> 2 (this change uses format 2 fields)") == 1
    files = run_git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert "casectl.yaml" in files


def test_reports_show_services_and_referrals(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    args = ("--to", "Senior Meals", "--service", "meals", "--date", "2026-10-05")
    assert cli("-C", root, "refer", "rc-0001", *args).exit_code == 0
    md = cli("-C", root, "report", "rc-0001", "--as-of", "2026-10-25").stdout
    assert "## Services and referrals" in md
    assert "| R1 | Senior Meals | meals | 2026-10-05 | sent | **2026-10-19 (overdue)** |" in md
    assert "## Consent" in md
    html = cli("-C", root, "report", "rc-0001", "--format", "html").stdout
    assert "<h2>Services and referrals</h2>" in html
    redacted = cli("-C", root, "report", "rc-0001", "--redact").stdout
    assert "## Services and referrals" in redacted


def test_list_counts_open_referrals(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    assert cli("-C", root, "refer", "rc-0001", "--to", "A").exit_code == 0
    assert cli("-C", root, "refer", "rc-0001", "--to", "B").exit_code == 0
    assert cli("-C", root, "refer", "rc-0001", "R2", "--status", "declined").exit_code == 0
    rows = json.loads(cli("-C", root, "list", "--format", "json").stdout)
    assert {r["id"]: r["referrals_open"] for r in rows} == {"rc-0001": 1, "rc-0002": 0}


def test_expect_by_duration_and_future_dates(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    args = ("--to", "A", "--date", "2026-10-05", "--expect-by", "3 weeks")
    assert cli("-C", root, "refer", "rc-0001", *args).exit_code == 0
    ref = yaml.safe_load((root / "clients/rc-0001/plan.yaml").read_text())["referrals"][0]
    assert str(ref["expect_by"]) == "2026-10-26"
    head = run_git(root, "rev-parse", "HEAD")
    r = cli("-C", root, "refer", "rc-0001", "--to", "B", "--date", "2099-01-01")
    assert r.exit_code == 2, r.stderr
    r = cli("-C", root, "refer", "rc-0001", "--to", "B", "--expect-by", "someday")
    assert r.exit_code == 2 and "--expect-by" in r.stderr
    assert run_git(root, "rev-parse", "HEAD") == head
    assert run_git(root, "status", "--porcelain") == ""
