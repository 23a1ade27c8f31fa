"""casectl sync: a bare remote and several clones made with plain `git clone`."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from casectl import repo
from casectl.commands.sync import summary_line, uncommitted_case_files
from tests.conftest import cli, client_files, make_agency, run_git

CLIENTS = ("rc-0001", "rc-0002", "rc-0003")


@pytest.fixture
def shared(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A bare remote holding a small agency, and three fresh clones of it."""
    origin = make_agency(tmp_path / "origin", {cid: client_files(cid) for cid in CLIENTS})
    (origin / ".gitattributes").write_text(repo.GITATTRIBUTES_LINE + "\n")
    run_git(origin, "add", ".gitattributes")
    run_git(origin, "commit", "-q", "-m", "route logs to the merge driver")
    remote = tmp_path / "remote.git"
    run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    run_git(origin, "remote", "add", "origin", str(remote))
    run_git(origin, "push", "-q", "origin", "main")
    clones = []
    for i in range(3):
        clone = tmp_path / f"clone{i}"
        run_git(tmp_path, "clone", "-q", str(remote), str(clone))
        clones.append(clone)
    return remote, clones


class Clock:
    """Note times that only move forward, like a wall clock shared by every clone."""

    def __init__(self) -> None:
        self.minute = 0

    def next(self) -> str:
        self.minute += 1
        hours, minutes = divmod(self.minute, 60)
        return f"2026-02-{1 + hours // 24:02d} {hours % 24:02d}:{minutes:02d}"


def note(clone: Path, client: str, when: str, by: str = "jdoe") -> str:
    done = cli("-C", clone, "note", client, f"Note of {when} by {by}.", "--by", by, "--date", when)
    assert done.exit_code == 0, done.stderr
    return done.stdout.strip()


def sync(clone: Path, *args: str) -> tuple[int, str, str]:
    done = cli("-C", clone, "sync", *args)
    return done.exit_code, done.stdout, done.stderr


def log_ids(clone: Path, client: str) -> list[str]:
    text = (clone / "clients" / client / "log.yaml").read_text()
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("- id:")]


def head(path: Path, ref: str = "HEAD") -> str:
    return run_git(path, "rev-parse", ref).strip()


# ------------------------------------------------------------------ pure parts


def test_summary_line() -> None:
    assert summary_line(0, 0) == "already up to date"
    assert summary_line(3, 2) == "pulled 3 commits, pushed 2"
    assert summary_line(1, 0) == "pulled 1 commit, nothing to push"
    assert summary_line(0, 1) == "pushed 1 commit"


def test_uncommitted_case_files() -> None:
    changes = [
        repo.TreeChange(" M", "clients/rc-0001/log.yaml"),
        repo.TreeChange("A ", "casectl.yaml"),
        repo.TreeChange("??", "clients/rc-0009/client.yaml"),
        repo.TreeChange("??", "clients/rc-0001/.DS_Store"),
        repo.TreeChange(" M", "templates/digest.txt.j2"),
        repo.TreeChange("??", "notes.txt"),
    ]
    assert uncommitted_case_files(changes) == [
        "casectl.yaml",
        "clients/rc-0001/log.yaml",
        "clients/rc-0009/client.yaml",
    ]


# ------------------------------------------------------------- many clones


def test_a_plain_clone_gets_the_merge_driver_on_first_sync(shared: tuple[Path, list[Path]]) -> None:
    _, (clone, *_) = shared
    assert repo.merge_driver_setting(clone) is None
    code, out, _ = sync(clone)
    assert code == 0
    assert out.splitlines() == [
        "registered casectl's log merge driver in this clone (.git/config)",
        "already up to date",
    ]
    assert repo.merge_driver_setting(clone) == repo.merge_driver_command()
    assert sync(clone)[1] == "already up to date\n"  # registered once


def test_concurrent_notes_are_all_kept_in_every_clone(shared: tuple[Path, list[Path]]) -> None:
    remote, clones = shared
    clock = Clock()
    written: dict[str, list[str]] = {cid: [] for cid in CLIENTS}
    # Round 1: every clone adds to rc-0001 (the same log) and to a log of its own.
    for i, clone in enumerate(clones):
        written["rc-0001"].append(note(clone, "rc-0001", clock.next(), ("jdoe", "mkim")[i % 2]))
        written[CLIENTS[i]].append(note(clone, CLIENTS[i], clock.next()))
    # Round 2, before anyone syncs: more notes on both.
    for clone in clones:
        written["rc-0001"].append(note(clone, "rc-0001", clock.next()))
    for clone in clones:  # synced in turns: each one rebases on the previous pushes
        code, out, err = sync(clone)
        assert code == 0, err
        assert "pushed" in out
    for clone in clones:  # and once more so the early ones get the later pushes
        code, _, err = sync(clone)
        assert code == 0, err
    assert len({head(c) for c in clones} | {head(remote, "main")}) == 1
    for clone in clones:
        for cid in CLIENTS:
            ids = log_ids(clone, cid)
            assert set(written[cid]) <= set(ids), (clone.name, cid)
            assert len(ids) == len(set(ids)) == 1 + len(written[cid])
            assert ids[1:] == sorted(ids[1:])  # oldest first
        for path in (clone / "clients").rglob("*.yaml"):
            assert "<<<<<<<" not in path.read_text()
        assert cli("-C", clone, "validate").exit_code == 0
        assert run_git(clone, "status", "--porcelain") == ""
    # The merges were appends only: nothing for the audit to report.
    assert cli("-C", clones[0], "audit").exit_code == 0


def test_a_real_conflict_stops_sync_names_the_file_and_pushes_nothing(
    shared: tuple[Path, list[Path]],
) -> None:
    remote, (first, second, _) = shared
    plan = Path("clients/rc-0002/plan.yaml")
    for clone, goal in ((first, "Move into a flat"), (second, "Move in with family")):
        sync(clone)
        text = (clone / plan).read_text().replace("Move into stable housing", goal)
        (clone / plan).write_text(text)
        run_git(clone, "commit", "-q", "-am", f"plan: {goal}")
    note(second, "rc-0003", "2026-02-01 09:00")  # a note that must not get lost either
    assert sync(first)[0] == 0
    before = head(second)
    pushed = head(remote, "main")
    code, out, err = sync(second)
    assert code == 1
    assert "sync stopped" in err
    assert str(plan) in err
    assert "Nothing was pushed" in err
    assert "git pull --rebase origin main" in err
    assert "pushed" not in out
    assert head(second) == before  # the clone is exactly as it was
    assert run_git(second, "status", "--porcelain") == ""
    assert repo.operation_in_progress(second) is None
    assert "Move in with family" in (second / plan).read_text()
    assert head(remote, "main") == pushed  # nothing pushed


def test_an_edited_old_note_is_a_conflict_naming_the_entry(
    shared: tuple[Path, list[Path]],
) -> None:
    _, (first, second, _) = shared
    sync(second)
    log = second / "clients" / "rc-0001" / "log.yaml"
    log.write_text(log.read_text().replace("First visit.", "First visit, rewritten."))
    run_git(second, "commit", "-q", "-am", "rewrite an old note")
    sync(first)
    note(first, "rc-0001", "2026-02-01 09:00")
    assert sync(first)[0] == 0
    code, _, err = sync(second)
    assert code == 1
    assert "clients/rc-0001/log.yaml" in err
    assert "entry 20260110-1000-jdoe was changed" in err


def test_the_same_person_in_the_same_minute_in_two_clones_gets_two_notes(
    shared: tuple[Path, list[Path]],
) -> None:
    # Two clones, one manager, one client, one minute: the ids must differ, so the
    # merge driver joins the logs and both syncs go through with both notes kept.
    remote, (first, second, _) = shared
    when = "2026-02-01 09:00"
    office = note(first, "rc-0001", when)
    car = note(second, "rc-0001", when)
    assert office != car
    assert office.startswith("20260201-0900-jdoe-") and car.startswith("20260201-0900-jdoe-")
    assert sync(first)[0] == 0
    code, out, err = sync(second)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "pulled 1 commit, pushed 1"
    assert sync(first)[1].splitlines()[-1] == "pulled 1 commit, nothing to push"
    for clone in (first, second):
        assert log_ids(clone, "rc-0001") == ["20260110-1000-jdoe", *sorted([office, car])]
        assert cli("-C", clone, "validate").exit_code == 0
    assert head(first) == head(second) == head(remote, "main")


def test_an_id_taken_on_both_sides_is_explained_and_can_be_resolved(
    shared: tuple[Path, list[Path]],
) -> None:
    # Two notes with one id (as an older casectl wrote them): no conflict markers, so
    # the advice must say what happened and how to keep both notes.
    _, (first, second, _) = shared
    log = Path("clients/rc-0001/log.yaml")
    for clone, text in ((first, "From the office."), (second, "From the car.")):
        (clone / log).write_text(
            (clone / log).read_text() + "- id: 20260201-0900-jdoe\n  date: 2026-02-01 09:00\n"
            f"  by: jdoe\n  type: note\n  text: {text}\n"
        )
        run_git(clone, "commit", "-q", "-am", "a note written by an older casectl")
    assert sync(first)[0] == 0
    before = head(second)
    code, _, err = sync(second)
    assert code == 1
    assert (
        "entry 20260201-0900-jdoe was added on both sides with different text: "
        "two different notes got the same id" in err
    )
    assert "remove the <<<<<<<" not in err  # advice for files with markers only
    assert f"git show :3:{log}" in err
    assert head(second) == before
    # The advice, followed: the log holds the shared version; add ours with a new id.
    done = subprocess.run(
        ["git", "pull", "--rebase", "origin", "main"], cwd=second, capture_output=True
    )
    assert done.returncode != 0
    mine = run_git(second, "show", f":3:{log}").split("- id: 20260201-0900-jdoe\n")[1]
    (second / log).write_text((second / log).read_text() + "- id: 20260201-0900-jdoe-2\n" + mine)
    run_git(second, "add", str(log))
    subprocess.run(
        ["git", "-c", "core.editor=true", "rebase", "--continue"], cwd=second, check=True
    )
    code, out, err = sync(second)
    assert code == 0, err
    assert out.splitlines()[-1] == "pushed 1 commit"
    assert log_ids(second, "rc-0001")[1:] == ["20260201-0900-jdoe", "20260201-0900-jdoe-2"]


def test_a_deeply_nested_new_entry_stops_sync_with_the_reason(
    shared: tuple[Path, list[Path]],
) -> None:
    _, (first, second, _) = shared
    log = second / "clients" / "rc-0001" / "log.yaml"
    log.write_text(
        log.read_text() + "- id: 20260201-0900-jdoe-deep\n  date: 2026-02-01 09:00\n  by: jdoe\n"
        "  type: note\n  text: x\n  extra: " + "[" * 600 + "]" * 600 + "\n"
    )
    run_git(second, "commit", "-q", "-am", "a note nested 600 levels deep")
    note(first, "rc-0001", "2026-02-01 10:00")
    assert sync(first)[0] == 0
    before = head(second)
    code, _, err = sync(second)
    assert code == 1
    assert (
        "casectl merge: clients/rc-0001/log.yaml: conflict: theirs cannot be merged entry by "
        "entry: nested more than 64 levels deep (line 13)" in err
    )
    assert "Traceback" not in err and "RecursionError" not in err
    assert head(second) == before


def test_uncommitted_case_files_are_refused(shared: tuple[Path, list[Path]]) -> None:
    remote, (clone, other, _) = shared
    log = clone / "clients" / "rc-0001" / "log.yaml"
    log.write_text(log.read_text() + "# not committed\n")
    code, out, err = sync(clone)
    assert code == 2
    assert "uncommitted changes to case files: clients/rc-0001/log.yaml" in err
    assert out == ""
    run_git(clone, "checkout", "--", "clients/rc-0001/log.yaml")
    (clone / "clients" / "rc-0004").mkdir()
    (clone / "clients" / "rc-0004" / "client.yaml").write_text("id: rc-0004\n")
    assert sync(clone)[0] == 2
    assert head(remote, "main") == head(other)  # nothing went anywhere


def test_other_uncommitted_files_survive_a_sync(shared: tuple[Path, list[Path]]) -> None:
    _, (clone, other, _) = shared
    (clone / "README.md").write_text("draft\n")
    run_git(clone, "add", "README.md")
    run_git(clone, "commit", "-q", "-m", "readme")
    (clone / "README.md").write_text("draft, still being edited\n")
    note(other, "rc-0002", "2026-02-01 09:00")
    assert sync(other)[0] == 0
    code, out, err = sync(clone)
    assert code == 0, err
    assert "pulled 1 commit, pushed 1" in out
    assert (clone / "README.md").read_text() == "draft, still being edited\n"


def test_validation_errors_block_the_push(shared: tuple[Path, list[Path]]) -> None:
    remote, (clone, *_) = shared
    before = head(remote, "main")
    client = clone / "clients" / "rc-0001" / "client.yaml"
    client.write_text(client.read_text().replace("status: active", "status: paused"))
    run_git(clone, "commit", "-q", "-am", "bad status")
    code, out, err = sync(clone)
    assert code == 1
    assert "clients/rc-0001/client.yaml:3:9: error CM103" in out
    assert "not pushed" in err
    assert head(remote, "main") == before


def test_someone_pushing_in_between_is_retried(shared: tuple[Path, list[Path]]) -> None:
    # A pre-push hook in the first clone makes the second clone push just before the
    # first one's push reaches the remote: that push is rejected, sync starts again.
    remote, (first, second, _) = shared
    sync(second)
    pushed_first = note(second, "rc-0002", "2026-02-01 09:00")
    note(first, "rc-0001", "2026-02-01 09:01")
    hook = first / ".git" / "hooks" / "pre-push"
    marker = first.parent / "hook-ran"
    hook.write_text(
        "#!/bin/sh\n"
        f'if [ ! -e "{marker}" ]; then touch "{marker}"; '
        f'git -C "{second}" push -q origin main >/dev/null 2>&1; fi\n'
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    code, out, err = sync(first)
    assert code == 0, err
    assert err == ""
    assert marker.exists()
    assert out.splitlines()[-1] == "pulled 1 commit, pushed 1"
    assert head(first) == head(remote, "main")
    assert pushed_first in log_ids(first, "rc-0002")


def test_remote_and_branch_options_and_refusals(shared: tuple[Path, list[Path]]) -> None:
    remote, (clone, other, _) = shared
    run_git(clone, "remote", "rename", "origin", "shared")
    assert sync(clone)[0] == 2  # no remote named origin
    note(clone, "rc-0001", "2026-02-01 09:00")
    code, out, _ = sync(clone, "--remote", "shared")
    assert (code, out.splitlines()[-1]) == (0, "pushed 1 commit")
    # --branch: share the same history on another branch of the remote
    code, out, _ = sync(clone, "--remote", "shared", "--branch", "review")
    assert code == 0
    assert "new branch review on shared" in out
    assert head(remote, "review") == head(clone)
    run_git(other, "checkout", "-q", "--detach")
    code, _, err = sync(other)
    assert code == 2
    assert "--branch" in err


def test_a_clone_without_the_gitattributes_line_is_told_and_still_merges(
    tmp_path: Path,
) -> None:
    origin = make_agency(tmp_path / "origin", {"rc-0001": client_files("rc-0001")})
    assert not (origin / ".gitattributes").exists()
    remote = tmp_path / "remote.git"
    run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    run_git(origin, "remote", "add", "origin", str(remote))
    run_git(origin, "push", "-q", "origin", "main")
    run_git(tmp_path, "clone", "-q", str(remote), str(tmp_path / "b"))
    note(tmp_path / "b", "rc-0001", "2026-02-01 09:00")
    code, _, err = sync(tmp_path / "b")
    assert code == 0
    assert ".gitattributes does not route clients/*/log.yaml" in err
    assert not (tmp_path / "b" / ".gitattributes").exists()  # nothing written or committed
    note(origin, "rc-0001", "2026-02-01 09:01")
    code, out, err = sync(origin)
    assert code == 0, err
    assert out.splitlines()[-1] == "pulled 1 commit, pushed 1"
    assert os.path.exists(origin / ".git" / "info" / "attributes")
