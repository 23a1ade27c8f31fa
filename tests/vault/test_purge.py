"""``casectl purge``: who may be purged, the one commit, and the printed history rewrite
run for real (git-filter-repo) until no object holds the client's text."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from casectl.vault import purge
from tests.builders import (
    AGENCY_YAML,
    AUTHOR,
    OLD,
    PURGE_ACTIVE,
    PURGED_MARKER,
    PURGED_NAME,
    RECENT,
    all_objects,
    changed_paths,
    cli,
    commits_since,
    head,
    retention_agency,
    run_git,
    settle,
    stop_in_git_operation,
    trailer,
)


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    return retention_agency(tmp_path / "agency")


def _state(root: Path) -> tuple[str, str, str, list[str]]:
    return (
        head(root),
        run_git(root, "status", "--porcelain", "--untracked-files=all"),
        run_git(root, "ls-files", "-s"),
        sorted(str(p.relative_to(root)) for p in (root / "clients").rglob("*")),
    )


def test_a_closed_client_past_retention_is_removed_in_one_commit(agency: Path) -> None:
    settle(agency)
    before = head(agency)
    done = cli("-C", agency, "purge", OLD)
    assert done.exit_code == 0, done.stderr
    assert commits_since(agency, before) == 1
    assert trailer(agency, "Casectl-Purge") == OLD
    assert changed_paths(agency) == [
        f"clients/{OLD}/{n}" for n in ("assessment.yaml", "client.yaml", "log.yaml", "plan.yaml")
    ]
    assert not (agency / "clients" / OLD).exists()
    assert run_git(agency, "ls-files", f"clients/{OLD}") == ""
    assert run_git(agency, "status", "--porcelain", "--untracked-files=all") == ""
    assert (agency / "clients" / RECENT / "client.yaml").exists()
    message = run_git(agency, "log", "-1", "--format=%s")
    assert message.strip() == f"purge: {OLD} (closed 2018-03-01; kept until 2025-03-01)"
    out = done.stdout
    assert f"{OLD} was purged" in out and "past its retention" in out
    assert f"git filter-repo --invert-paths --path clients/{OLD}/ --force" in out
    assert "still in the earlier commits" in out
    assert "deleted and cloned afresh" in out
    assert PURGED_NAME not in out + done.stderr


def test_retention_not_passed_is_refused_and_force_waives_it(agency: Path) -> None:
    before = _state(agency)
    done = cli("-C", agency, "purge", RECENT)
    assert done.exit_code == 2
    assert "kept until 2033-01-20 (closed 2026-01-20 + retention.closed 7 years)" in done.stderr
    assert "--force" in done.stderr
    assert _state(agency) == before
    forced = cli("-C", agency, "purge", RECENT, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "retention waived with --force" in forced.stdout
    assert "retention waived with --force" in run_git(agency, "log", "-1", "--format=%s")
    assert trailer(agency, "Casectl-Purge") == RECENT


@pytest.mark.parametrize("force", [False, True])
def test_an_open_client_is_never_purged(agency: Path, force: bool) -> None:
    before = _state(agency)
    done = cli("-C", agency, "purge", PURGE_ACTIVE, *(["--force"] if force else []))
    assert done.exit_code == 2
    assert "rc-0001 is not closed (status: active" in done.stderr
    assert "--force or not" in done.stderr
    assert _state(agency) == before


def test_without_a_retention_period_only_force_purges(tmp_path: Path) -> None:
    root = retention_agency(tmp_path / "agency", AGENCY_YAML)
    before = _state(root)
    done = cli("-C", root, "purge", OLD)
    assert done.exit_code == 2
    assert (
        "sets no retention period" in done.stderr and "retention: {closed: 7 years}" in done.stderr
    )
    assert _state(root) == before
    assert cli("-C", root, "purge", OLD, "--force").exit_code == 0


@pytest.mark.parametrize(
    ("client", "said"),
    [("rc-0404", "no client 'rc-0404'"), ("../rc-0003", "is not a valid client id")],
)
def test_unknown_clients_are_refused(agency: Path, client: str, said: str) -> None:
    before = _state(agency)
    done = cli("-C", agency, "purge", client, "--force")
    assert done.exit_code == 2 and said in done.stderr
    assert _state(agency) == before


@pytest.mark.parametrize("operation", ["merge", "rebase", "detached"])
def test_purge_refuses_during_a_git_operation(agency: Path, operation: str) -> None:
    stop_in_git_operation(agency, operation)
    before = _state(agency)
    done = cli("-C", agency, "purge", OLD)
    assert done.exit_code == 2 and "nothing was written" in done.stderr
    assert _state(agency) == before


@pytest.mark.parametrize("change", ["modified", "untracked"])
def test_uncommitted_changes_in_the_folder_are_refused(agency: Path, change: str) -> None:
    folder = agency / "clients" / OLD
    if change == "modified":
        with (folder / "log.yaml").open("a") as fh:
            fh.write("# hand edit\n")
    else:
        (folder / "letter.txt").write_text("not committed\n")
    before = _state(agency)
    done = cli("-C", agency, "purge", OLD)
    assert done.exit_code == 2 and "not committed" in done.stderr
    assert _state(agency) == before


def test_a_refused_commit_puts_the_files_back(agency: Path) -> None:
    hook = agency / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    settle(agency)
    before = _state(agency)
    done = cli("-C", agency, "purge", OLD)
    assert done.exit_code == 2 and "git commit failed" in done.stderr
    assert _state(agency) == before
    assert PURGED_MARKER in (agency / "clients" / OLD / "log.yaml").read_text()


def test_the_read_cache_forgets_the_client(agency: Path) -> None:
    assert cli("-C", agency, "list").exit_code == 0  # fills .casectl/
    cached = b"".join(p.read_bytes() for p in (agency / ".casectl").glob("*.json"))
    assert OLD.encode() in cached
    assert cli("-C", agency, "purge", OLD).exit_code == 0
    cached = b"".join(p.read_bytes() for p in (agency / ".casectl").glob("*.json"))
    assert OLD.encode() not in cached and PURGED_NAME.encode() not in cached


@pytest.mark.usefixtures("git_crypt")
def test_a_locked_client_cannot_be_purged_here(agency: Path, tmp_path: Path) -> None:
    assert cli("-C", agency, "restrict", OLD, "--group", "dv").exit_code == 0
    other = tmp_path / "other"
    run_git(tmp_path, "clone", "-q", str(agency), str(other))
    before = _state(other)
    done = cli("-C", other, "purge", OLD, "--force")
    assert done.exit_code == 2
    assert "locked here" in done.stderr and "git-crypt unlock" in done.stderr
    assert _state(other) == before


def _run_printed(line: str, cwd: Path, path: str) -> Path:
    """Run one printed command line as a shell would (cd included); the new cwd."""
    for part in line.split("&&"):
        args = shlex.split(part)
        if args[0] == "cd":
            cwd = cwd / args[1]
            continue
        env = {**os.environ, **AUTHOR, "PATH": path}
        subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    return cwd


@pytest.mark.usefixtures("git_crypt")
def test_the_printed_rewrite_leaves_no_trace_of_the_client(
    tmp_path: Path, filter_repo_path: str
) -> None:
    """The whole procedure: purge in a working clone, push, then the printed steps run
    as printed (a fresh mirror clone, git filter-repo, push --mirror, the server's gc),
    and a fresh clone: no object anywhere holds the client's name or notes, and audit
    finds nothing."""
    work = retention_agency(tmp_path / "work")
    remote = tmp_path / "remote.git"
    run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    run_git(work, "remote", "add", "origin", str(remote))
    # history for the client in plain text and encrypted, next to other clients' work
    assert cli("-C", work, "note", "rc-0002", "Another client's visit").exit_code == 0
    assert cli("-C", work, "restrict", OLD, "--group", "dv").exit_code == 0
    run_git(work, "push", "-q", "-u", "origin", "main")
    assert PURGED_NAME.encode() in all_objects(remote) and PURGED_MARKER.encode() in all_objects(
        remote
    )

    done = cli("-C", work, "purge", OLD)
    assert done.exit_code == 0, done.stderr
    run_git(work, "push", "-q", "origin", "main")
    lines = [ln.strip() for ln in done.stdout.splitlines()]
    steps = [ln for ln in lines if ln.startswith("git ")]
    assert steps == [
        f"git clone --mirror {remote} purge.git && cd purge.git",
        f"git filter-repo --invert-paths --path clients/{OLD}/ --force",
        f"git push --force --mirror {remote}",
    ]
    here = tmp_path / "admin"
    here.mkdir()
    for step in steps:
        here = _run_printed(step, here, filter_repo_path)
    # step 3, on the server
    _run_printed(
        "git reflog expire --expire=now --all && git gc -q --prune=now", remote, filter_repo_path
    )

    fresh = tmp_path / "fresh"
    run_git(tmp_path, "clone", "-q", str(remote), str(fresh))
    for where in (remote, here, fresh):
        objects = all_objects(where)
        assert PURGED_NAME.encode() not in objects, where
        assert PURGED_MARKER.encode() not in objects, where
    assert run_git(fresh, "log", "--all", "--format=%H", "--", f"clients/{OLD}") == ""
    assert sorted(p.name for p in (fresh / "clients").iterdir()) == [
        PURGE_ACTIVE,
        "rc-0002",
        RECENT,
    ]
    assert "Another client's visit" in (fresh / "clients" / "rc-0002" / "log.yaml").read_text()
    audit = cli("-C", fresh, "audit")
    assert audit.exit_code == 0, audit.stdout + audit.stderr
    assert cli("-C", fresh, "validate").exit_code == 0


def test_filter_repo_path_follows_the_agency_folder() -> None:
    done = purge.Purged("rc-1", "0" * 40, None, None, True, "agency/clients/rc-1/")
    steps = purge.rewrite_steps(done, "ssh://host/x y.git")
    assert "git filter-repo --invert-paths --path agency/clients/rc-1/ --force" in "\n".join(steps)
    assert "git clone --mirror 'ssh://host/x y.git' purge.git" in "\n".join(steps)
