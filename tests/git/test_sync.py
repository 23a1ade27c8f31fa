"""casectl sync: a bare remote and several clones made with plain `git clone`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from casectl.commands import sync as sync_command
from casectl.commands.sync import summary_line, uncommitted_case_files
from casectl.git import guards
from casectl.git import sync as gitsync
from tests.builders import cli, client_files, make_agency, run_git, ssh_signing

CLIENTS = ("rc-0001", "rc-0002", "rc-0003")


@pytest.fixture
def shared(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A bare remote holding a small agency, and three fresh clones of it."""
    origin = make_agency(tmp_path / "origin", {cid: client_files(cid) for cid in CLIENTS})
    (origin / ".gitattributes").write_text(gitsync.GITATTRIBUTES_LINE + "\n")
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
        guards.TreeChange(" M", "clients/rc-0001/log.yaml"),
        guards.TreeChange("A ", "casectl.yaml"),
        guards.TreeChange("??", "clients/rc-0009/client.yaml"),
        guards.TreeChange("??", "clients/rc-0001/.DS_Store"),
        guards.TreeChange(" M", "templates/digest.txt.j2"),
        guards.TreeChange("??", "notes.txt"),
    ]
    assert uncommitted_case_files(changes) == [
        "casectl.yaml",
        "clients/rc-0001/log.yaml",
        "clients/rc-0009/client.yaml",
    ]


# ------------------------------------------------------------- many clones


def test_a_plain_clone_gets_the_merge_driver_on_first_sync(shared: tuple[Path, list[Path]]) -> None:
    _, (clone, *_) = shared
    assert gitsync.merge_driver_setting(clone) is None
    code, out, _ = sync(clone)
    assert code == 0
    assert out.splitlines() == [
        "registered casectl's log merge driver in this clone (.git/config)",
        "already up to date",
    ]
    assert gitsync.merge_driver_setting(clone) == gitsync.merge_driver_command()
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
    assert guards.operation_in_progress(second) is None
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
    before = head(second)
    code, out, err = sync(second)
    assert code == 1  # found by the guard before the merge driver would refuse it
    assert "clients/rc-0001/log.yaml  20260110-1000-jdoe  edited" in out
    assert "not pushed" in err
    assert head(second) == before


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


def test_replaying_notes_gives_exactly_what_git_rebase_gives(
    shared: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    # sync replays local commits itself (a few git calls each, the log merge in this
    # process) instead of running git rebase with a merge-driver process per log and
    # commit; the commits must come out as git's own rebase makes them.
    _, (first, second, _) = shared
    clock = Clock()
    sync(second)  # registers the driver, used by the git rebase below
    for cid in ("rc-0001", "rc-0002", "rc-0001"):
        note(first, cid, clock.next())
    assert sync(first)[0] == 0
    note(second, "rc-0001", clock.next())
    (second / "README.md").write_text("a file that is not a case file\n")
    run_git(second, "add", "README.md")
    run_git(second, "commit", "-q", "-m", "readme\n\nwith a body\n  kept as written")
    run_git(second, "commit", "-q", "--allow-empty", "-m", "empty on purpose")
    note(second, "rc-0003", clock.next())
    note(second, "rc-0002", clock.next())
    run_git(second, "fetch", "-q", "origin")
    copy = tmp_path / "copy"
    shutil.copytree(second, copy, symlinks=True)
    run_git(copy, "rebase", "-q", "--merge", "origin/main")
    before = head(second)
    upstream = head(second, "origin/main")
    new = gitsync.replay(second, upstream, upstream, sync_command.merge_log)
    assert new is not None and new == head(second)
    fields = "%T%x00%an%x00%ae%x00%ad%x00%B"
    theirs = run_git(copy, "log", f"--format={fields}", f"{upstream}..HEAD")
    mine = run_git(second, "log", f"--format={fields}", f"{upstream}..HEAD")
    assert mine == theirs
    assert mine.count("\0") == 5 * 4 and "empty on purpose" in mine  # all five, empty too
    assert run_git(second, "status", "--porcelain") == ""
    assert run_git(second, "diff", "HEAD", "--stat") == ""
    assert before in run_git(second, "reflog", "-2", "--format=%H")


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen to sign")
def test_replayed_commits_are_signed_like_rebased_ones(
    shared: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    remote, (first, second, _) = shared
    ssh_signing(second, tmp_path)
    note(first, "rc-0001", "2026-02-01 09:00")
    assert sync(first)[0] == 0
    mine = note(second, "rc-0001", "2026-02-01 09:01")
    run_git(second, "fetch", "-q", "origin")
    upstream = head(second, "origin/main")
    assert gitsync.replay(second, upstream, upstream, sync_command.merge_log) == head(second)
    assert run_git(second, "log", "-1", "--format=%G?").strip() == "G"
    assert mine in log_ids(second, "rc-0001")
    code, out, err = sync(second)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "pushed 1 commit"
    assert head(second) == head(remote, "main")


def test_replay_leaves_a_conflict_to_git(shared: tuple[Path, list[Path]]) -> None:
    _, (first, second, _) = shared
    for clone, text in ((first, "From the office."), (second, "From the car.")):
        log = clone / "clients" / "rc-0001" / "log.yaml"
        log.write_text(
            log.read_text() + "- id: 20260201-0900-jdoe\n  date: 2026-02-01 09:00\n"
            f"  by: jdoe\n  type: note\n  text: {text}\n"
        )
        run_git(clone, "commit", "-q", "-am", "a note written by an older casectl")
    assert sync(first)[0] == 0
    run_git(second, "fetch", "-q", "origin")
    before = head(second)
    upstream = head(second, "origin/main")
    assert gitsync.replay(second, upstream, upstream, sync_command.merge_log) is None
    assert head(second) == before
    assert run_git(second, "status", "--porcelain") == ""


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


def busy_hook(clone: Path, other: Path, times: int | None) -> Path:
    """A pre-push hook in ``clone`` that makes ``other`` push a new commit first, the
    first ``times`` times (None: every time): the remote is always one step ahead."""
    counter = clone.parent / f"{clone.name}-pushes-made"
    limit = "" if times is None else f'[ "$(wc -l < "{counter}")" -gt {times} ] && exit 0\n'
    hook = clone / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        f'echo x >> "{counter}"\n' + limit + f'git -C "{other}" commit -q --allow-empty -m busy '
        f'>/dev/null 2>&1 && git -C "{other}" push -q origin main >/dev/null 2>&1\nexit 0\n'
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    return counter


def test_a_busy_remote_is_retried_with_backoff_until_the_push_goes_through(
    shared: tuple[Path, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seven pushes in a row get in first (the old limit was 5 tries): sync keeps going,
    # waiting a little longer each time, and gets through well within its time budget.
    monkeypatch.setattr(sync_command, "BACKOFF_FIRST", 0.01)
    remote, (first, second, _) = shared
    sync(second)
    note(first, "rc-0001", "2026-02-01 09:01")
    counter = busy_hook(first, second, times=7)
    began = time.monotonic()
    code, out, err = sync(first)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "pulled 7 commits, pushed 1"
    assert len(counter.read_text().splitlines()) == 8
    assert head(first) == head(remote, "main")
    assert time.monotonic() - began < 30


def test_a_remote_busy_beyond_the_timeout_gives_up_saying_so(
    shared: tuple[Path, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_command, "BACKOFF_FIRST", 0.05)
    remote, (first, second, _) = shared
    sync(second)
    mine = note(first, "rc-0001", "2026-02-01 09:01")
    busy_hook(first, second, times=None)
    began = time.monotonic()
    code, _, err = sync(first, "--timeout", "1.5")
    assert code == 2
    assert "origin/main kept changing while syncing" in err
    assert "--timeout" in err
    assert "nothing is lost" in err
    assert time.monotonic() - began < 15
    assert mine in log_ids(first, "rc-0001")  # still here, to be pushed next time
    assert mine not in run_git(remote, "show", "main:clients/rc-0001/log.yaml")
    assert sync(first, "--timeout", "-1")[0] == 2


# ------------------------------------------------- the shared history is guarded


def rewrite_old_note(clone: Path) -> str:
    log = clone / "clients" / "rc-0001" / "log.yaml"
    log.write_text(log.read_text().replace("First visit.", "First visit, rewritten."))
    run_git(clone, "commit", "-q", "-am", "tidy an old note")
    return head(clone)


def test_a_commit_rewriting_an_old_note_is_never_pushed(shared: tuple[Path, list[Path]]) -> None:
    remote, (clone, *_) = shared
    sync(clone)
    before = head(remote, "main")
    edit = rewrite_old_note(clone)
    note(clone, "rc-0002", "2026-02-01 09:00")
    code, out, err = sync(clone)
    assert code == 1
    assert (
        f"{edit[:12]}  " in out
        and "clients/rc-0001/log.yaml  20260110-1000-jdoe  edited: changed: text" in out
    )
    assert "not pushed: 1 of your commits changes notes that already existed" in err
    assert head(remote, "main") == before
    assert run_git(clone, "status", "--porcelain") == ""


def test_an_orphan_history_joined_in_is_never_pushed(shared: tuple[Path, list[Path]]) -> None:
    # The audit evasion of an orphan root holding a rewritten note, joined with
    # `merge -s ours --allow-unrelated-histories` and fast-forwarded.
    remote, (clone, *_) = shared
    sync(clone)
    before = head(remote, "main")
    run_git(clone, "checkout", "-q", "--orphan", "evil")
    log = clone / "clients" / "rc-0001" / "log.yaml"
    log.write_text(log.read_text().replace("First visit.", "First visit, rewritten."))
    run_git(clone, "add", "-A")
    run_git(clone, "commit", "-q", "-m", "a fresh start")
    run_git(clone, "merge", "-q", "-s", "ours", "--allow-unrelated-histories", "-m", "j", "main")
    run_git(clone, "checkout", "-q", "main")
    run_git(clone, "merge", "-q", "--ff-only", "evil")
    code, out, err = sync(clone)
    assert code == 1
    assert "20260110-1000-jdoe  edited (merge): changed: text" in out
    assert "second-root: a second root commit" in out
    assert "not pushed: 2 of your commits change notes that already existed" in err
    assert head(remote, "main") == before


def test_incoming_commits_rewriting_an_old_note_stop_sync_before_the_rebase(
    shared: tuple[Path, list[Path]],
) -> None:
    remote, (first, second, _) = shared
    sync(second)
    edit = rewrite_old_note(first)
    run_git(first, "push", "-q", "origin", "main")  # plain git: no guard
    mine = note(second, "rc-0002", "2026-02-01 09:00")
    before = head(second)
    code, out, err = sync(second)
    assert code == 1
    assert f"{edit[:12]}  " in out and "20260110-1000-jdoe  edited: changed: text" in out
    assert "sync stopped: 1 new commit on origin/main changes notes that already existed" in err
    assert "nothing changed in this clone" in err
    assert head(second) == before  # not rebased
    assert "First visit.\n" in (second / "clients" / "rc-0001" / "log.yaml").read_text()
    assert head(remote, "main") == edit  # nothing pushed
    assert sync(second)[0] == 1  # and not accepted by trying again
    # Accepted on purpose (after checking with whoever made it):
    code, out, err = sync(second, "--accept-rewrite")
    assert code == 0, err
    assert out.splitlines()[-1] == "pulled 1 commit, pushed 1"
    assert mine in log_ids(second, "rc-0002")
    assert sync(second)[1] == "already up to date\n"


def test_a_force_pushed_remote_stops_sync_naming_the_vanished_commits(
    shared: tuple[Path, list[Path]],
) -> None:
    remote, (first, second, third) = shared
    gone = note(first, "rc-0001", "2026-02-01 09:00")
    assert sync(first)[0] == 0
    vanished = head(first)
    run_git(third, "fetch", "-q")  # a clone that saw it with plain git, never with sync
    # Someone resets the shared branch to before that note and force-pushes.
    sync(second)
    run_git(second, "reset", "-q", "--hard", "HEAD~1")
    kept = note(second, "rc-0002", "2026-02-01 09:05")
    run_git(second, "push", "-q", "-f", "origin", "main")
    rewritten = head(remote, "main")
    mine = note(first, "rc-0003", "2026-02-01 09:10")
    before = head(first)
    for _ in range(2):  # refused, and refused again: never accepted by retrying
        code, out, err = sync(first)
        assert code == 1
        assert "the history of origin/main was rewritten" in err
        assert f"{vanished[:12]}" in err
        assert "1 commit this clone saw there is gone" in err
        assert "--accept-rewrite" in err
        assert head(first) == before
        assert head(remote, "main") == rewritten  # nothing re-pushed
    # A clone that never ran sync notices too (from what git last fetched).
    assert run_git(third, "rev-parse", "origin/main").strip() == vanished
    code, _, err = sync(third)
    assert code == 1 and vanished[:12] in err
    # The administrator's word: accept it. Local work is replayed, the vanished note
    # stays gone.
    code, out, err = sync(first, "--accept-rewrite")
    assert code == 0, err
    assert "accepted the rewritten history of origin/main" in err
    assert out.splitlines()[-1] == "pulled 1 commit, pushed 1"
    assert head(remote, "main") == head(first)
    assert gone not in log_ids(first, "rc-0001")
    assert kept in log_ids(first, "rc-0002") and mine in log_ids(first, "rc-0003")
    assert sync(first)[1] == "already up to date\n"


def test_a_filter_branch_rewrite_names_every_vanished_commit(
    shared: tuple[Path, list[Path]],
) -> None:
    _, (first, second, _) = shared
    for when in ("2026-02-01 09:00", "2026-02-01 09:01"):
        note(first, "rc-0001", when)
    assert sync(first)[0] == 0
    old = run_git(first, "rev-list", "--abbrev-commit", "--abbrev=12", "HEAD").split()
    sync(second)
    subprocess.run(
        ["git", "filter-branch", "-f", "--tree-filter",
         "sed -i 's/First visit./First visit (redacted)./' clients/rc-0001/log.yaml", "HEAD"],
        cwd=second, check=True, capture_output=True,
        env={**os.environ, "FILTER_BRANCH_SQUELCH_WARNING": "1"},
    )  # fmt: skip
    run_git(second, "push", "-q", "-f", "origin", "main")
    code, _, err = sync(first)
    assert code == 1
    assert f"{len(old)} commits this clone saw there are gone" in err
    assert all(commit in err for commit in old)


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
