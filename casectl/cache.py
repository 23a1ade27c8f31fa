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

CACHE_FORMAT = 6
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
    if not stat.S_ISDIR(st.st_mode):
        return None
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


SECTIONS = ("facts", "schedule")


class ReadCache:
    """Per-client entries in an index file, with bulky parts in section files.

    ``read-cache.json`` (the index) holds each client's stamp and problems: all that
    ``validate`` needs. ``read-cache.facts.json`` and ``read-cache.schedule.json``
    hold facts and due dates and are only read by the commands that use them. A
    section entry is trusted only when it carries the same stamp as the index entry,
    so files written by different runs (or a crash between two renames) can never be
    mixed up.
    """

    def __init__(self, root: Path, config_bytes: bytes) -> None:
        self.folder = root / ".casectl"
        self.path = self.folder / FILE_NAME
        self.key = config_key(config_bytes)
        self.entries: dict[str, dict[str, Any]] = {}
        self._sections: dict[str, dict[str, Any] | None] = dict.fromkeys(SECTIONS)
        self.changed = False

    def _section_path(self, name: str) -> Path:
        return self.folder / FILE_NAME.replace(".json", f".{name}.json")

    def _read(self, path: Path) -> dict[str, Any]:
        try:
            with open(path, "rb") as fh:
                data = json.loads(fh.read())
        except (OSError, ValueError):
            return {}
        if (
            not isinstance(data, dict)
            or data.get("key") != self.key
            or not isinstance(data.get("clients"), dict)
        ):
            return {}
        clients: dict[str, Any] = data["clients"]
        return clients

    def load(self) -> None:
        self.entries = self._read(self.path)

    def get(self, client_id: str, stamp: Stamp | None) -> dict[str, Any] | None:
        entry = self.entries.get(client_id)
        if stamp is None or not isinstance(entry, dict) or entry.get("stamp") != stamp:
            return None
        return entry

    def section(self, name: str, client_id: str, stamp: Stamp | None) -> Any:
        """The client's part of a section (e.g. its facts), or KeyError when the
        section does not have it for this very stamp."""
        data = self._sections[name]
        if data is None:
            data = self._sections[name] = self._read(self._section_path(name))
        item = data.get(client_id)
        if not isinstance(item, list) or len(item) != 2 or item[0] != stamp:
            raise KeyError(client_id)
        return item[1]

    def put(self, client_id: str, entry: dict[str, Any], parts: dict[str, Any]) -> None:
        """Store a fresh entry; ``parts`` maps each section name to its JSON value."""
        self._load_all_sections()
        self.entries[client_id] = entry
        for name in SECTIONS:
            section = self._sections[name]
            assert section is not None
            section[client_id] = [entry.get("stamp"), parts.get(name)]
        self.changed = True

    def _load_all_sections(self) -> None:
        for name in SECTIONS:
            if self._sections[name] is None:
                self._sections[name] = self._read(self._section_path(name))

    def prune(self, keep: set[str]) -> None:
        gone = [cid for cid in self.entries if cid not in keep]
        if not gone:
            return
        self._load_all_sections()
        for cid in gone:
            del self.entries[cid]
            for name in SECTIONS:
                section = self._sections[name]
                assert section is not None
                section.pop(cid, None)
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
        self._load_all_sections()
        # Sections first, index last: a crash in between leaves section entries whose
        # stamps the old index does not match, which readers then ignore.
        for name in SECTIONS:
            self._write(self._section_path(name), self._sections[name] or {})
        self._write(self.path, self.entries)

    def _write(self, path: Path, clients: dict[str, Any]) -> None:
        payload = json.dumps({"key": self.key, "clients": clients}, separators=(",", ":"))
        fd, tmp = tempfile.mkstemp(prefix=".cache-", dir=self.folder)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload.encode())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
