"""Sync with restricted clients (contract 5.6): where the key is, notes added on both
sides of a restricted log are merged (in sync's own replay and by git's rebase with the
log merge driver) and stored encrypted again; where it is not, sync pulls and pushes
past them, saying they were not checked; after a purge's history rewrite, sync says
the clone must be cloned afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import (
    MAGIC,
    RETENTION_YAML,
    all_objects,
    blob,
    cli,
    client_files,
    make_agency,
    run_git,
)

pytestmark = pytest.mark.usefixtures("git_crypt")

CID = "rc-0001"


def _clone(remote: Path, target: Path) -> Path:
    run_git(target.parent, "clone", "-q", str(remote), str(target))
    return target


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    """A bare remote; ``early``: a plain clone made before rc-0001 was restricted;
    ``maker``: restricted rc-0001 to dv; ``member``: a clone unlocked with dv's key."""
    maker = make_agency(
        tmp_path / "maker",
        {CID: client_files(CID), "rc-0002": client_files("rc-0002")},
        agency_yaml=RETENTION_YAML,
    )
    remote = tmp_path / "remote.git"
    run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    run_git(maker, "remote", "add", "origin", str(remote))
    run_git(maker, "push", "-q", "-u", "origin", "main")
    early = _clone(remote, tmp_path / "early")
    assert cli("-C", maker, "restrict", CID, "--group", "dv").exit_code == 0
    key = tmp_path / "dv.key"
    run_git(maker, "crypt", "export-key", "-k", "dv", str(key))
    assert cli("-C", maker, "sync").exit_code == 0
    member = _clone(remote, tmp_path / "member")
    run_git(member, "crypt", "unlock", str(key))
    return {"remote": remote, "maker": maker, "member": member, "early": early}


def _both_add_a_note(w: dict[str, Path], mine: str, theirs: str) -> None:
    assert cli("-C", w["maker"], "note", CID, theirs).exit_code == 0
    assert cli("-C", w["maker"], "sync").exit_code == 0
    assert cli("-C", w["member"], "note", CID, mine).exit_code == 0


def _log(root: Path) -> str:
    return (root / "clients" / CID / "log.yaml").read_text()


@pytest.mark.parametrize("path", ["replay", "rebase"])
def test_notes_added_on_both_sides_of_a_restricted_log_are_merged(
    world: dict[str, Path], path: str
) -> None:
    mine, theirs = f"MEMBER-SIDE-{path}-4410", f"MAKER-SIDE-{path}-9921"
    _both_add_a_note(world, mine, theirs)
    member = world["member"]
    if path == "rebase":  # another tracked file changed: sync hands over to git's rebase
        (member / ".gitignore").write_text(".casectl/\n# local\n")
    done = cli("-C", member, "sync")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "pulled 1 commit, pushed 1" in done.stdout
    log = _log(member)
    assert mine in log and theirs in log
    assert blob(member, f"HEAD:clients/{CID}/log.yaml").startswith(MAGIC)
    changed = run_git(member, "status", "--porcelain")
    assert changed == ("" if path == "replay" else " M .gitignore\n")
    assert cli("-C", member, "validate").exit_code == 0
    objects = all_objects(world["remote"])
    assert mine.encode() not in objects and theirs.encode() not in objects
    assert cli("-C", world["maker"], "sync").exit_code == 0
    assert mine in _log(world["maker"])


def test_a_clone_without_the_key_syncs_past_restricted_logs(world: dict[str, Path]) -> None:
    early = world["early"]
    # early cloned before the restrict commit, and has its own work to push
    assert cli("-C", early, "note", "rc-0002", "An unrelated visit").exit_code == 0
    assert cli("-C", world["maker"], "note", CID, "A restricted note").exit_code == 0
    assert cli("-C", world["maker"], "sync").exit_code == 0
    done = cli("-C", early, "sync")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "pulled 2 commits, pushed 1" in done.stdout
    assert "not checked" in done.stderr and CID in done.stderr
    assert (early / "clients" / CID / "log.yaml").read_bytes().startswith(MAGIC)
    assert run_git(early, "status", "--porcelain") == ""
    again = cli("-C", early, "sync")  # the smudged ciphertext is no uncommitted change
    assert again.exit_code == 0 and "already up to date" in again.stdout
    assert cli("-C", early, "validate").exit_code == 0


def test_after_a_purge_rewrite_sync_says_to_clone_afresh(
    world: dict[str, Path], tmp_path: Path, filter_repo_path: str
) -> None:
    import os
    import subprocess

    maker = world["maker"]
    assert cli("-C", maker, "close", "rc-0002", "--reason", "moved").exit_code == 0
    purged = cli("-C", maker, "purge", "rc-0002", "--force")
    assert purged.exit_code == 0, purged.stderr
    assert cli("-C", maker, "sync").exit_code == 0
    assert cli("-C", world["member"], "sync").exit_code == 0
    mirror = tmp_path / "purge.git"
    env = {**os.environ, "PATH": filter_repo_path}
    subprocess.run(
        ["git", "clone", "-q", "--mirror", str(world["remote"]), str(mirror)], check=True, env=env
    )
    subprocess.run(
        ["git", "filter-repo", "--invert-paths", "--path", "clients/rc-0002/", "--force"],
        cwd=mirror, check=True, capture_output=True, env=env,
    )  # fmt: skip
    subprocess.run(
        ["git", "push", "-q", "--force", "--mirror", str(world["remote"])],
        cwd=mirror, check=True, env=env,
    )  # fmt: skip
    stopped = cli("-C", world["member"], "sync")
    assert stopped.exit_code == 1
    assert "purge" in stopped.stderr and "rc-0002" in stopped.stderr
    assert "clone afresh" in stopped.stderr.lower() and "--accept-rewrite" in stopped.stderr
