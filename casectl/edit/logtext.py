"""Render progress notes as YAML text that is appended to a log.yaml, exactly.

casectl never rewrites a log: a new note is text added at the end of the file. That
text is produced here by hand rather than by a YAML emitter so that it is stable and
readable (the note body as a ``|`` block scalar) and, above all, reads back exactly as
given: every scalar is either a plain scalar that provably resolves to the same string,
a literal block scalar whose content survives YAML's line rules, or a double-quoted
string with escapes. :func:`format_entry` parses its own output before returning it.

Everything here is pure (text in, text out) except :func:`append_entry`, which does
the checked append through ``store.writes``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from yaml.nodes import ScalarNode

from casectl.core import dates
from casectl.core.data import same_data
from casectl.store import writes
from casectl.store.load import EMPTY, Loaded, load_text


class EntryError(Exception):
    """A log entry that cannot be written as given (``str(exc)`` says why, never
    quoting the text). Raised here, turned into a refusal by the transaction."""


# Keys of a log entry, in the order they are written.
ENTRY_KEYS = (
    "id",
    "date",
    "recorded",
    "by",
    "entered_by",
    "type",
    "with",
    "mode",
    "minutes",
    "goals",
    "to",
    "from",
    "amends",
    "what",
    "object",
    "decision",
    "changes",
    "text",
)
# Keys of format 2 (contract 5.1): an entry carrying one needs `format: 2`.
FORMAT2_KEYS = frozenset(
    {"recorded", "entered_by", "with", "mode", "from", "what", "object", "decision", "changes"}
)
_STRING_KEYS = frozenset(
    {"id", "by", "type", "to", "amends", "with", "mode", "from", "what", "object", "decision"}
    | {"entered_by"}
)
_LIST_KEYS = frozenset({"goals"})  # flow lists; `changes` is a block list (below)
_TIME_KEYS = frozenset({"date", "recorded"})

_STR_TAG = "tag:yaml.org,2002:str"
_resolver = yaml.resolver.Resolver()

# Plain scalars are only used for a conservative character set: anything else is quoted.
# No '#' (comment), no ':' before a space or at the end (mapping indicator), no line
# breaks, no leading indicator character.
_PLAIN_BLOCK = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_ .,()/'+@&;!?%=~>-]|:(?=[^ ]))*")
# In a flow sequence ``[a, b]`` a comma ends the scalar, so it is excluded as well.
_PLAIN_FLOW = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .()/'+@&;!?%=~-]*")

# Characters a YAML stream may hold literally (YAML 1.1 printable set, as PyYAML and
# libyaml check it), minus those YAML treats as line breaks or a byte-order mark.
_LITERAL_OK = re.compile(
    "[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_SHORT_ESCAPES = {
    "\x00": "\\0",
    "\x07": "\\a",
    "\x08": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
}

_EMPTY_LIST_LINE = re.compile(r"^(?P<lead>[ \t]*(?:---[ \t]+)?)\[[ \t]*\](?P<rest>[ \t]*(?:#.*)?)$")
_IGNORABLE_LINE = re.compile(r"^[ \t]*(?:#.*)?$|^---[ \t]*(?:#.*)?$")
_FIRST_ITEM = re.compile(r"^(?P<indent> *)-(?:[ \t]|$)")


# ------------------------------------------------------------------ scalars


def _resolves_to_str(value: str) -> bool:
    """True when ``value`` written plain would load as the same string."""
    tag: str = _resolver.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag == _STR_TAG


def double_quoted(value: str) -> str:
    """``value`` as a one-line YAML double-quoted scalar; any str round-trips.

    Raises EntryError for lone surrogates, which no UTF-8 file can hold.
    """
    if _SURROGATE.search(value):
        raise EntryError("text contains a lone surrogate code point and cannot be stored")
    out = ['"']
    for ch in value:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif _LITERAL_OK.fullmatch(ch):
            out.append(ch)
        else:
            code = ord(ch)
            if code <= 0xFF:
                out.append(f"\\x{code:02x}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def scalar(value: str, flow: bool = False) -> str:
    """``value`` as a YAML scalar: plain when that is provably exact, else double-quoted."""
    pattern = _PLAIN_FLOW if flow else _PLAIN_BLOCK
    if pattern.fullmatch(value) and value == value.rstrip(" ") and _resolves_to_str(value):
        return value
    return double_quoted(value)


def _block_ok(text: str) -> bool:
    """Whether a literal block scalar can carry ``text`` exactly and durably.

    Refused: characters YAML cannot hold literally or reads as line breaks (``\\r``,
    NEL, LS, PS), a BOM, and trailing spaces or tabs on any line (invisible, and
    trimmed by editors and whitespace hooks, which would silently change the note).
    """
    if not text or not _LITERAL_OK.fullmatch(text.replace("\n", "")):
        return False
    return all(not line or line[-1] not in " \t" for line in text.split("\n"))


def text_value(text: str, indent: int) -> list[str]:
    """Lines for the ``text:`` value: the header (after ``text: ``) then content lines.

    ``indent`` is the column of the ``text`` key; block content goes two further in.
    """
    if not _block_ok(text):
        return [double_quoted(text)]
    if text.endswith("\n"):
        body = text[:-1]
        chomp = "+" if body.endswith("\n") or body == "" else ""
    else:
        body = text
        chomp = "-"
    # An explicit indentation indicator when the first line would mislead the
    # parser's indentation detection (leading space, tab or empty first line).
    indicator = "2" if body[:1] in ("", " ", "\t", "\n") else ""
    pad = " " * (indent + 2)
    lines = [f"|{indicator}{chomp}"]
    lines.extend(pad + line if line else "" for line in body.split("\n"))
    return lines


def entry_text_safe(text: str) -> str | None:
    """Why ``text`` cannot be stored in a log, or None when it can (nearly always)."""
    if not isinstance(text, str):
        return "the note text is not text"
    if _SURROGATE.search(text):
        return "the note text contains a lone surrogate code point (not valid Unicode text)"
    return None


# ------------------------------------------------------------------ entries


def format_datetime(value: object) -> str:
    """A note time as text that :func:`casectl.dates.parse_datetime` reads back.

    Naive times are ``YYYY-MM-DD HH:MM`` (``:SS`` added only when non-zero); times
    with an offset are full ISO. Sub-second precision is dropped: note times are kept
    to the minute (or second).
    """
    if isinstance(value, str):
        if dates.parse_datetime(value) is None:
            raise EntryError(f"{value!r} is not a date and time (use YYYY-MM-DD HH:MM)")
        return value
    if isinstance(value, datetime):
        dt = value.replace(microsecond=0)
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        raise EntryError(f"date must be a datetime, not {type(value).__name__}")
    offset = dt.utcoffset()
    if offset is None:
        fmt = "%Y-%m-%d %H:%M" if dt.second == 0 else "%Y-%m-%d %H:%M:%S"
        return dt.strftime(fmt)
    if offset % timedelta(minutes=1):
        raise EntryError("a UTC offset with seconds cannot be written as a note time")
    return dt.isoformat(timespec="seconds")


def _check_str(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise EntryError(f"{key} must be text, not {type(value).__name__}")
    reason = entry_text_safe(value)
    if reason is not None:
        raise EntryError(f"{key}: {reason}")
    return value


def _render_value(key: str, value: object, indent: int) -> list[str]:
    if key == "text":
        return text_value(_check_str(key, value), indent)
    if key in _TIME_KEYS:
        return [scalar(format_datetime(value))]
    if key == "minutes":
        if isinstance(value, bool) or not isinstance(value, int):
            raise EntryError("minutes must be a whole number")
        return [str(value)]
    if key in _LIST_KEYS:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise EntryError(f"{key} must be a list")
        items = [scalar(_check_str(key, g), flow=True) for g in value]
        return ["[" + ", ".join(items) + "]"]
    if key == "changes":  # a block sequence: the lines after ``changes:``
        if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
            raise EntryError("changes must be a list of lines")
        return ["", *(f"{' ' * (indent + 2)}- {scalar(_check_str(key, c))}" for c in value)]
    return [scalar(_check_str(key, value))]


def expected_data(entry: Mapping[str, object]) -> dict[str, object]:
    """The plain data a loader must read back for ``entry`` (None values left out)."""
    out: dict[str, object] = {}
    for key in ENTRY_KEYS:
        value = entry.get(key)
        if value is None:
            continue
        if key in _TIME_KEYS:
            out[key] = format_datetime(value)
        elif key in ("goals", "changes"):
            out[key] = list(value)  # type: ignore[call-overload]
        else:
            out[key] = value
    return out


def format_entry(entry: Mapping[str, object]) -> str:
    """One log entry as YAML text: ``- id: ...`` lines, each ending in a newline.

    Keys are written in :data:`ENTRY_KEYS` order; keys whose value is None are left
    out; any other key is an EntryError. The result is parsed back and compared with
    the input before it is returned (EntryError if they differ, which would be a bug).
    """
    unknown = [k for k in entry if k not in ENTRY_KEYS]
    if unknown:
        raise EntryError(f"unknown log entry key(s): {', '.join(sorted(unknown))}")
    lines: list[str] = []
    for key in ENTRY_KEYS:
        value = entry.get(key)
        if value is None:
            continue
        rendered = _render_value(key, value, indent=2)
        lead = "- " if not lines else "  "
        lines.append(f"{lead}{key}: {rendered[0]}".rstrip(" "))
        lines.extend(rendered[1:])
    if not lines:
        raise EntryError("a log entry needs at least one key")
    text = "\n".join(lines) + "\n"
    _verify(text, expected_data(entry))
    return text


def _verify(text: str, expected: dict[str, object]) -> None:
    loaded = load_text("entry", text)
    if loaded.problems or loaded.data != [expected]:
        # Never the text itself: it is a client's record and error messages reach logs.
        raise EntryError("internal error: the note would not read back exactly")


# ------------------------------------------------------------------ appending


def needs_leading_newline(existing: bytes) -> bool:
    """True when ``existing`` has content whose last line is not terminated."""
    return bool(existing) and not existing.endswith((b"\n", b"\r"))


def _newline_of(existing: bytes) -> bytes:
    """The file's line ending style: CRLF when its last line break is one."""
    last = existing.rfind(b"\n")
    return b"\r\n" if last > 0 and existing[last - 1 : last] == b"\r" else b"\n"


def _empty_list_line(text: str) -> int | None:
    """Index of the ``[]`` line when the file is an empty list plus comments, else None."""
    found: int | None = None
    for i, line in enumerate(text.splitlines()):
        bare = line.lstrip("\ufeff") if i == 0 else line
        if _IGNORABLE_LINE.match(bare):
            continue
        if found is None and _EMPTY_LIST_LINE.match(bare):
            found = i
            continue
        return None
    return found


def _sequence_indent(text: str) -> int:
    """Column of the top-level sequence's dashes (0 unless the file indents them)."""
    for i, line in enumerate(text.splitlines()):
        bare = line.lstrip("\ufeff") if i == 0 else line
        if _IGNORABLE_LINE.match(bare):
            continue
        m = _FIRST_ITEM.match(bare)
        return len(m.group("indent")) if m else 0
    return 0


def _shift(entry_text: str, columns: int) -> str:
    if columns == 0:
        return entry_text
    pad = " " * columns
    return "".join(
        pad + line if line.strip("\n") else line for line in entry_text.splitlines(keepends=True)
    )


def _drop_empty_list(text: str, index: int, newline: str) -> str:
    """``text`` without the ``[]`` token on line ``index`` (its comment stays)."""
    lines = text.splitlines(keepends=True)
    line = lines[index]
    body = line.rstrip("\r\n")
    ending = line[len(body) :] or newline
    bom = "\ufeff" if body.startswith("\ufeff") else ""
    m = _EMPTY_LIST_LINE.match(body[len(bom) :])
    assert m is not None  # _empty_list_line matched this very line
    # "--- []  # none yet" keeps "--- # none yet"; "[]" alone disappears.
    kept = " ".join(part for part in (m.group("lead").strip(), m.group("rest").strip()) if part)
    if kept or bom:
        lines[index] = bom + kept + ending
    else:
        del lines[index]
    return "".join(lines)


def append_plan(existing: bytes, entry_text: str) -> bytes:
    """The whole new content of a log after appending ``entry_text`` (from format_entry).

    Normally ``existing`` is kept byte for byte as a prefix, followed by a line break
    when its last line lacks one, then the entry (in the file's line-ending style and
    at its sequence indentation). A file that is just ``[]`` (an empty list, maybe with
    comments) cannot be appended to: that one ``[]`` token is removed, keeping any
    comment on its line and every other line, and the entry goes at the end.
    """
    newline = _newline_of(existing)
    try:
        text = existing.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        entry_text = _shift(entry_text, _sequence_indent(text))
    entry = entry_text.encode("utf-8")
    if newline != b"\n":
        entry = entry.replace(b"\n", newline)
    index = _empty_list_line(text) if text is not None else None
    if text is not None and index is not None:
        existing = _drop_empty_list(text, index, newline.decode()).encode("utf-8")
    if needs_leading_newline(existing):
        existing += newline
    return existing + entry


# ------------------------------------------------------------------ checking an append


def check_append(
    name: str,
    old: bytes,
    new: bytes,
    entry_texts: str | Sequence[str],
    before: Loaded | None = None,
    after: Loaded | None = None,
) -> list[str]:
    """Reasons the append of ``entry_texts`` turning ``old`` into ``new`` is not safe.

    Safe means: the old file was readable (or empty), the new one reads without
    problems as a list whose earlier items are exactly the old ones and whose last
    items are exactly the entries. An empty list means the append may go ahead.
    ``before`` and ``after``: ``old`` and ``new`` already parsed (not parsed again).
    """
    texts = [entry_texts] if isinstance(entry_texts, str) else list(entry_texts)
    before = before if before is not None else load_text(name, old)
    blocking = [p for p in before.problems if p.code != EMPTY]
    if blocking:
        first = blocking[0]
        return [
            f"{name} cannot be read safely ({first.line}:{first.column}: {first.message}); "
            "fix it before adding notes"
        ]
    old_items = before.data if before.data is not None else []
    if not isinstance(old_items, list):
        return [f"{name} is not a list of notes; fix it before adding notes"]
    after = after if after is not None else load_text(name, new)
    if after.problems:
        first = after.problems[0]
        return [f"appending would break {name}: {first.line}:{first.column}: {first.message}"]
    entries = []
    for text in texts:
        alone = load_text("entry", text)
        entries.append(alone.data[0] if isinstance(alone.data, list) and alone.data else None)
    new_items = after.data
    count = len(old_items)
    if (
        not isinstance(new_items, list)
        or len(new_items) != count + len(entries)
        or not same_data(new_items[:count], old_items)
        or not same_data(new_items[count:], entries)
    ):
        return [f"appending to {name} would not keep the earlier notes and the new one exact"]
    return []


# ------------------------------------------------------------------ the checked append


def append_entry(
    path: Path,
    entry_text: str,
    validate: Callable[[bytes], list[str]] | None = None,
    *,
    root: Path | None = None,
    lock: bool = True,
    new_mode: int | None = None,
) -> None:
    """Append ``entry_text`` (from :func:`format_entry`) to the log at ``path``.

    Through :func:`casectl.store.writes.edit_file`, under the folder lock: read the log,
    build the new content with :func:`append_plan`, check that every earlier note is
    unchanged and the new one reads back exactly (:func:`check_append`), then run
    ``validate(new_bytes)``; any message from either stops the write with a
    CasectlError listing them and nothing is written. A missing log file is created;
    ``root``, ``lock`` and ``new_mode`` as for ``edit_file``.
    """
    old: list[bytes] = []

    def plan(current: bytes) -> bytes:
        old.append(current)
        return append_plan(current, entry_text)

    def check(new: bytes) -> list[str]:
        messages = check_append(path.name, old[0], new, entry_text)
        if not messages and validate is not None:
            messages = validate(new)
        return messages

    writes.edit_file(path, plan, check, root=root, lock=lock, new_mode=new_mode)
