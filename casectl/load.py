"""Read one YAML file into plain Python data, keeping every value's place.

libyaml's C parser composes the node tree (fast, and it never runs code); a lean
constructor then turns nodes into dicts, lists and scalars while collecting
problems instead of raising: duplicate keys, unsupported tags (``!!python/...``),
anchors/aliases (refused: they are how alias bombs work and case files never need
them), syntax errors, bad encodings, empty and oversized files.

The node tree is kept beside the data so a later check can ask for the line and
column of any field path (``Loaded.mark(("goals", 1, "target"))``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from casectl.problems import Problem, field_path

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64

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

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

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

_scalar_constructor = SafeConstructor()


@dataclass
class Loaded:
    """The result of loading one file: data (None if unusable), nodes, problems."""

    path: str
    data: Any = None
    root: Node | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.root is not None

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
                for k, v in node.value:
                    if isinstance(k, ScalarNode) and k.value == part:
                        found = k if (key and i == len(loc) - 1) else v
                        break
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


class _Builder:
    """Node tree to plain data, collecting problems."""

    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.seen: set[int] = set()

    def _at(self, node: Node, code: str, message: str, severity: str = "error") -> None:
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
            self._at(node, TOO_DEEP, f"nested more than {MAX_DEPTH} levels deep")
            return None
        ident = id(node)
        if ident in self.seen:
            self._at(node, ALIAS, "anchors and aliases (&, *) are not allowed in case files")
            return None
        self.seen.add(ident)
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                self._at(node, BAD_TAG, f"unsupported tag {node.tag!r}")
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                if not isinstance(knode, ScalarNode):
                    self._at(knode, BAD_KEY, "a key must be plain text, not a list or mapping")
                    continue
                ktag = knode.tag
                key = knode.value if ktag in (_STR, _PLAIN) else self._scalar(knode, ktag)
                if isinstance(key, bool | int | float) or key is None:
                    key = knode.value  # `yes:`/`1:` are keys by their text
                if not isinstance(key, str):
                    key = str(key)
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
            if node.tag != _SEQ:
                self._at(node, BAD_TAG, f"unsupported tag {node.tag!r}")
            return [self.build(item, depth + 1) for item in node.value]
        return None  # pragma: no cover

    def _scalar(self, node: ScalarNode, tag: str) -> Any:
        try:
            if tag == _NULL:
                return None
            if tag == _INT:
                return _scalar_constructor.construct_yaml_int(node)
            if tag == _BOOL:
                return _scalar_constructor.construct_yaml_bool(node)
            if tag == _TIMESTAMP:
                try:
                    return _scalar_constructor.construct_yaml_timestamp(node)
                except (ValueError, OverflowError):
                    return node.value  # e.g. 2026-13-01: the schema reports "not a date"
            if tag == _FLOAT:
                return _scalar_constructor.construct_yaml_float(node)
        except (ConstructorError, ValueError, OverflowError):
            return node.value
        self._at(node, BAD_TAG, f"unsupported tag {tag!r}; only plain YAML values are allowed")
        return None


def _syntax_problem(path: str, exc: yaml.YAMLError) -> Problem:
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
        col = exc.start - (before.rfind(b"\n") + 1) + 1
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
    if "\x00" in text:
        head = text[: text.index("\x00")]
        line = head.count("\n") + 1
        col = len(head) - (head.rfind("\n") + 1) + 1
        loaded.problems.append(
            Problem(path, line, col, "error", ENCODING, "contains a NUL byte; is it a text file?")
        )
        return None
    return text


def load_text(path: str, raw: bytes | str) -> Loaded:
    """Parse ``raw`` (the content of the file named ``path``) into a Loaded."""
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
    if not text.strip():
        loaded.problems.append(Problem(path, 1, 1, "error", EMPTY, "file is empty"))
        return loaded
    depth_problem = _nesting_problem(path, text)
    if depth_problem is not None:
        loaded.problems.append(depth_problem)
        return loaded
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        loaded.problems.append(_syntax_problem(path, exc))
        return loaded
    except RecursionError:
        loaded.problems.append(Problem(path, 1, 1, "error", TOO_DEEP, "nested too deeply"))
        return loaded
    finally:
        loader.dispose()
    if root is None:
        loaded.problems.append(Problem(path, 1, 1, "error", EMPTY, "file holds no YAML document"))
        return loaded
    loaded.root = root
    loaded.data = _Builder(loaded).build(root)
    return loaded


def _nesting_problem(path: str, text: str) -> Problem | None:
    """Refuse flow collections nested absurdly deep before the parser recurses."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    line = 1
    col = 0
    for ch in text:
        col += 1
        if ch == "\n":
            line += 1
            col = 0
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return Problem(
                    path, line, col, "error", TOO_DEEP, f"nested more than {MAX_DEPTH} levels deep"
                )
        elif ch in "]}":
            depth = max(0, depth - 1)
    return None


def load_file(abspath: str | os.PathLike[str], relpath: str) -> Loaded:
    """Read and parse a file; unreadable files become one problem."""
    try:
        with open(abspath, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        loaded = Loaded(relpath)
        loaded.problems.append(
            Problem(relpath, 1, 1, "error", UNREADABLE, "is a folder, not a file")
        )
        return loaded
    except OSError as exc:
        loaded = Loaded(relpath)
        loaded.problems.append(
            Problem(relpath, 1, 1, "error", UNREADABLE, f"cannot read: {exc.strerror or exc}")
        )
        return loaded
    return load_text(relpath, raw)
