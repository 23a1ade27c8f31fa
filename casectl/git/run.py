"""The one way casectl runs git: ``run_git`` (and ``start_git`` for a process read
while it runs), the ``git`` executable itself, never a shell and never a library; plus
the small questions every other git module asks (identity, config values, HEAD).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from casectl.errors import CasectlError

GIT = ("git", "-c", "core.quotepath=off")  # paths in output as they are, not octal-quoted


def run_git(
    root: Path,
    *args: str,
    stdin: bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``root``, output captured; with ``check``, a failure is a
    CasectlError naming the subcommand and git's own error line. ``args`` may start
    with git's global options (``--literal-pathspecs``); ``env`` replaces the
    environment (``replay`` sets each commit's author that way)."""
    try:
        done = subprocess.run(
            [*GIT, *args],
            cwd=root,
            input=stdin,
            capture_output=True,
            check=False,
            env=env,
        )
    except OSError as exc:
        raise CasectlError(f"cannot run git: {exc.strerror or exc}") from None
    if check and done.returncode != 0:
        command = next((a for a in args if not a.startswith("-")), "")
        raise CasectlError(f"git {command} failed: {stderr_line(done.stderr)}")
    return done


def start_git(
    root: Path, *args: str, stdin: bool = False, stderr: bool = True
) -> subprocess.Popen[bytes]:
    """``git ARGS`` in ``root`` as a running process (stdout piped; stdin piped when
    ``stdin``; stderr piped unless not wanted): for answers read while the caller works
    on (``git status`` of a client folder) or streamed (``cat-file --batch``)."""
    try:
        return subprocess.Popen(
            [*GIT, *args],
            cwd=root,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if stderr else subprocess.DEVNULL,
        )
    except OSError as exc:
        raise CasectlError(f"cannot run git: {exc.strerror or exc}") from None


def stderr_line(raw: bytes) -> str:
    lines = [ln.strip() for ln in raw.decode("utf-8", "replace").splitlines() if ln.strip()]
    useful = [ln for ln in lines if ln.startswith(("error:", "fatal:"))]
    return " ".join(useful or lines[-1:]) or "unknown error"


def retries(seconds: float = 30.0) -> Iterator[bool]:
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


def git_path(root: Path, path: str) -> Path:
    return Path(path) if os.path.isabs(path) else root / path


NOTHING_WRITTEN = "then run casectl again; nothing was written"


@dataclass(frozen=True)
class Identity:
    name: str | None
    email: str | None


def config_identity(root: Path) -> Identity:
    """git's user.name and user.email, the environment (GIT_AUTHOR_NAME, ..._EMAIL)
    first, then git's configuration: who a note is by when --by is not given."""
    name = os.environ.get("GIT_AUTHOR_NAME") or config_value(root, "user.name")
    email = os.environ.get("GIT_AUTHOR_EMAIL") or config_value(root, "user.email")
    return Identity(name, email)


def config_value(root: Path, key: str) -> str | None:
    done = run_git(root, "config", "--get", key, check=False)
    value = done.stdout.decode("utf-8", "replace").strip()
    return value or None


def author(cwd: Path | None = None) -> Identity:
    """The author git would record, resolved by git itself (``git var``); refuses
    with :func:`identity_message` when git has none. ``cwd``: a repository whose
    configuration counts; None: only the user's and the system's configuration."""
    where = cwd if cwd is not None else Path(os.path.abspath(os.sep))
    idents: list[str] = []
    for name in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        done = run_git(where, "var", name, check=False)
        if done.returncode != 0:
            raise CasectlError(identity_message(stderr_line(done.stderr)))
        idents.append(done.stdout.decode("utf-8", "replace").strip())
    match = re.fullmatch(r"(.*) <(.*)> \d+ [+-]\d{4}", idents[0])
    if match is None:  # pragma: no cover - git's own format
        raise CasectlError(f"cannot read git's identity: {idents[0]!r}")
    return Identity(match.group(1).strip() or None, match.group(2).strip() or None)


def identity_message(reason: str) -> str:
    return (
        "git does not know who you are, and casectl signs every commit with your name "
        f"(git said: {reason}). Set it once with:\n"
        '  git config --global user.name "Your Name"\n'
        '  git config --global user.email "you@example.org"\n'
        f"{NOTHING_WRITTEN}"
    )


def head_commit(root: Path) -> str | None:
    done = run_git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    return done.stdout.decode().strip() or None


def resolve_commit(root: Path, revision: str) -> str | None:
    """The full hash of ``revision`` (a commit), or None when there is no such commit."""
    if revision.startswith("-"):  # never let a revision be read as an option
        return None
    done = run_git(root, "rev-parse", "--verify", "-q", f"{revision}^{{commit}}", check=False)
    return done.stdout.decode().strip() or None


def is_tracked(root: Path, rel: str) -> bool:
    """Whether git tracks the file ``rel`` (relative to root) in the index."""
    done = run_git(root, "ls-files", "--error-unmatch", "--", rel, check=False)
    return done.returncode == 0


def committed(root: Path, rel: str) -> bool:
    """Whether HEAD holds the file ``rel`` (False with no commit at all)."""
    return run_git(root, "cat-file", "-e", f"HEAD:{rel}", check=False).returncode == 0


def git_init(root: Path) -> None:
    """``git init`` in ``root`` (git's own defaults: branch name, templates)."""
    run_git(root, "init", "-q")
