"""The read cache in ``.casectl/``: per-client problems and facts, never trusted blindly.

Keyed, per the contract, by each file's path, size, modification and change times and
inode (and mode), and as a whole by the casectl version and the bytes of casectl.yaml.
A mismatch or any damage throws the cache (or the entry) away: deleting ``.casectl/``
only costs time. The folder is git-ignored, mode 0700, files 0600: it holds personal
data. A ``.casectl`` that is a symbolic link or not a folder is never used (one warning):
the cache never reads or writes through a link, and never reads anything but regular
files. A case file this user cannot read is never served from the cache.

JSON, not pickle: a cache file must never be able to run code.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import hashlib
import io
import json
import os
import secrets
import stat
import struct
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from casectl import __version__
from casectl.core import facts, schedule
from casectl.core.problems import Problem
from casectl.store import writes

CACHE_FORMAT = 13
FILE_NAME = "read-cache.json"
# Every client's due dates in one list, in ``due``'s order (``DueIndex``), rewritten
# whenever the index is: a warm ``due`` reads it instead of the index and sections.
DUE_NAME = "read-cache.due.idx"
# Every client's row of ``list`` (``facts.Listed``), with its stamp: the same for ``list``.
LIST_NAME = "read-cache.list.idx"
# casectl.yaml's checked reading (its problems, fallbacks, zone and manager keys),
# under the same key: a warm read does not check the file again (read.agency).
SETTINGS_NAME = "read-cache.settings.json"

Stamp = str  # a digest of everything lstat says about a client folder and its files

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_EUID = os.geteuid() if hasattr(os, "geteuid") else None
_GROUPS = frozenset(os.getgroups()) | {os.getegid()} if hasattr(os, "getgroups") else frozenset()
_FIELDS = 5  # size, modification time, change time, inode, mode
_ANY_READABLE = _EUID is None or _EUID == 0  # root reads any file: no mode to look at
_MISSING = (-1, 0, 0, 0, 0)
_VALUES = 3 + _FIELDS * 4  # the folder's three, each case file's five
_PACK = struct.Struct(f"<{_VALUES}q").pack


def _readable(st: os.stat_result) -> bool:
    """Whether this process may read the file, from its mode alone (no extra call).
    chmod and chown also change the change time, so a change of access is a new stamp."""
    if _EUID is None or _EUID == 0:
        return True
    if st.st_uid == _EUID:
        return bool(st.st_mode & stat.S_IRUSR)
    if st.st_gid in _GROUPS:
        return bool(st.st_mode & stat.S_IRGRP)
    return bool(st.st_mode & stat.S_IROTH)


def stamp_folder(folder: str | Path, names: tuple[str, ...]) -> Stamp | None:
    """What identifies the current content of a client folder, cheaply (no reads).

    One ``lstat`` of the folder (its modification time changes whenever an entry is
    added, removed or renamed, so atomic replacements and stray files are seen) and one
    of each of ``names``: size, modification and change times, inode and mode. The
    change time cannot be set back by ``touch -d`` and moves on chmod/chown, the inode
    tells a replaced file. None (never a hit) when something cannot be read. Runs for
    every client on every warm command: no listing, no pathlib, one digest.
    """
    base = os.fspath(folder)
    lstat = os.lstat
    try:
        st = lstat(base)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return f"link {st.st_ino} {st.st_ctime_ns}"  # refused (CM603) whatever it points to
    if not stat.S_ISDIR(st.st_mode) or not (_ANY_READABLE or _readable(st)):
        return None
    values = [st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
    prefix = base + os.sep
    for name in names:
        try:
            st = lstat(prefix + name)
        except FileNotFoundError:
            values += _MISSING
            continue
        except OSError:
            return None
        if not (_ANY_READABLE or _readable(st)):
            return None  # an unreadable file is always checked again (CM008)
        values += (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode)
    pack = _PACK if len(values) == _VALUES else struct.Struct(f"<{len(values)}q").pack
    return hashlib.blake2b(pack(*values), digest_size=16).hexdigest()


def config_key(config_bytes: bytes) -> str:
    """The key of the whole cache: casectl's version, the cache format, the shape of
    what it stores (facts' fields, the due kinds: a new one is a new key) and the
    bytes of casectl.yaml."""
    h = hashlib.sha256()
    h.update(f"casectl {__version__} cache {CACHE_FORMAT}\n{facts.SHAPE}\n".encode())
    h.update(f"{','.join(schedule.KINDS)}\n".encode())
    # (the due index keeps each row's kind as its place in sorting)
    h.update(f"{','.join(schedule.SORTED_KINDS)}\n".encode())
    h.update(config_bytes)
    return h.hexdigest()


# facts: ClientFacts' summary fields; detail: its collections; schedule: the due dates;
# caseload: what a caseload row shows of the detail (``facts.CaseloadFacts``).
SECTIONS = ("facts", "detail", "schedule", "caseload")
# Written only by the commands that read them (``read.figures``): figures, the columns
# ``stats`` counts; notes, the note texts and columns ``search`` reads. Another command
# that re-checks a client leaves them alone: the old stamp there is never a hit.
LAZY_SECTIONS = ("figures", "notes")

# A lazy section's value may come with bytes kept beside it (``WithBlob``: the notes'
# texts), in ``read-cache.<section>.bin``: ``BLOB_MAGIC``, the token of this very file
# (also in its section's JSON: a section and a file written by different runs never
# mix), then each client's bytes, found by the [offset, length] in its entry.
BLOB_MAGIC = b"casectl\n"
_TOKEN_SIZE = 16
_HEADER = len(BLOB_MAGIC) + _TOKEN_SIZE


class _Encoded:
    """A section item stored by this run, kept as its JSON text until saved: a cold
    run holds every client's sections, and text is a tenth of the memory of the
    decoded values (read back by :meth:`ReadCache.section` only if asked)."""

    __slots__ = ("text",)

    def __init__(self, value: Any) -> None:
        self.text = json.dumps(value, separators=(",", ":"))

    def value(self) -> Any:
        return json.loads(self.text)


@dataclass(frozen=True, slots=True)
class WithBlob:
    """A lazy section's JSON value and the bytes stored beside it (read back by
    :meth:`ReadCache.blob` only when wanted: no JSON decoding of them)."""

    value: Any
    blob: bytes


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        sys.stderr.write(f"warning: {message}\n")


def folder_problem(folder: Path) -> str | None:
    """Why ``.casectl`` must not be used (a link, not a folder), or None."""
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a folder"
    return None


_DUE_CHUNK = 1000  # rows per piece of the due index's body (``DueIndex.rows``)


class DueIndex:
    """``read-cache.due.idx`` as read back (``ReadCache.due_index``): each client's
    folder, stamp, whether its entry is usable on another day (``future``: the day it
    was checked when a date it was checked against was then in the future, else None),
    due-soon window (count, unit), id, name, manager and errors, as its schedule has
    them; then every due date of every client,
    sorted as ``due`` prints them (day, client, kind's order, what; a client's ties in
    its schedule's order), as rows ``[day ordinal, client's position, kind's place in
    ``schedule.SORTED_KINDS`` (``schedule.ORDER``), what, ref]`` (ref null when it is
    ``<id>/<kind>``), of which only the pieces up to a day are decoded (``rows``).

    The file is its digest, a line of JSON (the key, the clients, each piece's last
    day and end in the body) and the body: a file that does not match its digest or the
    cache's key is never read back. A client's rows are used only while its stamp is
    the one here (``read.scan.due_of``): a stale client is read the usual way."""

    __slots__ = ("_body", "_days", "_ends", "clients")

    def __init__(self, clients: list[list[Any]], cuts: list[list[int]], body: bytes) -> None:
        # [folder, stamp, future, window count, window unit, id, name, manager, errors]
        self.clients = clients
        self._days = [day for day, _ in cuts]  # each piece's last day
        self._ends = [end for _, end in cuts]
        self._body = body

    def rows(self, last: int) -> list[list[Any]]:
        """The rows due on or before the day ordinal ``last``, in order (and some after
        it: the body is cut in pieces of about ``_DUE_CHUNK`` rows, a day in one)."""
        if not self._ends:
            return []
        at = min(bisect.bisect_left(self._days, last), len(self._ends) - 1)
        found: list[list[Any]] = json.loads(self._body[: self._ends[at]] + b"]")
        return found


def entry_problems(entry: Any) -> list[Problem] | None:
    """The problems of an index entry; None when the entry is damaged."""
    try:
        return [Problem(*p) for p in entry["problems"]]
    except (KeyError, TypeError, ValueError):
        return None


def usable(entry: dict[str, Any], today: date) -> bool:
    """Whether an index entry still holds today. Future-date checks depend on today; an
    entry stays valid while no checked date has crossed from the future into the past
    since it was made (``_future`` says the same for another day)."""
    checked = entry.get("checked")
    if checked == today.isoformat():
        return True
    latest = entry.get("latest")
    return latest is None or (isinstance(checked, str) and latest <= checked)


def _future(entry: dict[str, Any]) -> tuple[bool, str | None]:
    """(usable at all, ``DueIndex``'s ``future``) of an index entry: as :func:`usable`
    decides, the day of ``checked`` matters only when ``latest`` was after it."""
    checked, latest = entry.get("checked"), entry.get("latest")
    if latest is None:
        return True, None
    if not isinstance(checked, str) or not isinstance(latest, str):
        return False, None
    return True, (None if latest <= checked else checked)


def _with_digest(head: dict[str, Any], body: bytes) -> bytes:
    """A flat index's bytes: the digest of the rest, the head's JSON line, the body."""
    rest = json.dumps(head).encode() + b"\n" + body
    return hashlib.blake2b(rest, digest_size=16).hexdigest().encode() + b"\n" + rest


class ReadCache:
    """Per-client entries in an index file, with bulky parts in section files.

    ``read-cache.json`` (the index) holds each client's stamp and problems: all that
    ``validate`` needs. ``read-cache.facts.json`` (the facts' summary fields),
    ``read-cache.detail.json`` (their collections), ``read-cache.schedule.json``
    (due dates) and ``read-cache.caseload.json`` (what a caseload row shows of the
    collections) are each read only by the commands that use them. A
    section entry is trusted only when it carries the same stamp as the index entry,
    so files written by different runs (or a crash between two renames) can never be
    mixed up.
    """

    def __init__(self, root: Path, config_bytes: bytes) -> None:
        self.folder = root / ".casectl"
        self.path = self.folder / FILE_NAME
        self.key = config_key(config_bytes)
        self.entries: dict[str, dict[str, Any]] = {}
        self._sections: dict[str, dict[str, Any] | None] = dict.fromkeys(SECTIONS + LAZY_SECTIONS)
        self._tokens: dict[str, str] = {}  # section -> the token of its .bin file
        self._bins: dict[str, bytes] = {}  # section -> its .bin file (b"": none usable)
        self._spool: BinaryIO | None = None  # this run's new blobs, until saved
        self._dirty: set[str] = set()  # lazy sections to write
        self.saved_blobs: set[str] = set()  # lazy sections whose .bin this run wrote
        self._settings: dict[str, Any] | None = None  # to write (keep_settings)
        self.changed = False
        self.index_wanted = False  # write the flat indexes even if no client changed
        self.refused = folder_problem(self.folder)
        self.usable = self.refused is None

    def _section_path(self, name: str) -> Path:
        return self.folder / FILE_NAME.replace(".json", f".{name}.json")

    def _open_folder(self) -> int:
        """A descriptor of ``.casectl`` itself, never of where a link points."""
        return os.open(self.folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)

    def _read_bytes(self, name: str) -> bytes | None:
        """The bytes of the regular file ``name`` in ``.casectl`` (None: none there,
        or not usable)."""
        if not self.usable:
            return None
        try:
            folder = self._open_folder()
            try:
                fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=folder)
            finally:
                os.close(folder)
            with os.fdopen(fd, "rb") as fh:
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    return None
                return fh.read()
        except OSError:
            return None

    def _read(
        self, path: Path, section: str | None = None, part: str = "clients"
    ) -> dict[str, Any]:
        raw = self._read_bytes(path.name)
        try:
            data = json.loads(raw) if raw is not None else None
        except ValueError:
            return {}
        if (
            not isinstance(data, dict)
            or data.get("key") != self.key
            or not isinstance(data.get(part), dict)
        ):
            return {}
        if section is not None and isinstance(token := data.get("blob"), str):
            self._tokens[section] = token
        clients: dict[str, Any] = data[part]
        return clients

    def settings(self) -> dict[str, Any]:
        """casectl.yaml's checked reading as ``keep_settings`` stored it for these very
        bytes of it (and this casectl), or {} (then the caller checks the file)."""
        return self._read(self.folder / SETTINGS_NAME, part="settings")

    def keep_settings(self, settings: dict[str, Any]) -> None:
        """Store casectl.yaml's checked reading (written by ``save``; the sections are
        rewritten only when a client changed)."""
        self._settings = settings

    def _digested(self, name: str) -> tuple[dict[str, Any], bytes] | None:
        """The first line (JSON, with ``clients``) and the rest of a flat index
        (``DUE_NAME``, ``LIST_NAME``), or None: none there, damaged (not its digest), or
        of another casectl or casectl.yaml (the key)."""
        raw = self._read_bytes(name)
        if raw is None:
            return None
        first = raw.find(b"\n")
        second = raw.find(b"\n", first + 1)
        if first < 0 or second < 0:
            return None
        rest = memoryview(raw)[first + 1 :]
        if hashlib.blake2b(rest, digest_size=16).hexdigest().encode() != raw[:first]:
            return None
        try:
            head = json.loads(raw[first + 1 : second])
        except ValueError:
            return None
        if (
            not isinstance(head, dict)
            or head.get("key") != self.key
            or not isinstance(head.get("clients"), list)
        ):
            return None
        return head, raw[second + 1 :]

    def due_index(self) -> DueIndex | None:
        """``read-cache.due.idx`` (``DueIndex``), or None (``_digested``)."""
        found = self._digested(DUE_NAME)
        if found is None or not isinstance(cuts := found[0].get("cuts"), list):
            return None
        try:
            return DueIndex(found[0]["clients"], cuts, found[1])
        except (TypeError, ValueError):
            return None

    def list_index(self) -> list[list[Any]] | None:
        """``read-cache.list.idx``: each client's ``[folder, stamp, future, *row]`` (``future``
        as in ``DueIndex``; ``row``: ``facts.Listed.to_row``), or None (``_digested``)."""
        found = self._digested(LIST_NAME)
        return None if found is None else found[0]["clients"]

    def _in_use(self, name: str) -> Iterator[tuple[str, str, str | None, Any, bool]]:
        """(id, stamp, future, value, put by this run) of each client, in id order, whose
        index entry is intact and usable on some day and whose value in section
        ``name`` has the entry's stamp: what the flat indexes are made of."""
        section = self._section_data(name)
        for cid in sorted(self.entries):
            entry = self.entries[cid]
            item = section.get(cid)
            fresh = isinstance(item, _Encoded)
            if isinstance(item, _Encoded):
                item = item.value()
            stamp = entry.get("stamp") if isinstance(entry, dict) else None
            if (
                type(stamp) is not str
                or not isinstance(item, list)
                or len(item) not in (2, 3)
                or item[0] != stamp
                or entry_problems(entry) is None
            ):
                continue
            usable, future = _future(entry)
            if usable:
                yield cid, stamp, future, item[1], fresh

    def _list_pieces(self) -> bytes:
        """``read-cache.list.idx`` (``list_index``) from the index and the facts'
        summary section: every client whose summary is intact."""
        clients: list[list[Any]] = []
        for cid, stamp, future, summary, _ in self._in_use("facts"):
            if not isinstance(summary, dict):
                continue
            listed = facts.Listed.from_summary(summary, summary.get(facts.STANDING))
            if listed is not None:
                clients.append([cid, stamp, future, *listed.to_row()])
        return _with_digest({"key": self.key, "clients": clients}, b"")

    def _due_pieces(self) -> bytes:
        """``read-cache.due.idx`` (``DueIndex``) from the index and the schedule
        section: every client whose entry and schedule are intact, the others left out
        (their rows are read from the section, or they are checked again). A schedule
        put by this run is this casectl's own ``to_json``: only those read from the
        section file are checked row by row."""
        order = schedule.ORDER
        clients: list[list[Any]] = []
        rows: list[list[Any]] = []  # [day, client's position, kind's order, what, ref]
        keys: list[tuple[int, str, int, str]] = []  # (day, id, kind's order, what)
        for cid, stamp, future, data, fresh in self._in_use("schedule"):
            found = schedule.schedule_rows(data, checked=fresh)
            if found is None:
                continue
            at = len(clients)
            who = found.client  # the items' client: client.yaml's id, as the folder's or not
            window = [found.soon_count, found.soon_unit]
            clients.append([cid, stamp, future, *window, who, found.name, found.manager])
            clients[-1].append(found.errors)
            for kind, what, ref, due in found.rows:
                place = order[kind]
                rows.append([due, at, place, what, None if ref == f"{who}/{kind}" else ref])
                keys.append((due, who, place, what))
        # due's order (``schedule.sort_items``), stable as it is: ties keep the folders'
        # order, a client's its schedule's
        ranked = sorted(range(len(rows)), key=keys.__getitem__)
        texts: list[str] = []
        cuts: list[list[int]] = []
        end = start = 0
        while start < len(ranked):
            stop = min(start + _DUE_CHUNK, len(ranked))
            while stop < len(ranked) and keys[ranked[stop]][0] == keys[ranked[stop - 1]][0]:
                stop += 1  # a day's rows in one piece
            text = json.dumps([rows[n] for n in ranked[start:stop]])[1:-1]
            end += len(text) + 1  # "[" or ",", then the piece (ASCII: bytes = characters)
            texts.append(text)
            cuts.append([keys[ranked[stop - 1]][0], end])
            start = stop
        body = ("[" + ",".join(texts) + "]").encode()
        return _with_digest({"key": self.key, "clients": clients, "cuts": cuts}, body)

    def _section_data(self, name: str) -> dict[str, Any]:
        data = self._sections[name]
        if data is None:
            data = self._sections[name] = self._read(self._section_path(name), name)
        return data

    def load(self) -> None:
        if self.refused is not None:
            _warn_once(
                f".casectl {self.refused}; the read cache is not used (casectl keeps it in "
                "a folder of its own there: remove .casectl)"
            )
        self.entries = self._read(self.path)

    def get(self, client_id: str, stamp: Stamp | None) -> dict[str, Any] | None:
        entry = self.entries.get(client_id)
        if stamp is None or not isinstance(entry, dict) or entry.get("stamp") != stamp:
            return None
        return entry

    def section(self, name: str, client_id: str, stamp: Stamp | None) -> Any:
        """The client's part of a section (e.g. its facts) as JSON, or None when the
        section does not have it for this very stamp (then the caller checks the
        client again)."""
        item = self._section_data(name).get(client_id)
        if isinstance(item, _Encoded):
            item = item.value()
        if not isinstance(item, list) or len(item) not in (2, 3) or item[0] != stamp:
            return None
        return item[1]

    def blob(self, name: str, client_id: str, stamp: Stamp | None) -> bytes | memoryview | None:
        """The bytes stored beside the client's value in a lazy section (``WithBlob``),
        or None when there are none for this very stamp, or they cannot be trusted
        (the section's .bin file missing, of another run, or too short). A view of the
        .bin file's bytes, not a copy (the caller copies what it keeps)."""
        item = self._section_data(name).get(client_id)
        if not isinstance(item, list) or len(item) != 3 or item[0] != stamp:
            return None
        return self._blob_of(name, item[2], view=True)

    def blob_items(self, name: str) -> Iterator[tuple[str, Any, Any, Any]]:
        """Each client's item of a lazy section as it stands (after :meth:`save`: as
        written): its id, stamp, JSON value and the [offset, length] of its bytes in
        the .bin file (None when it has none there)."""
        for cid, item in self._section_data(name).items():
            if isinstance(item, _Encoded):
                item = item.value()
            if not isinstance(item, list) or len(item) not in (2, 3):
                continue
            ref = item[2] if len(item) == 3 and type(item[2]) is list else None
            yield cid, item[0], item[1], ref

    def blob_token(self, name: str) -> str | None:
        """The token of a lazy section's .bin file as its JSON names it (None: none)."""
        self._section_data(name)
        return self._tokens.get(name)

    def open_blob_file(self, name: str, token: str) -> io.FileIO | None:
        """A lazy section's .bin file, open at its start, when it is the one ``token``
        names (a file derived from it, like the notes' index, says which): read in
        pieces, without the section's JSON. None otherwise."""
        if not self.usable:
            return None
        try:
            folder = self._open_folder()
            try:
                name = self._bin_name(name)
                fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=folder)
            finally:
                os.close(folder)
            fh = io.FileIO(fd, "rb")
        except OSError:
            return None
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode) and fh.read(_HEADER) == (
                BLOB_MAGIC + token.encode()
            ):
                fh.seek(0)
                return fh
        except OSError:
            pass
        fh.close()
        return None

    def derived_name(self, name: str) -> str:
        """The file name of what is derived from a lazy section's .bin file (removed
        whenever that file is written anew)."""
        return FILE_NAME.replace(".json", f".{name}.idx")

    def read_derived(self, name: str) -> bytes | None:
        """The bytes of :meth:`derived_name` (None: none there, or not usable)."""
        return self._read_bytes(self.derived_name(name))

    def write_derived(self, name: str, pieces: Iterable[bytes]) -> None:
        """Write :meth:`derived_name` atomically, owner-only; failure only costs time."""
        if not self.usable:
            return
        with contextlib.suppress(OSError):
            folder = writes.open_private_folder(self.folder)
            try:
                writes.write_private_at(folder, self.derived_name(name), pieces)
            finally:
                os.close(folder)

    def _blob_of(self, name: str, ref: Any, view: bool = False) -> bytes | memoryview | None:
        if isinstance(ref, tuple):  # ("spool", offset, length): put by this run
            assert self._spool is not None
            self._spool.seek(ref[1])
            return self._spool.read(ref[2])
        if type(ref) is not list or len(ref) != 2:
            return None
        at, size = ref
        if type(at) is not int or type(size) is not int or at < _HEADER or size < 0:
            return None
        data = self._bins.get(name)
        if data is None:
            data = self._bins[name] = self._read_bin(name)
        if at + size > len(data):
            return None
        return memoryview(data)[at : at + size] if view else data[at : at + size]

    def _read_bin(self, name: str) -> bytes:
        token = self._tokens.get(name)
        data = self._read_bytes(self._bin_name(name))
        if token is None or data is None or data[:_HEADER] != BLOB_MAGIC + token.encode():
            return b""
        return data

    def _bin_name(self, name: str) -> str:
        return FILE_NAME.replace(".json", f".{name}.bin")

    def _spool_blob(self, blob: bytes) -> tuple[str, int, int]:
        if self._spool is None:
            self._spool = io.BytesIO()
            if self.usable:
                with contextlib.suppress(OSError):
                    folder = writes.open_private_folder(self.folder)
                    try:
                        self._spool = writes.private_spool(folder)
                    finally:
                        os.close(folder)
        at = self._spool.seek(0, os.SEEK_END)
        self._spool.write(blob)
        return ("spool", at, len(blob))

    def put(self, client_id: str, entry: dict[str, Any], parts: dict[str, Any]) -> None:
        """Store a fresh entry; ``parts`` maps each section name to its JSON value (a
        lazy section only when ``parts`` has it)."""
        self._load_all_sections()
        self.entries[client_id] = entry
        for name in SECTIONS:
            section = self._sections[name]
            assert section is not None
            section[client_id] = _Encoded([entry.get("stamp"), parts.get(name)])
        for name in LAZY_SECTIONS:
            if name in parts:
                section = self._section_data(name)
                value = parts[name]
                if isinstance(value, WithBlob):
                    ref = self._spool_blob(value.blob)
                    section[client_id] = [entry.get("stamp"), value.value, ref]
                else:
                    section[client_id] = _Encoded([entry.get("stamp"), value])
                self._dirty.add(name)
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
            for name in SECTIONS + LAZY_SECTIONS:
                # (the lazy ones too: a purged client's notes must not stay in them)
                section = self._section_data(name)
                if section.pop(cid, None) is not None:
                    self._dirty.add(name)
        self.changed = True

    def save(self) -> None:
        """Write atomically with owner-only permissions; failure only costs time."""
        wanted = self.changed or self.index_wanted or self._settings is not None
        if not wanted or not self.usable:
            return
        with contextlib.suppress(OSError):
            self._save()
            if self._spool is not None:  # every blob it held is in the .bin files now
                self._spool.close()
                self._spool = None

    def _save(self) -> None:
        # fails on a link swapped in since: nothing written
        folder = writes.open_private_folder(self.folder)
        try:
            if self._settings is not None:
                payload = {"key": self.key, "settings": self._settings}
                data = json.dumps(payload, separators=(",", ":")).encode()
                writes.write_private_at(folder, SETTINGS_NAME, data)
            if not self.changed:
                if self.index_wanted:
                    self._save_indexes(folder)
                return
            self._load_all_sections()
            # Sections first, index last: a crash in between leaves section entries whose
            # stamps the old index does not match, which readers then ignore.
            for name in (*SECTIONS, *sorted(self._dirty.difference(SECTIONS))):
                if name in LAZY_SECTIONS:
                    self._save_bin(folder, name)
                writes.write_private_at(folder, self._section_path(name).name, self._pieces(name))
            writes.write_private_at(folder, FILE_NAME, self._pieces(None))
            self._save_indexes(folder)
        finally:
            os.close(folder)

    def _save_indexes(self, folder: int) -> None:
        """The flat indexes, after the index: each is checked against the stamps of the
        folders when read, never against the index. Made with the cyclic collector
        paused (tens of thousands of rows, no cycle: a cold ``validate`` runs with it)."""
        was = gc.isenabled()
        gc.disable()
        try:
            writes.write_private_at(folder, DUE_NAME, self._due_pieces())
            writes.write_private_at(folder, LIST_NAME, self._list_pieces())
        finally:
            if was:
                gc.enable()

    def _save_bin(self, folder: int, name: str) -> None:
        """The section's .bin file anew, streamed: each entry's bytes from the old file
        or this run's spool, its [offset, length] set to their new place (entries whose
        bytes cannot be found are dropped: those clients are checked again)."""
        section = self._sections[name] or {}
        if name not in self._tokens and not any(
            type(item) is list and len(item) == 3 for item in section.values()
        ):
            return  # no .bin file, nor any need of one (one there is rewritten, if empty)
        token = secrets.token_hex(_TOKEN_SIZE // 2)

        def pieces() -> Iterator[bytes]:
            yield BLOB_MAGIC + token.encode()
            at = _HEADER
            lost = []
            for cid, item in section.items():
                if type(item) is not list or len(item) != 3:
                    continue
                data = self._blob_of(name, item[2])
                if data is None:
                    lost.append(cid)
                    continue
                item[2] = [at, len(data)]
                at += len(data)
                yield bytes(data)  # (bytes already: no copy)
            for cid in lost:
                del section[cid]

        with contextlib.suppress(FileNotFoundError):  # derived from the old file
            os.unlink(self.derived_name(name), dir_fd=folder)
        writes.write_private_at(folder, self._bin_name(name), pieces())
        self._tokens[name] = token
        self._bins.pop(name, None)
        self.saved_blobs.add(name)

    def _pieces(self, section: str | None) -> Iterator[bytes]:
        """The JSON of the index (None) or a section, in pieces: items stored by this
        run are written as the text they were kept as, runs of the others as one
        ``json.dumps`` each (the whole document is never held as one string)."""
        clients = self.entries if section is None else (self._sections[section] or {})
        head = {"key": self.key}
        if section is not None and section in self._tokens:
            head["blob"] = self._tokens[section]
        yield (json.dumps(head, separators=(",", ":"))[:-1] + ',"clients":{').encode()
        comma = ""
        plain: dict[str, Any] = {}  # a run of items read from the file
        texts: list[str] = []
        for cid, item in clients.items():
            if isinstance(item, _Encoded):
                if plain:
                    texts.append(json.dumps(plain, separators=(",", ":"))[1:-1])
                    plain = {}
                texts.append(f"{json.dumps(cid)}:{item.text}")
            else:
                plain[cid] = item
            if len(texts) >= 1000:
                yield (comma + ",".join(texts)).encode()
                comma, texts = ",", []
        if plain:
            texts.append(json.dumps(plain, separators=(",", ":"))[1:-1])
        texts = [t for t in texts if t]
        if texts:
            yield (comma + ",".join(texts)).encode()
        yield b"}}"
