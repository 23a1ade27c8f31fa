"""Commits: exactly the files casectl wrote, one commit, built with plumbing.

``commit_paths`` commits paths as they are in the work tree with a fixed number of git
calls whatever the size of the repository (``git commit`` itself when hooks must run);
``commit_all_initial`` makes a new agency's first commit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from casectl.errors import CasectlError
from casectl.git.run import head_commit, retries, run_git, stderr_line

# How long a commit waits for another git process's index.lock once the write is done
# (a stale lock is refused before anything is written: see check_can_write).
INDEX_LOCK_WAIT = 10.0


def commit(root: Path, paths: Sequence[Path | str], message: str) -> str:
    """Commit exactly ``paths`` (relative to root or absolute) with git's author.

    Runs ``git add`` and ``git commit`` themselves so hooks, signing (commit.gpgsign)
    and the configured identity behave as the user expects. Waits a while for another
    process's index.lock. When the commit fails (a hook refused it, say), the index
    entries of ``paths`` are put back as they were in HEAD, so nothing is left staged
    that the user did not stage.
    """
    rels = _rels(root, paths)
    for attempt in retries(INDEX_LOCK_WAIT):
        done = run_git(root, "add", "--", *rels, check=False)
        if done.returncode == 0:
            done = run_git(root, "commit", "-q", "-m", message, "--", *rels, check=False)
        if done.returncode == 0:
            break
        said = (done.stdout + b"\n" + done.stderr).decode("utf-8", "replace")
        if "index.lock" in said and attempt:
            continue
        if "nothing to commit" in said or "no changes added" in said:
            break
        unstage(root, rels)
        raise CasectlError(f"git commit failed: {stderr_line(done.stderr or done.stdout)}")
    head = head_commit(root)
    if head is None:
        raise CasectlError("git commit failed: there is no commit")
    return head


def _rels(root: Path, paths: Sequence[Path | str]) -> list[str]:
    return [
        Path(p).relative_to(root).as_posix() if Path(p).is_absolute() else Path(p).as_posix()
        for p in paths
    ]


def unstage(root: Path, rels: Sequence[str]) -> None:
    """Put the index entries of ``rels`` back as they are in HEAD (removed when HEAD
    has none), leaving the work tree alone. Best effort: used on failure paths."""
    if head_commit(root) is None:
        run_git(root, "rm", "-q", "-r", "--cached", "--ignore-unmatch", "--", *rels, check=False)
    else:
        run_git(root, "reset", "-q", "HEAD", "--", *rels, check=False)


def commit_all_initial(root: Path, paths: Sequence[str], message: str) -> str:
    """The first commit of a new agency: exactly ``paths`` (files or folders).

    Whatever else is staged stays staged and out of the commit. When the commit fails,
    ``paths`` are unstaged again, so a second ``casectl init`` starts from the same
    state as the first.
    """
    for attempt in retries(INDEX_LOCK_WAIT):
        added = run_git(root, "add", "--", *paths, check=False)
        if added.returncode == 0:
            break
        if b"index.lock" not in added.stderr or not attempt:
            unstage(root, paths)
            raise CasectlError(f"git add failed: {stderr_line(added.stderr)}")
    done = run_git(root, "commit", "-q", "-m", message, "--", *paths, check=False)
    if done.returncode != 0:
        unstage(root, paths)
        raise CasectlError(f"git commit failed: {stderr_line(done.stderr)}")
    head = head_commit(root)
    assert head is not None
    return head


_COMMIT_HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit")


def _hooks_and_head(root: Path) -> tuple[bool, str | None]:
    """Whether commit hooks are installed, and HEAD's commit (None: no commit yet).

    One git call (``core.hooksPath`` honoured).
    """
    done = run_git(
        root, "rev-parse", "--git-path", "hooks", "--verify", "-q", "HEAD^{commit}", check=False
    )
    lines = done.stdout.decode().splitlines()
    if not lines:
        raise CasectlError(f"git rev-parse failed: {stderr_line(done.stderr)}")
    folder = Path(lines[0]) if os.path.isabs(lines[0]) else root / lines[0]
    hooks = any(os.access(folder / name, os.X_OK) for name in _COMMIT_HOOKS)
    head = lines[1].strip() if done.returncode == 0 and len(lines) > 1 else None
    return hooks, head


def commit_config(root: Path) -> tuple[bool, bool]:
    """``commit.gpgsign`` and ``core.filemode`` (git's defaults: False, True), one call."""
    done = run_git(
        root, "config", "-z", "--get-regexp", r"^(commit\.gpgsign|core\.filemode)$", check=False
    )
    values: dict[str, str] = {}
    for record in done.stdout.decode("utf-8", "replace").split("\0"):
        key, _, value = record.partition("\n")
        values[key.lower()] = value.strip().lower()
    true = ("true", "yes", "on", "1", "")
    sign = values.get("commit.gpgsign", "false") in true
    filemode = values.get("core.filemode", "true") in true
    return sign, filemode


TreeEntries = dict[bytes, tuple[bytes, bytes]]  # name -> (mode, raw object id)


def _read_trees(root: Path, head: str, dirs: Sequence[str]) -> dict[str, tuple[str, bytes] | None]:
    """``(id, raw content)`` of the trees at ``dirs`` ("" is the top) in commit ``head``.

    One ``git cat-file --batch`` call; a folder missing from ``head`` maps to None.
    """
    specs = [f"{head}^{{tree}}" if d == "" else f"{head}:{d}" for d in dirs]
    out = run_git(root, "cat-file", "--batch", stdin=("\n".join(specs) + "\n").encode()).stdout
    trees: dict[str, tuple[str, bytes] | None] = {}
    pos = 0
    for d in dirs:
        eol = out.index(b"\n", pos)
        header = out[pos:eol].split(b" ")
        pos = eol + 1
        if header[-1] == b"missing":
            trees[d] = None
            continue
        size = int(header[2])
        if header[1] != b"tree":
            raise CasectlError(f"cannot commit: {d or '/'} is not a folder in the last commit")
        trees[d] = (header[0].decode(), out[pos : pos + size])
        pos += size + 1
    return trees


_TREE_ENTRY = {
    20: re.compile(rb"([0-7]{5,6}) ([^\0]+)\0(.{20})", re.DOTALL),
    32: re.compile(rb"([0-7]{5,6}) ([^\0]+)\0(.{32})", re.DOTALL),
}


def _parse_tree(raw: bytes, id_len: int) -> TreeEntries:
    """A raw tree's entries in git's order (dicts keep it). One C-level regex pass:
    10,000 entries take milliseconds, and each match consumes exactly one object id,
    so entry boundaries cannot be misread."""
    found = _TREE_ENTRY[id_len].findall(raw)
    # Matches never overlap; their lengths adding up to the whole tree means no gaps.
    matched = sum(len(mode) + len(name) for mode, name, _ in found) + len(found) * (2 + id_len)
    if matched != len(raw):
        raise CasectlError("git commit failed: cannot read a tree of the last commit")
    return {name: (mode, oid) for mode, name, oid in found}


def _tree_order(item: tuple[bytes, tuple[bytes, bytes]]) -> bytes:
    """git's tree order: names compared as bytes, a folder as if it ended in '/'."""
    name, (mode, _) = item
    return name + b"/" if mode == b"40000" else name


def _tree_bytes(entries: TreeEntries, resort: bool) -> bytes:
    """Raw tree content. Replacing or removing entries keeps git's order; only new
    names need the (10,000-entry) sort."""
    items = sorted(entries.items(), key=_tree_order) if resort else entries.items()
    return b"".join(mode + b" " + name + b"\0" + oid for name, (mode, oid) in items)


def object_id(kind: str, raw: bytes, id_len: int) -> bytes:
    """The id git gives an object (SHA-1, or SHA-256 in repositories that use it)."""
    import hashlib

    algo = hashlib.sha256 if id_len == 32 else hashlib.sha1
    return algo(f"{kind} {len(raw)}\0".encode() + raw).digest()


def write_objects(
    root: Path, raws: Sequence[bytes], expected: Sequence[bytes], kind: str = "tree"
) -> None:
    """Store tree (or ``kind``) objects in one ``git hash-object --stdin-paths`` call.

    Their ids were computed here (a parent names its children before they exist);
    git's own answer is compared with them, so a mistake cannot go unnoticed.
    """
    import tempfile

    if not raws:
        return

    with tempfile.TemporaryDirectory(prefix="casectl-trees-") as folder:
        names = []
        for i, raw in enumerate(raws):
            name = os.path.join(folder, str(i))
            with open(name, "wb") as fh:
                fh.write(raw)
            names.append(name)
        out = (
            run_git(
                root,
                "hash-object",
                "-w",
                "-t",
                kind,
                "--no-filters",
                "--stdin-paths",
                stdin=("\n".join(names) + "\n").encode(),
            )
            .stdout.decode()
            .split()
        )
    if [bytes.fromhex(x) for x in out] != list(expected):
        raise CasectlError("git commit failed: internal error building the tree")


def _updated_tree(
    root: Path, head: str, changes: dict[str, tuple[str, str] | None]
) -> tuple[str, str]:
    """(the old, the new) top tree id of commit ``head`` with ``changes`` applied.

    ``changes`` maps a path to ``(mode, blob id)`` or None (remove). Only the trees
    on the changed paths are read (raw, one ``cat-file --batch``) and rewritten
    (one ``hash-object -t tree``): a fixed number of git calls whatever the size of
    the repository. ``git mktree`` is avoided on purpose: it looks up every entry of
    a big folder (0.1 s for 10,000 clients).
    """
    editor = TreeEditor(root, head, list(changes))
    result = editor.apply(changes)
    editor.write()
    return result


class TreeEditor:
    """The trees on some paths of one commit, read once, changed in memory step by
    step (each step one new top tree, as for a series of commits), written at the end
    in one call."""

    def __init__(self, root: Path, head: str, paths: Sequence[str]) -> None:
        self.root = root
        self.id_len = len(head) // 2
        dirs: set[str] = {""}
        for path in paths:
            parts = path.split("/")[:-1]
            dirs.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        self.ordered = sorted(dirs, key=lambda d: (d.count("/") + (d != ""), d))
        found = _read_trees(root, head, self.ordered)
        top = found[""]
        assert top is not None  # a commit always has a top tree
        self.top = top[0]
        self.trees = {d: _parse_tree(t[1] if t else b"", self.id_len) for d, t in found.items()}
        self.added: set[str] = set()  # trees that got a new name (and so need sorting)
        self.raws: dict[bytes, bytes] = {}  # id -> raw tree, to write

    def _put(self, parent: str, key: bytes, value: tuple[bytes, bytes] | None) -> None:
        if value is None:
            self.trees[parent].pop(key, None)
            return
        old = self.trees[parent].get(key)
        if old is None or (old[0] == b"40000") != (value[0] == b"40000"):
            self.trees[parent].pop(key, None)
            self.added.add(parent)
        self.trees[parent][key] = value

    def apply(self, changes: dict[str, tuple[str, str] | None]) -> tuple[str, str]:
        """(the top tree id before, after) ``changes`` (path -> (mode, blob) or None)."""
        old_top = self.top
        for path, change in changes.items():
            parent, _, name = path.rpartition("/")
            blob = (change[0].encode(), bytes.fromhex(change[1])) if change else None
            self._put(parent, name.encode("utf-8", "surrogateescape"), blob)
        for d in reversed(self.ordered):  # deepest first: children get ids before parents
            raw = _tree_bytes(self.trees[d], d in self.added)
            oid = object_id("tree", raw, self.id_len)
            if d == "":
                self.raws[oid] = raw
                self.top = oid.hex()
                continue
            parent, _, name = d.rpartition("/")
            key = name.encode("utf-8", "surrogateescape")
            if self.trees[d]:
                self._put(parent, key, (b"40000", oid))
                self.raws[oid] = raw
            else:
                self._put(parent, key, None)  # git keeps no empty folders
        return old_top, self.top

    def write(self) -> None:
        write_objects(self.root, list(self.raws.values()), list(self.raws))
        self.raws.clear()


def commit_paths(root: Path, paths: Sequence[Path | str], message: str) -> str:
    """Commit exactly ``paths`` as they are in the work tree, like ``git commit -- paths``.

    The same result as :func:`commit` (only these files; the author, committer and
    ``commit.gpgsign`` from git's configuration; the index updated for these paths;
    other staged or unstaged changes untouched), built with plumbing so its cost does
    not grow with the size of the index: ``git commit -- path`` re-reads and re-hashes
    the whole index, which takes about half a second at 40,000 files. The branch is
    moved with a compare-and-swap (``update-ref NEW OLD``), so concurrent committers
    retry instead of losing a commit. Falls back to :func:`commit` when commit hooks
    are installed (they must run) or the repository has no commit yet.
    Returns the new commit's hash (HEAD's when nothing changed).
    """
    rels = _rels(root, paths)
    from concurrent.futures import ThreadPoolExecutor

    # Three independent git calls at once: their start-up time is most of their cost.
    with ThreadPoolExecutor(max_workers=3) as pool:
        started = pool.submit(_hooks_and_head, root)
        config = pool.submit(commit_config, root)
        hashed = pool.submit(_blob_ids, root, rels)
        hooks, head = started.result()
        sign, filemode = config.result()
        ids = hashed.result()
    if head is None or hooks:
        return commit(root, rels, message)
    blobs = _blob_modes(root, rels, ids, filemode)
    # The index first, the branch last: when the index cannot be updated (another
    # process holds index.lock) nothing is committed, and once the branch has moved
    # the index already agrees with it, so a later plain `git commit` can never undo
    # the change (docs/notes.md, "Commits").
    _sync_index(root, rels)
    try:
        return _move_branch(root, head, blobs, message, sign)
    except BaseException:
        unstage(root, rels)
        raise


def _move_branch(
    root: Path, head: str, blobs: dict[str, tuple[str, str] | None], message: str, sign: bool
) -> str:
    """Commit ``blobs`` on top of ``head`` and move the branch there (compare-and-swap,
    rebuilding on top of a concurrent commit). Returns the new commit (``head`` when
    nothing changed)."""
    current: str | None = head
    for attempt in retries():
        if current is None:  # pragma: no cover - HEAD vanished under us
            raise CasectlError("git commit failed: the branch disappeared")
        old_tree, tree = _updated_tree(root, current, blobs)
        if tree == old_tree:
            return current
        args = ["commit-tree", tree, "-p", current, "-F", "-"]
        if sign:
            args.insert(1, "-S")
        new = run_git(root, *args, stdin=message.encode()).stdout.decode().strip()
        first_line = message.splitlines()[0] if message else ""
        moved = run_git(
            root, "update-ref", "-m", f"commit: {first_line}", "HEAD", new, current, check=False
        )
        if moved.returncode == 0:
            return new
        now = head_commit(root)
        if now == current:  # not a race: update-ref failed for its own reason
            raise CasectlError(f"git commit failed: {stderr_line(moved.stderr)}")
        if not attempt:
            break
        current = now  # another commit got in first: build on top of it
    raise CasectlError("git commit failed: the branch kept moving under concurrent commits")


def _blob_ids(root: Path, rels: Sequence[str]) -> dict[str, str]:
    """Blob ids of the work-tree files that exist, stored in one call with the filters
    and attributes ``git add`` would apply."""
    present = [rel for rel in rels if (root / rel).exists()]
    if not present:
        return {}
    out = run_git(
        root, "hash-object", "-w", "--stdin-paths", stdin=("\n".join(present) + "\n").encode()
    )
    return dict(zip(present, out.stdout.decode().split(), strict=True))


def _blob_modes(
    root: Path, rels: Sequence[str], ids: dict[str, str], filemode: bool
) -> dict[str, tuple[str, str] | None]:
    """``path -> (mode, blob id)``; None for a file that is gone (removed in the commit)."""
    blobs: dict[str, tuple[str, str] | None] = {}
    for rel in rels:
        oid = ids.get(rel)
        if oid is None:
            blobs[rel] = None
            continue
        executable = filemode and os.access(root / rel, os.X_OK)
        blobs[rel] = ("100755" if executable else "100644", oid)
    return blobs


def _sync_index(root: Path, rels: Sequence[str]) -> None:
    """Stage ``rels`` as they are in the work tree; waits a while for index.lock."""
    for attempt in retries(INDEX_LOCK_WAIT):
        done = run_git(root, "update-index", "--add", "--remove", "--", *rels, check=False)
        if done.returncode == 0:
            return
        if b"index.lock" not in done.stderr or not attempt:
            raise CasectlError(
                f"git's index could not be updated ({stderr_line(done.stderr)}); "
                "nothing was committed"
            )
