"""Which clients are restricted (git-crypt) and which of them this clone cannot read.

Read without any key and without git-crypt: ``.gitattributes`` names each restricted
client's folder and its group (``clients/ID/** filter=git-crypt-G ...``), and a clone
without G's key checks the encrypted blobs out as they are stored, each file starting
with the ten bytes ``\\0GITCRYPT\\0``. :func:`locked_clients` looks only at the folders
``.gitattributes`` restricts, one small read each, so every reader (validate, list,
due, digest, caseload, show, report and every write) can leave a locked client's
ciphertext alone and count it instead: "2 restricted clients are locked here".

The writing side (restrict, unrestrict, keys, decrypting) is :mod:`casectl.vault.crypt`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from casectl.core.values import CLIENT_ID_RE
from casectl.errors import CasectlError
from casectl.store import writes

# What git-crypt writes at the start of every encrypted file (its blobs, and so the
# work-tree files of a clone without the key).
MAGIC = b"\0GITCRYPT\0"

ATTRIBUTES = ".gitattributes"
# The files a client folder holds, in the order locked detection looks at them.
CLIENT_FILES = ("client.yaml", "log.yaml", "plan.yaml", "assessment.yaml")

# git-crypt's unnamed key, read as a group of that name.
RESERVED_GROUP = "default"

# `clients/<id>/<anything>` (a leading `/` anchors the same way), then attributes.
_CLIENT_PATTERN = re.compile(r"/?clients/([^/\s]+)/\S+")
_FILTER = re.compile(r"filter=git-crypt(?:-([A-Za-z0-9_-]+))?")


def parse_restricted(text: str) -> dict[str, str]:
    """``client id -> group`` for the client folders ``.gitattributes`` (its text) puts
    under a git-crypt filter. Later lines win, as in git: a line that sets another
    filter (or unsets it) for a client's folder lifts what an earlier one said. The
    unnamed git-crypt key is the group ``default``. Lines about anything else, quoted
    patterns and comments are ignored."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith(("#", '"')):
            continue
        match = _CLIENT_PATTERN.fullmatch(fields[0])
        if match is None or not CLIENT_ID_RE.fullmatch(match.group(1)):
            continue
        client = match.group(1)
        for attribute in fields[1:]:
            crypt = _FILTER.fullmatch(attribute)
            if crypt is not None:
                found[client] = crypt.group(1) or RESERVED_GROUP
            elif attribute.lstrip("-!").partition("=")[0] == "filter":
                found.pop(client, None)
    return found


def attributes_text(root: Path) -> str:
    """``.gitattributes`` as text; bytes that are not UTF-8 survive a round trip. One
    that is a link, a folder or unreadable restricts nothing (git ignores a linked
    ``.gitattributes`` too): the readers go on; restrict refuses it itself."""
    try:
        raw = writes.read_bytes(root / ATTRIBUTES)
    except (OSError, CasectlError):
        return ""
    return raw.decode("utf-8", "surrogateescape")


def restricted_clients(root: Path) -> dict[str, str]:
    """``client id -> group`` of the restricted clients, from ``.gitattributes`` at the
    agency root (readable with or without any key). One small read."""
    return parse_restricted(attributes_text(root))


def is_locked(folder: Path) -> bool:
    """True when the client folder holds git-crypt ciphertext: a restricted client whose
    key this clone lacks (or has not unlocked). Reads the first ten bytes of the first
    of the client's files that exists; a missing folder is not locked."""
    for name in CLIENT_FILES:
        try:
            with open(folder / name, "rb", opener=_nofollow) as fh:
                return fh.read(len(MAGIC)) == MAGIC
        except FileNotFoundError:
            continue
        except OSError:  # a link, a folder, no permission: validate says what is wrong
            return False
    return False


def _nofollow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)


def locked_clients(root: Path, restricted: Iterable[str] | None = None) -> list[str]:
    """The ids of the restricted clients this clone cannot read, sorted.

    Only the folders ``.gitattributes`` restricts are looked at (or ``restricted``,
    when the caller has already read it): one small read each, so a caseload of
    10,000 with a handful of restricted clients pays for a handful of reads.
    """
    ids = restricted_clients(root) if restricted is None else restricted
    base = root / "clients"
    return sorted(cid for cid in ids if is_locked(base / cid))


def locked_message(count: int) -> str:
    """The line the readers print: ``2 restricted clients are locked here``."""
    return (
        f"{count} restricted client{'s are' if count != 1 else ' is'} locked here "
        "(no key for their group in this clone; see docs/security.md)"
    )


def refuse_locked(root: Path, client_id: str) -> None:
    """Refuse (exit 2) to read or write a client whose files are ciphertext here."""
    if not is_locked(root / "clients" / client_id):
        return
    group = restricted_clients(root).get(client_id)
    named = f" to group {group}" if group else ""
    raise CasectlError(
        f"{client_id} is restricted{named} and locked here: this clone has no key for it. "
        f"Ask a member of the group for the key file, then `git-crypt unlock KEYFILE` "
        '(docs/security.md, "Restricted clients and keys"); nothing was read or written'
    )
