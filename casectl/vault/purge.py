"""Retention: remove a closed client past ``retention.closed`` (contract 5.7).

``casectl purge ID`` removes ``clients/ID/`` in one commit carrying a
``Casectl-Purge: ID`` trailer. That commit only removes the files from the branch's
tip: every earlier commit, here, on the remote and in every clone, still holds them.
Removing them from history is a rewrite that casectl does not do on its own (it changes
every later commit id and needs every clone to start again), so the command prints the
exact ``git filter-repo`` steps instead (:func:`rewrite_steps`).
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from casectl.core import dates
from casectl.core.model import Agency
from casectl.edit.transaction import refuse_changes
from casectl.errors import CasectlError
from casectl.git import commit as gitcommit
from casectl.git import guards
from casectl.git import run as gitrun
from casectl.git import sync as gitsync
from casectl.store import layout, load, writes
from casectl.vault import crypt

PURGE_TRAILER = "Casectl-Purge"


@dataclass(frozen=True)
class Purged:
    client: str
    commit: str
    closed: date | None  # closed.date in client.yaml (None: unreadable, with --force)
    kept_until: date | None  # closed + retention.closed (None: no retention set)
    forced: bool  # --force was needed: retention had not passed (or was not set)
    path: str  # the folder, relative to the git work tree's top (for filter-repo)


def closure(raw: bytes) -> tuple[str | None, date | None]:
    """``(status, closed.date)`` read from a client.yaml's bytes (None when absent or
    unreadable); only these two fields matter here, so an unrelated problem in the
    file does not stand in the way."""
    data = load.load_text("client.yaml", raw).data
    if not isinstance(data, dict):
        return None, None
    status = data.get("status")
    closed = data.get("closed")
    day = dates.parse_date(closed.get("date")) if isinstance(closed, dict) else None
    return (status if isinstance(status, str) else None), day


def kept_until(agency: Agency, closed: date | None) -> date | None:
    """The first day a client closed on ``closed`` may be purged (None: the agency sets
    no ``retention.closed``, or the closing date is unknown)."""
    period = agency.retention.closed if agency.retention is not None else None
    if period is None or closed is None:
        return None
    return dates.add(closed, period)


def check_purgeable(
    client_id: str, agency: Agency, today: date, raw: bytes, force: bool
) -> tuple[date | None, date | None, bool]:
    """Refuse (exit 2) a purge the contract does not allow: a client that is not closed
    (``--force`` never waives that), or one whose retention has not passed, or cannot
    be told (no ``retention.closed``, no closing date), without ``--force``. Returns
    ``(closed, kept_until, forced)``."""
    status, closed = closure(raw)
    if status != "closed":
        shown = f"status: {status}" if status is not None else "no readable status"
        raise CasectlError(
            f"{client_id} is not closed ({shown} in clients/{client_id}/client.yaml): only a "
            f"closed case can be purged, --force or not; close it first with `casectl close "
            f"{client_id} --reason R`; nothing was written"
        )
    until = kept_until(agency, closed)
    if until is not None and today >= until:
        return closed, until, False
    if force:
        return closed, until, True
    if closed is None:
        why = f"clients/{client_id}/client.yaml has no readable closed.date"
    elif until is None:
        why = (
            f"{layout.CONFIG_NAME} sets no retention period (add `retention: {{closed: 7 years}}`, "
            "or your agency's period)"
        )
    else:
        period = agency.retention.closed if agency.retention is not None else None
        why = (
            f"it is kept until {until.isoformat()} (closed {closed.isoformat()} + "
            f"retention.closed {period})"
        )
    raise CasectlError(
        f"refusing to purge {client_id}: {why}; `casectl purge {client_id} --force` purges "
        "it anyway; nothing was written"
    )


def purge(root: Path, agency: Agency, today: date, client_id: str, force: bool) -> Purged:
    """Remove ``clients/ID`` in one commit with a ``Casectl-Purge: ID`` trailer.

    Refused (nothing written) during a git operation, for an unknown client, a client
    locked here (its status cannot be read without the key), uncommitted changes in its
    folder, and what :func:`check_purgeable` refuses. The tracked files are removed and
    committed under the client's lock; when the commit fails they are checked out again
    from HEAD. Then what is left of the folder (ignored files) goes too, and the
    client's entries in the local read cache.
    """
    layout.check_client_id(client_id)
    check = guards.check_can_write(root)
    folder = layout.client_dir(root, client_id)
    crypt.refuse_locked(root, client_id)
    rel = f"clients/{client_id}"
    with writes.locked(folder):
        with guards.client_changes(root, rel, check) as changes:
            refuse_changes(rel, changes())
        raw = writes.read_bytes(folder / "client.yaml")
        closed, until, forced = check_purgeable(client_id, agency, today, raw, force)
        files = _tracked(root, rel)
        if not files:
            raise CasectlError(f"{rel} holds no committed file; nothing to purge")
        message = _message(client_id, closed, until, forced)
        for path in files:
            (root / path).unlink(missing_ok=True)
        try:
            commit = gitcommit.commit_paths(root, files, message)
        except BaseException:
            gitcommit.unstage(root, files)
            gitrun.run_git(root, "checkout", "-q", "HEAD", "--", *files, check=False)
            raise
    shutil.rmtree(folder, ignore_errors=True)
    _forget_cached(root, client_id)
    return Purged(client_id, commit, closed, until, forced, f"{check.prefix}{rel}/")


def _tracked(root: Path, rel: str) -> list[str]:
    out = gitrun.run_git(root, "ls-files", "-z", "--", f"{rel}/").stdout
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def _message(client_id: str, closed: date | None, until: date | None, forced: bool) -> str:
    parts = [f"closed {closed.isoformat()}" if closed else "closing date unknown"]
    if forced:
        parts.append("retention waived with --force")
    elif until is not None:
        parts.append(f"kept until {until.isoformat()}")
    return f"purge: {client_id} ({'; '.join(parts)})\n\n{PURGE_TRAILER}: {client_id}\n"


def _forget_cached(root: Path, client_id: str) -> None:
    """Drop the client from ``.casectl/`` (it holds facts read from its files); the
    next read would do it too, but the data should not wait for one."""
    from casectl.store.cache import ReadCache

    with contextlib.suppress(OSError, ValueError):
        config = writes.read_bytes(root / layout.CONFIG_NAME)
        cache = ReadCache(root, config)
        cache.load()
        if client_id in cache.entries:
            cache.prune(set(cache.entries) - {client_id})
            cache.save()


def filter_repo_args(path: str) -> list[str]:
    """The ``git filter-repo`` invocation that removes ``path`` (a folder ending in
    ``/``) from every commit of every branch and tag."""
    return ["git", "filter-repo", "--invert-paths", "--path", path, "--force"]


def rewrite_steps(done: Purged, url: str | None) -> list[str]:
    """What to do after the purge commit, as printed lines: the rewrite, in a fresh
    mirror clone of the shared remote, and what every clone must do afterwards."""
    remote = shlex.quote(url) if url else "URL-OF-THE-SHARED-REMOTE"
    command = shlex.join(filter_repo_args(done.path))
    return [
        f"{done.client}'s files are still in the earlier commits of this repository, of the "
        "remote and of every clone. To remove them from all history (git-filter-repo: "
        "`pip install git-filter-repo` or your system's package):",
        "  1. push this commit (casectl sync), and have everyone sync and then stop writing;",
        "  2. in a fresh mirror clone of the shared remote, run:",
        f"       git clone --mirror {remote} purge.git && cd purge.git",
        f"       {command}",
        f"       git push --force --mirror {remote}",
        "  3. on the server, drop the old objects: in the bare repository, "
        "`git reflog expire --expire=now --all && git gc --prune=now` (on a hosted service, "
        "ask its support to run a garbage collection);",
        "  4. every clone, this one included, must then be deleted and cloned afresh "
        "(`git clone`, then `git-crypt unlock KEYFILE` where restricted clients are used): "
        "an old clone still holds the purged files in its objects, and one that merges "
        "(git pull) pushes the old history back. casectl sync stops at the rewritten "
        "remote; re-clone instead of accepting it.",
    ]


def shared_remote(root: Path) -> str | None:
    """The URL of ``origin`` (or the only remote), for the printed steps."""
    url = gitsync.remote_url(root, "origin")
    if url is not None:
        return url
    done = gitrun.run_git(root, "remote", check=False)
    names = done.stdout.decode("utf-8", "replace").split()
    return gitsync.remote_url(root, names[0]) if len(names) == 1 else None
