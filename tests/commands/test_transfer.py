"""`casectl transfer` (contract 5.3): manager changed in place, open actions and tasks
of the old manager moved, finished ones untouched, one `transfer` entry, one commit."""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from tests.builders import cli, client_files, make_agency, run_git

AGENCY = """\
format: 1
agency: Test Agency
timezone: America/Chicago
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
  mkim: Min Kim
  cara: {name: Cara Li, left: 2026-10-16}
"""

CLIENT = """\
# Intake by Cara.
id: {id}
name: Test Person   # as on the ID card
status: {status}
opened: 2026-01-05
manager: cara
consent:
  signed: 2026-01-05
  expires: 2099-01-05
{closed}"""

PLAN = """\
created: 2026-01-12
goals:
  - id: G1
    goal: Move into stable housing   # the main goal
    status: active
    actions:
      - action: Apply for a housing voucher
        who: cara
        due: 2026-02-01
        done: 2026-01-30
      - action: Visit two flats
        who: cara    # with the client
        due: 2026-12-01
      - action: Call the landlord
        who: client
tasks:
  - id: T1
    task: Send the form
    who: cara
    due: 2026-12-10
  - id: T2
    task: Old task
    who: cara
    done: 2026-02-02
"""


def _client(cid: str, status: str = "active") -> dict[str, str | None]:
    closed = "closed:\n  date: 2026-03-01\n  reason: moved\n" if status == "closed" else ""
    return client_files(
        cid,
        **{"client.yaml": CLIENT.format(id=cid, status=status, closed=closed), "plan.yaml": PLAN},
    )


def _agency(tmp_path: Path) -> Path:
    return make_agency(
        tmp_path / "a",
        {
            "rc-0001": _client("rc-0001"),
            "rc-0002": _client("rc-0002", "on_hold"),
            "rc-0003": _client("rc-0003", "closed"),
            "rc-0004": client_files("rc-0004"),
        },
        AGENCY,
    )


def _diff(old: str, new: str) -> list[str]:
    return [
        ln
        for ln in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ]


def test_transfer_one_client(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    folder = root / "clients/rc-0001"
    client_before = (folder / "client.yaml").read_text()
    plan_before = (folder / "plan.yaml").read_text()
    log_before = (folder / "log.yaml").read_bytes()
    head = run_git(root, "rev-parse", "HEAD").strip()
    r = cli(
        "-C",
        root,
        "transfer",
        "rc-0001",
        "--to",
        "mkim",
        "--date",
        "2026-10-20 09:00",
        "--by",
        "jdoe",
    )
    assert r.exit_code == 0, r.stderr
    assert _diff(client_before, (folder / "client.yaml").read_text()) == [
        "-manager: cara",
        "+manager: mkim",
    ]
    assert _diff(plan_before, (folder / "plan.yaml").read_text()) == [
        "-        who: cara    # with the client",
        "+        who: mkim    # with the client",
        "-    who: cara",
        "+    who: mkim",
    ]
    assert (folder / "log.yaml").read_bytes().startswith(log_before)
    entry = yaml.safe_load((folder / "log.yaml").read_text())[-1]
    assert entry["type"] == "transfer"
    assert entry["from"] == "cara" and entry["to"] == "mkim"
    assert entry["by"] == "jdoe"
    assert entry["changes"] == [
        "manager cara -> mkim",
        "G1.2 who cara -> mkim",
        "T1 who cara -> mkim",
    ]
    assert entry["text"] == "Transferred from cara to mkim.\n"
    assert r.stdout.strip().splitlines()[-1] == entry["id"]
    # Exactly one commit, with the three files and casectl.yaml's format bump.
    assert run_git(root, "rev-list", f"{head}..HEAD").split().__len__() == 1
    files = run_git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(files) == [
        "casectl.yaml",
        "clients/rc-0001/client.yaml",
        "clients/rc-0001/log.yaml",
        "clients/rc-0001/plan.yaml",
    ]
    assert run_git(root, "status", "--porcelain") == ""
    assert cli("-C", root, "validate").exit_code == 0


def test_transfer_refusals(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    head = run_git(root, "rev-parse", "HEAD")
    for args, message in [
        (("rc-0004", "--to", "cara"), "left the agency on 2026-10-16"),
        (("rc-0004", "--to", "nobody"), "not a manager"),
        (("rc-0004", "--to", "jdoe"), "managed by jdoe already"),
        (("rc-0003", "--to", "mkim"), "closed"),
    ]:
        r = cli("-C", root, "transfer", *args)
        assert r.exit_code == 2, args
        assert message in r.stderr, (args, r.stderr)
    assert run_git(root, "rev-parse", "HEAD") == head
    assert run_git(root, "status", "--porcelain") == ""


def test_transfer_without_consent_warns(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    r = cli("-C", root, "transfer", "rc-0004", "--to", "mkim", "Handover.")
    assert r.exit_code == 0, r.stderr
    assert "no valid consent covers this client" in r.stderr
    entry = yaml.safe_load((root / "clients/rc-0004/log.yaml").read_text())[-1]
    assert entry["text"].startswith("Handover.\nWarning: no valid consent covers this client")


def test_whole_caseload_of_a_manager_who_leaves(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    head = run_git(root, "rev-parse", "HEAD").strip()
    r = cli("-C", root, "transfer", "--from", "cara", "--to", "jdoe", "--all", "--by", "jdoe")
    assert r.exit_code == 0, r.stderr
    commits = run_git(root, "rev-list", f"{head}..HEAD").split()
    assert len(commits) == 2  # one per open client (rc-0001 active, rc-0002 on hold)
    for cid in ("rc-0001", "rc-0002"):
        data = yaml.safe_load((root / f"clients/{cid}/client.yaml").read_text())
        assert data["manager"] == "jdoe"
        plan = yaml.safe_load((root / f"clients/{cid}/plan.yaml").read_text())
        whos = [a["who"] for a in plan["goals"][0]["actions"]]
        assert whos == ["cara", "jdoe", "client"]  # the finished action is untouched
        assert [t["who"] for t in plan["tasks"]] == ["jdoe", "cara"]
        log = yaml.safe_load((root / f"clients/{cid}/log.yaml").read_text())
        assert [e["type"] for e in log].count("transfer") == 1
    closed = yaml.safe_load((root / "clients/rc-0003/client.yaml").read_text())
    assert closed["manager"] == "cara"
    assert r.stderr.count("format 1 -> 2") == 1
    assert run_git(root, "status", "--porcelain") == ""
    listed = cli("-C", root, "list", "--manager", "cara").stdout
    assert "rc-0001" not in listed and "rc-0003" in listed
    assert cli("-C", root, "validate").exit_code == 0


def test_transfer_all_goes_on_after_a_failure(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    (root / "clients/rc-0002/plan.yaml").write_text(PLAN + "# edited by hand\n")
    r = cli("-C", root, "transfer", "--from", "cara", "--to", "mkim", "--all")
    assert r.exit_code == 1
    assert "rc-0002: not transferred" in r.stderr
    assert yaml.safe_load((root / "clients/rc-0001/client.yaml").read_text())["manager"] == "mkim"
    assert yaml.safe_load((root / "clients/rc-0002/client.yaml").read_text())["manager"] == "cara"
