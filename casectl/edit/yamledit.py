"""In-place edits of client, plan and assessment files (and casectl.yaml) that keep
every comment, blank line, quote and layout the edit does not need to touch.

A ``Document`` is one file open for editing: ``root`` is its ruamel.yaml round-trip
tree (a ``CommentedMap``), changed in place by the caller. ``render()`` gives the new
bytes, made this way:

1. What changed is found by comparing the tree with a snapshot taken when it was
   loaded: a container the caller *replaced* (a new object) changed as a whole, one
   it edited is compared key by key, so editing ``goals[1].status`` changes that one
   value and assigning a new ``closed`` block replaces that block.
2. ruamel.yaml renders the whole tree (indentation guessed from the file, quotes kept,
   no re-wrapping), but only the lines of the changed parts are taken from it: each
   is spliced into the original text in place of the lines of the part it replaces
   (an added key goes at the end of its parent, re-indented like its siblings). Every
   other byte of the file is the original byte, whatever ruamel would have re-flowed.
3. The result is read back by casectl's own loader and must be exactly the original
   data with the changes applied; anything else refuses the edit (``EditRefused``)
   with "edit it by hand", and nothing is written.

Text set by the caller is written plain only when it provably reads back as the same
text (``logtext.scalar``), else double-quoted; a value replacing a quoted one keeps
its quotes. Line endings (CRLF), a byte-order mark and a missing final newline are
kept. ruamel.yaml is imported only here, and only by the commands that edit.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from casectl.core.data import same_data
from casectl.edit.logtext import scalar
from casectl.store.load import Loaded, load_text

Path_ = tuple[str | int, ...]


class EditRefused(Exception):
    """The edit cannot be made safely; ``str(exc)`` says why (ends "edit it by hand"
    or names what to fix first), ``name`` is the file. Raised in ``edit`` and turned
    into a refusal (exit 2, nothing written) by the transaction."""

    def __init__(self, message: str, name: str = "") -> None:
        super().__init__(message)
        self.name = name


_INDENT = re.compile(r"[ ]*")


def _yaml(text: str) -> Any:
    """A round-trip ruamel.yaml set up for ``text``: its indentation, quotes kept,
    lines never re-wrapped."""
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    try:
        _, indent, block_seq = load_yaml_guess_indent(text)
    except Exception:  # guessing is best effort: a file ruamel cannot read is refused below
        indent, block_seq = 2, 0
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1_000_000_000
    # ruamel's guess is the sequences' indent; nested mappings keep the file's own.
    mapping = _mapping_indent(text) or indent or 2
    indent = indent or 2
    # A file with no block sequence yet gets its first one indented under its key
    # (``flags:`` then ``  - kind: ...``), as casectl's own files and docs write them.
    offset = block_seq if block_seq is not None else 2
    yaml.indent(mapping=mapping, sequence=max(indent, offset + 2), offset=offset)
    return yaml


_KEY_ALONE = re.compile(r"^( *)[^\s#\-][^#]*:\s*(?:#.*)?$")
_KEY_LINE = re.compile(r"^( *)[^\s#\-]")


def _mapping_indent(text: str) -> int | None:
    """How far the file indents a mapping under its key (``domains:`` then
    ``  housing: ...``): the first such pair found; None when there is none."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for line, following in itertools.pairwise(lines):
        key = _KEY_ALONE.match(line)
        child = _KEY_LINE.match(following)
        if key and child and len(child.group(1)) > len(key.group(1)):
            return len(child.group(1)) - len(key.group(1))
    return None


def plain(node: Any) -> Any:
    """A ruamel value as the plain data casectl's loader would give for it."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, datetime):
        return datetime.fromisoformat(node.isoformat())
    if isinstance(node, date):
        return date(node.year, node.month, node.day)
    return node


class Document:
    """One YAML file open for an in-place edit (see the module docstring)."""

    def __init__(self, name: str, raw: bytes) -> None:
        self.name = name  # as messages name the file (its path in the repository)
        short = name.rpartition("/")[2]
        self.raw = raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.refused(f"{short} is not UTF-8 text; fix it first") from None
        self.bom = text.startswith("\ufeff")
        text = text.removeprefix("\ufeff")
        self.crlf = "\r\n" in text
        self.text = text.replace("\r\n", "\n")
        self.loaded = load_text(name, self.text)
        if self.loaded.problems:
            first = self.loaded.problems[0]
            raise self.refused(
                f"{short} has problems ({first.line}:{first.column}: {first.message}); "
                "fix them first"
            )
        if not isinstance(self.loaded.data, dict):
            raise self.refused(f"{short} is not a mapping of keys to values")
        self._yaml = _yaml(self.text)
        try:
            self.root: Any = self._yaml.load(self.text)
        except Exception as exc:  # ruamel's own errors: the file is not editable by it
            raise self.refused(
                f"{short} cannot be edited safely ({exc}); edit it by hand"
            ) from None
        self._before = plain(self.root)
        self._ids = _container_ids(self.root, ())
        self._quoted = _quoted_styles(self.root, ())

    @property
    def flow_style(self) -> bool:
        """Whether the file's top mapping is written in flow style (``{...}``)."""
        return bool(self.root.fa.flow_style())

    def changes(self) -> list[tuple[Path_, str]]:
        """The changed parts: ``(path, "changed" | "added" | "removed")``, outermost."""
        out: list[tuple[Path_, str]] = []
        try:
            _diff((), self._before, self.root, self._ids, out)
        except EditRefused as exc:
            raise self.refused(str(exc)) from None
        return out

    def render(self) -> bytes:
        """The new bytes (the original bytes when nothing changed); EditRefused when
        the edit cannot be made keeping the rest of the file as it is."""
        changes = self.changes()
        if not changes:
            return self.raw
        for path, kind in changes:
            if kind != "removed":
                _prepare(self.root, path, self._quoted)
        out = io.StringIO()
        self._yaml.dump(self.root, out)
        theirs = out.getvalue()
        new_loaded = load_text(self.name, theirs)
        if new_loaded.problems:
            raise self._refuse("ruamel.yaml's rendering would not read back")
        text = _splice(self.text, self.loaded, theirs, new_loaded, changes, self._refuse)
        expected = self.loaded.data
        for path, kind in changes:
            expected = _apply(expected, path, kind, plain(_at_or_none(self.root, path)))
        result = load_text(self.name, text)
        if result.problems or not same_data(result.data, expected):
            raise self._refuse("the edit would change other values")
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return (("\ufeff" if self.bom else "") + text).encode("utf-8")

    def refused(self, message: str) -> EditRefused:
        return EditRefused(message, self.name)

    def _refuse(self, why: str) -> EditRefused:
        short = self.name.rpartition("/")[2]
        return self.refused(f"{short}'s layout cannot be edited safely ({why}); edit it by hand")


# ------------------------------------------------------------------ what changed


def _container_ids(node: Any, path: Path_) -> dict[Path_, int]:
    ids: dict[Path_, int] = {}
    if isinstance(node, dict):
        ids[path] = id(node)
        for key, value in node.items():
            ids.update(_container_ids(value, (*path, str(key))))
    elif isinstance(node, list):
        ids[path] = id(node)
        for i, value in enumerate(node):
            ids.update(_container_ids(value, (*path, i)))
    return ids


def _diff(path: Path_, old: Any, new: Any, ids: dict[Path_, int], out: list[Any]) -> None:
    same_object = ids.get(path) == id(new)
    if same_object and isinstance(new, dict) and isinstance(old, dict) and old:
        for key in old:
            if key not in new:
                out.append(((*path, key), "removed"))
        for key, value in new.items():
            key = str(key)
            if key not in old:
                out.append(((*path, key), "added"))
            else:
                _diff((*path, key), old[key], value, ids, out)
        return
    if same_object and isinstance(new, list) and isinstance(old, list) and old:
        for i, value in enumerate(new):
            if i < len(old):
                _diff((*path, i), old[i], value, ids, out)
            else:
                out.append(((*path, i), "added"))
        out.extend(((*path, i), "removed") for i in range(len(old) - 1, len(new) - 1, -1))
        return
    if not same_data(old, plain(new)):
        if path:
            out.append((path, "changed"))
        else:  # the whole file replaced: not an in-place edit
            raise EditRefused("the whole file was replaced; edit it by hand")


def _at(node: Any, path: Path_) -> Any:
    for part in path:
        node = node[part]
    return node


def _at_or_none(node: Any, path: Path_) -> Any:
    try:
        return _at(node, path)
    except (KeyError, IndexError, TypeError):
        return None


def _apply(data: Any, path: Path_, kind: str, value: Any) -> Any:
    """``data`` with ``value`` at ``path`` (or the item there removed), as a copy."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        copy = dict(data)
        if rest:
            copy[str(head)] = _apply(copy[str(head)], rest, kind, value)
        elif kind == "removed":
            copy.pop(str(head), None)
        else:
            copy[str(head)] = value
        return copy
    items = list(data)
    assert isinstance(head, int)
    if rest:
        items[head] = _apply(items[head], rest, kind, value)
    elif kind == "removed":
        del items[head]
    elif head < len(items):
        items[head] = value
    else:
        items.append(value)
    return items


def _quoted_styles(node: Any, path: Path_) -> dict[Path_, type]:
    """The quote style (a ruamel ScalarString type) of every quoted value loaded."""
    from ruamel.yaml.scalarstring import ScalarString

    styles: dict[Path_, type] = {}
    if isinstance(node, dict):
        pairs: list[tuple[str | int, Any]] = [(str(k), v) for k, v in node.items()]
    elif isinstance(node, list):
        pairs = list(enumerate(node))
    else:
        return styles
    for key, value in pairs:
        if isinstance(value, ScalarString):
            styles[(*path, key)] = type(value)
        else:
            styles.update(_quoted_styles(value, (*path, key)))
    return styles


def _prepare(root: Any, path: Path_, quoted: dict[Path_, type]) -> None:
    """The value the caller set at ``path``, ready to render: text is plain only when
    it provably reads back as the same text (``logtext.scalar``), else double-quoted,
    and replacing a quoted value keeps its quotes; flow containers that now hold what
    they did not (a ``[]`` given items) are written in block style."""
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        LiteralScalarString,
        ScalarString,
    )

    def fix(value: Any, at: Path_) -> Any:
        if isinstance(value, str) and not isinstance(value, ScalarString):
            style = quoted.get(at)
            if style is not None and style is not LiteralScalarString and "\n" not in value:
                return style(value)
            if scalar(value) != value:
                return DoubleQuotedScalarString(value)
        return value

    def walk(container: Any, at: Path_) -> None:
        attributes = getattr(container, "fa", None)
        if container and attributes is not None and attributes.flow_style():
            attributes.set_block_style()
        if isinstance(container, dict):
            for key in list(container):
                here = (*at, str(key))
                container[key] = fix(container[key], here)
                walk(container[key], here)
        elif isinstance(container, list):
            for i in range(len(container)):
                container[i] = fix(container[i], (*at, i))
                walk(container[i], (*at, i))

    parent = _at(root, path[:-1])
    parent[path[-1]] = fix(parent[path[-1]], path)
    walk(parent[path[-1]], path)


# ------------------------------------------------------------------ splicing lines


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _indent(line: str) -> int:
    return len(_INDENT.match(line).group()) if line.strip() else 1 << 30  # type: ignore[union-attr]


def _anchor(loaded: Loaded, lines: Sequence[str], path: Path_) -> tuple[int, int]:
    """(0-based line, column) where the part at ``path`` starts: its key, or for a
    list item its dash (its value when the list is in flow style)."""
    key = isinstance(path[-1], str)
    line, column = loaded.mark(path, key=key)
    line, column = line - 1, column - 1
    if not key:
        text = lines[line] if line < len(lines) else ""
        before = text[:column].rstrip()
        if before.endswith("-") and not before[:-1].strip():
            column = len(before) - 1
    return line, column


def _last_value_line(loaded: Loaded, path: Path_) -> int:
    node: Any = loaded.data
    for step in path:
        node = node[step]
    while node:
        if isinstance(node, dict):
            key = list(node)[-1]
            path, node = (*path, key), node[key]
        elif isinstance(node, list):
            path, node = (*path, len(node) - 1), node[-1]
        else:
            break
    return loaded.mark(path)[0] - 1


def _region(loaded: Loaded, lines: Sequence[str], path: Path_) -> tuple[int, int]:
    """Lines [start, end) of the part at ``path``: its first line, every line indented
    deeper than it (blank lines inside too) through the last line of its value;
    trailing blank lines and comments at its own indentation or less are not its."""
    start, column = _anchor(loaded, lines, path)
    last = max(start, _last_value_line(loaded, path))
    end = start + 1
    while end < len(lines) and (end <= last or _indent(lines[end]) > column):
        end += 1
    while end - 1 > start and not lines[end - 1].strip():
        end -= 1
    return start, end


def _shift(block: list[str], by: int) -> list[str] | None:
    if by == 0:
        return block
    out = []
    for line in block:
        if not line.strip():
            out.append(line)
        elif by > 0:
            out.append(" " * by + line)
        elif _indent(line) >= -by:
            out.append(line[-by:])
        else:
            return None
    return out


def _splice(
    mine: str,
    loaded: Loaded,
    theirs: str,
    their_loaded: Loaded,
    changes: list[tuple[Path_, str]],
    refuse: Any,
) -> str:
    """``mine`` with the lines of each changed part replaced by ruamel's lines for it."""
    old, new = _lines(mine), _lines(theirs)
    if old and not old[-1].endswith("\n"):
        old[-1] += "\n"  # something may be added after it; a final newline is kept then
    edits: list[tuple[int, int, list[str]]] = []  # (start, end) of old lines -> new lines
    for path, kind in changes:
        if kind == "removed":
            start, end = _region(loaded, old, path)
            edits.append((start, end, []))
            continue
        n_start, n_end = _region(their_loaded, new, path)
        block = new[n_start:n_end]
        _, their_column = _anchor(their_loaded, new, path)
        if kind == "changed":
            start, end = _region(loaded, old, path)
            _, column = _anchor(loaded, old, path)
        else:  # added: at the end of its parent, indented like its siblings
            parent = path[:-1]
            end = _region(loaded, old, parent)[1] if parent else len(old)
            start = end
            column = _sibling_column(loaded, old, parent, their_column)
        shifted = _shift(block, column - their_column)
        if shifted is None:
            raise refuse("a part would have to move left of its parent")
        edits.append((start, end, shifted))
    edits.sort(key=lambda e: (e[0], e[1]))
    for (_, first_end, _), (second_start, _, _) in itertools.pairwise(edits):
        if second_start < first_end:
            raise refuse("two changes share a line")
    appended = any(start >= len(old) for start, _, _ in edits)
    for start, end, block in reversed(edits):
        old[start:end] = block
    text = "".join(old)
    if mine and not mine.endswith("\n") and not appended:
        text = text.removesuffix("\n")  # the file had no final newline: it keeps none
    return text


def _sibling_column(loaded: Loaded, lines: Sequence[str], parent: Path_, fallback: int) -> int:
    """The column of the existing items of the list or mapping at ``parent``."""
    node: Any = loaded.data
    for part in parent:
        node = node[part]
    if isinstance(node, dict) and node:
        return _anchor(loaded, lines, (*parent, next(iter(node))))[1]
    if isinstance(node, list) and node:
        return _anchor(loaded, lines, (*parent, 0))[1]
    return fallback
