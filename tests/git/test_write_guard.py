"""What every writing command checks before it writes (docs/notes.md, "Before writing").

A git operation left unfinished (rebase, merge, cherry-pick, revert, bisect) or a
detached HEAD, a missing git identity, a stale ``.git/index.lock`` and uncommitted
changes in the client's folder each refuse the write with exit 2 and a message saying
what to do, before any file is touched; and a failed write leaves git's index as it
was. Real git repositories throughout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from casectl.errors import CasectlError
from casectl.git import commit as gitcommit
from casectl.read.agency import open_agency
from tests.builders import (
    AUTHOR,
    REPO_ROOT,
    cli,
    cli_subprocess,
    client_files,
    git_may_fail,
    make_agency,
    run_git,
    stop_in_git_operation,
)

CID = "rc-0001"


def _snapshot(root: Path) -> tuple[str, str, str, bytes, bytes]:
    folder = root / "clients" / CID
    return (
        run_git(root, "rev-parse", "HEAD"),
        run_git(root, "status", "--porcelain"),
        run_git(root, "ls-files", "-s"),
        (folder / "log.yaml").read_bytes(),
        (folder / "client.yaml").read_bytes(),
    )


WRITES = {
    "note": ["note", CID, "A note."],
    "review": ["review", CID, "Reviewed."],
    "close": ["close", CID, "--reason", "moved"],
    "new": ["new", "rc-0009", "--name", "New Person", "--manager", "jdoe"],
}

ADVICE = {
    "rebase": ("git rebase --continue", "git rebase --abort"),
    "merge": ("git merge --continue", "git merge --abort"),
    "cherry-pick": ("git cherry-pick --continue", "git cherry-pick --abort"),
    "revert": ("git revert --continue", "git revert --abort"),
    "bisect": ("git bisect reset",),
    "detached": ("detached", "git switch"),
}


# ------------------------------------------------------- 10.4 unfinished git operations


@pytest.mark.parametrize("operation", list(ADVICE))
def test_note_refuses_in_the_middle_of_a_git_operation(agency: Path, operation: str) -> None:
    stop_in_git_operation(agency, operation)
    before = _snapshot(agency)
    r = cli("-C", agency, "note", CID, "A note.")
    assert r.exit_code == 2, r.stderr
    for advice in ADVICE[operation]:
        assert advice in r.stderr
    assert "nothing was written" in r.stderr
    assert r.stdout == ""
    assert _snapshot(agency) == before


@pytest.mark.parametrize("command", list(WRITES))
def test_every_writing_command_refuses_during_a_rebase(agency: Path, command: str) -> None:
    stop_in_git_operation(agency, "rebase")
    before = _snapshot(agency)
    r = cli("-C", agency, *WRITES[command])
    assert r.exit_code == 2, r.stderr
    assert "git rebase --continue" in r.stderr and "git rebase --abort" in r.stderr
    assert _snapshot(agency) == before
    assert not (agency / "clients" / "rc-0009").exists()


def test_reopen_refuses_on_a_detached_head(agency: Path) -> None:
    assert cli("-C", agency, "close", CID, "--reason", "moved").exit_code == 0
    stop_in_git_operation(agency, "detached")
    before = _snapshot(agency)
    r = cli("-C", agency, "reopen", CID)
    assert r.exit_code == 2 and "detached" in r.stderr
    assert _snapshot(agency) == before


def test_a_note_during_git_pull_rebase_is_not_lost_by_rebase_abort(tmp_path: Path) -> None:
    """The reported case: sync stops on a conflict, the user runs `git pull --rebase`,
    which stops too; a note written then would sit on the rebase's detached HEAD and
    `git rebase --abort` would throw it away. casectl refuses instead."""
    origin = make_agency(tmp_path / "origin", {CID: client_files(CID)})
    remote = tmp_path / "remote.git"
    run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    run_git(origin, "remote", "add", "origin", str(remote))
    run_git(origin, "push", "-q", "origin", "main")
    first, second = tmp_path / "first", tmp_path / "second"
    for clone in (first, second):
        run_git(tmp_path, "clone", "-q", str(remote), str(clone))
    plan = f"clients/{CID}/plan.yaml"
    for clone, goal in ((first, "Move into a flat"), (second, "Move in with family")):
        text = (clone / plan).read_text().replace("Move into stable housing", goal)
        (clone / plan).write_text(text)
        run_git(clone, "commit", "-q", "-am", f"plan: {goal}")
    run_git(first, "push", "-q", "origin", "main")
    assert cli("-C", second, "sync").exit_code == 1
    assert git_may_fail(second, "pull", "--rebase", "origin", "main").returncode != 0
    log = second / "clients" / CID / "log.yaml"
    old_log = log.read_bytes()
    done = cli_subprocess("-C", second, "note", CID, "-", input="Called the landlord.\n")
    assert done.returncode == 2, done.stderr
    assert "rebase" in done.stderr and "git rebase --abort" in done.stderr
    assert log.read_bytes() == old_log
    run_git(second, "rebase", "--abort")
    assert cli("-C", second, "note", CID, "Called the landlord.").exit_code == 0
    assert "Called the landlord." in run_git(second, "show", f"main:clients/{CID}/log.yaml")


# ------------------------------------------------------------ 10.5 identity, init, new


def _no_identity(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """git with no user.name / user.email anywhere, and no guessing from the host name."""
    config = home / "gitconfig-no-identity"
    config.write_text("[user]\n\tuseConfigOnly = true\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    for key in (*AUTHOR, "EMAIL"):
        monkeypatch.delenv(key, raising=False)


def _says_how_to_set_identity(stderr: str) -> None:
    assert 'git config --global user.name "' in stderr
    assert 'git config --global user.email "' in stderr


def test_init_without_identity_writes_nothing_then_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_identity(monkeypatch, tmp_path)
    root = tmp_path / "ag"
    r = cli("init", root, "--agency", "Riverside")
    assert r.exit_code == 2, r.stderr
    _says_how_to_set_identity(r.stderr)
    assert not root.exists()
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Jane Doe")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "jane.doe@example.org")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Jane Doe")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "jane.doe@example.org")
    r = cli("init", root, "--agency", "Riverside")
    assert r.exit_code == 0, r.stderr
    assert run_git(root, "status", "--porcelain") == ""


def test_init_in_an_existing_repository_without_identity_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ag"
    root.mkdir()
    run_git(root, "init", "-q")
    _no_identity(monkeypatch, tmp_path)
    r = cli("init", root, "--agency", "Riverside")
    assert r.exit_code == 2
    _says_how_to_set_identity(r.stderr)
    assert sorted(p.name for p in root.iterdir()) == [".git"]
    assert run_git(root, "status", "--porcelain") == ""


def test_identity_from_the_repository_config_is_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ag"
    root.mkdir()
    run_git(root, "init", "-q")
    run_git(root, "config", "user.name", "Min Kim")
    run_git(root, "config", "user.email", "Min.Kim@example.org")
    _no_identity(monkeypatch, tmp_path)
    r = cli("init", root, "--agency", "Riverside")
    assert r.exit_code == 0, r.stderr
    author = run_git(root, "log", "-1", "--format=%an <%ae>").strip()
    assert author == "Min Kim <Min.Kim@example.org>"
    assert (
        'min-kim: {name: "Min Kim", email: "Min.Kim@example.org"}'
        in (root / "casectl.yaml").read_text()
    )


@pytest.mark.parametrize("command", ["note", "close", "new"])
def test_writing_commands_without_identity_write_nothing(
    agency: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str
) -> None:
    _no_identity(monkeypatch, tmp_path)
    before = _snapshot(agency)
    args = [*WRITES[command]] + ([] if command == "new" else ["--by", "jdoe"])
    r = cli("-C", agency, *args)
    assert r.exit_code == 2, r.stderr
    _says_how_to_set_identity(r.stderr)
    assert _snapshot(agency) == before
    assert not (agency / "clients" / "rc-0009").exists()


def test_no_commit_needs_no_identity(
    agency: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_identity(monkeypatch, tmp_path)
    r = cli("-C", agency, "note", CID, "draft", "--by", "jdoe", "--no-commit")
    assert r.exit_code == 0, r.stderr


def _failing_hook(root: Path) -> Path:
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\necho 'refused by the test hook' >&2\nexit 1\n")
    hook.chmod(0o755)
    return hook


def test_a_failed_init_commit_leaves_nothing_staged_and_init_completes_later(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ag"
    root.mkdir()
    run_git(root, "init", "-q")
    hook = _failing_hook(root)
    r = cli("init", root, "--agency", "Riverside")
    assert r.exit_code == 2
    assert "refused by the test hook" in r.stderr
    assert "casectl init" in r.stderr  # says to run it again
    assert run_git(root, "diff", "--cached", "--name-only") == ""  # nothing left staged
    assert (root / "casectl.yaml").is_file()
    hook.unlink()
    r = cli("init", root, "--agency", "Riverside")
    assert r.exit_code == 0, r.stderr
    assert run_git(root, "status", "--porcelain") == ""
    assert "casectl.yaml" in run_git(root, "ls-files").split()
    r = cli("-C", root, "new", "rc-0001", "--name", "N", "--manager", "jane-doe")
    assert r.exit_code == 0, r.stderr


@pytest.mark.parametrize("state", ["untracked", "staged", "empty", "no-schemas"])
def test_init_completes_a_half_made_repository(tmp_path: Path, state: str) -> None:
    root = tmp_path / "ag"
    root.mkdir()
    run_git(root, "init", "-q")
    config = root / "casectl.yaml"
    if state == "empty":
        config.write_text("")  # partly written
    else:
        config.write_text("format: 1\nagency: Riverside\n")
    if state == "staged":
        run_git(root, "add", "casectl.yaml")
    if state == "no-schemas":
        (root / "clients").mkdir()
    r = cli("init", root, "--agency", "Riverside")
    assert r.exit_code == 0, r.stderr
    assert run_git(root, "status", "--porcelain") == ""
    tracked = run_git(root, "ls-files").split()
    assert {"casectl.yaml", ".gitattributes", ".gitignore", "clients/.gitkeep"} <= set(tracked)
    assert any(p.startswith("schemas/") for p in tracked)
    assert cli("-C", root, "validate").exit_code == 0
    assert "jane-doe" in (open_agency(root).agency.managers or {})  # never an empty list
    r = cli("init", root, "--agency", "Riverside")  # now it is complete: refused
    assert r.exit_code == 2 and "already" in r.stderr


def test_new_refuses_when_casectl_yaml_is_not_committed(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag", git=False)
    run_git(root, "init", "-q")
    r = cli("-C", root, "new", "rc-0001", "--name", "N", "--manager", "jdoe")
    assert r.exit_code == 2
    assert "casectl init" in r.stderr and "casectl.yaml" in r.stderr
    assert not (root / "clients" / "rc-0001").exists()
    assert run_git(root, "rev-list", "--all") == ""  # no commit without casectl.yaml


def test_a_failed_new_leaves_no_trace(agency: Path) -> None:
    _failing_hook(agency)
    before = _snapshot(agency)
    r = cli("-C", agency, "new", "rc-0009", "--name", "N", "--manager", "jdoe")
    assert r.exit_code == 2
    assert "refused by the test hook" in r.stderr
    assert not (agency / "clients" / "rc-0009").exists()
    assert _snapshot(agency) == before  # index and work tree as before


# ------------------------------------------------------------------ 10.6 index.lock


def test_a_stale_index_lock_is_refused_at_once_and_nothing_is_written(agency: Path) -> None:
    lock = agency / ".git" / "index.lock"
    lock.write_text("")
    before = _snapshot(agency)
    started = time.monotonic()
    done = cli_subprocess("-C", agency, "note", CID, "-", input="Called.\n")
    assert time.monotonic() - started < 15
    assert done.returncode == 2, done.stderr
    assert ".git/index.lock" in done.stderr
    assert "remove" in done.stderr and "nothing was written" in done.stderr
    assert "not committed" not in done.stderr
    lock.unlink()
    assert _snapshot(agency) == before
    assert cli("-C", agency, "note", CID, "Called.").exit_code == 0
    assert run_git(agency, "status", "--porcelain") == ""
    assert run_git(agency, "diff", "--cached", "HEAD", "--name-only") == ""


@pytest.mark.parametrize("command", ["close", "new"])
def test_other_writes_refuse_a_stale_index_lock(agency: Path, command: str) -> None:
    (agency / ".git" / "index.lock").write_text("")
    before = _snapshot(agency)
    r = cli("-C", agency, *WRITES[command])
    assert r.exit_code == 2 and "index.lock" in r.stderr
    assert _snapshot(agency) == before


def test_a_lock_taken_during_the_commit_never_leaves_the_index_behind_head(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is brought up to date before the branch moves: when it cannot be, the
    commit is not made, so 'not committed' is true and the next `git commit` cannot
    undo the note."""
    monkeypatch.setattr(gitcommit, "INDEX_LOCK_WAIT", 0.3)
    log = agency / "clients" / CID / "log.yaml"
    log.write_bytes(log.read_bytes() + b"# an edit\n")
    head = run_git(agency, "rev-parse", "HEAD")
    (agency / ".git" / "index.lock").write_text("")
    with pytest.raises(CasectlError, match=r"index\.lock"):
        gitcommit.commit_paths(agency, [log], "edit")
    (agency / ".git" / "index.lock").unlink()
    assert run_git(agency, "rev-parse", "HEAD") == head
    assert run_git(agency, "diff", "--cached", "--name-only") == ""


# ------------------------------------------------------------ 10.7 leftovers


def test_an_uncommitted_note_blocks_the_next_write_to_that_client(agency: Path) -> None:
    first = cli("-C", agency, "note", CID, "Draft one.", "--no-commit")
    assert first.exit_code == 0, first.stderr
    log = agency / "clients" / CID / "log.yaml"
    written = log.read_bytes()
    head = run_git(agency, "rev-parse", "HEAD")
    r = cli("-C", agency, "note", CID, "Second note.")
    assert r.exit_code == 2
    assert f"clients/{CID}/log.yaml" in r.stderr
    assert "git commit" in r.stderr and "nothing was written" in r.stderr
    assert log.read_bytes() == written
    assert run_git(agency, "rev-parse", "HEAD") == head
    # Another client is not affected.
    assert cli("-C", agency, "note", "rc-0002", "Elsewhere.").exit_code == 0
    assert run_git(agency, "show", "--name-only", "--format=", "HEAD").split() == [
        "clients/rc-0002/log.yaml"
    ]
    # Once committed, writing goes on.
    run_git(agency, "commit", "-q", "-am", "the draft note")
    assert cli("-C", agency, "note", CID, "Second note.").exit_code == 0
    assert run_git(agency, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ("unstaged", "client.yaml"),
        ("staged", "client.yaml"),
        ("untracked", "scan.pdf"),
        ("deleted", "plan.yaml"),
    ],
)
@pytest.mark.parametrize("command", ["note", "close"])
def test_changes_casectl_did_not_make_are_named_and_refused(
    agency: Path, change: str, shown: str, command: str
) -> None:
    folder = agency / "clients" / CID
    if change == "untracked":
        (folder / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    elif change == "deleted":
        (folder / "plan.yaml").unlink()
    else:
        path = folder / "client.yaml"
        path.write_text(path.read_text() + "# hand edit\n")
        if change == "staged":
            run_git(agency, "add", str(path))
    before = _snapshot(agency)
    r = cli("-C", agency, *WRITES[command])
    assert r.exit_code == 2, r.stderr
    assert f"clients/{CID}/{shown}" in r.stderr
    assert _snapshot(agency) == before


def test_an_interrupted_writers_temp_file_does_not_block(agency: Path) -> None:
    folder = agency / "clients" / CID
    (folder / ".log.yaml.0123456789abcdef.tmp").write_text("- id: half\n")
    r = cli("-C", agency, "note", CID, "After a crash.")
    assert r.exit_code == 0, r.stderr


def test_new_refuses_leftovers_of_an_earlier_new(agency: Path) -> None:
    folder = agency / "clients" / "rc-0009"
    folder.mkdir()
    (folder / "client.yaml").write_text("id: rc-0009\n")
    run_git(agency, "add", str(folder))
    (folder / "client.yaml").unlink()
    folder.rmdir()
    r = cli("-C", agency, *WRITES["new"])
    assert r.exit_code == 2
    assert "clients/rc-0009/client.yaml" in r.stderr


def test_parallel_notes_on_different_clients_all_commit(tmp_path: Path) -> None:
    """Writers on different clients share git's index and branch: none may take another's
    short-lived index.lock for a stale one, and none may lose a commit."""
    ids = [f"rc-000{i}" for i in range(1, 9)]
    root = make_agency(tmp_path / "ag", {cid: client_files(cid) for cid in ids})
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "casectl", "-C", str(root), "note", cid, f"Note on {cid}."],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **AUTHOR, "PYTHONPATH": str(REPO_ROOT)},
        )
        for cid in ids
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in results]
    assert int(run_git(root, "rev-list", "--count", "HEAD")) == 9
    assert run_git(root, "status", "--porcelain") == ""
    for cid in ids:
        assert f"Note on {cid}." in run_git(root, "show", f"HEAD:clients/{cid}/log.yaml")
