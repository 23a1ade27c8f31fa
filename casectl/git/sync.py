"""Sharing: fetch, rebase or in-process replay, push, the last-seen remote refs, and
the registration of the log merge driver in a clone.

Each function is a thin wrapper around one git command (through ``run_git``);
``casectl sync`` (commands/sync.py) decides what to do with the answers.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from casectl.errors import CasectlError
from casectl.git.commit import TreeEditor, commit_config, object_id, write_objects
from casectl.git.guards import operation_in_progress
from casectl.git.history import read_blobs
from casectl.git.run import config_value, run_git, stderr_line

MERGE_DRIVER = "casectl-log"


GITATTRIBUTES_LINE = f"clients/*/log.yaml merge={MERGE_DRIVER}"


def merge_driver_command() -> str:
    """How git should run casectl's log merge driver from this installation."""
    import sys

    return f"{shlex.quote(sys.executable)} -m casectl merge-log %O %A %B %P"


def configure_merge_driver(root: Path) -> None:
    """Register the log merge driver in this clone's git config (idempotent)."""
    run_git(root, "config", f"merge.{MERGE_DRIVER}.name", "casectl log merge (append-only notes)")
    run_git(root, "config", f"merge.{MERGE_DRIVER}.driver", merge_driver_command())


def merge_driver_setting(root: Path) -> str | None:
    """The command registered for casectl's log merge driver in this clone, if any."""
    return config_value(root, f"merge.{MERGE_DRIVER}.driver")


def merge_attribute(root: Path, path: str = "clients/any/log.yaml") -> str | None:
    """The ``merge`` attribute git applies to ``path`` (from any attributes file)."""
    done = run_git(root, "check-attr", "merge", "--", path, check=False)
    value = done.stdout.decode("utf-8", "replace").strip().rpartition(": ")[2]
    return None if value in ("", "unspecified", "unset") else value


def ensure_gitattributes(root: Path) -> bool:
    """Add the merge-driver line to .gitattributes if missing; True when changed."""
    from casectl.store import writes

    return writes.add_missing_text(
        root / ".gitattributes", _has_driver_line, GITATTRIBUTES_LINE + "\n"
    )


def add_local_attributes(root: Path) -> bool:
    """Add the merge-driver line to ``.git/info/attributes`` (this clone only, never
    committed); True when it was added."""
    from casectl.store import writes

    rel = run_git(root, "rev-parse", "--git-path", "info/attributes").stdout.decode().strip()
    path = Path(rel) if os.path.isabs(rel) else root / rel
    return writes.add_missing_text(path, _has_driver_line, GITATTRIBUTES_LINE + "\n")


def _has_driver_line(text: str) -> bool:
    return any(line.split() == GITATTRIBUTES_LINE.split() for line in text.splitlines())


def current_branch(root: Path) -> str | None:
    """The checked-out branch's short name; None when HEAD is detached."""
    done = run_git(root, "symbolic-ref", "-q", "--short", "HEAD", check=False)
    return done.stdout.decode().strip() or None


def remote_url(root: Path, remote: str) -> str | None:
    done = run_git(root, "remote", "get-url", "--", remote, check=False)
    return done.stdout.decode("utf-8", "replace").strip() or None


def count_commits(root: Path, include: str, exclude: str | None = None) -> int:
    """How many commits ``include`` has that ``exclude`` does not (``rev-list --count``)."""
    args = ["rev-list", "--count", include]
    if exclude is not None:
        args.append(f"^{exclude}")
    return int(run_git(root, *args).stdout.decode().strip() or 0)


def fetch(root: Path, remote: str) -> None:
    """Update ``refs/remotes/<remote>/*`` from the remote's branches."""
    done = run_git(
        root, "fetch", "--quiet", "--", remote, f"+refs/heads/*:refs/remotes/{remote}/*",
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise CasectlError(f"cannot fetch from {remote}: {stderr_line(done.stderr)}")


@dataclass(frozen=True)
class RebaseOutcome:
    """What ``git rebase`` did: ok, or the files it could not merge and why."""

    ok: bool
    conflicts: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()  # merge driver and git lines worth showing


def rebase(
    root: Path, upstream: str, autostash: bool = False, since: str | None = None
) -> RebaseOutcome:
    """Replay local commits on ``upstream`` with the merge backend (which runs merge
    drivers: casectl's merges logs); with ``since``, only the commits after it
    (``--onto upstream since``). On failure the rebase is aborted, so the branch and
    work tree are exactly as before, and the conflicting files are returned."""
    args = ["rebase", "--merge", "--no-autosquash"]
    if autostash:
        args.append("--autostash")
    if since is not None:
        args += ["--onto", upstream, since]
    else:
        args.append(upstream)
    done = run_git(root, *args, check=False)
    if done.returncode == 0:
        return RebaseOutcome(True)
    unmerged = run_git(root, "diff", "--name-only", "-z", "--diff-filter=U", check=False)
    conflicts = tuple(
        p for p in unmerged.stdout.decode("utf-8", "surrogateescape").split("\0") if p
    )
    text = (done.stdout + b"\n" + done.stderr).decode("utf-8", "replace")
    wanted = ("casectl merge:", "CONFLICT", "error:", "fatal:")
    messages = tuple(line.strip() for line in text.splitlines() if line.strip().startswith(wanted))
    if operation_in_progress(root) == "a rebase":
        run_git(root, "rebase", "--abort", check=False)
    return RebaseOutcome(False, conflicts, messages or (stderr_line(done.stderr),))


def replay(
    root: Path,
    onto: str,
    after: str,
    merge_file: Callable[[str, bytes, bytes, bytes], bytes | None],
) -> str | None:
    """Replay the commits of ``after..HEAD`` onto ``onto`` and move the branch there,
    like ``git rebase --onto onto after``, without git's rebase machinery: the new
    trees are built with plumbing, and a file both sides changed is merged in this
    process by ``merge_file(path, base, ours, theirs)`` (None: it cannot be). So a
    sync replaying notes costs a fixed handful of git calls per commit instead of a
    merge-driver process per log and commit, which matters when many clones push at
    once. The same results as the rebase: each commit keeps its author, date and
    message (committer and signing from git's configuration, as a rebase does), a
    commit that becomes empty is dropped.

    Only the plain case is handled; anything else returns None with nothing changed,
    and the caller runs :func:`rebase`: a merge commit among them, a commit with an
    encoding header, a folder that is not the repository's top, a change other than
    to a regular file's content (renames are a deletion and an addition, which is
    fine), a file both sides changed that ``merge_file`` cannot merge, a work tree or
    index that git will not update (uncommitted changes in the way).
    """
    where = run_git(root, "rev-parse", "--show-prefix", "HEAD^{commit}", check=False)
    prefix, _, head = where.stdout.decode().partition("\n")
    head = head.strip()
    if where.returncode != 0 or prefix.strip() or not head:
        return None
    listed = run_git(root, "rev-list", "--reverse", "--parents", head, f"^{after}")
    picks = [line.split() for line in listed.stdout.decode().splitlines()]
    if any(len(pick) != 2 for pick in picks):
        return None
    id_len = len(head) // 2
    raw_commits = _cat(root, [commit for commit, _ in picks])
    lines = [f"{commit} {parent}" for commit, parent in picks]
    diffs = _raw_diffs(root, lines) if lines else []
    touched = sorted({change[4] for changes in diffs for change in changes})
    tip_files = _tree_files(root, onto, touched)
    if tip_files is None:
        return None
    wanted = {
        blob
        for changes in diffs
        for old_mode, new_mode, old, new, path in changes
        for blob in (old, new, tip_files.get(path, ("", ""))[1])
        if blob
    }
    contents = {
        blob: raw
        for blob, raw in zip(wanted, _cat(root, list(wanted)), strict=True)
        if raw is not None
    }
    new_blobs: dict[str, bytes] = {}
    plans: list[tuple[bytes, dict[str, tuple[str, str] | None]]] = []
    files = dict(tip_files)
    for raw, changes in zip(raw_commits, diffs, strict=True):
        if raw is None or b"\nencoding " in raw.split(b"\n\n", 1)[0]:
            return None
        plan: dict[str, tuple[str, str] | None] = {}
        for old_mode, new_mode, old, new, path in changes:
            if not {old_mode, new_mode} <= _PLAIN_MODES:
                return None
            ours = files.get(path)
            base = (old_mode, old) if old else None
            theirs = (new_mode, new) if new else None
            if ours == base:
                result = theirs
            elif ours == theirs:
                continue
            elif ours and base and theirs and ours[0] == base[0] == theirs[0]:
                texts = [_known(b[1], contents, new_blobs) for b in (base, ours, theirs)]
                if texts[0] is None or texts[1] is None or texts[2] is None:
                    return None
                merged = merge_file(path, texts[0], texts[1], texts[2])
                if merged is None:
                    return None
                blob = object_id("blob", merged, id_len).hex()
                new_blobs[blob] = merged
                result = (ours[0], blob)
            else:
                return None
            plan[path] = result
            if result is None:
                files.pop(path, None)
            else:
                files[path] = result
        if changes and not plan:
            continue  # everything it changed is already upstream: dropped, as rebase does
        plans.append((raw, plan))
    write_objects(
        root,
        list(new_blobs.values()),
        [bytes.fromhex(b) for b in new_blobs],
        kind="blob",
    )
    editor = TreeEditor(root, onto, touched)
    trees = []
    for raw, plan in plans:
        old_tree, tree = editor.apply(plan)
        if tree != old_tree or not plan:  # an empty commit stays one
            trees.append((raw, tree))
        # else it became empty (already upstream): dropped, as rebase does
    editor.write()
    sign, _filemode = commit_config(root)
    tip = onto
    for raw, tree in trees:
        header, _, message = raw.partition(b"\n\n")
        author = next((ln[7:] for ln in header.split(b"\n") if ln.startswith(b"author ")), None)
        if author is None:
            return None
        name, _, rest = author.decode("utf-8", "surrogateescape").partition(" <")
        email, _, when = rest.partition("> ")
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": f"@{when}",
        }
        args = ["commit-tree", tree, "-p", tip, "-F", "-"]
        if sign:
            args.insert(1, "-S")
        done = run_git(root, *args, stdin=message, env=env)
        tip = done.stdout.decode().strip()
    moved = run_git(root, "read-tree", "-m", "-u", head, tip, check=False)
    if moved.returncode != 0:
        return None  # uncommitted changes or untracked files in the way: let git rebase say so
    done_ref = run_git(
        root, "update-ref", "-m", f"casectl sync: replayed onto {onto}", "HEAD", tip, head,
        check=False,
    )  # fmt: skip
    if done_ref.returncode != 0:  # a commit got in meanwhile: put the files back
        run_git(root, "read-tree", "-m", "-u", tip, head, check=False)
        return None
    return tip


_PLAIN_MODES = frozenset({"000000", "100644", "100755"})


def _known(blob: str, *stores: dict[str, bytes]) -> bytes | None:
    for store in stores:
        if blob in store:
            return store[blob]
    return None


def _cat(root: Path, names: Sequence[str]) -> list[bytes | None]:
    """The contents of objects (any kind), in order; None for a missing one."""
    if not names:
        return []
    blobs = read_blobs(root, names)
    try:
        return list(blobs)
    finally:
        blobs.close()


_Raw = tuple[str, str, str | None, str | None, str]  # old mode, new mode, old, new, path


def _raw_diffs(root: Path, lines: Sequence[str]) -> list[list[_Raw]]:
    """``diff-tree --raw`` of each "<commit> <parent>" line, modes included."""
    out = run_git(
        root, "diff-tree", "--stdin", "--always", "-z", "-r", "--raw", "--no-abbrev",
        "--no-renames", "--no-textconv", "--no-ext-diff",
        stdin=("\n".join(lines) + "\n").encode(),
    ).stdout.decode("utf-8", "surrogateescape")  # fmt: skip
    blocks: list[list[_Raw]] = []
    fields = out.split("\0")
    i = 0
    while i < len(fields):
        field = fields[i].strip("\n")
        if field.startswith(":") and i + 1 < len(fields) and blocks:
            old_mode, new_mode, old, new = field[1:].split(" ")[:4]
            blocks[-1].append(
                (old_mode, new_mode, old if old.strip("0") else None,
                 new if new.strip("0") else None, fields[i + 1])
            )  # fmt: skip
            i += 2
            continue
        if field:
            blocks.append([])
        i += 1
    if len(blocks) != len(lines):
        raise CasectlError("git diff-tree gave an unexpected answer")
    return blocks


def _tree_files(root: Path, commit: str, paths: Sequence[str]) -> dict[str, tuple[str, str]] | None:
    """``path -> (mode, blob)`` of the regular files among ``paths`` in ``commit``;
    None when one of them is something else there (a folder, a link, a submodule)."""
    if not paths:
        return {}
    out = run_git(
        root, "--literal-pathspecs", "ls-tree", "-z", "--full-tree", commit, "--", *paths
    ).stdout.decode("utf-8", "surrogateescape")
    wanted = set(paths)
    files: dict[str, tuple[str, str]] = {}
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        if not path:
            continue
        mode, kind, blob = meta.split()
        if kind != "blob" or mode not in ("100644", "100755") or path not in wanted:
            return None
        files[path] = (mode, blob)
    return files


# Why a push can fail because someone else pushed first: before our push started
# (fetch first, non-fast-forward) or while it ran (the remote's compare-and-swap of
# the branch failed). Anything else (a hook declining, no permission) is final.
_PUSH_RACES = (
    "fetch first",
    "non-fast-forward",
    "failed to update ref",
    "cannot lock ref",
    "incorrect old value",
)


@dataclass(frozen=True)
class PushOutcome:
    ok: bool
    rejected: bool = False  # the remote branch moved on: fetch, rebase and try again
    message: str = ""


def push(root: Path, remote: str, branch: str) -> PushOutcome:
    """Push HEAD to ``<remote>/<branch>`` (fast-forward only: never forced)."""
    done = run_git(
        root, "push", "--porcelain", "--", remote, f"HEAD:refs/heads/{branch}", check=False
    )
    if done.returncode == 0:
        return PushOutcome(True)
    report = done.stdout.decode("utf-8", "replace")
    behind = any(
        line.startswith("!") and any(reason in line for reason in _PUSH_RACES)
        for line in report.splitlines()
    )
    detail = stderr_line(done.stderr)
    for line in report.splitlines():
        if line.startswith("!"):
            detail = line.split("\t")[-1].strip() or detail
    return PushOutcome(False, behind, detail)


def last_seen_ref(remote: str, branch: str) -> str:
    """The ref where sync keeps the commit it last saw at ``<remote>/<branch>``."""
    return f"refs/casectl/last-seen/{remote}/{branch}"


def set_ref(root: Path, ref: str, commit: str) -> None:
    run_git(root, "update-ref", "-m", "casectl sync", ref, commit)


def delete_ref(root: Path, ref: str) -> None:
    run_git(root, "update-ref", "-d", ref, check=False)


def is_ancestor(root: Path, ancestor: str, commit: str) -> bool:
    """True when ``ancestor`` is ``commit`` or one of its ancestors."""
    done = run_git(root, "merge-base", "--is-ancestor", ancestor, commit, check=False)
    if done.returncode not in (0, 1):
        raise CasectlError(f"git merge-base failed: {stderr_line(done.stderr)}")
    return done.returncode == 0


def commit_lines(root: Path, include: str, exclude: str | None) -> list[str]:
    """``<hash> <date> <author>: <subject>`` of each commit ``include`` has that
    ``exclude`` does not, newest first."""
    args = ["log", "--format=%H %as %an: %s", include]
    if exclude is not None:
        args.append(f"^{exclude}")
    out = run_git(root, *args, "--").stdout.decode("utf-8", "replace")
    return [line for line in out.splitlines() if line.strip()]
