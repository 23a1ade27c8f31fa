"""casectl history, and the git plumbing behind casectl's commits (gitcommit.commit_paths)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from casectl.git import commit as gitcommit
from casectl.git import history as githistory
from tests.builders import AUTHOR, REPO_ROOT, cli, client_files, make_agency, run_git

CID = "rc-0001"


def test_history_text_and_json(agency: Path) -> None:
    assert cli("-C", agency, "note", CID, "first", "--type", "phone").exit_code == 0
    assert cli("-C", agency, "close", CID, "--reason", "moved").exit_code == 0
    r = cli("-C", agency, "history", CID, "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [row["message"] for row in rows] == [
        f"close: {CID} moved (jdoe)",
        f"note: {CID} phone (jdoe)",
        "test agency",
    ]
    assert rows[0]["author"] == "Jane Doe" and rows[0]["email"] == "jane.doe@example.org"
    assert rows[0]["files"] == [
        {"status": "M", "path": f"clients/{CID}/client.yaml"},
        {"status": "M", "path": f"clients/{CID}/log.yaml"},
    ]
    assert {f["status"] for f in rows[-1]["files"]} == {"A"}
    assert rows[0]["commit"] == run_git(agency, "rev-parse", "HEAD").strip()
    assert datetime.fromisoformat(rows[0]["date"]).tzinfo is not None
    text = cli("-C", agency, "history", CID)
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["date", "author", "message", "files"]
    assert "close: rc-0001 moved (jdoe)" in lines[1] and "M client.yaml, M log.yaml" in lines[1]
    assert "\x1b[" not in text.stdout  # plain text in a pipe


def test_history_only_shows_the_clients_folder(agency: Path) -> None:
    assert cli("-C", agency, "note", "rc-0002", "other client").exit_code == 0
    rows = json.loads(cli("-C", agency, "history", CID, "--format", "json").stdout)
    assert [row["message"] for row in rows] == ["test agency"]
    assert all(f["path"].startswith(f"clients/{CID}/") for f in rows[0]["files"])


def test_history_of_a_removed_client_and_bad_ids(agency: Path) -> None:
    run_git(agency, "rm", "-q", "-r", "clients/rc-0002")
    run_git(agency, "commit", "-q", "-m", "remove rc-0002")
    rows = json.loads(cli("-C", agency, "history", "rc-0002", "--format", "json").stdout)
    assert rows[0]["message"] == "remove rc-0002"
    assert {f["status"] for f in rows[0]["files"]} == {"D"}
    for bad in ("rc-9999", "../x", "UP"):
        r = cli("-C", agency, "history", bad)
        assert r.exit_code == 2 and "Traceback" not in r.stderr


def test_history_outside_git_is_a_clear_error(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag", {CID: {"client.yaml": "id: rc-0001\n"}}, git=False)
    r = cli("-C", root, "history", CID)
    assert r.exit_code == 2 and "git" in r.stderr


def test_commit_paths_matches_git_commit(agency: Path, tmp_path: Path) -> None:
    """The plumbing commit has the very tree `git commit -- paths` would make."""
    twin = tmp_path / "twin"
    run_git(tmp_path, "clone", "-q", str(agency), str(twin))
    for root in (agency, twin):
        (root / "clients" / CID / "log.yaml").write_text("- changed\n")
        (root / "clients" / "rc-0002" / "plan.yaml").unlink()
        (root / "clients" / "new-1").mkdir()
        (root / "clients" / "new-1" / "client.yaml").write_text("id: new-1\n")
        (root / "clients" / "rc-0002" / "log.yaml").write_text("# unrelated, not committed\n")
    paths = [f"clients/{CID}/log.yaml", "clients/rc-0002/plan.yaml", "clients/new-1/client.yaml"]
    sha = gitcommit.commit_paths(agency, paths, "plumbing commit")
    run_git(twin, "add", "-A", "--", *paths)
    run_git(twin, "commit", "-q", "-m", "porcelain commit", "--", *paths)
    assert sha == run_git(agency, "rev-parse", "HEAD").strip()
    assert run_git(agency, "rev-parse", "HEAD^{tree}") == run_git(twin, "rev-parse", "HEAD^{tree}")
    assert run_git(agency, "log", "-1", "--format=%an <%ae>|%s").strip() == (
        "Jane Doe <jane.doe@example.org>|plumbing commit"
    )
    assert run_git(agency, "status", "--porcelain") == run_git(twin, "status", "--porcelain")
    assert run_git(agency, "status", "--porcelain").strip() == "M clients/rc-0002/log.yaml"
    run_git(agency, "fsck", "--strict")
    # Nothing to commit: HEAD stays.
    assert gitcommit.commit_paths(agency, paths, "again") == sha


def test_commit_paths_builds_on_a_moved_head(agency: Path) -> None:
    """update-ref is a compare-and-swap: a commit that lands first is kept."""
    log = agency / "clients" / CID / "log.yaml"
    log.write_text(log.read_text() + "# one\n")
    first = gitcommit.commit_paths(agency, [log], "one")
    other = agency / "clients" / "rc-0002" / "log.yaml"
    other.write_text(other.read_text() + "# two\n")
    second = gitcommit.commit_paths(agency, [other], "two")
    assert run_git(agency, "rev-parse", "HEAD~1").strip() == first
    assert run_git(agency, "rev-parse", "HEAD").strip() == second
    assert run_git(agency, "status", "--porcelain") == ""


def test_log_paths_fields(agency: Path) -> None:
    records = githistory.log_paths(agency, f"clients/{CID}")
    assert len(records) == 1
    rec = records[0]
    assert rec.message == "test agency" and rec.author == "Jane Doe"
    assert sorted(p for _, p in rec.files) == [
        f"clients/{CID}/{n}" for n in ("assessment.yaml", "client.yaml", "log.yaml", "plan.yaml")
    ]


def test_parallel_notes_on_different_clients_all_commit(tmp_path: Path) -> None:
    """Concurrent commits race on the branch: the compare-and-swap retries keep them all."""
    clients = {f"rc-{i:04d}": client_files(f"rc-{i:04d}") for i in range(6)}
    root = make_agency(tmp_path / "ag", clients)
    env = {**os.environ, **AUTHOR, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "casectl", "-C", str(root), "note", cid, f"note for {cid}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for cid in clients
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    assert run_git(root, "rev-list", "--count", "HEAD").strip() == "7"
    assert run_git(root, "status", "--porcelain") == ""
    subjects = run_git(root, "log", "--format=%s", "-6").split("\n")
    assert sorted(s for s in subjects if s) == [f"note: {cid} note (jdoe)" for cid in clients]
    run_git(root, "fsck", "--strict")


def test_history_shows_agency_times_in_date_order(agency: Path) -> None:
    """Commits made from other zones, one of them dated before its parent: the text
    shows each in the agency's zone (America/Chicago), newest first by date."""
    log = agency / "clients" / CID / "log.yaml"
    for when, text in (
        ("2026-03-01T23:30:00+01:00", "from Berlin"),
        ("2026-02-15T08:00:00+09:00", "from Tokyo, dated earlier"),
    ):
        log.write_text(
            log.read_text() + f"- {{id: n-{len(text)}, date: 2026-02-01 10:00, "
            f"by: jdoe, type: note, text: x}}\n"
        )
        env = {**os.environ, **AUTHOR, "GIT_AUTHOR_DATE": when}
        subprocess.run(["git", "commit", "-qam", text], cwd=agency, env=env, check=True)
    r = cli("-C", agency, "history", CID)
    assert r.exit_code == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines()[1:] if "from " in ln]
    assert lines[0].startswith("2026-03-01 16:30") and "from Berlin" in lines[0]
    assert lines[1].startswith("2026-02-14 17:00") and "from Tokyo" in lines[1]
    rows = json.loads(cli("-C", agency, "history", CID, "--format", "json").stdout)
    dates = [datetime.fromisoformat(row["date"]) for row in rows]
    assert dates == sorted(dates, reverse=True)
