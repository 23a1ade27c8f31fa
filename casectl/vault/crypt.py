"""Restricted clients: a client's folder under git-crypt with the key of a group.

``casectl restrict ID --group G`` adds ``clients/ID/** filter=git-crypt-G
diff=git-crypt-G`` to ``.gitattributes`` (the group is recorded there, readable without
the key; nothing goes into client.yaml), creates the group's key with ``git-crypt init
-k G`` when this clone has none, and commits the attributes and the client's files
re-added through the filter, so the commit stores them encrypted. ``unrestrict``
reverses it. Both make one commit with a trailer audit recognises
(:mod:`casectl.vault.trailers`).

A clone without G's key checks the encrypted blobs out as they are stored: each file
starts with the ten bytes ``\\0GITCRYPT\\0``. Which clients are restricted and which
are locked here is read by :mod:`casectl.store.restricted` (no key, no git-crypt
needed; its names are re-exported here), so the readers can count them ("2 restricted
clients are locked here") instead of parsing ciphertext.

git-crypt keeps its keys in ``<git dir>/git-crypt/keys/<name>`` (the per-worktree git
dir, as git-crypt 0.7 itself resolves it) and registers the filters in the clone's git
config; casectl reads both, and runs git-crypt only to create a key and to decrypt.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from casectl.edit.transaction import refuse_changes
from casectl.errors import CasectlError
from casectl.git import commit as gitcommit
from casectl.git import guards
from casectl.git import run as gitrun
from casectl.store import layout, writes
from casectl.store.restricted import _CLIENT_PATTERN, _FILTER
from casectl.store.restricted import ATTRIBUTES as ATTRIBUTES
from casectl.store.restricted import CLIENT_FILES as CLIENT_FILES
from casectl.store.restricted import MAGIC as MAGIC
from casectl.store.restricted import RESERVED_GROUP as RESERVED_GROUP
from casectl.store.restricted import is_locked as is_locked
from casectl.store.restricted import locked_clients as locked_clients
from casectl.store.restricted import locked_message as locked_message
from casectl.store.restricted import parse_restricted as parse_restricted
from casectl.store.restricted import refuse_locked as refuse_locked
from casectl.store.restricted import restricted_clients as restricted_clients

# git-crypt's own rule for key names (letters, digits, '-' and '_'; not `default`,
# its unnamed key), with a first character that cannot be read as an option.
GROUP_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

RESTRICT_TRAILER = "Casectl-Restrict"
UNRESTRICT_TRAILER = "Casectl-Unrestrict"

INSTALL_HINT = (
    "git-crypt is not installed, and restricted clients are encrypted with it: install "
    "it from your system's packages (Debian/Ubuntu: `sudo apt-get install git-crypt`; "
    "Fedora: `sudo dnf install git-crypt`; macOS: `brew install git-crypt`)"
)


# ----------------------------------------------------------- .gitattributes


def _attributes_text(root: Path) -> str:
    """``.gitattributes`` as text, for a write: a link or odd file is refused (exit 2)."""
    return writes.read_bytes(root / ATTRIBUTES).decode("utf-8", "surrogateescape")


def attribute_line(client_id: str, group: str) -> str:
    """The ``.gitattributes`` line that restricts a client's folder to a group."""
    return f"clients/{client_id}/** filter=git-crypt-{group} diff=git-crypt-{group}"


def _without_client(text: str, client_id: str) -> str:
    """``text`` with every line that puts ``client_id``'s folder under git-crypt taken out."""
    kept = []
    for line in text.splitlines(keepends=True):
        fields = line.split()
        match = _CLIENT_PATTERN.fullmatch(fields[0]) if fields else None
        crypt = any(_FILTER.fullmatch(a) for a in fields[1:])
        if match is not None and match.group(1) == client_id and crypt:
            continue
        kept.append(line)
    return "".join(kept)


# ----------------------------------------------------------- keys


def git_crypt_installed() -> bool:
    return shutil.which("git-crypt") is not None


def require_git_crypt() -> None:
    if not git_crypt_installed():
        raise CasectlError(f"{INSTALL_HINT}; nothing was written")


def check_group(group: str) -> str:
    if not GROUP_RE.fullmatch(group) or group == RESERVED_GROUP:
        raise CasectlError(
            f"--group: {group!r} is not a group name: use letters, digits, '-' and '_' "
            f"(at most 64, starting with a letter or digit; not {RESERVED_GROUP!r})"
        )
    return group


def _git_dir(root: Path) -> Path:
    out = gitrun.run_git(root, "rev-parse", "--git-dir").stdout.decode().strip()
    return Path(out) if os.path.isabs(out) else root / out


def key_names(root: Path) -> list[str]:
    """The git-crypt keys this clone holds (``default`` for the unnamed one)."""
    folder = _git_dir(root) / "git-crypt" / "keys"
    try:
        return sorted(e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False))
    except OSError:
        return []


def filter_name(group: str) -> str:
    """git-crypt's filter for a key: ``git-crypt-G``; plain ``git-crypt`` for its
    unnamed key."""
    return "git-crypt" if group == RESERVED_GROUP else f"git-crypt-{group}"


def has_key(root: Path, group: str) -> bool:
    """Whether this clone holds the group's key and git-crypt's filter for it."""
    if not (_git_dir(root) / "git-crypt" / "keys" / group).is_file():
        return False
    done = gitrun.run_git(
        root, "config", "--get", f"filter.{filter_name(group)}.clean", check=False
    )
    return done.returncode == 0 and bool(done.stdout.strip())


def _git_crypt(
    root: Path, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git-crypt", *args], cwd=root, input=stdin, capture_output=True, check=False
        )
    except OSError as exc:
        raise CasectlError(f"cannot run git-crypt: {exc.strerror or exc}") from None


def create_key(root: Path, group: str) -> None:
    """``git-crypt init -k GROUP``: a new symmetric key in this clone, and its filter."""
    done = _git_crypt(root, "init", "-k", group)
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CasectlError(
            f"git-crypt could not create the key {group!r}: {said[-1] if said else 'failed'}; "
            "nothing was written"
        )


def decrypt(root: Path, data: bytes, groups: Sequence[str] | None = None) -> bytes | None:
    """The plain text of a git-crypt blob, with whichever of this clone's keys (or of
    ``groups``) opens it; ``data`` itself when it is not encrypted; None when no key
    here opens it. git-crypt checks each file's MAC, so a wrong key is recognised."""
    if not data.startswith(MAGIC):
        return data
    if not git_crypt_installed():
        return None
    for name in groups if groups is not None else key_names(root):
        done = _git_crypt(root, "smudge", f"--key-name={name}", stdin=data)
        if done.returncode == 0:
            return done.stdout
    return None


def encrypt(root: Path, data: bytes, group: str) -> bytes:
    """``data`` as git-crypt stores it with the group's key (deterministic: the same
    text gives the same blob, as ``git add`` would make it)."""
    done = _git_crypt(root, "clean", f"--key-name={group}", stdin=data)
    if done.returncode != 0:
        raise CasectlError(f"git-crypt could not encrypt with the key {group!r}")
    return done.stdout


def open_for_merge(
    root: Path, path: str, sides: Sequence[bytes]
) -> tuple[list[bytes], str | None] | str:
    """The log merge driver's and sync's view of a restricted log: ``sides`` (base,
    ours, theirs as git stores them) in plain text, and the group whose key must
    encrypt the merged result (None: ``.gitattributes`` no longer restricts the client,
    so the result is stored plain). A string says why it cannot be merged here: no key
    in this clone opens a side, or none seals the result."""
    keys = key_names(root)
    plain = []
    for side in sides:
        opened = decrypt(root, side, keys)
        if opened is None:
            return (
                "it is encrypted (a restricted client) and no key in this clone opens it; "
                "a member of the client's group must merge it"
            )
        plain.append(opened)
    parts = path.split("/")
    client = parts[1] if len(parts) == 3 and parts[0] == "clients" else None
    group = restricted_clients(root).get(client) if client is not None else None
    if group is not None and not has_key(root, group):
        return f"it is restricted to group {group} and this clone has no key for that group"
    return plain, group


# ----------------------------------------------------------- restrict / unrestrict


@dataclass(frozen=True)
class Change:
    """What restrict or unrestrict did."""

    client: str
    group: str
    commit: str
    new_key: bool = False  # restrict created the group's key in this clone


def _tracked(root: Path, rel: str) -> list[str]:
    out = gitrun.run_git(root, "ls-files", "-z", "--", f"{rel}/").stdout
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def _refuse_dirty_attributes(root: Path) -> None:
    done = gitrun.run_git(root, "status", "--porcelain=v1", "--", ATTRIBUTES)
    if done.stdout.strip():
        raise CasectlError(
            f"refusing to change {ATTRIBUTES}: it has changes that are not committed; "
            f"commit or discard them first, {gitrun.NOTHING_WRITTEN}"
        )


@contextlib.contextmanager
def _prepared(root: Path, client_id: str) -> Iterator[tuple[Path, str, guards.WriteCheck]]:
    """The checks restrict and unrestrict share, then both locks held: the agency root
    (``.gitattributes`` is shared by every client) and the client's folder."""
    check = guards.check_can_write(root)
    folder = layout.client_dir(root, client_id)
    rel = f"clients/{client_id}"
    with writes.locked(root), writes.locked(folder):
        with guards.client_changes(root, rel, check) as changes:
            refuse_changes(rel, changes())
        _refuse_dirty_attributes(root)
        yield folder, rel, check


def _recommit(root: Path, rel: str, attributes: bytes, message: str) -> str:
    """Write ``.gitattributes`` and commit it with the client's files put through the
    filters it now names, in one commit. The files' index entries are dropped first,
    so git hashes their content again instead of trusting the unchanged stat data. On
    any failure ``.gitattributes`` and the index are put back as they were."""
    path = root / ATTRIBUTES
    before = path.read_bytes() if path.exists() else None
    files = _tracked(root, rel)
    writes.atomic_write(path, attributes)
    try:
        gitrun.run_git(root, "rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", f"{rel}/")
        return gitcommit.commit_paths(root, [ATTRIBUTES, *files], message)
    except BaseException:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            writes.atomic_write(path, before)
        gitcommit.unstage(root, [ATTRIBUTES, *files])
        raise


def _added_line(text: str, line: str) -> bytes:
    if text and not text.endswith("\n"):
        text += "\n"
    return (text + line + "\n").encode("utf-8", "surrogateescape")


def restrict(root: Path, client_id: str, group: str) -> Change:
    """Put ``clients/ID`` under git-crypt with the group's key, in one commit."""
    layout.check_client_id(client_id)
    check_group(group)
    require_git_crypt()
    with _prepared(root, client_id) as (_folder, rel, _check):
        text = _attributes_text(root)
        restricted = parse_restricted(text)
        if client_id in restricted:
            raise CasectlError(
                f"{client_id} is already restricted (group {restricted[client_id]}, in "
                f"{ATTRIBUTES}); nothing was written"
            )
        new_key = False
        if not has_key(root, group):
            if group in restricted.values():
                raise CasectlError(
                    f"group {group} already protects other clients, but this clone has no "
                    f"key for it: unlock it with the group's key file first (`git-crypt "
                    f"unlock KEYFILE`), so that every client of {group} shares one key; "
                    + gitrun.NOTHING_WRITTEN
                )
            create_key(root, group)
            new_key = True
        message = f"restrict: {client_id} (group {group})\n\n{RESTRICT_TRAILER}: {client_id}\n"
        commit = _recommit(root, rel, _added_line(text, attribute_line(client_id, group)), message)
    return Change(client_id, group, commit, new_key)


def unrestrict(root: Path, client_id: str) -> Change:
    """Take ``clients/ID`` out of git-crypt: its files are stored plain from this commit."""
    layout.check_client_id(client_id)
    require_git_crypt()
    with _prepared(root, client_id) as (folder, rel, _check):
        text = _attributes_text(root)
        group = parse_restricted(text).get(client_id)
        if group is None:
            raise CasectlError(
                f"{client_id} is not restricted (no git-crypt line for clients/{client_id} "
                f"in {ATTRIBUTES}); nothing was written"
            )
        if is_locked(folder) or not has_key(root, group):
            raise CasectlError(
                f"{client_id} is restricted to group {group} and this clone cannot read it: "
                f"unrestrict needs the key (`git-crypt unlock KEYFILE`); nothing was written"
            )
        remaining = _without_client(text, client_id)
        message = f"unrestrict: {client_id} (group {group})\n\n{UNRESTRICT_TRAILER}: {client_id}\n"
        commit = _recommit(root, rel, remaining.encode("utf-8", "surrogateescape"), message)
    return Change(client_id, group, commit)
