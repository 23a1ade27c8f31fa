"""Minimal, layout-keeping edits of client.yaml: status changes and the closure block.

The contract says client.yaml status changes are "edited in place keeping comments
and layout", so these functions splice text rather than re-emit YAML: the parser is
used only to find *where* the top-level ``status`` value and ``closed`` block are
(character offsets from the pure-Python composer), and the result is parsed again
and compared with the expected data before it is returned. Anything that cannot be
edited that way (flow style, no status, a broken file) is a ValueError with a reason.

All functions are pure: text in, text out. ``writes.edit_file`` does the file work.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from casectl.edit.logtext import same_data, scalar
from casectl.store.load import load_text

_BLANK = " \t\r\n\x85\u2028\u2029"
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_INDENTED_CHILD = re.compile(r"^( +)[^ \t#\r\n]")
_PARENT_KEY = re.compile(r"^[^\s#-][^#]*:[ \t]*(?:#.*)?$")


# ------------------------------------------------------------------ reading


def _data(text: str) -> dict[str, Any]:
    """The file's data; ValueError when it has any load problem or is not a mapping."""
    loaded = load_text("client.yaml", text)
    if loaded.problems:
        first = loaded.problems[0]
        raise ValueError(
            f"client.yaml has problems ({first.line}:{first.column}: {first.message}); "
            "fix them first"
        )
    if not isinstance(loaded.data, dict):
        raise ValueError("client.yaml is not a mapping of keys to values")
    return loaded.data


def _root(text: str) -> MappingNode:
    """The top-level block mapping node, with character offsets in its marks."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"client.yaml is not valid YAML: {exc}") from exc
    if not isinstance(root, MappingNode):
        raise ValueError("client.yaml is not a mapping of keys to values")
    if root.flow_style:
        raise ValueError(
            "client.yaml is written in flow style ({...}); "
            "edit it by hand or rewrite it in block style (one key per line)"
        )
    return root


def _edited_root(edited: str) -> MappingNode:
    """The root of an edited text; a parse failure means the layout was not editable."""
    try:
        return _root(edited)
    except ValueError as exc:
        raise ValueError(
            "client.yaml's layout cannot be edited safely (the edit would not parse); "
            "edit it by hand"
        ) from exc


def _top_level(root: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    for knode, vnode in root.value:
        if isinstance(knode, ScalarNode) and knode.value == key:
            if knode.start_mark.column != 0:
                raise ValueError(f"the top-level '{key}:' key is indented; cannot edit safely")
            return knode, vnode
    return None


def _line_starts(text: str) -> list[int]:
    """Offset of the start of each line, as YAML counts lines; plus len(text)."""
    starts = [0]
    starts.extend(m.end() for m in _BREAK.finditer(text))
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


# ------------------------------------------------------------------ status


def _set_status(text: str, root: MappingNode, status: str) -> str:
    found = _top_level(root, "status")
    if found is None:
        raise ValueError("client.yaml has no top-level 'status:' line to change")
    _, value = found
    if (
        not isinstance(value, ScalarNode)
        or value.style not in (None, '"', "'")
        or value.start_mark.line != value.end_mark.line
        or value.start_mark.index == value.end_mark.index
        or text[value.start_mark.index] in "!&*"
    ):
        raise ValueError(
            "the 'status:' value is not a simple one-line value; edit client.yaml by hand"
        )
    start, end = value.start_mark.index, value.end_mark.index
    quote = value.style or ""
    new_value = f"{quote}{status}{quote}"
    rest = text[end:]
    # Keep a trailing comment in its column when the padding allows it.
    m = re.match(r"([ \t]+)#", rest)
    if m and " " * len(m.group(1)) == m.group(1):
        padding = max(1, len(m.group(1)) - (len(new_value) - (end - start)))
        rest = " " * padding + rest[len(m.group(1)) :]
    return text[:start] + new_value + rest


def set_status(text: str, status: str) -> str:
    """``text`` with only the top-level ``status:`` value replaced by ``status``.

    The value token alone changes (its quotes kept); a trailing comment stays, in
    its column when there is room. ValueError when that cannot be done safely.
    """
    data = _data(text)
    result = _set_status(text, _root(text), status)
    _verify(result, {**data, "status": status})
    return result


# ------------------------------------------------------------------ closed block


def _last_line(node: Node) -> int:
    """The last line (0-based) holding any part of ``node``.

    A block collection's own end mark points at the next token, possibly lines
    further on past comments, so its children decide; a scalar or flow collection
    ends at its end mark (the previous line when that mark is at a line start).
    """
    if isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        children: list[Node] = []
        for item in node.value:
            children.extend(item if isinstance(item, tuple) else (item,))
        return max(_last_line(child) for child in children)
    end = node.end_mark
    line: int = end.line if end.column > 0 else end.line - 1
    return max(line, node.start_mark.line)


def _block_span(text: str, knode: ScalarNode, vnode: Node) -> tuple[int, int]:
    """Offsets of the lines holding the top-level key ``knode`` and its value.

    That is the key line, the indented lines after it (blank lines inside count,
    trailing blank lines and column-0 comments after it do not), and at least every
    line the value node reaches.
    """
    starts = _line_starts(text)
    first = knode.start_mark.line
    last = first
    line = first + 1
    while line < len(starts) - 1:
        content = text[starts[line] : starts[line + 1]]
        if content.strip(_BLANK) == "":
            line += 1
            continue
        if content[0] not in " \t":
            break
        last = line
        line += 1
    last = max(last, _last_line(vnode))
    while last > first and text[starts[last] : starts[last + 1]].strip(_BLANK) == "":
        last -= 1  # trailing blank lines are not the block's
    return starts[first], starts[min(last + 1, len(starts) - 1)]


def _child_indent(text: str) -> int:
    """How far the file indents nested keys (2 unless it shows otherwise)."""
    lines = _BREAK.split(text)
    for before, line in itertools.pairwise(lines):
        if _PARENT_KEY.match(before):
            m = _INDENTED_CHILD.match(line)
            if m:
                return len(m.group(1))
    return 2


def _block_indent(block: str) -> int:
    """The indentation of an existing block's first child line (2 if it has none)."""
    for line in _BREAK.split(block)[1:]:
        m = _INDENTED_CHILD.match(line)
        if m:
            return len(m.group(1))
    return 2


def closed_block(day: date, reason: str, note: str | None, indent: int, newline: str) -> str:
    """The ``closed:`` block text, ending in ``newline``."""
    pad = " " * indent
    lines = ["closed:", f"{pad}date: {day.isoformat()}", f"{pad}reason: {scalar(reason)}"]
    if note is not None:
        lines.append(f"{pad}note: {scalar(note)}")
    return newline.join(lines) + newline


def close_client(text: str, day: date, reason: str, note: str | None = None) -> str:
    """``text`` with ``status: closed`` and a ``closed:`` block (date, reason, note).

    An existing top-level ``closed:`` block is replaced where it stands; otherwise
    the block is added at the end of the file. Every other byte is kept. ValueError
    when the layout cannot be edited safely.
    """
    if not isinstance(day, date):
        raise ValueError("the closing date must be a date")
    data = _data(text)
    root = _root(text)
    newline = _newline(text)
    found = _top_level(root, "closed")
    if found is not None:
        start, end = _block_span(text, *found)
        block = closed_block(day, reason, note, _block_indent(text[start:end]), newline)
        edited = text[:start] + block + text[end:]
    else:
        sep = newline if text and not _BREAK.search(text[-1:]) else ""
        edited = text + sep + closed_block(day, reason, note, _child_indent(text), newline)
    result = _set_status(edited, _edited_root(edited), "closed")
    closure: dict[str, object] = {"date": day, "reason": reason}
    if note is not None:
        closure["note"] = note
    _verify(result, {**data, "status": "closed", "closed": closure})
    return result


def reopen_client(text: str) -> str:
    """``text`` with ``status: active`` and the top-level ``closed:`` block removed.

    Only the block's own lines go (the key line and its indented lines); comments
    and lines elsewhere stay byte for byte. For a file that had no ``closed:`` block
    and ended in a newline, ``reopen_client(close_client(t, ...)) == t``.
    """
    data = _data(text)
    root = _root(text)
    found = _top_level(root, "closed")
    edited = text
    if found is not None:
        start, end = _block_span(text, *found)
        edited = text[:start] + text[end:]
    result = _set_status(edited, _edited_root(edited), "active")
    expected = {k: v for k, v in data.items() if k != "closed"}
    _verify(result, {**expected, "status": "active"})
    return result


# ------------------------------------------------------------------ checking


def _verify(result: str, expected: dict[str, Any]) -> None:
    loaded = load_text("client.yaml", result)
    if loaded.problems or not same_data(loaded.data, expected):
        raise ValueError(
            "client.yaml's layout cannot be edited safely (the edit would change other "
            "values); edit it by hand"
        )
