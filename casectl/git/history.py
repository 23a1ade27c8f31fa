"""Reading history: what ``history`` and ``audit`` ask of git (commits touching a
path, per-parent diffs, blobs, signatures), each in as few git processes as possible.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from casectl.errors import CasectlError
from casectl.git.run import head_commit, run_git, start_git


@dataclass(frozen=True)
class LogRecord:
    """One commit touching a path: who, when, what, and which files changed."""

    commit: str
    author: str
    email: str
    date: str  # ISO 8601 with offset (author date)
    message: str  # the subject line
    files: tuple[tuple[str, str], ...]  # (status letter, path relative to the repo)


_LOG_MARK = "\x1ecasectl-commit\x1f"


def log_paths(root: Path, path: str, limit: int | None = None) -> list[LogRecord]:
    """Commits that changed anything under ``path`` (relative), newest first.

    ``git log --name-status --no-renames -- path``: files are listed with their status
    letter (A, M, D, T) and only those under ``path``. An empty list when the
    repository has no commit yet.
    """
    if head_commit(root) is None:
        run_git(root, "rev-parse", "--git-dir")  # a clear error outside a git repository
        return []
    args = [
        "log",
        "--no-renames",
        "--name-status",
        "-z",
        f"--format={_LOG_MARK}%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1f",
    ]
    if limit is not None:
        args.append(f"--max-count={limit}")
    out = run_git(root, *args, "--", path).stdout.decode("utf-8", "replace")
    records: list[LogRecord] = []
    for chunk in out.split(_LOG_MARK)[1:]:
        commit_hash, author, email, when, subject, rest = chunk.split("\x1f", 5)
        fields = [f for f in rest.strip("\n").split("\0") if f.strip("\n")]
        files = tuple((fields[i].strip("\n"), fields[i + 1]) for i in range(0, len(fields) - 1, 2))
        records.append(LogRecord(commit_hash, author, email, when, subject, files))
    return records


_BLOB_MODES = frozenset({"100644", "100755", "120000"})


@dataclass(frozen=True)
class FileDiff:
    """One changed file of a commit against one parent: blob ids, or None."""

    path: str
    old: str | None  # blob before (None: the file was added)
    new: str | None  # blob after (None: the file was deleted)


@dataclass(frozen=True)
class CommitDiff:
    commit: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: str  # author date, ISO 8601 with offset
    committed: int  # committer time, seconds since the epoch
    # The wanted files changed against each parent in turn (a root commit: one
    # tuple, against the empty tree).
    diffs: tuple[tuple[FileDiff, ...], ...]

    @property
    def files(self) -> tuple[FileDiff, ...]:
        return tuple(f for files in self.diffs for f in files)


def history_diffs(
    root: Path, revisions: Sequence[str], wanted: Callable[[str], bool]
) -> list[CommitDiff]:
    """Every commit of ``revisions``, children before parents (``--topo-order``), with
    the blobs before and after of each file passing ``wanted`` that it changed against
    each of its parents (a root commit: against nothing).

    Speed matters here (50,000 commits over a folder of 10,000 clients): one ``git
    log`` reads who and when without any diff, then ``git diff-tree --stdin`` diffs
    each commit against each parent, on every core at once. No pathspec is given to
    git on purpose: matching a glob against every entry of clients/ in every commit
    costs more than the diff itself. Renames are a deletion plus an addition.
    """
    out = run_git(
        root, "log", "-z", "--topo-order",
        f"--format=%H{_FIELD}%P{_FIELD}%an{_FIELD}%ae{_FIELD}%aI{_FIELD}%ct",
        *revisions, "--",
    ).stdout.decode("utf-8", "surrogateescape")  # fmt: skip
    commits = [record.strip("\n").split(_FIELD) for record in out.split("\0") if record.strip()]
    lines = [
        f"{c[0]} {parent}" for c in commits for parent in (c[1].split() or [""])
    ]  # one line, and so one diff, per parent; "<root> " is diffed against nothing
    blocks = iter(_diff_tree_parallel(root, [line.strip() for line in lines]))
    found: list[CommitDiff] = []
    for commit_hash, parents, author, email, when, committed in commits:
        parent_ids = tuple(parents.split())
        diffs = tuple(tuple(f for f in next(blocks) if wanted(f.path)) for _ in parent_ids or ("",))
        found.append(
            CommitDiff(commit_hash, parent_ids, author, email, when, int(committed or 0), diffs)
        )
    return found


_FIELD = "\x1f"


def _diff_tree_parallel(root: Path, lines: Sequence[str]) -> list[list[FileDiff]]:
    """``git diff-tree --stdin`` over ``lines`` ("<commit> [<parent>]"): the changed
    files of each line, in order. Split in as many contiguous parts as there are cores
    (a git process each); ``--always`` gives every line its block, even an empty one."""
    from concurrent.futures import ThreadPoolExecutor

    if not lines:
        return []
    parts = max(1, min(os.cpu_count() or 1, 8, len(lines) // 500 or 1))
    size = -(-len(lines) // parts)
    chunks = [lines[i : i + size] for i in range(0, len(lines), size)]

    def diff(chunk: Sequence[str]) -> list[list[FileDiff]]:
        out = run_git(
            root, "diff-tree", "--stdin", "--always", "-z", "-r", "--raw", "--root",
            "--relative", "--no-abbrev", "--no-renames", "--no-textconv", "--no-ext-diff",
            stdin=("\n".join(chunk) + "\n").encode(),
        ).stdout  # fmt: skip
        blocks = _parse_raw(out.decode("utf-8", "surrogateescape"))
        if len(blocks) != len(chunk):
            raise CasectlError("git diff-tree gave an unexpected answer; cannot audit")
        return blocks

    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        outputs = list(pool.map(diff, chunks))
    return [block for output in outputs for block in output]


def _parse_raw(out: str) -> list[list[FileDiff]]:
    """Read ``diff-tree --stdin --always -z --raw`` output: for each input line a
    commit id, then its changes as ``:<old mode> <new mode> <old blob> <new blob>
    <status>`` and path pairs."""
    fields = out.split("\0")
    blocks: list[list[FileDiff]] = []
    i = 0
    while i < len(fields):
        field = fields[i].strip("\n")
        if field.startswith(":") and i + 1 < len(fields) and blocks:
            parts = field[1:].split(" ")
            if len(parts) >= 5:
                old_mode, new_mode, old, new = parts[:4]
                blocks[-1].append(
                    FileDiff(
                        fields[i + 1],
                        old if old_mode in _BLOB_MODES and old.strip("0") else None,
                        new if new_mode in _BLOB_MODES and new.strip("0") else None,
                    )
                )
            i += 2
            continue
        if field:
            blocks.append([])
        i += 1
    return blocks


def tree_blobs(root: Path, commit: str, folder: str) -> dict[str, str]:
    """``path -> blob id`` of every file under ``folder`` in ``commit``."""
    out = run_git(root, "ls-tree", "-r", "-z", commit, "--", folder).stdout
    blobs: dict[str, str] = {}
    for record in out.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = record.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            blobs[path] = parts[2]
    return blobs


def root_commits(root: Path, commit: str) -> list[tuple[str, int]]:
    """The root commits of ``commit``'s history, with their committer times."""
    out = run_git(root, "log", "--max-parents=0", "--format=%H %ct", commit, "--").stdout
    roots = []
    for line in out.decode().splitlines():
        commit_hash, _, when = line.partition(" ")
        roots.append((commit_hash, int(when or 0)))
    return roots


def read_blobs(root: Path, blobs: Sequence[str]) -> Generator[bytes | None, None, None]:
    """The contents of ``blobs``, in order (None for a missing object).

    One ``git cat-file --batch`` process for all of them; ids are written by a thread
    so neither pipe can fill up and block the other.
    """
    import threading

    proc = start_git(root, "cat-file", "--batch", stdin=True, stderr=False)
    assert proc.stdin is not None and proc.stdout is not None
    requests, reader = proc.stdin, proc.stdout

    def write() -> None:
        try:
            for blob in blobs:
                requests.write(blob.encode("ascii") + b"\n")
        except (BrokenPipeError, OSError):  # the reader went away: nothing more to do
            pass
        finally:
            with contextlib.suppress(OSError):
                requests.close()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        while True:
            line = reader.readline()
            if not line:
                break
            parts = line.split()
            if len(parts) < 3 or parts[-1] == b"missing":
                yield None
                continue
            size = int(parts[2])
            data = reader.read(size)
            reader.read(1)  # the newline after each object
            yield data
    finally:
        reader.close()
        if proc.poll() is None:  # stopped early: git need not finish the list
            proc.kill()
        proc.wait()
        writer.join(timeout=5)


@dataclass(frozen=True)
class Signature:
    commit: str
    status: str  # git's %G?: G good, U good (unknown validity), N none, B bad, ...
    author: str
    email: str
    date: str


def signatures(root: Path, revisions: Sequence[str]) -> list[Signature]:
    """The signature check of every commit of ``revisions`` (``git log --format=%G?``)."""
    out = run_git(
        root, "log", "-z", "--format=%H%x1f%G?%x1f%an%x1f%ae%x1f%aI", *revisions, "--"
    ).stdout.decode("utf-8", "surrogateescape")
    records = []
    for item in out.split("\0"):
        parts = item.strip("\n").split("\x1f")
        if len(parts) == 5:
            records.append(Signature(*parts))
    return records


def _goals(raw: bytes | None) -> object:
    import yaml

    try:
        data = yaml.safe_load(raw) if raw is not None else None
    except yaml.YAMLError:
        return None
    return data.get("goals") if isinstance(data, dict) else None


def stale_since(root: Path, rel: str, approved: str) -> date | None:
    """When a plan approval of blob ``approved`` went stale: the day of the first
    commit after it whose ``goals:`` of ``rel`` differ from the approved ones (the
    file as it is now, when only uncommitted changes differ: today); None when the
    goals are still the approved ones (tasks, referrals, done dates do not count)."""
    approved_goals = _goals(_blob(root, approved))
    current = _goals(_read_path(root / rel))
    if current == approved_goals:
        return None
    done = run_git(
        root, "log", "--reverse", "--no-abbrev", "--format=C %cs", "--raw", "--", rel, check=False
    )
    seen = False
    changes: list[tuple[str, str]] = []  # (day, new blob) per commit, oldest first
    day = ""
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("C "):
            day = line[2:].strip()
        elif line.startswith(":"):
            parts = line.split()
            if len(parts) >= 4:
                changes.append((day, parts[3]))
    for day, blob in changes:
        if blob == approved:
            seen = True
            continue
        if seen:
            blobs = _blob(root, blob)
            if _goals(blobs) != approved_goals:
                return date.fromisoformat(day)
    return date.today()


def _blob(root: Path, oid: str) -> bytes | None:
    found = list(read_blobs(root, [oid]))
    return found[0] if found else None


def _read_path(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def head_blob(root: Path, rel: str) -> str | None:
    """The blob id of ``rel`` at HEAD (None when HEAD does not have it)."""
    done = run_git(root, "rev-parse", "--verify", "--quiet", f"HEAD:{rel}", check=False)
    oid = done.stdout.decode("ascii", "replace").strip()
    return oid if done.returncode == 0 and oid else None
