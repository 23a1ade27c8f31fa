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

import importlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from casectl.core.model import Agency, LogEntry
from casectl.figures import (
    ClientRecords,
    FiguresError,
    Period,
    format_time,
    local_day,
    local_time,
    zone_of,
)

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


@dataclass(frozen=True, slots=True)
class Hit:
    """One note found, with its client."""

    client: str
    entry: LogEntry
    at: datetime  # the entry's agency-local time, for sorting

    @property
    def id(self) -> str:
        return self.entry.id

    def to_json(self) -> dict[str, str]:
        """The contract's ``search --format json`` row."""
        e = self.entry
        return {
            "client": self.client,
            "id": e.id,
            "date": format_time(e.date),
            "by": e.by,
            "type": e.type,
            "text": e.text,
        }


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
    ascii_only = all(w.isascii() for w in words)
    return Matcher(regexes, tuple(w.casefold() for w in words) if ascii_only else ())


def search(
    clients: Iterable[ClientRecords | NoteRows],
    agency: Agency,
    matcher: Matcher,
    *,
    client: str | None = None,
    manager: str | None = None,
    note_type: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[Hit]:
    """The notes of ``clients`` that pass the filters and match, sorted by agency
    time, client, note id. Each note's text is searched on its own."""
    if start is not None and end is not None:
        Period(start, end)  # refuses --from after --to
    zone = zone_of(agency)
    hits: list[Hit] = []
    matches = matcher.matches
    for r in clients:
        if isinstance(r, NoteRows):
            if (client is None or r.client == client) and (manager is None or r.manager == manager):
                hits += r.hits(matcher, note_type, start, end)
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
                hits.append(Hit(r.client.id, e, local_time(e.date, zone)))
    hits.sort(key=lambda h: (h.at, h.client, h.entry.id))
    return hits


_EPOCH = datetime(1, 1, 1)


@dataclass(frozen=True, slots=True)
class NoteRows:
    """What :func:`search` reads of one client, in columns (the read cache's
    ``notes`` section keeps :meth:`to_json`): per entry, in log order, its text,
    id, time (``isoformat``, offset kept), by, type, agency-local time (microseconds
    since 0001-01-01) and agency day (ordinal). :meth:`hits` finds exactly the
    notes :func:`search` finds in the records the rows were made from."""

    client: str
    manager: str
    texts: Sequence[str]
    ids: Sequence[str]
    dates: Sequence[str]
    bys: Sequence[str]
    types: Sequence[str]
    times: Sequence[int]
    days: Sequence[int]

    @classmethod
    def of(cls, records: ClientRecords, agency: Agency) -> NoteRows:
        zone = zone_of(agency)
        log = records.log
        return cls(
            client=records.client.id,
            manager=records.client.manager,
            texts=[e.text for e in log],
            ids=[e.id for e in log],
            dates=[e.date.isoformat() for e in log],
            bys=[e.by for e in log],
            types=[e.type for e in log],
            times=[micros(local_time(e.date, zone)) for e in log],
            days=[local_day(e.date, zone).toordinal() for e in log],
        )

    def to_json(self) -> list[Any]:
        return [
            self.client,
            self.manager,
            self.texts,
            self.ids,
            self.dates,
            self.bys,
            self.types,
            self.times,
            self.days,
        ]

    @classmethod
    def from_json(cls, value: Any) -> NoteRows | None:
        """The rows :meth:`to_json` wrote; None when ``value`` is not such a list."""
        try:
            client, manager, texts, ids, dates, bys, types, times, days = value
        except (TypeError, ValueError):
            return None
        columns = (texts, ids, dates, bys, types, times, days)
        if not (
            isinstance(client, str)
            and isinstance(manager, str)
            and all(isinstance(c, list) and len(c) == len(texts) for c in columns)
        ):
            return None
        return cls(client, manager, texts, ids, dates, bys, types, times, days)

    def hits(
        self,
        matcher: Matcher,
        note_type: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Hit]:
        """The notes that pass the filters and match (``search``'s loop, on rows)."""
        texts = self.texts
        if matcher.needles and not matcher.may_match("\0".join(texts).casefold()):
            return []
        first = start.toordinal() if start is not None else None
        last = end.toordinal() if end is not None else None
        matches = matcher.matches
        out: list[Hit] = []
        for i, text in enumerate(texts):
            if note_type is not None and self.types[i] != note_type:
                continue
            if (first is not None and self.days[i] < first) or (
                last is not None and self.days[i] > last
            ):
                continue
            if matches(text):
                out.append(self._hit(i))
        return out

    def _hit(self, i: int) -> Hit:
        entry = LogEntry.model_construct(
            id=self.ids[i],
            date=datetime.fromisoformat(self.dates[i]),
            by=self.bys[i],
            type=cast(Any, self.types[i]),  # written by `of` from a checked entry
            text=self.texts[i],
        )
        return Hit(self.client, entry, _EPOCH + timedelta(microseconds=self.times[i]))


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
