"""Search: the notes whose text matches a pattern, over every client (contract 5.4).

**Words** (the default): the pattern is split at white space; a note matches when
every word appears in its text *as a word* (not inside a longer word: ``vouch``
does not find ``voucher``), in any order, whatever the case (``housing voucher``
finds "Voucher approved, housing next"). Punctuation in a word is matched as it is.

**Regex** (``--regex``): a Python regular expression, searched in each note's text
on its own, as written (case-sensitive unless it says ``(?i)``). Python's ``re`` has
no time limit, so a pattern is refused, before any note is read, when it is longer
than :data:`MAX_PATTERN` characters or repeats something that itself repeats
(``(a+)+``, ``(a*b?)*``): such nesting can take exponential time on one note.
Atomic groups and possessive quantifiers (``(?>a+)+``, ``(a++)+``) are accepted.

**Filters**: ``client`` (its id), ``manager`` (the client's manager), ``note_type``
(``--type``: the entry's type), ``start``/``end`` (``--from``/``--to``: agency days, both
included). Results are sorted by date (agency time), then client id, then note id.
A result's json is ``{client, id, date, by, type, text}``; ``date`` as log.yaml
writes it. :func:`spans` gives the parts of a text to highlight.
"""

from __future__ import annotations

import binascii
import importlib
import json
import os
import re
import unicodedata
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from io import FileIO
from itertools import accumulate, pairwise
from json.encoder import encode_basestring
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Protocol

from casectl.figures import (
    ClientRecords,
    FiguresError,
    Period,
    format_time,
    local_day,
    local_time,
    zone_of,
)

if TYPE_CHECKING:
    from casectl.core.model import Agency, LogEntry

MAX_PATTERN = 256  # characters of a --regex pattern


@dataclass(frozen=True, slots=True)
class Matcher:
    """A compiled search pattern: a note matches when every regex finds something.

    ``needles`` (words of ASCII only) let most notes be turned down by a plain
    substring test of the case-folded text before any regex runs. Under
    ``IGNORECASE``, only four characters beyond ASCII match an ASCII letter (U+0130,
    U+0131, U+017F, U+212A); case folding maps two of them to the letter and the
    other two leave a trace (U+0131 or U+0307), on which the regex decides."""

    regexes: tuple[re.Pattern[str], ...]
    needles: tuple[str, ...] = ()
    # The first needle with no ASCII word character before or after it, over lowered
    # ASCII bytes (NoteRows finds candidates with it); None when a needle holds a NUL.
    probe: re.Pattern[bytes] | None = None
    byte_needles: tuple[bytes, ...] = ()

    def matches(self, text: str) -> bool:
        if self.needles and not self.may_match(text.casefold()):
            return False
        return all(regex.search(text) is not None for regex in self.regexes)

    def may_match_file(self, raw: bytes) -> bool:
        """False when no note of a log.yaml whose bytes are ``raw`` can match, so the
        file need not be parsed. Every note's text is in the file as written, words
        whole (YAML folds lines only between words), except through escapes of
        double-quoted scalars (a backslash: True) and single quotes doubled in
        single-quoted ones (a word with a quote: True)."""
        if not self.needles or b"\\" in raw or any("'" in n for n in self.needles):
            return True
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return True  # the parse will say what is wrong
        return self.may_match(text.casefold())

    def may_match(self, folded: str) -> bool:
        """False when no text whose case folding is in ``folded`` can match (several
        texts may be joined, so a whole client can be turned down at once)."""
        for needle in self.needles:
            if needle not in folded:
                return "\u0131" in folded or "\u0307" in folded
        return True


@dataclass(slots=True)
class Note:
    """What a search result shows of a note (a :class:`LogEntry` has the same, but
    ``when``: the time as ``isoformat`` writes it, offset kept, and ``shown``: as
    log.yaml writes it, ``format_time(date)``). Never changed once made (not frozen:
    a frozen dataclass is five times slower to make, and a search makes thousands)."""

    id: str
    when: str
    by: str
    type: str
    text: str
    shown: str
    # True when the client's id, ``id``, ``shown``, ``by`` and ``type`` need no escape
    # in JSON (``present.search.write_json`` then writes them as they are)
    plain: bool = False

    @property
    def date(self) -> datetime:
        return datetime.fromisoformat(self.when)


@dataclass(slots=True)
class Hit:
    """One note found, with its client. Never changed once made."""

    client: str
    entry: LogEntry | Note
    # the entry's agency-local time as ``isoformat`` writes a naive time, for sorting
    # (the text's order is the time's: four-digit years, seconds always written)
    at: str

    @property
    def id(self) -> str:
        return self.entry.id

    def to_json(self) -> dict[str, str]:
        """The contract's ``search --format json`` row."""
        return dict(zip(JSON_KEYS, self.values(), strict=True))

    def values(self) -> tuple[str, str, str, str, str, str]:
        """The values of the json row, in the order of ``JSON_KEYS``."""
        e = self.entry
        shown = e.shown if type(e) is Note else format_time(e.date)
        return (self.client, e.id, shown, e.by, e.type, e.text)


JSON_KEYS = ("client", "id", "date", "by", "type", "text")
# A hit's row in ``search --format json`` (``present.search.write_json``): the object
# as ``json_list`` writes it, every value a JSON string; _PLAIN_ROW, for a note whose
# values but the text need no escape (``Note.plain``), written as they are.
_JSON_ROW = "  {" + ", ".join(f"{json.dumps(key)}: %s" for key in JSON_KEYS) + "}"
_PLAIN_ROW = "  {" + ", ".join(f'{json.dumps(key)}: "%s"' for key in JSON_KEYS[:-1]) + ", "
_PLAIN_ROW += f"{json.dumps(JSON_KEYS[-1])}: %s}}"
# (the same, for a text whose only character to escape is LF: written with \\n)
_SIMPLE_ROW = _PLAIN_ROW.replace(": %s}", ': "%s"}')


def json_row(hit: Hit) -> str:
    """The hit's row in ``search --format json`` (before ``json_visible``)."""
    e = hit.entry
    if type(e) is Note and e.plain:
        return _PLAIN_ROW % (hit.client, e.id, e.shown, e.by, e.type, encode_basestring(e.text))
    return _JSON_ROW % tuple(map(encode_basestring, hit.values()))


def compile_pattern(pattern: str, *, regex: bool = False) -> Matcher:
    """The matcher of ``pattern``: words (default) or a guarded regex. Raises
    :class:`FiguresError` with a one-line reason for a pattern that cannot be used."""
    if regex:
        return Matcher((_compile_regex(pattern),))
    words = unicodedata.normalize("NFC", pattern).split()
    if not words:
        raise FiguresError("the search pattern has no words")
    flags = re.IGNORECASE | re.UNICODE
    regexes = tuple(re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", flags) for w in words)
    if not all(w.isascii() for w in words):
        return Matcher(regexes)
    needles = tuple(w.casefold() for w in words)
    probe = None
    if not any("\0" in n for n in needles):
        word = re.escape(needles[0].encode("ascii"))
        # (the look-behind last: a pattern that starts with its word is found fast)
        probe = re.compile(word + rb"(?![0-9a-z_])(?<![0-9a-z_]" + word + rb")")
    return Matcher(regexes, needles, probe, tuple(n.encode("ascii") for n in needles))


def search(
    clients: Iterable[ClientRecords | NoteRows],
    agency: Agency | tzinfo,
    matcher: Matcher,
    *,
    client: str | None = None,
    manager: str | None = None,
    note_type: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[Hit]:
    """The notes of ``clients`` that pass the filters and match, sorted by agency
    time, client, note id. Each note's text is searched on its own. ``agency``: the
    settings, or only their time zone."""
    if start is not None and end is not None:
        Period(start, end)  # refuses --from after --to
    zone = agency if isinstance(agency, tzinfo) else zone_of(agency)
    hits: list[Hit] = []
    matches = matcher.matches
    for r in clients:
        if isinstance(r, NoteRows):
            if (client is None or r.client == client) and (manager is None or r.manager == manager):
                hits += r.hits(matcher, note_type, start, end, zone)
            continue
        if (client is not None and r.client.id != client) or (
            manager is not None and r.client.manager != manager
        ):
            continue
        if matcher.needles and not matcher.may_match("\0".join(e.text for e in r.log).casefold()):
            continue  # no note of this client has every word
        for e in r.log:
            if note_type is not None and e.type != note_type:
                continue
            if start is not None or end is not None:
                day = local_day(e.date, zone)
                if (start is not None and day < start) or (end is not None and day > end):
                    continue
            if matches(e.text):
                hits.append(Hit(r.client.id, e, local_time(e.date, zone).isoformat()))
    sort_hits(hits)
    return hits


@dataclass(frozen=True, slots=True)
class NoteRows:
    """What :func:`search` reads of one client: ``raw``, its notes' texts in log order,
    each as UTF-8 followed by a NUL byte, ``starts`` where each begins in ``raw`` (and,
    last, its length); ``meta``, UTF-8 lines ``id TAB time TAB by TAB type TAB shown``
    (the time as ``isoformat`` writes it, offset kept; ``shown``, as log.yaml writes
    it: ``format_time``), one per note, decoded only for a client
    with a match; ``days``, their agency days (ordinals). The read cache keeps
    :meth:`blob` (``meta`` and ``raw``) as bytes beside the ``notes`` section and
    :meth:`to_json` in it, never JSON-decoding a text. :meth:`hits` finds exactly the
    notes :func:`search` finds in the records the rows were made from, and decodes
    only the texts it may show."""

    client: str
    manager: str
    raw: bytes
    starts: array[int]
    meta: bytes
    days: array[int]

    @classmethod
    def of(cls, records: ClientRecords, agency: Agency) -> NoteRows:
        zone = zone_of(agency)
        log = records.log
        texts = [e.text.encode("utf-8", "surrogatepass") for e in log]
        meta = "\n".join(
            f"{e.id}\t{e.date.isoformat()}\t{e.by}\t{e.type}\t{format_time(e.date)}" for e in log
        )
        return cls(
            client=records.client.id,
            manager=records.client.manager,
            raw=b"".join(t + b"\0" for t in texts),
            starts=array("I", accumulate((len(t) + 1 for t in texts), initial=0)),
            meta=meta.encode("utf-8", "surrogatepass"),
            days=array("i", [local_day(e.date, zone).toordinal() for e in log]),
        )

    @property
    def texts(self) -> list[str]:
        """Every note's text, decoded."""
        return [self._text(i) for i in range(len(self.days))]

    def _text(self, i: int) -> str:
        return self.raw[self.starts[i] : self.starts[i + 1] - 1].decode("utf-8", "surrogatepass")

    def blob(self) -> bytes:
        """The bytes the read cache keeps beside :meth:`to_json`."""
        return self.meta + self.raw

    def to_json(self) -> list[Any]:
        """The JSON of the rows but their bytes (:meth:`blob`), with a CRC-32 of
        everything: damaged or misplaced bytes are never taken for the notes."""
        days, starts = self.days.tobytes(), self.starts.tobytes()
        crc = _crc(self.client, self.manager, days, starts, self.blob())
        return [self.client, self.manager, _b64(days), _b64(starts), len(self.meta), crc]

    @classmethod
    def from_json(cls, value: Any, blob: bytes | memoryview | None) -> NoteRows | None:
        """The rows :meth:`to_json` and :meth:`blob` wrote; None when they do not fit
        together (then the client is read again)."""
        if blob is None:
            return None
        try:
            client, manager, packed_days, packed_starts, meta_size, crc = value
            days_bytes = binascii.a2b_base64(packed_days)
            starts_bytes = binascii.a2b_base64(packed_starts)
            days, starts = array("i"), array("I")
            days.frombytes(days_bytes)
            starts.frombytes(starts_bytes)
            if crc != _crc(client, manager, days_bytes, starts_bytes, blob):
                return None
        except (TypeError, ValueError, binascii.Error, AttributeError):
            return None
        if not (
            isinstance(client, str)
            and isinstance(manager, str)
            and type(meta_size) is int
            and 0 <= meta_size <= len(blob)
            and len(starts) == len(days) + 1
            and starts[0] == 0
            and starts[-1] == len(blob) - meta_size
        ):
            return None
        meta, raw = bytes(blob[:meta_size]), bytes(blob[meta_size:])  # (one copy of a view)
        if (meta.count(b"\n") + 1 if days else 0) != len(days):
            return None
        if not (meta.isascii() and raw.isascii()):
            try:
                str(blob, "utf-8", "surrogatepass")
            except UnicodeDecodeError:
                return None
        return cls(client, manager, raw, starts, meta, days)

    def _candidates(self, matcher: Matcher) -> Iterable[tuple[int, bool]]:
        """The indexes of the notes that may match, each with True when it surely does
        (no regex needed). With words of ASCII only and texts of ASCII only, the
        bytes decide: the first word found where neither neighbour is a word
        character (as ``(?<!\\w)`` and ``(?!\\w)`` judge; a NUL ends each note); one
        word decides a note, more go to the regexes. Otherwise every note holding
        each word (case-folded) is a candidate."""
        raw, starts = self.raw, self.starts
        if not matcher.needles:
            return ((i, False) for i in range(len(self.days)))
        if matcher.probe is None or not raw.isascii():
            return self._folded_candidates(matcher)
        low = raw.lower()
        if not all(n in low for n in matcher.byte_needles):
            return ()
        sure = len(matcher.needles) == 1
        found: list[tuple[int, bool]] = []
        last = -1
        for m in matcher.probe.finditer(low):
            i = bisect_right(starts, m.start()) - 1
            if i != last:  # (the first match of each note is enough)
                found.append((i, sure))
                last = i
        return found

    def _folded_candidates(self, matcher: Matcher) -> Iterable[tuple[int, bool]]:
        texts = self.texts
        joined = "\0".join(texts)
        if not joined.isascii():  # casefold may change lengths: every note is tried
            if not matcher.may_match(joined.casefold()):
                return ()
            return ((i, False) for i in range(len(texts)))
        folded = joined.lower()  # an ASCII text's case folding
        if not all(n in folded for n in matcher.needles):
            return ()
        starts = list(accumulate((len(t) + 1 for t in texts), initial=0))
        needle = matcher.needles[0]
        found: list[tuple[int, bool]] = []
        at = folded.find(needle)
        while at >= 0:
            i = bisect_right(starts, at) - 1
            found.append((i, False))
            at = folded.find(needle, starts[i + 1])  # the next note
        return found

    def hits(
        self,
        matcher: Matcher,
        note_type: str | None = None,
        start: date | None = None,
        end: date | None = None,
        zone: tzinfo = UTC,
    ) -> list[Hit]:
        """The notes that pass the filters and match (``search``'s loop, on rows)."""
        first = start.toordinal() if start is not None else None
        last = end.toordinal() if end is not None else None
        dated = first is not None or last is not None
        matches, days, client = matcher.matches, self.days, self.client
        raw, starts = self.raw, self.starts
        meta: list[str] | None = None
        out: list[Hit] = []
        for i, sure in self._candidates(matcher):
            if dated and (
                (first is not None and days[i] < first) or (last is not None and days[i] > last)
            ):
                continue
            if meta is None:
                meta = self.meta.decode("utf-8", "surrogatepass").split("\n")
            nid, when, by, kind, shown = meta[i].split("\t")
            if note_type is not None and kind != note_type:
                continue
            text = raw[starts[i] : starts[i + 1] - 1].decode("utf-8", "surrogatepass")  # _text
            if sure or matches(text):
                out.append(Hit(client, Note(nid, when, by, kind, text, shown), _at(when, zone)))
        return out


# ------------------------------------------------------------ one index of every note

INDEX_MAGIC = b"casectl notes index 1\n"
_CHUNK = 1 << 20  # bytes of the notes file read (and lowered) at a time, at least
# each note's client, where its text starts and ends (the NUL after it) and where its
# metadata line starts and ends in the notes file, its agency day
_NOTE_ARRAYS = "IIIIIi"
# each client's first byte in the notes file and its first text's (0: no notes)
_CLIENT_ARRAYS = "II"
# what a JSON string escapes (a client's id without any is written as it is)
_UNPLAIN = re.compile('[\x00-\x1f"\\\\]')
# the bytes of a client's metadata and texts that JSON needs no escape for (but TAB and
# LF between the metadata's values; LF in a text is escaped by replace; a NUL ends
# each text, so a client whose texts have no other has as many as notes)
_PLAIN_META = bytes(b for b in range(256) if b > 0x1F and b not in b'"\\') + b"\t\n"
_SIMPLE_TEXT = bytes(b for b in range(256) if b > 0x1F and b not in b'"\\') + b"\n"
_SKIPPED, _PLAIN, _SIMPLE = 1, 2, 4  # a client's flags in the index


class _Store(Protocol):
    """What :class:`NoteIndex` needs of the read cache (``store.cache.ReadCache``)."""

    key: str

    def blob_items(self, name: str) -> Iterator[tuple[str, Any, Any, Any]]: ...
    def blob_token(self, name: str) -> str | None: ...
    def open_blob_file(self, name: str, token: str) -> FileIO | None: ...
    def read_derived(self, name: str) -> bytes | None: ...
    def write_derived(self, name: str, pieces: Iterable[bytes]) -> None: ...


@dataclass(slots=True)
class NoteIndex:
    """Every cached client's notes as one body: the read cache's notes file
    (``read-cache.notes.bin``: each client's :meth:`NoteRows.blob`) searched in one
    pass, with arrays kept beside it (``read-cache.notes.idx``): for each note (in the
    file's order) its client, where its text and its metadata line are in the file,
    its agency day and whether its text is ASCII; for each client its id, stamp,
    manager, flags (its client.yaml has errors; its id and metadata need no escape in
    JSON; its texts none but LF's), and where its bytes and its first text start.

    Written by :meth:`write` from the rows the cache holds (each checked as
    :meth:`NoteRows.from_json` checks it, so the index says what the rows say); used
    only when it is whole (a CRC-32 of it), of this cache key, and the notes file is
    the very one it was made from (the file's token, size and CRC-32, checked as
    :meth:`scan` reads it). A client is searched here only when its stamp is the one
    the index has (``read.figures.note_hits``): any other is read as before."""

    token: str
    size: int  # of the notes file
    crc: int  # of the notes file
    clients: list[str]
    stamps: list[str]
    managers: list[str]
    skipped: bytes  # 1: the client's client.yaml has errors (no rows)
    note_client: array[int]
    text_start: array[int]
    text_end: array[int]
    meta_start: array[int]
    meta_end: array[int]
    days: array[int]
    ascii: bytes  # 1: the note's text is ASCII (its lowered bytes decide a word)
    client_start: array[int]
    client_first: array[int]
    plain: list[bool]  # the client's id and notes' metadata need no escape in JSON
    simple: bytes  # ... and its texts none but LF's
    position: dict[str, int]

    @classmethod
    def write(cls, cache: _Store) -> None:
        """Write the index of the notes the cache holds now (after it was saved): each
        client's bytes read from the notes file by offset and checked as
        :meth:`NoteRows.from_json` checks them (a client whose rows do not pass is left
        out: it is read as before)."""
        token = cache.blob_token("notes")
        fh = None if token is None else cache.open_blob_file("notes", token)
        if token is None or fh is None:
            return
        with fh:
            try:
                made = cls._made(cache, fh)
            except OSError:
                return
        if made is not None:
            cache.write_derived("notes", made(token))

    @classmethod
    def _made(cls, cache: _Store, fh: FileIO) -> Callable[[str], list[bytes]] | None:
        size = os.fstat(fh.fileno()).st_size
        if size >= 1 << 32:
            return None  # (offsets are 32 bits)
        crc = 0
        while chunk := fh.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
        refs = []
        for cid, stamp, value, ref in cache.blob_items("notes"):
            if not isinstance(stamp, str):
                continue
            if type(value) is int and value == 0:
                refs.append((-1, 0, cid, stamp, value))
            elif (
                ref is not None
                and len(ref) == 2
                and all(type(x) is int and x >= 0 for x in ref)
                and ref[0] + ref[1] <= size
            ):
                refs.append((ref[0], ref[1], cid, stamp, value))
        refs.sort(key=itemgetter(0))  # (in the file's order: offsets ascending)
        clients: list[list[Any]] = []
        notes = [array(code) for code in _NOTE_ARRAYS]
        note_client, text_start, text_end, meta_start, meta_end, days = notes
        client_start, client_first = per_client = [array(code) for code in _CLIENT_ARRAYS]
        ascii_ = bytearray()
        for at, length, cid, stamp, value in refs:
            if at < 0:
                clients.append([cid, stamp, "", _SKIPPED])
                client_start.append(0)
                client_first.append(0)
                continue
            blob = os.pread(fh.fileno(), length, at)
            rows = NoteRows.from_json(value, blob) if len(blob) == length else None
            if rows is None or rows.client != cid:
                continue
            k = len(clients)
            meta, raw, n = rows.meta, rows.raw, len(rows.days)
            # (the json of a hit writes a plain client's values as they are)
            plain = _UNPLAIN.search(cid) is None and not meta.translate(None, _PLAIN_META)
            simple = plain and len(raw.translate(None, _SIMPLE_TEXT)) == n  # (n NULs: ends)
            flags = (_PLAIN if plain else 0) | (_SIMPLE if simple else 0)
            clients.append([cid, stamp, rows.manager, flags])
            client_start.append(at if n else 0)
            if not n:
                client_first.append(0)
                continue
            base = at + len(meta)
            client_first.append(base)
            starts = rows.starts
            note_client.extend([k] * n)
            text_start.extend(map(base.__add__, starts[:-1]))
            text_end.extend(map((base - 1).__add__, starts[1:]))
            # (each metadata line's start, and one past the last line's end)
            lines = accumulate(map((1).__add__, map(len, meta.split(b"\n"))), initial=at)
            meta_start.extend(lines)
            meta_end.extend(map((-1).__add__, meta_start[-n:]))
            meta_start.pop()
            days.extend(rows.days)
            if raw.isascii():
                ascii_ += b"\1" * n
            else:
                ascii_ += bytes(raw[a : b - 1].isascii() for a, b in pairwise(starts))

        def made(token: str) -> list[bytes]:
            head = {
                "key": cache.key,
                "bin": token,
                "size": size,
                "crc": crc,
                "clients": clients,
                "notes": len(days),
            }
            body = [INDEX_MAGIC, json.dumps(head, separators=(",", ":")).encode() + b"\n"]
            body += [a.tobytes() for a in (*notes, *per_client)]
            body.append(bytes(ascii_))
            check = 0
            for piece in body:
                check = zlib.crc32(piece, check)
            return [*body, check.to_bytes(4, "little")]

        return made

    @classmethod
    def load(cls, cache: _Store) -> NoteIndex | None:
        """The index, when it is whole and of this cache key; None otherwise (the
        notes file is checked by :meth:`scan`)."""
        raw = cache.read_derived("notes")
        if raw is None or not raw.startswith(INDEX_MAGIC) or len(raw) < len(INDEX_MAGIC) + 4:
            return None
        if zlib.crc32(memoryview(raw)[:-4]) != int.from_bytes(raw[-4:], "little"):
            return None
        try:
            line = raw.index(b"\n", len(INDEX_MAGIC)) + 1
            head = json.loads(raw[len(INDEX_MAGIC) : line])
            token, size, crc = head["bin"], head["size"], head["crc"]
            rows, n = head["clients"], head["notes"]
            if head["key"] != cache.key or not isinstance(token, str):
                return None
            if not all(type(x) is int for x in (size, crc, n)):
                return None
            clients = [str(r[0]) for r in rows]
            stamps = [str(r[1]) for r in rows]
            managers = [str(r[2]) for r in rows]
            flags = [r[3] for r in rows]
            if not all(type(f) is int for f in flags):
                return None
            skipped = bytes(f & _SKIPPED for f in flags)
            plain = [bool(f & _PLAIN) for f in flags]
            simple = bytes(f & _SIMPLE for f in flags)
        except (ValueError, KeyError, TypeError, IndexError):
            return None
        m = len(clients)
        if any(array(c).itemsize != 4 for c in _NOTE_ARRAYS + _CLIENT_ARRAYS):
            return None
        if len(raw) != line + n * (4 * len(_NOTE_ARRAYS) + 1) + m * 4 * len(_CLIENT_ARRAYS) + 4:
            return None
        arrays = []
        at = line
        for code, count in [(c, n) for c in _NOTE_ARRAYS] + [(c, m) for c in _CLIENT_ARRAYS]:
            a = array(code)
            a.frombytes(raw[at : at + 4 * count])
            arrays.append(a)
            at += 4 * count
        note_client, text_start, text_end, meta_start, meta_end, days, starts, firsts = arrays
        if n and (note_client[-1] >= m or text_end[-1] >= size or text_start[0] < 1):
            return None  # (the notes are in the file's order, their clients in runs)
        return cls(
            token,
            size,
            crc,
            clients,
            stamps,
            managers,
            skipped,
            note_client,
            text_start,
            text_end,
            meta_start,
            meta_end,
            days,
            raw[at : at + n],
            starts,
            firsts,
            plain,
            simple,
            {cid: k for k, cid in enumerate(clients)},
        )

    def scan(
        self,
        cache: _Store,
        matcher: Matcher,
        wanted: bytearray,
        note_type: str | None = None,
        start: date | None = None,
        end: date | None = None,
        zone: tzinfo = UTC,
        as_json: bool = False,
    ) -> list[tuple[str, Hit | str, int]] | None:
        """The notes of the clients marked in ``wanted`` (by position) that pass the
        filters and match, in the file's order, each as its sort key
        (:func:`sort_key`), the :class:`Hit` or (``as_json``) its :func:`json_row`, and
        its client's position: what
        :meth:`NoteRows.hits` finds in each client's rows (``matcher`` has a probe:
        words of ASCII). None when the notes file is not the one the index was made
        from.

        The file is read a piece at a time (each ends where a client's bytes start, so
        a client's metadata and texts are in one piece), each piece lowered, the byte
        before each client's first text set to NUL (there a text starts, as at the
        start of the client's own bytes), the probe's finds outside every text
        dropped, as :meth:`NoteRows._candidates` judges them; a text not of ASCII is
        judged by the regexes."""
        assert matcher.probe is not None
        fh = cache.open_blob_file("notes", self.token)
        if fh is None:
            return None
        with fh:
            try:
                return self._scan(fh, matcher, wanted, note_type, start, end, zone, as_json)
            except (IndexError, OSError):  # (an index not of this file: never served)
                return None

    def _scan(
        self,
        fh: FileIO,
        matcher: Matcher,
        wanted: bytearray,
        note_type: str | None,
        start: date | None,
        end: date | None,
        zone: tzinfo,
        as_json: bool,
    ) -> list[tuple[str, Hit | str, int]] | None:
        assert matcher.probe is not None
        finditer = matcher.probe.finditer
        first = start.toordinal() if start is not None else None
        last = end.toordinal() if end is not None else None
        dated = first is not None or last is not None
        sure = len(matcher.needles) == 1
        matches = matcher.matches
        ascii_, days, owner = self.ascii, self.days, self.note_client
        text_start, text_end = self.text_start, self.text_end
        meta_start, meta_end = self.meta_start, self.meta_end
        bounds = sorted(x for x in self.client_start if x)
        firsts = sorted(x for x in self.client_first if x)
        n = len(days)
        clients, plain = self.clients, self.plain
        simple = self.simple
        out: list[tuple[str, Hit | str, int]] = []
        crc = 0
        pos = 0
        lo = 0  # the first note at or after pos
        while pos < self.size:
            j = bisect_left(bounds, pos + _CHUNK)
            stop = bounds[j] if j < len(bounds) else self.size
            buf = bytearray(stop - pos)
            if fh.readinto(buf) != len(buf):
                return None
            crc = zlib.crc32(buf, crc)
            hi = bisect_left(text_start, stop, lo)
            low = buf.lower()
            for p in firsts[bisect_right(firsts, pos) : bisect_right(firsts, stop)]:
                low[p - 1 - pos] = 0
            candidates = []
            seen = -1
            for m in finditer(low):
                at = m.start() + pos
                i = bisect_right(text_start, at, lo, hi) - 1
                if i != seen and i >= lo and at < text_end[i]:
                    seen = i
                    if ascii_[i]:
                        candidates.append(i)
            i = ascii_.find(0, lo, hi)
            if i >= 0:  # texts not of ASCII: every one is a candidate, judged by regex
                while i >= 0:
                    candidates.append(i)
                    i = ascii_.find(0, i + 1, hi)
                candidates.sort()
            whole = buf.decode("ascii") if candidates and buf.isascii() else None
            for i in candidates:
                k = owner[i]
                if not wanted[k]:
                    continue
                if dated and (
                    (first is not None and days[i] < first) or (last is not None and days[i] > last)
                ):
                    continue
                a, b = meta_start[i] - pos, meta_end[i] - pos
                if whole is not None:  # (an ASCII piece: a byte is a character)
                    meta = whole[a:b]
                else:
                    meta = buf[a:b].decode("utf-8", "surrogatepass")
                nid, when, by, kind, shown = meta.split("\t")
                if note_type is not None and kind != note_type:
                    continue
                a, b = text_start[i] - pos, text_end[i] - pos
                text = (
                    whole[a:b] if whole is not None else buf[a:b].decode("utf-8", "surrogatepass")
                )
                if (sure and ascii_[i]) or matches(text):
                    if len(when) == 19 or (len(when) == 26 and when[19] == "."):
                        local = when  # (as _at says)
                    else:
                        local = _at(when, zone)
                    cid = clients[k]
                    key = f"{local}\0{cid}\0{nid}"  # (sort_key)
                    if as_json and simple[k]:
                        text = text.replace("\n", "\\n")
                        out.append((key, _SIMPLE_ROW % (cid, nid, shown, by, kind, text), k))
                    else:
                        hit = Hit(cid, Note(nid, when, by, kind, text, shown, plain[k]), local)
                        out.append((key, json_row(hit) if as_json else hit, k))
            pos, lo = stop, hi
        if fh.read(1) or crc != self.crc or lo != n:
            return None
        return out

    @staticmethod
    def hits(
        scanned: list[tuple[str, Hit | str, int]], served: bytearray
    ) -> list[tuple[str, Hit | str, int]]:
        """What :meth:`scan` found of the clients marked in ``served``."""
        return [found for found in scanned if served[found[2]]]


def _at(when: str, zone: tzinfo) -> str:
    """A hit's sort time (``Hit.at``) from the time as ``isoformat`` wrote it."""
    if len(when) == 19 or (len(when) == 26 and when[19] == "."):
        return when  # a naive time: local already (and no offset is this long)
    return local_time(datetime.fromisoformat(when), zone).isoformat()


def sort_key(hit: Hit) -> str:
    """What hits are sorted by: agency time, client, note id. One text per hit, sorting
    as the tuple (at, client, id) would: NUL is below every character and in no time or
    client id; a text compares faster than a tuple."""
    return f"{hit.at}\0{hit.client}\0{hit.entry.id}"


def sort_hits(hits: list[Hit]) -> None:
    """Sort by :func:`sort_key` (stable: a client's notes of the same id and time stay
    in log order)."""
    hits.sort(key=sort_key)


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _crc(client: str, manager: str, days: bytes, starts: bytes, blob: bytes | memoryview) -> int:
    # (the layout's name first: rows of another layout never pass for these)
    crc = zlib.crc32(f"notes 5\0{client}\0{manager}\0".encode("utf-8", "surrogatepass"))
    return zlib.crc32(blob, zlib.crc32(starts, zlib.crc32(days, crc)))


_EPOCH = datetime(1, 1, 1)


def micros(moment: datetime) -> int:
    """A naive local time as microseconds since 0001-01-01 (keeps its order)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def spans(matcher: Matcher, text: str) -> list[tuple[int, int]]:
    """The (start, end) ranges of ``text`` that the pattern matches, sorted, with
    overlapping or touching ranges merged; empty matches are left out."""
    found = sorted(
        m.span() for r in matcher.regexes for m in r.finditer(text) if m.end() > m.start()
    )
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


# ------------------------------------------------------------------ the regex guard


def _compile_regex(pattern: str) -> re.Pattern[str]:
    if not pattern:
        raise FiguresError("the regular expression is empty")
    if len(pattern) > MAX_PATTERN:
        raise FiguresError(
            f"the regular expression is longer than {MAX_PATTERN} characters ({len(pattern)})"
        )
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        where = f" at position {err.pos}" if err.pos is not None else ""
        raise FiguresError(f"not a valid regular expression: {err.msg}{where}") from None
    if _nests_repetition(pattern):
        raise FiguresError(
            "the regular expression has a repetition inside a repetition (like (a+)+), "
            "which can take exponential time; use an atomic group (?>...) or a "
            "possessive quantifier (a++) inside"
        )
    return compiled


def _sre() -> Any:
    """Python's regex parser (private, so reached by name; None if it moved)."""
    try:
        return importlib.import_module("re._parser")
    except ImportError:  # pragma: no cover - a Python without it: the length cap remains
        return None


def _nests_repetition(pattern: str) -> bool:
    """True when an unbounded or multiple repetition contains another one that can
    backtrack (not inside an atomic group, not possessive)."""
    sre = _sre()
    if sre is None:  # pragma: no cover
        return False
    backtracking = (sre.MAX_REPEAT, sre.MIN_REPEAT)

    def repeats(items: Any) -> bool:
        """Does this part contain a backtracking repetition of more than one?"""
        for op, av in items:
            if op in backtracking and av[1] > 1:
                return True
            if op is sre.ATOMIC_GROUP or op is sre.POSSESSIVE_REPEAT:
                continue
            if any(repeats(sub) for sub in _parts(av, sre)):
                return True
        return False

    def nests(items: Any) -> bool:
        for op, av in items:
            if op in backtracking and av[1] > 1 and repeats(av[2]):
                return True
            if any(nests(sub) for sub in _parts(av, sre)):
                return True
        return False

    return bool(nests(sre.parse(pattern)))


def _parts(av: Any, sre: Any) -> list[Any]:
    """The sub-patterns inside an item's argument, at any depth of tuples and lists."""
    if isinstance(av, sre.SubPattern):
        return [av]
    if isinstance(av, tuple | list):
        return [sub for x in av for sub in _parts(x, sre)]
    return []
