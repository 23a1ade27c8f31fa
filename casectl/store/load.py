"""Read one YAML file into plain Python data, keeping every value's place.

libyaml's C parser turns the text into events (it never runs code, and it is
iterative); one loop over those events builds dicts, lists and scalars directly,
collecting problems instead of raising: duplicate keys, unsupported tags
(``!!python/...``), anchors/aliases (refused: they are how alias bombs work and case
files never need them), syntax errors, bad encodings, empty, oversized and absurdly
nested files. Nothing recurses, so no nesting can overflow a stack; nesting deeper
than MAX_DEPTH stops the loop at that place.

Beside the data, each list and mapping keeps the positions of its items and keys as
small integers (no node tree), so a later check can ask for the line and column of
any field path (``Loaded.mark(("goals", 1, "target"))``) and a file of a million
values costs megabytes, not gigabytes. A file up to PLACES_LATER_UP_TO characters (a
real case file) is loaded without them and parsed again, with them, on its first
``mark``: most files have no problem, so their places are never asked for.

Hostile files stay cheap: a key longer than MAX_KEY_CHARS is one problem and is
dropped with its value, messages quote a short prefix of a value at most, and past
MAX_PROBLEMS_PER_FILE problems of one kind a producer only counts the rest
(``Loaded.hidden``); ``casectl.checks`` then shows the first ones and one line
counting the others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.reader import ReaderError

from casectl.core.model import describe
from casectl.core.problems import Problem, field_path
from casectl.store.layout import MAX_FILE_BYTES as MAX_FILE_BYTES
from casectl.store.layout import read_regular as read_regular

MAX_DEPTH = 64
MAX_ALIAS_PROBLEMS = 20
# Problems shown per file; past it one line counts the rest (docs/checks.md, CM012).
MAX_PROBLEMS_PER_FILE = 100
# The longest mapping key accepted (field names are short; a longer key is refused).
MAX_KEY_CHARS = 256
# A mapping with more pairs than this gets a key index for Loaded.mark.
_INDEX_FROM = 16
# A file up to this many characters is loaded without places; the first Loaded.mark
# parses it again, with them (most files have no problem, so no mark is ever asked
# for). A bigger one keeps them as it loads: a hostile file is not parsed twice.
PLACES_LATER_UP_TO = 64 * 1024

# Codes of the loader (CM0xx); documented in docs/checks.md.
SYNTAX = "CM001"
ENCODING = "CM002"
DUPLICATE_KEY = "CM003"
BAD_TAG = "CM004"
ALIAS = "CM005"
EMPTY = "CM006"
TOO_LARGE = "CM007"
UNREADABLE = "CM008"
TOO_DEEP = "CM009"
BAD_KEY = "CM010"
TOO_MANY = "CM012"
TOO_LONG = "CM013"
KEY_TOO_LONG = "CM014"
CONFLICT = "CM015"

# The characters CM011 flags in keys and values (checks.text): C0 controls but tab and
# newline, DEL, C1 controls, the bidi embeddings, overrides and isolates.
FLAGGED = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_MARKED_TEXT = re.compile(f"[\t\\\\{FLAGGED}]")

# git's conflict markers, at the start of a line (YAML never has them there: block
# scalars are indented, and a plain scalar cannot start with them unindented).
_CONFLICT_MARK = re.compile(r"^(?:<{7}|>{7})(?: |$)", re.M)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"
_STD_PREFIX = "tag:yaml.org,2002:"

Loc = tuple[str | int, ...]

_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_AS_TEXT = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


def _one_pattern(resolvers: list[tuple[str, re.Pattern[str]]]) -> re.Pattern[str] | None:
    """The resolvers of one first character as one regex whose named group says which
    of them (the first, in order) matches: the same answer in one call. None when their
    flags differ (then they are tried one by one)."""
    flags = {regexp.flags for _, regexp in resolvers}
    if len(flags) != 1:  # pragma: no cover - PyYAML's table has one set per character
        return None
    joined = "|".join(f"(?P<t{i}>{regexp.pattern})" for i, (_, regexp) in enumerate(resolvers))
    return re.compile(joined, flags.pop())


# first character -> (one regex for its resolvers, the tag of each named group)
_RESOLVE: dict[str, tuple[re.Pattern[str] | None, dict[str, str]]] = {
    first: (_one_pattern(resolvers), {f"t{i}": tag for i, (tag, _) in enumerate(resolvers)})
    for first, resolvers in _IMPLICIT.items()
}


def _plain_tag(value: str) -> str:
    """The tag of a plain scalar, from PyYAML's own implicit-resolver table (so values
    are exactly YAML 1.1 as PyYAML reads them)."""
    found = _RESOLVE.get(value[0] if value else "")
    if found is None:
        return _STR  # most text: no resolver starts with its first character
    pattern, tags = found
    if pattern is None:  # pragma: no cover - see _one_pattern
        for tag, regexp in _IMPLICIT[value[0] if value else ""]:
            if regexp.match(value):
                return _STR if tag in _AS_TEXT else str(tag)
        return _STR
    match = pattern.match(value)
    if match is None:
        return _STR
    tag = tags[str(match.lastgroup)]
    return _STR if tag in _AS_TEXT else str(tag)


class _PyParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python parser: the fallback without libyaml, and the one that
    finds nesting beyond libyaml's own limit (see :func:`load_text`)."""

    def __init__(self, stream: Any) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)

    def dispose(self) -> None:
        pass


try:
    from yaml._yaml import CParser

    _Parser: Any = CParser
except ImportError:  # pragma: no cover - libyaml missing: still correct, slower
    _Parser = _PyParser

# libyaml's message when it meets its own nesting limit (PyYAML 6.0.4 and later).
_NESTING_LIMIT = "maximum nesting depth"


def _pack(mark: Any) -> int:
    """A place as one small integer that sorts like (line, column); 0-based."""
    line: int = mark.line
    column: int = mark.column
    return (line << 24) | column


class _Places:
    """Where the items (and, of a mapping, the keys) of one list or mapping are, in
    the order of the data; packed by :func:`_pack`."""

    __slots__ = ("index", "keys", "values")

    def __init__(self, values: list[int], keys: list[int] | None) -> None:
        self.values = values
        self.keys = keys
        self.index: dict[str, int] | None = None


@dataclass
class Loaded:
    """The result of loading one file: data (None if unusable), places, problems."""

    path: str
    data: Any = None
    root: int | None = None  # the packed place of the top value; None: nothing usable
    problems: list[Problem] = field(default_factory=list)
    # Problems found past a producer's MAX_PROBLEMS_PER_FILE and only counted, by severity.
    hidden: dict[str, int] = field(default_factory=dict)
    # id() of each list and mapping of ``data`` -> the places of its items.
    places: dict[int, _Places] = field(default_factory=dict, repr=False)
    # The data ``places`` describe: ``data`` itself, or its copy parsed again with
    # places (see PLACES_LATER_UP_TO), then ``later`` (text, parser) is cleared.
    shape: Any = field(default=None, repr=False)
    later: tuple[str, Any] | None = field(default=None, repr=False)
    # Whether the text holds a tab, a backslash (an escape in a double-quoted value) or
    # a character CM011 flags (``FLAGGED``): without one, no value can hold any of them.
    marked_text: bool = True

    @property
    def ok(self) -> bool:
        return self.root is not None

    def skip(self, severity: str = "error", count: int = 1) -> None:
        """Count problems that are not built (past the per-file cap)."""
        if count > 0:
            self.hidden[severity] = self.hidden.get(severity, 0) + count

    def mark(self, loc: Sequence[str | int], key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at ``loc``.

        With ``key=True`` the position of the mapping key itself. When ``loc`` goes
        further than the file does (a missing key), the deepest existing value's
        position is returned.
        """
        if self.root is None:
            return (1, 1)
        if self.later is not None:
            self._place()
        where = self.root
        node = self.shape
        last = len(loc) - 1
        for i, part in enumerate(loc):
            places = self.places.get(id(node)) if isinstance(node, dict | list) else None
            if places is None:
                break
            if isinstance(node, dict) and isinstance(part, str) and part in node:
                at = _key_index(node, places, part)
                keys = places.keys
                where = keys[at] if key and i == last and keys is not None else places.values[at]
            elif (
                isinstance(node, list)
                and isinstance(part, int)
                and not isinstance(part, bool)
                and 0 <= part < len(node)
            ):
                at = part
                where = places.values[at]
            else:
                break
            node = node[part]
        return ((where >> 24) + 1, (where & 0xFFFFFF) + 1)

    def _place(self) -> None:
        """The places of a file loaded without them: its text parsed again, with them."""
        assert self.later is not None
        text, parser_class = self.later
        self.later = None
        again = Loaded(self.path)
        builder, _ = _build(again, text, parser_class, placed=True)
        self.places = again.places
        self.shape = builder.data

    def problem(
        self,
        loc: Sequence[str | int],
        code: str,
        message: str,
        severity: str = "error",
        key: bool = False,
    ) -> Problem:
        """A Problem at ``loc`` whose message is led by the field path."""
        line, col = self.mark(loc, key=key)
        where = field_path(tuple(_clip(p) if isinstance(p, str) else p for p in loc))
        text = f"{where}: {message}" if where else message
        return Problem(self.path, line, col, severity, code, text)  # type: ignore[arg-type]


def _key_index(node: dict[str, Any], places: _Places, key: str) -> int:
    """The position of ``key`` in the mapping's order: a scan for small mappings, an
    index built once for big ones (marking every key of a huge mapping stays linear)."""
    if len(node) <= _INDEX_FROM:
        for i, k in enumerate(node):
            if k == key:
                return i
    if places.index is None:
        places.index = {k: i for i, k in enumerate(node)}
    return places.index[key]


def _show_tag(tag: str) -> str:
    """``tag:yaml.org,2002:python/object`` as the ``!!python/object`` a user wrote."""
    return _clip("!!" + tag[len(_STD_PREFIX) :] if tag.startswith(_STD_PREFIX) else tag)


def _clip(text: str, limit: int = 60) -> str:
    """At most ``limit`` characters of ``text`` for a message (never a whole huge value)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Builder:
    """Events to plain data and places, in one loop, collecting problems."""

    def __init__(self, loaded: Loaded, placed: bool = True) -> None:
        self.loaded = loaded
        self.placed = placed  # whether places are kept (Loaded.places)
        self.anchors: set[str] = set()
        self.aliases = 0
        self.too_deep = False
        self.built = 0  # problems appended
        self.reported = 0  # problems found (appended or only counted)
        self.data: Any = None
        self.root: int | None = None

    def _at(self, event: Any, code: str, message: str, severity: str = "error") -> None:
        self.reported += 1
        # Problems come in document order: past the cap the rest are only counted.
        if self.built >= MAX_PROBLEMS_PER_FILE:
            self.loaded.skip(severity)
            return
        self.built += 1
        mark = event.start_mark
        self.loaded.problems.append(
            Problem(
                self.loaded.path,
                mark.line + 1,
                mark.column + 1,
                severity,  # type: ignore[arg-type]
                code,
                message,
            )
        )

    def run(self, parser: Any) -> None:
        """Build the one document of the stream; syntax errors raise yaml.YAMLError.

        The list or mapping being built lives in local variables (this loop runs once
        per event: attribute lookups are its cost): ``cur`` the container (None: a
        refused one, whose contents are skipped), ``is_map``, ``key`` (a mapping's key
        waiting for its value) and ``key_at``, ``drop`` (how many of the values now
        coming are ignored: a refused pair), ``vals`` and ``keys`` (the packed places
        of its items and keys, when ``placed``) and ``start`` (its own place).
        ``stack`` holds the enclosing ones' state while a nested one is built;
        ``depth`` counts them all.
        """
        get = parser.get_event
        peek = parser.peek_event
        get()  # the stream's start
        event = get()
        if event.__class__ is StreamEndEvent:
            self.loaded.problems.append(
                Problem(self.loaded.path, 1, 1, "error", EMPTY, "file holds no YAML document")
            )
            return
        document = event
        places_of = self.loaded.places
        placed = self.placed
        anchors = self.anchors
        seen = _PLAIN_SEEN.get
        stack: list[tuple[Any, ...]] = []
        depth = 0  # open lists and mappings (0: the top value is next)
        cur: Any = None
        is_map = False
        key: str | None = None
        key_at = 0
        drop = 0
        vals: list[int] = []
        keys: list[int] = []
        start = 0
        done: Any
        container: Any
        event = get()
        while True:
            kind = event.__class__
            if kind is ScalarEvent:
                if event.anchor is not None:
                    anchors.add(event.anchor)
                if depth:
                    if drop:
                        drop -= 1  # the value of a refused pair
                    elif cur is None:
                        pass  # inside a refused collection: not built
                    elif is_map and key is None:
                        text = event.value
                        if event.tag is None and len(text) <= MAX_KEY_CHARS and text not in cur:
                            key = text
                            if placed:
                                mark = event.start_mark
                                key_at = (mark.line << 24) | mark.column
                        else:
                            key, key_at, drop = self._key(cur, event)
                    else:
                        if event.tag is not None:
                            value = self._value(event)
                        elif event.implicit[0]:
                            value = seen(event.value, _UNSEEN)
                            if value is _UNSEEN:
                                value = self._plain(event)
                        else:
                            value = event.value
                        if is_map:
                            cur[key] = value
                            key = None
                            if placed:
                                keys.append(key_at)
                        else:
                            cur.append(value)
                        if placed:
                            mark = event.start_mark
                            vals.append((mark.line << 24) | mark.column)
                    event = get()
                    continue
                done = self._value(event)  # the whole document is one value
                at = _pack(event.start_mark)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None:
                    anchors.add(event.anchor)
                if depth > MAX_DEPTH:
                    self._at(event, TOO_DEEP, f"nested more than {MAX_DEPTH} levels deep")
                    self.too_deep = True
                    return
                mapping = kind is MappingStartEvent
                empty = peek().__class__ is (MappingEndEvent if mapping else SequenceEndEvent)
                tag = event.tag
                if depth and drop:
                    container = None  # part of a refused pair
                elif depth and cur is None:
                    container = None  # inside a refused collection
                elif depth and is_map and key is None:
                    self._at(event, BAD_KEY, "a key must be plain text, not a list or mapping")
                    drop = 2  # this key and its value
                    container = None
                elif tag is not None and tag != "!" and tag != (_MAP if mapping else _SEQ):
                    # Refused, not built: a value under a foreign tag means something else.
                    self._at(event, BAD_TAG, _tag_message(tag))
                    container = None
                elif empty and depth and not is_map and tag is None:
                    get()  # an empty item of a list, inline: `[{}, {}, ...]`
                    cur.append({} if mapping else [])
                    if placed:
                        mark = event.start_mark
                        vals.append((mark.line << 24) | mark.column)
                    event = get()
                    continue
                else:
                    container = {} if mapping else []
                if not empty:
                    if depth:
                        stack.append((cur, is_map, key, key_at, drop, vals, keys, start))
                    depth += 1
                    cur = container
                    is_map = mapping
                    key = None
                    key_at = 0
                    drop = 0
                    vals = []
                    keys = []
                    start = _pack(event.start_mark)
                    event = get()
                    continue
                get()  # an empty list or mapping: no places
                done = container
                at = _pack(event.start_mark)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                done = cur
                at = start
                if cur is not None and placed:
                    places_of[id(cur)] = _Places(vals, keys if is_map else None)
                depth -= 1
                if depth:
                    cur, is_map, key, key_at, drop, vals, keys, start = stack.pop()
            elif kind is AliasEvent:
                if event.anchor not in anchors:
                    raise ComposerError(
                        None, None, f"found undefined alias {_clip(event.anchor)!r}",
                        event.start_mark,
                    )  # fmt: skip
                self._alias(event)
                if depth and not drop and cur is not None and is_map and key is None:
                    drop = 1  # an alias as a key: its value is not kept either
                    event = get()
                    continue
                done = None
                at = _pack(event.start_mark)
            else:  # pragma: no cover - the parser sends nothing else inside a document
                raise ComposerError(None, None, f"unexpected {kind.__name__}", event.start_mark)
            if not depth:
                self.data, self.root = done, at
                break
            # a finished value into the collection being built
            if drop:
                drop -= 1
            elif cur is None:
                pass
            elif is_map:
                cur[key] = done
                key = None
                if placed:
                    keys.append(key_at)
                    vals.append(at)
            else:
                cur.append(done)
                if placed:
                    vals.append(at)
            event = get()
        get()  # the document's end
        event = get()
        if isinstance(event, DocumentStartEvent):
            raise ComposerError(
                "expected a single document in the stream",
                document.start_mark,
                "but found another document",
                event.start_mark,  # type: ignore[arg-type]
            )

    def _key(self, container: dict[str, Any], event: Any) -> tuple[str | None, int, int]:
        """A mapping key (plain text by its text: `yes:`, `1:`, `~:`) as (key, its
        place, values to drop); a refused one makes the pair be dropped."""
        key = event.value
        if len(key) > MAX_KEY_CHARS:
            self._at(
                event,
                KEY_TOO_LONG,
                f"key too long ({len(key):,} characters; the limit is "
                f"{MAX_KEY_CHARS}); the key and its value are ignored",
            )
            return None, 0, 1
        tag = event.tag
        if tag is not None and tag != "!" and tag != _STR:
            self._scalar(event, tag)  # reports a bad tag on the key
        if key in container:
            self._at(
                event, DUPLICATE_KEY, f"{key}: duplicate key (the earlier value would be lost)"
            )
            return None, 0, 1
        return key, _pack(event.start_mark), 0

    def _alias(self, event: Any) -> None:
        self.aliases += 1
        if self.aliases > MAX_ALIAS_PROBLEMS:
            self.reported += 1
            self.loaded.skip()
            return
        anchor = _clip(event.anchor)
        self._at(
            event, ALIAS, f"*{anchor}: anchors and aliases (&, *) are not allowed in case files"
        )

    def _value(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return event.value  # quoted: text
            known = _PLAIN_SEEN.get(event.value, _UNSEEN)
            return known if known is not _UNSEEN else self._plain(event)
        if tag == _STR:
            return event.value
        return self._scalar(event, tag)

    def _plain(self, event: Any) -> Any:
        """A plain scalar's value. Short ones are remembered: a file (or an agency)
        repeats the same numbers, dates and words, and resolving one costs regexes."""
        text = event.value
        tag = _plain_tag(text)
        if tag == _STR:
            value: Any = text
        else:
            reported = self.reported
            value = self._scalar(event, tag)
            if self.reported != reported:
                return value  # a problem was reported for this one; never remembered
        if len(text) <= 32 and len(_PLAIN_SEEN) < _PLAIN_SEEN_MAX:
            _PLAIN_SEEN[text] = value  # immutable values only (str, int, float, date...)
        return value

    def _scalar(self, event: Any, tag: str) -> Any:
        if tag == _NULL:
            return None
        convert = _CONVERTERS.get(tag)
        if convert is None:
            if tag == _VALUE:
                return event.value  # a bare `=`: YAML 1.1 calls it a "value key"; it is text
            if tag == _MERGE:
                self._at(event, ALIAS, "merge keys (<<) are not allowed in case files")
                return None
            self._at(event, BAD_TAG, _tag_message(tag))
            return None
        try:
            return convert(ScalarNode(tag, event.value, event.start_mark, event.end_mark))
        except Exception:  # PyYAML's scalar constructors raise anything on junk input
            if tag == _TIMESTAMP and _LOOKS_LIKE_DATE(event.value):
                return event.value  # e.g. 2026-13-01: the schema reports "not a date"
            if len(event.value) > 4000:
                return event.value  # a huge number: the schema reports it as out of place
            self._at(
                event, BAD_TAG, f"{describe(event.value)} is not a valid {_show_tag(tag)} value"
            )
            return event.value


_UNSEEN: Any = object()
_PLAIN_SEEN: dict[str, Any] = {}
_PLAIN_SEEN_MAX = 20_000

_scalar_constructor = SafeConstructor()
_CONVERTERS: dict[str, Any] = {
    _INT: _scalar_constructor.construct_yaml_int,
    _BOOL: _scalar_constructor.construct_yaml_bool,
    _TIMESTAMP: _scalar_constructor.construct_yaml_timestamp,
    _FLOAT: _scalar_constructor.construct_yaml_float,
}
_LOOKS_LIKE_DATE = re.compile(r"^\d{4}-\d\d?-\d\d?").match


def _tag_message(tag: str) -> str:
    return f"unsupported tag {_show_tag(tag)}; only plain YAML values are allowed"


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of character ``offset`` in ``text``."""
    head = text[:offset]
    return head.count("\n") + 1, offset - (head.rfind("\n") + 1) + 1


def _codepoint(character: int | str) -> str:
    number = character if isinstance(character, int) else ord(character[:1] or "\0")
    return f"U+{number:04X}"


def _syntax_problem(path: str, text: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, ReaderError):
        # libyaml reports a byte offset into the UTF-8 text, and no mark.
        prefix = text.encode("utf-8", "surrogatepass")[: exc.position]
        line, col = _position(text, len(prefix.decode("utf-8", "ignore")))
        return Problem(
            path,
            line,
            col,
            "error",
            SYNTAX,
            f"YAML syntax error: character {_codepoint(exc.character)} is not allowed "
            f"({exc.reason})",
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {what}" + (f" ({context})" if context else "")
    return Problem(path, line, col, "error", SYNTAX, message)


def _decode(path: str, raw: bytes, loaded: Loaded) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        loaded.problems.append(
            Problem(
                path,
                line,
                col,
                "error",
                ENCODING,
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            )
        )
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _check_text(path: str, text: str, decoded: bool) -> Problem | None:
    """Problems that make a decoded text unreadable as YAML before parsing it.
    ``decoded``: the text came from UTF-8 bytes, which cannot hold a lone surrogate."""
    if "\x00" in text:
        line, col = _position(text, text.index("\x00"))
        return Problem(
            path, line, col, "error", ENCODING, "contains a NUL byte; is it a text file?"
        )
    bad = None if decoded else _SURROGATE.search(text)
    if bad is not None:
        line, col = _position(text, bad.start())
        return Problem(path, line, col, "error", ENCODING, "contains an invalid character")
    if not text or text.isspace():  # what strip() would leave empty, without a copy
        return Problem(path, 1, 1, "error", EMPTY, "file is empty")
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def load_text(path: str, raw: bytes | str) -> Loaded:
    """Parse ``raw`` (the content of the file named ``path``) into a Loaded. Never raises."""
    loaded = Loaded(path)
    if len(raw) > MAX_FILE_BYTES:
        loaded.problems.append(
            Problem(
                path,
                1,
                1,
                "error",
                TOO_LARGE,
                f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; refusing to read it",
            )
        )
        return loaded
    text = raw if isinstance(raw, str) else _decode(path, raw, loaded)
    if text is None:
        return loaded
    conflict = _conflict_problem(path, text)
    if conflict is not None:
        loaded.problems.append(conflict)
        return loaded
    early = _check_text(path, text, decoded=not isinstance(raw, str))
    if early is not None:
        loaded.problems.append(early)
        return loaded
    placed = len(text) > PLACES_LATER_UP_TO
    parser_class = _Parser
    builder, error = _build(loaded, text, parser_class, placed)
    if error is not None and _NESTING_LIMIT in str(error) and _Parser is not _PyParser:
        # The libyaml of PyYAML 6.0.4+ stops at 1,000 levels with a syntax error of its
        # own (in flow context before the first event): the same mistake as ours, so the
        # same problem at the same place. The pure-Python parser has no such limit and
        # reaches the 65th level after a few hundred bytes.
        loaded = Loaded(path)
        parser_class = _PyParser
        builder, error = _build(loaded, text, parser_class, placed)
        if error is not None and _NESTING_LIMIT in str(error):  # pragma: no cover
            mark = getattr(error, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            message = f"nested more than {MAX_DEPTH} levels deep"
            loaded.problems = [Problem(path, line, col, "error", TOO_DEEP, message)]
            return loaded
    if error is not None:
        # A file that cannot be parsed is one problem (what was found before it is noise).
        loaded.problems = [_syntax_problem(path, text, error)]
        loaded.hidden.clear()
        loaded.places.clear()
        return loaded
    if builder.too_deep:
        # One clear problem: what was found before it in a truncated tree is noise.
        loaded.problems = [p for p in loaded.problems if p.code == TOO_DEEP]
        loaded.hidden.clear()
    if builder.too_deep or builder.root is None:
        loaded.places.clear()
        return loaded
    loaded.root = builder.root
    loaded.data = loaded.shape = builder.data
    loaded.marked_text = _MARKED_TEXT.search(text) is not None
    if not placed:
        loaded.later = (text, parser_class)
    return loaded


def _conflict_problem(path: str, text: str) -> Problem | None:
    """CM015 when the file still holds git's conflict markers: an unresolved merge
    conflict, said as such rather than as the YAML syntax error it also is."""
    if "<<<<<<<" not in text and ">>>>>>>" not in text:  # the common case, in C
        return None
    match = _CONFLICT_MARK.search(text)
    if match is None:
        return None
    line = text.count("\n", 0, match.start()) + 1
    return Problem(
        path,
        line,
        1,
        "error",
        CONFLICT,
        "unresolved merge conflict: git's conflict markers (<<<<<<<, =======, >>>>>>>) are "
        "still in the file; keep the right lines, remove the markers, then `git add` it",
    )


def nesting_problem(path: str, text: str) -> Problem | None:
    """The CM009 problem when ``text`` nests collections more than MAX_DEPTH levels
    deep, else None; for readers (such as the log merge driver) that compose,
    construct or compare a whole document recursively. The loader builds without
    recursion, so this is its own depth check and nothing else."""
    for problem in load_text(path, text).problems:
        if problem.code == TOO_DEEP:
            return problem
    return None


def _build(
    loaded: Loaded, text: str, parser_class: Any, placed: bool = True
) -> tuple[_Builder, Any]:
    """Run the builder over ``text``: (builder, the syntax error that stopped it)."""
    parser = parser_class(text)
    builder = _Builder(loaded, placed)
    try:
        builder.run(parser)
    except yaml.YAMLError as exc:
        return builder, exc
    finally:
        parser.dispose()
    return builder, None


def load_file(abspath: str | os.PathLike[str], relpath: str) -> Loaded:
    """Read and parse a file; unreadable files become one problem. Never raises.

    Symbolic links are not followed and only regular files are read.
    """
    raw = read_regular(abspath)
    if isinstance(raw, str):
        loaded = Loaded(relpath)
        loaded.problems.append(Problem(relpath, 1, 1, "error", UNREADABLE, raw))
        return loaded
    return load_text(relpath, raw)
