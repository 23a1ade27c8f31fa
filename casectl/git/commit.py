"""The agency repository on disk: its root, client ids and paths, and every git call.

Only this module runs git (through GitPython, imported lazily: ``casectl --version``
and read-only commands should not pay for it).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casectl.core.model import CLIENT_ID_RE
from casectl.errors import CasectlError, NoAgencyError, UnknownClientError

if TYPE_CHECKING:
    import git

CONFIG_NAME = "casectl.yaml"
CACHE_DIR = ".casectl"


def find_root(start: Path | None = None, explicit: bool = False) -> Path:
    """The agency root: ``start`` itself when ``explicit`` (``-C``), else the nearest
    folder at or above ``start`` holding casectl.yaml."""
    here = (start or Path.cwd()).resolve()
    if explicit:
        if not (here / CONFIG_NAME).is_file():
            raise NoAgencyError(
                f"{here}: no {CONFIG_NAME} here; is this an agency repository? "
                "(create one with `casectl init`)"
            )
        return here
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise NoAgencyError(
        f"no {CONFIG_NAME} in {here} or any folder above it; "
        "run casectl inside an agency repository, or name one with -C PATH"
    )


def check_client_id(client_id: str) -> str:
    """Refuse anything that is not a plain client id, before any file is touched."""
    if not CLIENT_ID_RE.fullmatch(client_id):
        raise UnknownClientError(
            f"{client_id!r} is not a valid client id: use lower-case letters, digits and '-', "
            "starting with a letter or digit, at most 64 characters"
        )
    return client_id


def client_dir(root: Path, client_id: str, must_exist: bool = True) -> Path:
    """The folder of a client, refusing bad ids and folders that leave the repository."""
    check_client_id(client_id)
    path = root / "clients" / client_id
    if must_exist and not path.is_dir():
        raise UnknownClientError(f"no client {client_id!r} (no folder clients/{client_id})")
    ensure_inside(root, path)
    return path


def ensure_inside(root: Path, path: Path) -> None:
    """Refuse a path that is, or passes through, a symlink, or resolves outside root."""
    real_root = root.resolve()
    try:
        rel = path.relative_to(root)
    except ValueError:
        raise CasectlError(f"{path} is outside the agency repository") from None
    current = root
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            raise CasectlError(
                f"{current.relative_to(root)} is a symbolic link; "
                "casectl does not write through links"
            )
    if not path.resolve().is_relative_to(real_root):
        raise CasectlError(f"{path} is outside the agency repository")


def client_ids(root: Path) -> list[str]:
    """Names of the folders under clients/ (unchecked: validate reports bad ones);
    none when clients/ is a symbolic link: it is never listed through."""
    base = root / "clients"
    if base.is_symlink():
        return []
    try:
        with os.scandir(base) as it:
            return sorted(e.name for e in it if not e.name.startswith("."))
    except FileNotFoundError:
        return []


def relpath(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


# ----------------------------------------------------------------------- git


def _repo(root: Path) -> git.Repo:
    import git as gitlib

    try:
        return gitlib.Repo(root)
    except (gitlib.InvalidGitRepositoryError, gitlib.NoSuchPathError):
        raise CasectlError(
            f"{root} is not a git repository (run `git init` there, "
            "or create the agency with `casectl init`)"
        ) from None


def git_init(root: Path) -> None:
    import git as gitlib

    gitlib.Repo.init(root)


@dataclass(frozen=True)
class Identity:
    name: str | None
    email: str | None


def identity(root: Path) -> Identity:
    """git's configured user.name and user.email (environment overrides included)."""
    repo = _repo(root)
    reader = repo.config_reader()
    name = os.environ.get("GIT_AUTHOR_NAME") or _read(reader, "user", "name")
    email = os.environ.get("GIT_AUTHOR_EMAIL") or _read(reader, "user", "email")
    return Identity(name, email)


def _read(reader: Any, section: str, option: str) -> str | None:
    try:
        value = reader.get_value(section, option)
    except Exception:  # configparser's NoSectionError / NoOptionError
        return None
    return str(value) if value not in (None, "") else None


def commit(root: Path, paths: Sequence[Path | str], message: str) -> str:
    """Commit exactly ``paths`` (relative to root or absolute) with git's author.

    Runs ``git commit`` itself (not GitPython's index writer) so hooks, signing
    (commit.gpgsign) and the configured identity behave as the user expects.
    Waits a while for another process's index.lock. When the commit fails (a hook
    refused it, say), the index entries of ``paths`` are put back as they were in
    HEAD, so nothing is left staged that the user did not stage.
    """
    rels = _rels(root, paths)
    repo = _repo(root)
    for attempt in _retries(INDEX_LOCK_WAIT):
        try:
            repo.git.add("--", *rels)
            repo.git.commit("-q", "-m", message, "--", *rels)
            return str(repo.head.commit.hexsha)
        except Exception as exc:  # git.GitCommandError
            text = str(exc)
            if "index.lock" in text and attempt:
                continue
            if "nothing to commit" in text or "no changes added" in text:
                return str(repo.head.commit.hexsha)
            unstage(root, rels)
            raise CasectlError(f"git commit failed: {_git_message(text)}") from None
    raise CasectlError("git commit failed: the index stayed locked")  # pragma: no cover


def _rels(root: Path, paths: Sequence[Path | str]) -> list[str]:
    return [
        Path(p).relative_to(root).as_posix() if Path(p).is_absolute() else Path(p).as_posix()
        for p in paths
    ]


def unstage(root: Path, rels: Sequence[str]) -> None:
    """Put the index entries of ``rels`` back as they are in HEAD (removed when HEAD
    has none), leaving the work tree alone. Best effort: used on failure paths."""
    if _head(root) is None:
        _run_git(root, "rm", "-q", "-r", "--cached", "--ignore-unmatch", "--", *rels, check=False)
    else:
        _run_git(root, "reset", "-q", "HEAD", "--", *rels, check=False)


# How long a commit waits for another git process's index.lock once the write is done
# (a stale lock is refused before anything is written: see check_can_write).
INDEX_LOCK_WAIT = 10.0


def _retries(seconds: float = 30.0) -> Iterator[bool]:
    """Yield True while another try is allowed, sleeping between tries."""
    deadline = time.monotonic() + seconds
    delay = 0.05
    while True:
        more = time.monotonic() < deadline
        yield more
        if not more:
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _git_message(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    useful = [ln for ln in lines if ln.startswith(("stderr:", "error:", "fatal:"))]
    return " ".join(useful or lines[-1:]).replace("stderr: ", "").strip("'")


def is_tracked_dirty(root: Path, paths: Sequence[str]) -> list[str]:
    """Which of ``paths`` (relative) have uncommitted changes."""
    repo = _repo(root)
    out = repo.git.status("--porcelain", "--", *paths)
    return [line[3:] for line in out.splitlines() if line.strip()]


MERGE_DRIVER = "casectl-log"
GITATTRIBUTES_LINE = f"clients/*/log.yaml merge={MERGE_DRIVER}"


def merge_driver_command() -> str:
    """How git should run casectl's log merge driver from this installation."""
    import shlex
    import sys

    return f"{shlex.quote(sys.executable)} -m casectl merge-log %O %A %B %P"


def configure_merge_driver(root: Path) -> None:
    """Register the log merge driver in this clone's git config (idempotent)."""
    repo = _repo(root)
    with repo.config_writer() as writer:
        writer.set_value(f'merge "{MERGE_DRIVER}"', "name", "casectl log merge (append-only notes)")
        writer.set_value(f'merge "{MERGE_DRIVER}"', "driver", merge_driver_command())


def merge_driver_configured(root: Path) -> bool:
    reader = _repo(root).config_reader()
    return _read(reader, f'merge "{MERGE_DRIVER}"', "driver") is not None


def ensure_gitattributes(root: Path) -> bool:
    """Add the merge-driver line to .gitattributes if missing; True when changed."""
    from casectl.store.writes import read_bytes  # refuses a FIFO without blocking

    path = root / ".gitattributes"
    text = read_bytes(path).decode("utf-8", "replace")
    if any(line.split() == GITATTRIBUTES_LINE.split() for line in text.splitlines()):
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + GITATTRIBUTES_LINE + "\n", encoding="utf-8")
    return True


def commit_all_initial(root: Path, paths: Sequence[str], message: str) -> str:
    """The first commit of a new agency: exactly ``paths`` (files or folders).

    Whatever else is staged stays staged and out of the commit. When the commit fails,
    ``paths`` are unstaged again, so a second ``casectl init`` starts from the same
    state as the first.
    """
    for attempt in _retries(INDEX_LOCK_WAIT):
        added = _run_git(root, "add", "--", *paths, check=False)
        if added.returncode == 0:
            break
        if b"index.lock" not in added.stderr or not attempt:
            unstage(root, paths)
            raise CasectlError(f"git add failed: {_stderr_line(added.stderr)}")
    done = _run_git(root, "commit", "-q", "-m", message, "--", *paths, check=False)
    if done.returncode != 0:
        unstage(root, paths)
        raise CasectlError(f"git commit failed: {_stderr_line(done.stderr)}")
    head = _head(root)
    assert head is not None
    return head


# ------------------------------------------------ plain-git helpers (fast path)
#
# The functions below run the ``git`` executable directly (no GitPython import) so
# that ``casectl note`` stays fast on agencies with tens of thousands of files.


def _run_git(
    root: Path, *args: str, stdin: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=root,
            input=stdin,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise CasectlError(f"cannot run git: {exc.strerror or exc}") from None
    if check and done.returncode != 0:
        raise CasectlError(f"git {args[0]} failed: {_stderr_line(done.stderr)}")
    return done


def _stderr_line(raw: bytes) -> str:
    lines = [ln.strip() for ln in raw.decode("utf-8", "replace").splitlines() if ln.strip()]
    useful = [ln for ln in lines if ln.startswith(("error:", "fatal:"))]
    return " ".join(useful or lines[-1:]) or "unknown error"


def config_identity(root: Path) -> Identity:
    """Like :func:`identity` (environment first, then git config) without GitPython."""
    name = os.environ.get("GIT_AUTHOR_NAME") or _config_value(root, "user.name")
    email = os.environ.get("GIT_AUTHOR_EMAIL") or _config_value(root, "user.email")
    return Identity(name, email)


def _config_value(root: Path, key: str) -> str | None:
    done = _run_git(root, "config", "--get", key, check=False)
    value = done.stdout.decode("utf-8", "replace").strip()
    return value or None


# ------------------------------------------------ before writing: the shared guard
#
# Every command that writes (note, review, close, reopen, new, init) calls
# check_can_write before it reads anything for writing, and looks at the client's own
# folder with client_changes under the client's lock. See docs/notes.md, "Before
# anything is written".


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

NOTHING_WRITTEN = "then run casectl again; nothing was written"


def _git_path(root: Path, path: str) -> Path:
    return Path(path) if os.path.isabs(path) else root / path


def unfinished_operation(root: Path) -> tuple[str, str] | None:
    """``(what, how to finish or undo it)`` of a git operation left in progress
    (rebase, am, merge, cherry-pick, revert, bisect), else None. One git call."""
    args = [arg for op in _OPERATIONS for arg in ("--git-path", op.marker)]
    paths = _run_git(root, "rev-parse", *args).stdout.decode().splitlines()
    return _unfinished(root, paths)


def _unfinished(root: Path, paths: Sequence[str]) -> tuple[str, str] | None:
    for op, path in zip(_OPERATIONS, paths, strict=False):
        if os.path.lexists(_git_path(root, path)):
            return op.what, op.advice
    return None


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
        located = pool.submit(_run_git, root, "rev-parse", "--show-prefix", *args, check=False)
        branch = pool.submit(_run_git, root, "symbolic-ref", "-q", "HEAD", check=False)
        who = [pool.submit(_run_git, root, "var", name, check=False) for name in idents]
        done, on_branch, identities = located.result(), branch.result(), [f.result() for f in who]
    if done.returncode != 0:
        raise CasectlError(
            f"{root} is not a git repository, and casectl commits every change it makes: "
            f"create the agency with `casectl init` (git said: {_stderr_line(done.stderr)})"
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
            raise CasectlError(identity_message(_stderr_line(result.stderr)))
    _refuse_stale_lock(root, _git_path(root, paths[-1]))
    return WriteCheck(prefix)


def identity_message(reason: str) -> str:
    return (
        "git does not know who you are, and casectl signs every commit with your name "
        f"(git said: {reason}). Set it once with:\n"
        '  git config --global user.name "Your Name"\n'
        '  git config --global user.email "you@example.org"\n'
        f"{NOTHING_WRITTEN}"
    )


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


def author(cwd: Path | None = None) -> Identity:
    """The author git would record, resolved by git itself (``git var``); refuses
    with :func:`identity_message` when git has none. ``cwd``: a repository whose
    configuration counts; None: only the user's and the system's configuration."""
    where = cwd if cwd is not None else Path(os.path.abspath(os.sep))
    idents: list[str] = []
    for name in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        done = _run_git(where, "var", name, check=False)
        if done.returncode != 0:
            raise CasectlError(identity_message(_stderr_line(done.stderr)))
        idents.append(done.stdout.decode("utf-8", "replace").strip())
    match = re.fullmatch(r"(.*) <(.*)> \d+ [+-]\d{4}", idents[0])
    if match is None:  # pragma: no cover - git's own format
        raise CasectlError(f"cannot read git's identity: {idents[0]!r}")
    return Identity(match.group(1).strip() or None, match.group(2).strip() or None)


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
    try:
        proc = subprocess.Popen(
            [
                "git", "--no-optional-locks", "-c", "core.quotepath=off", "status",
                "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames",
                "--ignore-submodules=all", "--", f"{rel}/",
            ],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
    except OSError as exc:
        raise CasectlError(f"cannot run git: {exc.strerror or exc}") from None

    def result() -> list[TreeChange]:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise CasectlError(f"git status failed: {_stderr_line(err)}")
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


def is_tracked(root: Path, rel: str) -> bool:
    """Whether git tracks the file ``rel`` (relative to root) in the index."""
    done = _run_git(root, "ls-files", "--error-unmatch", "--", rel, check=False)
    return done.returncode == 0


def committed(root: Path, rel: str) -> bool:
    """Whether HEAD holds the file ``rel`` (False with no commit at all)."""
    return _run_git(root, "cat-file", "-e", f"HEAD:{rel}", check=False).returncode == 0


_COMMIT_HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit")


def _hooks_and_head(root: Path) -> tuple[bool, str | None]:
    """Whether commit hooks are installed, and HEAD's commit (None: no commit yet).

    One git call (``core.hooksPath`` honoured).
    """
    done = _run_git(
        root, "rev-parse", "--git-path", "hooks", "--verify", "-q", "HEAD^{commit}", check=False
    )
    lines = done.stdout.decode().splitlines()
    if not lines:
        raise CasectlError(f"git rev-parse failed: {_stderr_line(done.stderr)}")
    folder = Path(lines[0]) if os.path.isabs(lines[0]) else root / lines[0]
    hooks = any(os.access(folder / name, os.X_OK) for name in _COMMIT_HOOKS)
    head = lines[1].strip() if done.returncode == 0 and len(lines) > 1 else None
    return hooks, head


def _head(root: Path) -> str | None:
    done = _run_git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    return done.stdout.decode().strip() or None


def _commit_config(root: Path) -> tuple[bool, bool]:
    """``commit.gpgsign`` and ``core.filemode`` (git's defaults: False, True), one call."""
    done = _run_git(
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
    out = _run_git(root, "cat-file", "--batch", stdin=("\n".join(specs) + "\n").encode()).stdout
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


def _object_id(kind: str, raw: bytes, id_len: int) -> bytes:
    """The id git gives an object (SHA-1, or SHA-256 in repositories that use it)."""
    import hashlib

    algo = hashlib.sha256 if id_len == 32 else hashlib.sha1
    return algo(f"{kind} {len(raw)}\0".encode() + raw).digest()


def _write_trees(
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
            _run_git(
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
    editor = _TreeEditor(root, head, list(changes))
    result = editor.apply(changes)
    editor.write()
    return result


class _TreeEditor:
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
            oid = _object_id("tree", raw, self.id_len)
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
        _write_trees(self.root, list(self.raws.values()), list(self.raws))
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
        config = pool.submit(_commit_config, root)
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
    for attempt in _retries():
        if current is None:  # pragma: no cover - HEAD vanished under us
            raise CasectlError("git commit failed: the branch disappeared")
        old_tree, tree = _updated_tree(root, current, blobs)
        if tree == old_tree:
            return current
        args = ["commit-tree", tree, "-p", current, "-F", "-"]
        if sign:
            args.insert(1, "-S")
        new = _run_git(root, *args, stdin=message.encode()).stdout.decode().strip()
        first_line = message.splitlines()[0] if message else ""
        moved = _run_git(
            root, "update-ref", "-m", f"commit: {first_line}", "HEAD", new, current, check=False
        )
        if moved.returncode == 0:
            return new
        now = _head(root)
        if now == current:  # not a race: update-ref failed for its own reason
            raise CasectlError(f"git commit failed: {_stderr_line(moved.stderr)}")
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
    out = _run_git(
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
    for attempt in _retries(INDEX_LOCK_WAIT):
        done = _run_git(root, "update-index", "--add", "--remove", "--", *rels, check=False)
        if done.returncode == 0:
            return
        if b"index.lock" not in done.stderr or not attempt:
            raise CasectlError(
                f"git's index could not be updated ({_stderr_line(done.stderr)}); "
                "nothing was committed"
            )


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
    if _head(root) is None:
        _run_git(root, "rev-parse", "--git-dir")  # a clear error outside a git repository
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
    out = _run_git(root, *args, "--", path).stdout.decode("utf-8", "replace")
    records: list[LogRecord] = []
    for chunk in out.split(_LOG_MARK)[1:]:
        commit_hash, author, email, when, subject, rest = chunk.split("\x1f", 5)
        fields = [f for f in rest.strip("\n").split("\0") if f.strip("\n")]
        files = tuple((fields[i].strip("\n"), fields[i + 1]) for i in range(0, len(fields) - 1, 2))
        records.append(LogRecord(commit_hash, author, email, when, subject, files))
    return records


# ------------------------------------------- sharing: sync (fetch, rebase, push)
#
# ``casectl sync`` and ``casectl audit`` talk to git through the functions below,
# all of them thin wrappers around one git command each (through ``_run_git``).


@dataclass(frozen=True)
class TreeChange:
    """One line of ``git status``: the two status letters and the path."""

    status: str  # porcelain XY, e.g. " M", "A ", "??"
    path: str

    @property
    def untracked(self) -> bool:
        return self.status == "??"


def work_tree_changes(root: Path) -> list[TreeChange]:
    """Every uncommitted change under ``root`` (staged, unstaged, untracked; ignored
    files excluded), paths relative to ``root`` even when it is a subfolder of the
    repository."""
    prefix = _run_git(root, "rev-parse", "--show-prefix").stdout.decode().strip()
    out = _run_git(
        root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", "."
    ).stdout.decode("utf-8", "surrogateescape")
    return [
        TreeChange(item[:2], item[3:].removeprefix(prefix))
        for item in out.split("\0")
        if len(item) > 3
    ]


def operation_in_progress(root: Path) -> str | None:
    """The name of an unfinished rebase, merge, cherry-pick, revert or bisect, else None."""
    found = unfinished_operation(root)
    return found[0] if found is not None else None


def current_branch(root: Path) -> str | None:
    """The checked-out branch's short name; None when HEAD is detached."""
    done = _run_git(root, "symbolic-ref", "-q", "--short", "HEAD", check=False)
    return done.stdout.decode().strip() or None


def remote_url(root: Path, remote: str) -> str | None:
    done = _run_git(root, "remote", "get-url", "--", remote, check=False)
    return done.stdout.decode("utf-8", "replace").strip() or None


def resolve_commit(root: Path, revision: str) -> str | None:
    """The full hash of ``revision`` (a commit), or None when there is no such commit."""
    if revision.startswith("-"):  # never let a revision be read as an option
        return None
    done = _run_git(root, "rev-parse", "--verify", "-q", f"{revision}^{{commit}}", check=False)
    return done.stdout.decode().strip() or None


def count_commits(root: Path, include: str, exclude: str | None = None) -> int:
    """How many commits ``include`` has that ``exclude`` does not (``rev-list --count``)."""
    args = ["rev-list", "--count", include]
    if exclude is not None:
        args.append(f"^{exclude}")
    return int(_run_git(root, *args).stdout.decode().strip() or 0)


def fetch(root: Path, remote: str) -> None:
    """Update ``refs/remotes/<remote>/*`` from the remote's branches."""
    done = _run_git(
        root, "fetch", "--quiet", "--", remote, f"+refs/heads/*:refs/remotes/{remote}/*",
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise CasectlError(f"cannot fetch from {remote}: {_stderr_line(done.stderr)}")


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
    done = _run_git(root, *args, check=False)
    if done.returncode == 0:
        return RebaseOutcome(True)
    unmerged = _run_git(root, "diff", "--name-only", "-z", "--diff-filter=U", check=False)
    conflicts = tuple(
        p for p in unmerged.stdout.decode("utf-8", "surrogateescape").split("\0") if p
    )
    text = (done.stdout + b"\n" + done.stderr).decode("utf-8", "replace")
    wanted = ("casectl merge:", "CONFLICT", "error:", "fatal:")
    messages = tuple(line.strip() for line in text.splitlines() if line.strip().startswith(wanted))
    if operation_in_progress(root) == "a rebase":
        _run_git(root, "rebase", "--abort", check=False)
    return RebaseOutcome(False, conflicts, messages or (_stderr_line(done.stderr),))


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
    where = _run_git(root, "rev-parse", "--show-prefix", "HEAD^{commit}", check=False)
    prefix, _, head = where.stdout.decode().partition("\n")
    head = head.strip()
    if where.returncode != 0 or prefix.strip() or not head:
        return None
    listed = _run_git(root, "rev-list", "--reverse", "--parents", head, f"^{after}")
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
                blob = _object_id("blob", merged, id_len).hex()
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
    _write_trees(
        root,
        list(new_blobs.values()),
        [bytes.fromhex(b) for b in new_blobs],
        kind="blob",
    )
    editor = _TreeEditor(root, onto, touched)
    trees = []
    for raw, plan in plans:
        old_tree, tree = editor.apply(plan)
        if tree != old_tree or not plan:  # an empty commit stays one
            trees.append((raw, tree))
        # else it became empty (already upstream): dropped, as rebase does
    editor.write()
    sign, _filemode = _commit_config(root)
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
        args = ["git", "commit-tree", tree, "-p", tip, "-F", "-"]
        if sign:
            args.insert(2, "-S")
        done = subprocess.run(args, cwd=root, input=message, capture_output=True, env=env)
        if done.returncode != 0:
            raise CasectlError(f"git commit-tree failed: {_stderr_line(done.stderr)}")
        tip = done.stdout.decode().strip()
    moved = _run_git(root, "read-tree", "-m", "-u", head, tip, check=False)
    if moved.returncode != 0:
        return None  # uncommitted changes or untracked files in the way: let git rebase say so
    done_ref = _run_git(
        root, "update-ref", "-m", f"casectl sync: replayed onto {onto}", "HEAD", tip, head,
        check=False,
    )  # fmt: skip
    if done_ref.returncode != 0:  # a commit got in meanwhile: put the files back
        _run_git(root, "read-tree", "-m", "-u", tip, head, check=False)
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
    out = _run_git(
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
    out = _run_git(
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
    done = _run_git(
        root, "push", "--porcelain", "--", remote, f"HEAD:refs/heads/{branch}", check=False
    )
    if done.returncode == 0:
        return PushOutcome(True)
    report = done.stdout.decode("utf-8", "replace")
    behind = any(
        line.startswith("!") and any(reason in line for reason in _PUSH_RACES)
        for line in report.splitlines()
    )
    detail = _stderr_line(done.stderr)
    for line in report.splitlines():
        if line.startswith("!"):
            detail = line.split("\t")[-1].strip() or detail
    return PushOutcome(False, behind, detail)


def last_seen_ref(remote: str, branch: str) -> str:
    """The ref where sync keeps the commit it last saw at ``<remote>/<branch>``."""
    return f"refs/casectl/last-seen/{remote}/{branch}"


def set_ref(root: Path, ref: str, commit: str) -> None:
    _run_git(root, "update-ref", "-m", "casectl sync", ref, commit)


def delete_ref(root: Path, ref: str) -> None:
    _run_git(root, "update-ref", "-d", ref, check=False)


def is_ancestor(root: Path, ancestor: str, commit: str) -> bool:
    """True when ``ancestor`` is ``commit`` or one of its ancestors."""
    done = _run_git(root, "merge-base", "--is-ancestor", ancestor, commit, check=False)
    if done.returncode not in (0, 1):
        raise CasectlError(f"git merge-base failed: {_stderr_line(done.stderr)}")
    return done.returncode == 0


def commit_lines(root: Path, include: str, exclude: str | None) -> list[str]:
    """``<hash> <date> <author>: <subject>`` of each commit ``include`` has that
    ``exclude`` does not, newest first."""
    args = ["log", "--format=%H %as %an: %s", include]
    if exclude is not None:
        args.append(f"^{exclude}")
    out = _run_git(root, *args, "--").stdout.decode("utf-8", "replace")
    return [line for line in out.splitlines() if line.strip()]


def merge_driver_setting(root: Path) -> str | None:
    """The command registered for casectl's log merge driver in this clone, if any."""
    return _config_value(root, f"merge.{MERGE_DRIVER}.driver")


def merge_attribute(root: Path, path: str = "clients/any/log.yaml") -> str | None:
    """The ``merge`` attribute git applies to ``path`` (from any attributes file)."""
    done = _run_git(root, "check-attr", "merge", "--", path, check=False)
    value = done.stdout.decode("utf-8", "replace").strip().rpartition(": ")[2]
    return None if value in ("", "unspecified", "unset") else value


def add_local_attributes(root: Path) -> bool:
    """Add the merge-driver line to ``.git/info/attributes`` (this clone only, never
    committed); True when it was added."""
    rel = _run_git(root, "rev-parse", "--git-path", "info/attributes").stdout.decode().strip()
    path = Path(rel) if os.path.isabs(rel) else root / rel
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if any(line.split() == GITATTRIBUTES_LINE.split() for line in text.splitlines()):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + GITATTRIBUTES_LINE + "\n", encoding="utf-8")
    return True


# ------------------------------------------------------- audit: history walk

if TYPE_CHECKING:
    from collections.abc import Generator

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
    out = _run_git(
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
        out = _run_git(
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
    out = _run_git(root, "ls-tree", "-r", "-z", commit, "--", folder).stdout
    blobs: dict[str, str] = {}
    for record in out.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = record.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            blobs[path] = parts[2]
    return blobs


def root_commits(root: Path, commit: str) -> list[tuple[str, int]]:
    """The root commits of ``commit``'s history, with their committer times."""
    out = _run_git(root, "log", "--max-parents=0", "--format=%H %ct", commit, "--").stdout
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
    import contextlib
    import threading

    try:
        proc = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise CasectlError(f"cannot run git: {exc.strerror or exc}") from None
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
    out = _run_git(
        root, "log", "-z", "--format=%H%x1f%G?%x1f%an%x1f%ae%x1f%aI", *revisions, "--"
    ).stdout.decode("utf-8", "surrogateescape")
    records = []
    for item in out.split("\0"):
        parts = item.strip("\n").split("\x1f")
        if len(parts) == 5:
            records.append(Signature(*parts))
    return records
