"""Read one YAML file into plain Python data, keeping every value's place.

libyaml's C parser composes the node tree (fast, and it never runs code); a lean
constructor then turns nodes into dicts, lists and scalars while collecting
problems instead of raising: duplicate keys, unsupported tags (``!!python/...``),
anchors/aliases (refused: they are how alias bombs work and case files never need
them), syntax errors, bad encodings, empty, oversized and absurdly nested files.

libyaml's composer recurses in C with no depth limit, so a few hundred kilobytes of
``- - - -`` or ``[[[[`` would overflow the C stack and kill the process. A cheap,
sound upper bound on the nesting depth is computed from the text first; only when
it is too high is the file walked event by event (the C parser itself is iterative)
to find the real depth before anything recursive runs.

The node tree is kept beside the data so a later check can ask for the line and
column of any field path (``Loaded.mark(("goals", 1, "target"))``).

Hostile files stay cheap: a key longer than MAX_KEY_CHARS is one problem and is
dropped with its value, messages quote a short prefix of a value at most, and past
MAX_PROBLEMS_PER_FILE problems of one kind a producer only counts the rest
(``Loaded.hidden``); ``casectl.checks`` then shows the first ones and one line
counting the others.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from casectl.model import describe
from casectl.problems import Problem, field_path

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
# Depth below which libyaml's recursive composer is safe even on a small (256 KiB)
# thread stack (~350 bytes of C stack per level, measured).
SAFE_COMPOSE_DEPTH = 500
MAX_ALIAS_PROBLEMS = 20
# Problems shown per file; past it one line counts the rest (docs/checks.md, CM012).
MAX_PROBLEMS_PER_FILE = 100
# The longest mapping key accepted (field names are short; a longer key is refused).
MAX_KEY_CHARS = 100
# A mapping with more pairs than this gets a key index for Loaded.mark.
_INDEX_FROM = 16

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

_PLAIN = "?plain"
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_AS_TEXT = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


class _LeanResolver:
    """Tag resolution deferred to :func:`_plain_tag`, called only for values we build.

    The C parser calls ``resolve`` once per node; PyYAML's generic resolver (path
    resolvers, descend/ascend bookkeeping) costs more than parsing itself. Plain
    scalars get a marker and are resolved later with PyYAML's own implicit-resolver
    table, so the result is exactly YAML 1.1 as PyYAML reads it.
    """

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _STR
        if kind is SequenceNode:
            return _SEQ
        return _MAP


def _plain_tag(value: str) -> str:
    for tag, regexp in _IMPLICIT.get(value[0] if value else "", ()):
        if regexp.match(value):
            return _STR if tag in _AS_TEXT else str(tag)
    return _STR


try:
    from yaml._yaml import CParser

    class _CLoader(CParser, _LeanResolver):
        pass

    _Loader: Any = _CLoader
except ImportError:  # pragma: no cover - libyaml missing: still correct, slower

    class _PyLoader(
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        yaml.composer.Composer,
        _LeanResolver,
    ):
        def __init__(self, stream: Any) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)

    _Loader = _PyLoader


@dataclass
class Loaded:
    """The result of loading one file: data (None if unusable), nodes, problems."""

    path: str
    data: Any = None
    root: Node | None = None
    problems: list[Problem] = field(default_factory=list)
    # Problems found past a producer's MAX_PROBLEMS_PER_FILE and only counted, by severity.
    hidden: dict[str, int] = field(default_factory=dict)
    _keys: dict[int, dict[str, tuple[Node, Node]]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.root is not None

    def skip(self, severity: str = "error", count: int = 1) -> None:
        """Count problems that are not built (past the per-file cap)."""
        if count > 0:
            self.hidden[severity] = self.hidden.get(severity, 0) + count

    def _pair(self, node: MappingNode, key: str) -> tuple[Node, Node] | None:
        """The (key, value) nodes of ``key``: a scan for small mappings, an index built
        once for big ones (so marking every key of a huge mapping stays linear)."""
        pairs = node.value
        if len(pairs) <= _INDEX_FROM:
            for k, v in pairs:
                if isinstance(k, ScalarNode) and k.value == key:
                    return k, v
            return None
        index = self._keys.get(id(node))
        if index is None:
            index = {}
            for k, v in pairs:
                if isinstance(k, ScalarNode):
                    index.setdefault(k.value, (k, v))  # the first, as the data keeps it
            self._keys[id(node)] = index
        return index.get(key)

    def mark(self, loc: Sequence[str | int], key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at ``loc``.

        With ``key=True`` the position of the mapping key itself. When ``loc`` goes
        further than the file does (a missing key), the deepest existing node's
        position is returned.
        """
        node = self.root
        if node is None:
            return (1, 1)
        target: Node = node
        for i, part in enumerate(loc):
            found: Node | None = None
            if isinstance(node, MappingNode) and isinstance(part, str):
                pair = self._pair(node, part)
                if pair is not None:
                    found = pair[0] if (key and i == len(loc) - 1) else pair[1]
            elif (
                isinstance(node, SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                found = node.value[part]
            if found is None:
                break
            target = found
            node = found
        return (target.start_mark.line + 1, target.start_mark.column + 1)

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
        where = field_path(tuple(loc))
        text = f"{where}: {message}" if where else message
        return Problem(self.path, line, col, severity, code, text)  # type: ignore[arg-type]


def _show_tag(tag: str) -> str:
    """``tag:yaml.org,2002:python/object`` as the ``!!python/object`` a user wrote."""
    return _clip("!!" + tag[len(_STD_PREFIX) :] if tag.startswith(_STD_PREFIX) else tag)


def _clip(text: str, limit: int = 60) -> str:
    """At most ``limit`` characters of ``text`` for a message (never a whole huge value)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Builder:
    """Node tree to plain data, collecting problems."""

    def __init__(self, loaded: Loaded, aliases_reported: bool) -> None:
        self.loaded = loaded
        self.seen: set[int] = set()
        self.aliases_reported = aliases_reported
        self.too_deep = False
        self.built = 0

    def _at(self, node: Node, code: str, message: str, severity: str = "error") -> None:
        # Problems come in document order: past the cap the rest are only counted.
        if self.built >= MAX_PROBLEMS_PER_FILE:
            self.loaded.skip(severity)
            return
        self.built += 1
        self.loaded.problems.append(
            Problem(
                self.loaded.path,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                severity,  # type: ignore[arg-type]
                code,
                message,
            )
        )

    def build(self, node: Node, depth: int = 0) -> Any:
        if isinstance(node, ScalarNode):
            tag = node.tag
            if tag == _PLAIN:
                tag = _plain_tag(node.value)
            if tag == _STR:
                return node.value
            return self._scalar(node, tag)
        if depth > MAX_DEPTH:
            if not self.too_deep:
                self._at(node, TOO_DEEP, f"nested more than {MAX_DEPTH} levels deep")
            self.too_deep = True
            return None
        ident = id(node)
        if ident in self.seen:
            # The composer shares one node between an anchor and its aliases; never
            # expanding a node twice is what defuses alias bombs.
            if not self.aliases_reported:
                self._at(node, ALIAS, "anchors and aliases (&, *) are not allowed in case files")
                self.aliases_reported = True
            return None
        self.seen.add(ident)
        if node.tag != (_MAP if isinstance(node, MappingNode) else _SEQ):
            # Refused, not built: a value under a foreign tag means something else.
            self._at(node, BAD_TAG, _tag_message(node.tag))
            return None
        if isinstance(node, MappingNode):
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                if not isinstance(knode, ScalarNode):
                    self._at(knode, BAD_KEY, "a key must be plain text, not a list or mapping")
                    continue
                key = knode.value  # `yes:`/`1:`/`~:` are keys by their text
                if len(key) > MAX_KEY_CHARS:
                    self._at(
                        knode,
                        KEY_TOO_LONG,
                        f"key too long ({len(key):,} characters; the limit is "
                        f"{MAX_KEY_CHARS}); the key and its value are ignored",
                    )
                    continue
                if knode.tag not in (_STR, _PLAIN):
                    self._scalar(knode, knode.tag)  # reports a bad tag on the key
                if key in out:
                    self._at(
                        knode,
                        DUPLICATE_KEY,
                        f"{key}: duplicate key (the earlier value would be lost)",
                    )
                    continue
                out[key] = self.build(vnode, depth + 1)
            return out
        if isinstance(node, SequenceNode):
            return [self.build(item, depth + 1) for item in node.value]
        return None  # pragma: no cover

    def _scalar(self, node: ScalarNode, tag: str) -> Any:
        if tag == _NULL:
            return None
        convert = _CONVERTERS.get(tag)
        if convert is None:
            if tag == _VALUE:
                return node.value  # a bare `=`: YAML 1.1 calls it a "value key"; it is text
            if tag == _MERGE:
                self._at(node, ALIAS, "merge keys (<<) are not allowed in case files")
                return None
            self._at(node, BAD_TAG, _tag_message(tag))
            return None
        try:
            return convert(node)
        except Exception:  # PyYAML's scalar constructors raise anything on junk input
            if tag == _TIMESTAMP and _LOOKS_LIKE_DATE(node.value):
                return node.value  # e.g. 2026-13-01: the schema reports "not a date"
            if len(node.value) > 4000:
                return node.value  # a huge number: the schema reports it as out of place
            self._at(node, BAD_TAG, f"{describe(node.value)} is not a valid {_show_tag(tag)} value")
            return node.value


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


def _check_text(path: str, text: str) -> Problem | None:
    """Problems that make a decoded text unreadable as YAML before parsing it."""
    if "\x00" in text:
        line, col = _position(text, text.index("\x00"))
        return Problem(
            path, line, col, "error", ENCODING, "contains a NUL byte; is it a text file?"
        )
    bad = _SURROGATE.search(text)
    if bad is not None:
        line, col = _position(text, bad.start())
        return Problem(path, line, col, "error", ENCODING, "contains an invalid character")
    if not text.strip():
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
    early = _check_text(path, text)
    if early is not None:
        loaded.problems.append(early)
        return loaded
    aliases: list[Problem] = []
    if _depth_bound(text) > SAFE_COMPOSE_DEPTH or ("&" in text and "*" in text):
        deep, aliases = _scan_events(path, text)
        if deep is not None:
            loaded.problems.append(deep)
            return loaded
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        loaded.problems.append(_syntax_problem(path, text, exc))
        return loaded
    finally:
        loader.dispose()
    if root is None:
        loaded.problems.append(Problem(path, 1, 1, "error", EMPTY, "file holds no YAML document"))
        return loaded
    loaded.problems += aliases
    builder = _Builder(loaded, aliases_reported=bool(aliases))
    data = builder.build(root)
    if builder.too_deep:
        return loaded  # one clear problem; checking a truncated tree would only add noise
    loaded.root = root
    loaded.data = data
    return loaded


def _depth_bound(text: str) -> int:
    """A cheap upper bound on how deeply ``text`` can nest collections.

    Nested block collections sit at strictly increasing columns (an indentless
    sequence under a mapping key being the one exception, and it cannot repeat), so
    block depth is at most twice the longest line. A flow collection needs a ``[`` or
    ``{`` (a ``[a: b]`` pair adds one more level), so flow depth is at most twice the
    number of brackets. Nothing deeper than the text is long is possible either.
    """
    if len(text) <= SAFE_COMPOSE_DEPTH:
        return len(text)
    longest = max(map(len, text.split("\n")))
    return 2 * (longest + 1) + 2 * (text.count("[") + text.count("{"))


def _event_problem(path: str, event: Any, code: str, message: str) -> Problem:
    mark = event.start_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Problem(path, line, col, "error", code, message)


def _scan_events(path: str, text: str) -> tuple[Problem | None, list[Problem]]:
    """Walk the parser's events (iterative in libyaml): the first place nested more
    than MAX_DEPTH levels, and every alias. Syntax errors are left to the composer."""
    aliases: list[Problem] = []
    depth = 0
    loader = _Loader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the same node the builder would stop at
                    message = f"nested more than {MAX_DEPTH} levels deep"
                    return _event_problem(path, event, TOO_DEEP, message), []
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            elif isinstance(event, AliasEvent) and len(aliases) < MAX_ALIAS_PROBLEMS:
                message = (
                    f"*{_clip(event.anchor or '')}: anchors and aliases (&, *) are not allowed "
                    "in case files"
                )
                aliases.append(_event_problem(path, event, ALIAS, message))
    except yaml.YAMLError:
        pass  # reported by the composer, which stops at the same place
    finally:
        loader.dispose()
    return None, aliases


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)  # a link swapped in after the caller's check
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO planted as a case file must not hang us
    | getattr(os, "O_CLOEXEC", 0)
)


def _read_regular(abspath: str | os.PathLike[str]) -> bytes | str:
    """The file's bytes, or a message saying why it cannot be read."""
    try:
        fd = os.open(abspath, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link; refusing to follow it"
        return f"cannot read: {exc.strerror or exc}"
    except ValueError as exc:  # e.g. a NUL in the path
        return f"cannot read: {exc}"
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            return "is a folder, not a file"
        if not stat.S_ISREG(mode):
            return "is not a regular file"
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)


def load_file(abspath: str | os.PathLike[str], relpath: str) -> Loaded:
    """Read and parse a file; unreadable files become one problem. Never raises.

    Symbolic links are not followed and only regular files are read.
    """
    raw = _read_regular(abspath)
    if isinstance(raw, str):
        loaded = Loaded(relpath)
        loaded.problems.append(Problem(relpath, 1, 1, "error", UNREADABLE, raw))
        return loaded
    return load_text(relpath, raw)
