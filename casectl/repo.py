"""The agency repository on disk: its root, client ids and paths, and every git call.

Only this module runs git (through GitPython, imported lazily: ``casectl --version``
and read-only commands should not pay for it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casectl.errors import CasectlError, NoAgencyError, UnknownClientError
from casectl.model import CLIENT_ID_RE

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
    if not CLIENT_ID_RE.match(client_id):
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
    """Names of the folders under clients/ (unchecked: validate reports bad ones)."""
    base = root / "clients"
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
    Waits for another process's index.lock instead of failing.
    """
    rels = [
        Path(p).relative_to(root).as_posix() if Path(p).is_absolute() else str(p) for p in paths
    ]
    repo = _repo(root)
    for attempt in _retries():
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
            raise CasectlError(f"git commit failed: {_git_message(text)}") from None
    raise CasectlError("git commit failed: the index stayed locked")  # pragma: no cover


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
    path = root / ".gitattributes"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if any(line.split() == GITATTRIBUTES_LINE.split() for line in text.splitlines()):
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + GITATTRIBUTES_LINE + "\n", encoding="utf-8")
    return True


def commit_all_initial(root: Path, paths: Sequence[str], message: str) -> str:
    """The very first commit of a new agency (no HEAD yet)."""
    repo = _repo(root)
    repo.git.add("--", *paths)
    try:
        repo.git.commit("-q", "-m", message)
    except Exception as exc:
        raise CasectlError(f"git commit failed: {_git_message(str(exc))}") from None
    return str(repo.head.commit.hexsha)
