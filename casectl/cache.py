"""The read cache in ``.casectl/``: per-client problems and facts, never trusted blindly.

Keyed, per the contract, by each file's path, size and modification time, and as a
whole by the casectl version and the bytes of casectl.yaml. A mismatch or any damage
throws the cache (or the entry) away: deleting ``.casectl/`` only costs time. The
folder is git-ignored, mode 0700, files 0600: it holds personal data.

JSON, not pickle: a cache file must never be able to run code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from casectl import __version__

CACHE_FORMAT = 4
FILE_NAME = "read-cache.json"

Stamp = list[list[Any]]  # [[name, size, mtime_ns, is_link], ...] sorted by name


def stamp_folder(folder: Path, names: tuple[str, ...]) -> Stamp | None:
    """What identifies the current content of a client folder, cheaply (no reads).

    The folder's own modification time (it changes whenever an entry is added,
    removed or renamed, so atomic replacements and stray files are seen) plus size and
    modification time of each of ``names``. One ``lstat`` per path: this runs for every
    client on every warm command, so it avoids listing folders and pathlib.
    """
    base = os.fspath(folder)
    lstat = os.lstat
    try:
        st = lstat(base)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return [["<link>", 0, 0, True]]
    out: Stamp = [[".", 0, st.st_mtime_ns, False]]
    prefix = base + os.sep
    for name in names:
        try:
            st = lstat(prefix + name)
        except FileNotFoundError:
            out.append([name, -1, 0, False])
            continue
        except OSError:
            return None
        out.append([name, st.st_size, st.st_mtime_ns, stat.S_ISLNK(st.st_mode)])
    return out


def config_key(config_bytes: bytes) -> str:
    h = hashlib.sha256()
    h.update(f"casectl {__version__} cache {CACHE_FORMAT}\n".encode())
    h.update(config_bytes)
    return h.hexdigest()


class ReadCache:
    """Load once, look entries up by client id, save once."""

    def __init__(self, root: Path, config_bytes: bytes) -> None:
        self.folder = root / ".casectl"
        self.path = self.folder / FILE_NAME
        self.key = config_key(config_bytes)
        self.entries: dict[str, dict[str, Any]] = {}
        self.changed = False

    def load(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                data = json.loads(fh.read())
        except (OSError, ValueError):
            return
        if (
            not isinstance(data, dict)
            or data.get("key") != self.key
            or not isinstance(data.get("clients"), dict)
        ):
            return
        self.entries = data["clients"]

    def get(self, client_id: str, stamp: Stamp | None) -> dict[str, Any] | None:
        entry = self.entries.get(client_id)
        if stamp is None or not isinstance(entry, dict) or entry.get("stamp") != stamp:
            return None
        return entry

    def put(self, client_id: str, entry: dict[str, Any]) -> None:
        self.entries[client_id] = entry
        self.changed = True

    def prune(self, keep: set[str]) -> None:
        for cid in list(self.entries):
            if cid not in keep:
                del self.entries[cid]
                self.changed = True

    def save(self) -> None:
        """Write atomically with owner-only permissions; failure only costs time."""
        if not self.changed:
            return
        with contextlib.suppress(OSError):
            self._save()

    def _save(self) -> None:
        self.folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.folder, 0o700)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
        payload = json.dumps(
            {"key": self.key, "clients": self.entries}, separators=(",", ":")
        ).encode()
        fd, tmp = tempfile.mkstemp(prefix=".cache-", dir=self.folder)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
