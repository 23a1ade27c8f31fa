"""Sign-off (contract 5.2, 5.3): `submit`, `approve` bound to the git blob id of the
file, stale when the plan's goals change, supervisors only, closures waiting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.builders import cli, client_files, make_agency, run_git

AGENCY = """\
format: 2
agency: Test Agency
timezone: America/Chicago
approvals: [plan, closure]
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
  dana: {name: Dana Ruiz, email: dana@example.org, role: supervisor}
  sam: {name: Sam Roe, email: sam@example.org, role: supervisor}
"""


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def switch(name: str, email: str) -> None:
        for key in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
            monkeypatch.setenv(key, name)
        for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
            monkeypatch.setenv(key, email)

    yield switch


def _agency(tmp_path: Path) -> Path:
    return make_agency(
        tmp_path / "a",
        {"rc-0001": client_files("rc-0001"), "rc-0002": client_files("rc-0002")},
        AGENCY,
    )


def _log(root: Path) -> list[dict[str, object]]:
    data = yaml.safe_load((root / "clients/rc-0001/log.yaml").read_text())
    assert isinstance(data, list)
    return data


def _approvals(root: Path, manager: str | None = None) -> list[dict[str, object]]:
    args = ["-C", root, "due", "--kind", "approval", "--format", "json", "--within", "30 days"]
    if manager:
        args += ["--manager", manager]
    r = cli(*args)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def test_plan_approval_goes_stale_when_goals_change(tmp_path: Path, as_user) -> None:  # type: ignore[no-untyped-def]
    root = _agency(tmp_path)
    blob = run_git(root, "rev-parse", "HEAD:clients/rc-0001/plan.yaml").strip()
    r = cli("-C", root, "submit", "rc-0001", "plan")
    assert r.exit_code == 0, r.stderr
    entry = _log(root)[-1]
    assert (entry["type"], entry["what"], entry["object"]) == ("submitted", "plan", blob)
    assert entry["text"] == "Plan submitted for approval.\n"
    waiting = _approvals(root)
    assert [(i["manager"], i["what"], i["kind"]) for i in waiting] == [
        ("dana", "plan approval", "approval"),
        ("sam", "plan approval", "approval"),
    ]
    assert [i["client"] for i in _approvals(root, "dana")] == ["rc-0001"]
    digest = cli("-C", root, "digest", "--manager", "dana")
    assert "plan approval" in digest.stdout

    as_user("Dana Ruiz", "dana@example.org")
    r = cli("-C", root, "approve", "rc-0001")
    assert r.exit_code == 0, r.stderr
    entry = _log(root)[-1]
    assert entry["type"] == "approval" and entry["by"] == "dana"
    assert (entry["what"], entry["object"], entry["decision"]) == ("plan", blob, "approved")
    assert entry["text"] == "Plan approved.\n"
    assert _approvals(root) == []

    # A task or a referral does not make it stale...
    as_user("Jane Doe", "jane.doe@example.org")
    assert cli("-C", root, "refer", "rc-0001", "--to", "Meals").exit_code == 0
    assert _approvals(root) == []
    # ... a change of the goals does.
    plan = root / "clients/rc-0001/plan.yaml"
    plan.write_text(plan.read_text().replace("target: 2026-12-31", "target: 2027-01-31"))
    run_git(root, "commit", "-qam", "new target")
    stale = _approvals(root)
    assert [(i["manager"], i["what"]) for i in stale] == [
        ("dana", "plan approval"),
        ("sam", "plan approval"),
    ]
    shown = cli("-C", root, "report", "rc-0001").stdout
    assert "the approval went stale" in shown


def test_non_supervisor_refused(tmp_path: Path, as_user) -> None:  # type: ignore[no-untyped-def]
    root = _agency(tmp_path)
    assert cli("-C", root, "submit", "rc-0001", "plan").exit_code == 0
    head = run_git(root, "rev-parse", "HEAD")
    r = cli("-C", root, "approve", "rc-0001", "plan")  # jdoe: role manager
    assert r.exit_code == 2
    assert "only a supervisor can approve: jdoe" in r.stderr
    as_user("Nobody", "nobody@example.org")
    r = cli("-C", root, "approve", "rc-0001", "plan")
    assert r.exit_code == 2 and "only a supervisor" in r.stderr
    assert run_git(root, "rev-parse", "HEAD") == head
    # Nor their own submission.
    as_user("Dana Ruiz", "dana@example.org")
    assert cli("-C", root, "submit", "rc-0002", "plan").exit_code == 0
    r = cli("-C", root, "approve", "rc-0002", "plan")
    assert r.exit_code == 2 and "own submission" in r.stderr


def test_submit_refuses_uncommitted_plan(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    plan = root / "clients/rc-0001/plan.yaml"
    plan.write_text(plan.read_text() + "# draft\n")
    r = cli("-C", root, "submit", "rc-0001", "plan")
    assert r.exit_code == 2


def test_closure_waits_for_approval(tmp_path: Path, as_user) -> None:  # type: ignore[no-untyped-def]
    root = _agency(tmp_path)
    client = root / "clients/rc-0001/client.yaml"
    before = client.read_bytes()
    r = cli("-C", root, "close", "rc-0001", "--reason", "goals_met", "--date", "2026-11-20")
    assert r.exit_code == 0, r.stderr
    assert "stage closing" in r.stderr
    assert client.read_bytes() == before  # still open
    entry = _log(root)[-1]
    assert entry["type"] == "submitted" and entry["what"] == "closure"
    assert entry["changes"] == [
        "status active -> closed",
        "closed.date 2026-11-20",
        "closed.reason goals_met",
    ]
    assert entry["text"] == "Closure submitted for approval: goals_met.\n"
    assert [i["what"] for i in _approvals(root, "dana")] == ["closure approval"]
    r = cli("-C", root, "close", "rc-0001", "--reason", "moved")
    assert r.exit_code == 2 and "already waits" in r.stderr

    as_user("Dana Ruiz", "dana@example.org")
    head = run_git(root, "rev-parse", "HEAD").strip()
    r = cli("-C", root, "approve", "rc-0001", "closure", "--reject", "Wait for the last visit.")
    assert r.exit_code == 0, r.stderr
    assert client.read_bytes() == before  # a rejection leaves it open
    assert _log(root)[-1]["decision"] == "rejected"
    assert _approvals(root) == []

    as_user("Jane Doe", "jane.doe@example.org")
    assert (
        cli(
            "-C", root, "close", "rc-0001", "--reason", "goals_met", "--date", "2026-11-21"
        ).exit_code
        == 0
    )
    as_user("Dana Ruiz", "dana@example.org")
    head = run_git(root, "rev-parse", "HEAD").strip()
    r = cli("-C", root, "approve", "rc-0001", "closure")
    assert r.exit_code == 0, r.stderr
    data = yaml.safe_load(client.read_text())
    assert data["status"] == "closed"
    assert str(data["closed"]["date"]) == "2026-11-21" and data["closed"]["reason"] == "goals_met"
    assert client.read_text().startswith(before.decode().split("status:")[0])
    assert _log(root)[-1]["decision"] == "approved"
    files = run_git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(files) == ["clients/rc-0001/client.yaml", "clients/rc-0001/log.yaml"]
    assert len(run_git(root, "rev-list", f"{head}..HEAD").split()) == 1
    assert _approvals(root) == []
    assert cli("-C", root, "validate").exit_code == 0


def test_caseload_shows_sign_offs_referrals_and_consent(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    assert cli("-C", root, "submit", "rc-0001", "plan").exit_code == 0
    assert (
        cli("-C", root, "refer", "rc-0002", "--to", "Meals", "--date", "2026-10-05").exit_code == 0
    )
    args = ("--signed", "2026-11-01", "--expires", "2027-11-01", "--party", "Meals")
    assert cli("-C", root, "consent", "rc-0002", *args).exit_code == 0
    # as of today: the submission is dated now (an earlier as-of day leaves it out)
    md = cli("-C", root, "caseload").stdout
    assert "## Waiting for sign-off" in md
    assert "| rc-0001 | Test Person | jdoe | plan |" in md
    row = next(ln for ln in md.splitlines() if ln.startswith("| rc-0002 |"))
    assert "| 1 (1 overdue) | to 2027-11-01: Meals |" in row
    html = cli("-C", root, "caseload", "--format", "html").stdout
    assert "<h2>Waiting for sign-off</h2>" in html


def test_submit_closure_without_reason(tmp_path: Path, as_user) -> None:  # type: ignore[no-untyped-def]
    root = _agency(tmp_path)
    blob = run_git(root, "rev-parse", "HEAD:clients/rc-0001/client.yaml").strip()
    r = cli("-C", root, "submit", "rc-0001", "closure")
    assert r.exit_code == 0, r.stderr
    entry = _log(root)[-1]
    assert (entry["type"], entry["what"], entry["object"]) == ("submitted", "closure", blob)
    assert entry["text"] == "Closure submitted for approval.\n"
    assert cli("-C", root, "submit", "rc-0001", "closure").exit_code == 2
    as_user("Dana Ruiz", "dana@example.org")
    assert cli("-C", root, "approve", "rc-0001", "closure").exit_code == 0
    data = yaml.safe_load((root / "clients/rc-0001/client.yaml").read_text())
    assert data["status"] == "closed" and data["closed"]["reason"] == "other"
