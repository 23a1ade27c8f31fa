"""Before writing: the guards every writing command runs first.

``check_can_write`` refuses while git is in the middle of an operation, on a detached
HEAD, without a git identity, or with a stale index.lock; ``client_changes`` starts
``git status`` of one client folder (``edit.transaction.refuse_changes`` refuses
changes casectl did not make there). See docs/notes.md, "Before anything is written".
"""

from __future__ import annotations

import contextlib
import os
import shlex
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from casectl.errors import CasectlError
from casectl.git.run import (
    NOTHING_WRITTEN,
    git_path,
    identity_message,
    run_git,
    start_git,
    stderr_line,
)


@dataclass(frozen=True)
class _Operation:
    marker: str  # what git keeps under .git while it runs (``rev-parse --git-path``)
    what: str
    advice: str


def _finish(command: str) -> str:
    return (
        f"finish it with `git {command} --continue` (after resolving any conflicts) "
        f"or undo it with `git {command} --abort`"
    )


# In the order they are looked for: `git am` also keeps rebase-apply/, with "applying".
_OPERATIONS = (
    _Operation("rebase-merge", "a rebase", _finish("rebase")),
    _Operation("rebase-apply/applying", "a `git am`", _finish("am")),
    _Operation("rebase-apply", "a rebase", _finish("rebase")),
    _Operation("MERGE_HEAD", "a merge", _finish("merge")),
    _Operation("CHERRY_PICK_HEAD", "a cherry-pick", _finish("cherry-pick")),
    _Operation("REVERT_HEAD", "a revert", _finish("revert")),
    _Operation(
        "sequencer",
        "a cherry-pick or revert",
        "finish it with `git cherry-pick --continue` (or `git revert --continue`) "
        "or undo it with `git cherry-pick --abort` (or `git revert --abort`)",
    ),
    _Operation("BISECT_LOG", "a bisect", "end it with `git bisect reset`"),
    _Operation("BISECT_START", "a bisect", "end it with `git bisect reset`"),
)


_INDEX_LOCK = "index.lock"


# A live git process holds index.lock for milliseconds (another casectl committing
# another client, say); a lock still there after this long is taken to be stale.
STALE_LOCK_WAIT = 2.0


def unfinished_operation(root: Path) -> tuple[str, str] | None:
    """``(what, how to finish or undo it)`` of a git operation left in progress
    (rebase, am, merge, cherry-pick, revert, bisect), else None. One git call."""
    args = [arg for op in _OPERATIONS for arg in ("--git-path", op.marker)]
    paths = run_git(root, "rev-parse", *args).stdout.decode().splitlines()
    return _unfinished(root, paths)


def _unfinished(root: Path, paths: Sequence[str]) -> tuple[str, str] | None:
    for op, path in zip(_OPERATIONS, paths, strict=False):
        if os.path.lexists(git_path(root, path)):
            return op.what, op.advice
    return None


def operation_in_progress(root: Path) -> str | None:
    """The name of an unfinished rebase, merge, cherry-pick, revert or bisect, else None."""
    found = unfinished_operation(root)
    return found[0] if found is not None else None


@dataclass(frozen=True)
class WriteCheck:
    """What :func:`check_can_write` learnt: the agency's folder inside the work tree
    ("" at its top, else ending in "/"), to read ``git status`` paths with."""

    prefix: str


def check_can_write(root: Path, commit: bool = True) -> WriteCheck:
    """Refuse (CasectlError, exit 2) to write anything when git is not ready for it.

    In this order: not a git repository; a git operation left in progress; a detached
    HEAD (a commit there is lost by the next checkout or ``rebase --abort``); with
    ``commit``, no git identity (as git itself resolves it: environment, then
    configuration); an ``index.lock`` still there after :data:`STALE_LOCK_WAIT`
    seconds. Four git calls at once: a few milliseconds in any size of agency.
    """
    from concurrent.futures import ThreadPoolExecutor

    markers = [op.marker for op in _OPERATIONS] + [_INDEX_LOCK]
    args = [arg for marker in markers for arg in ("--git-path", marker)]
    idents = ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT") if commit else ()
    with ThreadPoolExecutor(max_workers=4) as pool:
        located = pool.submit(run_git, root, "rev-parse", "--show-prefix", *args, check=False)
        branch = pool.submit(run_git, root, "symbolic-ref", "-q", "HEAD", check=False)
        who = [pool.submit(run_git, root, "var", name, check=False) for name in idents]
        done, on_branch, identities = located.result(), branch.result(), [f.result() for f in who]
    if done.returncode != 0:
        raise CasectlError(
            f"{root} is not a git repository, and casectl commits every change it makes: "
            f"create the agency with `casectl init` (git said: {stderr_line(done.stderr)})"
        )
    lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
    prefix, paths = (lines[0], lines[1:]) if len(lines) > len(markers) else ("", lines)
    busy = _unfinished(root, paths)
    if busy is not None:
        raise CasectlError(
            f"git is in the middle of {busy[0]} in {root}: {busy[1]}, {NOTHING_WRITTEN}"
        )
    if on_branch.returncode != 0:
        raise CasectlError(
            "HEAD is detached (not on a branch), so a commit made now would be lost by the "
            "next checkout: go back to your branch with `git switch BRANCH` (`git switch -c "
            f"NEW` keeps commits made here on a new branch), {NOTHING_WRITTEN}"
        )
    for result in identities:
        if result.returncode != 0:
            raise CasectlError(identity_message(stderr_line(result.stderr)))
    _refuse_stale_lock(root, git_path(root, paths[-1]))
    return WriteCheck(prefix)


def _refuse_stale_lock(root: Path, lock: Path) -> None:
    deadline = time.monotonic() + STALE_LOCK_WAIT
    while os.path.lexists(lock):
        if time.monotonic() >= deadline:
            shown = lock.relative_to(root) if lock.is_relative_to(root) else lock
            raise CasectlError(
                f"{shown} exists: another git process is working in this repository, or one "
                "was stopped and left its lock behind. If no git process is running, remove "
                f"the file (rm {shlex.quote(str(shown))}), {NOTHING_WRITTEN}"
            )
        time.sleep(0.05)


@dataclass(frozen=True)
class TreeChange:
    """One line of ``git status``: the two status letters and the path."""

    status: str  # porcelain XY, e.g. " M", "A ", "??"
    path: str

    @property
    def untracked(self) -> bool:
        return self.status == "??"


@contextlib.contextmanager
def client_changes(
    root: Path, rel: str, check: WriteCheck
) -> Iterator[Callable[[], list[TreeChange]]]:
    """Start ``git status`` of the folder ``rel`` (staged, unstaged and untracked
    changes; ignored files left out); the function given waits for it.

    Started early so it runs while the caller reads and checks the files. Only the
    folder is looked at (one client: 20 ms at 40,000 files), and without git's
    optional index refresh, which would take index.lock under concurrent writers.
    """
    proc = start_git(
        root, "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all",
        "--no-renames", "--ignore-submodules=all", "--", f"{rel}/",
    )  # fmt: skip

    def result() -> list[TreeChange]:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise CasectlError(f"git status failed: {stderr_line(err)}")
        items = out.decode("utf-8", "surrogateescape").split("\0")
        return [
            TreeChange(item[:2], item[3:].removeprefix(check.prefix))
            for item in items
            if len(item) > 3
        ]

    try:
        yield result
    finally:
        if proc.returncode is None:  # not asked for: a read-only git status may just stop
            proc.kill()
            proc.communicate()


def path_changes(root: Path, rel: str, check: WriteCheck) -> list[TreeChange]:
    """Uncommitted changes of one file or folder ``rel`` (``git status`` of it alone;
    paths relative to the agency, as ``client_changes`` gives them)."""
    out = run_git(
        root, "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all",
        "--no-renames", "--", rel,
    ).stdout.decode("utf-8", "surrogateescape")  # fmt: skip
    return [
        TreeChange(item[:2], item[3:].removeprefix(check.prefix))
        for item in out.split("\0")
        if len(item) > 3
    ]


def describe_change(change: TreeChange) -> str:
    """``modified, not staged`` and the like, for messages."""
    if change.untracked:
        return "untracked"
    names = {"M": "modified", "A": "added", "D": "deleted", "T": "type changed", "U": "unmerged"}
    staged, unstaged = change.status[0], change.status[1]
    parts = []
    if staged not in " ?":
        parts.append(f"{names.get(staged, 'changed')}, staged")
    if unstaged not in " ?":
        parts.append(f"{names.get(unstaged, 'changed')}, not staged")
    return "; ".join(parts) or "changed"


def work_tree_changes(root: Path) -> list[TreeChange]:
    """Every uncommitted change under ``root`` (staged, unstaged, untracked; ignored
    files excluded), paths relative to ``root`` even when it is a subfolder of the
    repository."""
    prefix = run_git(root, "rev-parse", "--show-prefix").stdout.decode().strip()
    out = run_git(
        root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", "."
    ).stdout.decode("utf-8", "surrogateescape")
    return [
        TreeChange(item[:2], item[3:].removeprefix(prefix))
        for item in out.split("\0")
        if len(item) > 3
    ]
