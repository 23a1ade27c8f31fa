"""A git merge driver for ``clients/*/log.yaml``, the append-only progress-note logs.

Two people who each append notes to the same log make git's line merge fail: both
added lines at the same place (the end of the file). Because a log is a list of
entries that are never edited, the right merge is known: keep every entry, once.

The driver cuts each version of the file (base, ours, theirs) into a *header* (the
comments before the first entry) and one chunk of text per top-level item, keyed by
the entry's ``id``. Chunks are moved around as text, never re-serialised, so every
entry in the result is byte-for-byte what someone wrote, and the entries of the
current side (ours) keep their order: the other side's new entries are slotted in by
date. The driver refuses rather than guesses: an entry of the base that one side
changed, removed or moved, an id added on both sides with different text, a new
entry without a valid date, or a file it cannot cut reliably all leave the merge to
a person (git then reports a conflict).

Git runs it as ``<command> %O %A %B %P`` (registered per clone by
:func:`casectl.git.sync.configure_merge_driver`); it writes the merged text into the ``%A``
file and exits 0, or leaves ``%A`` alone, explains on stderr and exits 1.

A restricted client's log (git-crypt) reaches the driver as git stores it, encrypted:
the three versions are decrypted with this clone's keys and the merge is encrypted
again with the group's key (:func:`casectl.vault.crypt.open_for_merge`), so the result
is the blob ``git add`` would make. Without the key the driver refuses (a conflict).
"""

from __future__ import annotations

import bisect
import itertools
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from casectl.core.dates import parse_datetime
from casectl.errors import CasectlError
from casectl.store.load import nesting_problem
from casectl.store.restricted import MAGIC

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing: still correct, slower
    _Loader = yaml.SafeLoader

# Header lines: blank, comment, directive (%YAML, %TAG) or a document start `---`.
_HEADER_LINE_RE = re.compile(r"\s*(#.*)?|%.*|---(\s+#.*)?\s*", re.DOTALL)
# The start of a block sequence item: indentation, a dash, then a space/tab or end of line.
_ITEM_RE = re.compile(r"( *)-(?:[ \t]|\r?\n?$)")
# Only these are stripped when deciding whether two chunks are "the same text".
_TRAILING_WS = " \t\r\n"


@dataclass
class MergeResult:
    """The merged log text, or None with the reasons a person has to merge it."""

    text: str | None
    conflicts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    id: str
    text: str
    date: datetime | None


@dataclass(frozen=True)
class _Log:
    header: str
    entries: tuple[_Entry, ...]


_Chunk = tuple[_Entry, Any]  # the entry and its data as read on its own


# ------------------------------------------------------------------ splitting


def split_entries(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """Cut a log into its header and ``(entry_id, entry_text)`` chunks, or None.

    ``header + "".join(chunk for _, chunk in entries) == text`` always holds. None when
    the text cannot be cut reliably: not YAML, not a block sequence, an item that is
    not a mapping with a text ``id``, duplicate ids, or chunks that do not each read
    back as exactly the item they came from.
    """
    parsed = _parse(text)
    if isinstance(parsed, str):
        return None
    return parsed.header, [(entry.id, entry.text) for entry in parsed.entries]


def _parse(text: str, cache: dict[str, _Chunk | str] | None = None) -> _Log | str:
    """The log cut into entries, or a short reason why it cannot be.

    ``cache`` remembers how each chunk reads on its own: a merge sees most chunks
    four times (base, ours, theirs, result) and reading is the expensive part.
    """
    deep = nesting_problem("log.yaml", text)  # validate's guard: nothing below recurses deep
    if deep is not None:
        return f"{deep.message} (line {deep.line})"
    root = _compose(text)
    if isinstance(root, str):
        return f"not valid YAML ({root})"
    if _is_empty_document(root):
        return _Log(text, ())
    if not isinstance(root, SequenceNode) or root.tag != _SEQ:
        return "not a YAML list"
    if root.flow_style:
        if not root.value:  # `[]`: an empty log, nothing to cut
            return _Log(text, ())
        return "written in flow style ([...]), not one '- ' item per entry"
    starts = _item_starts(text)
    if isinstance(starts, str):
        return starts
    if len(starts) != len(root.value):
        return "could not find where each entry starts"
    whole = SafeConstructor().construct_document(root)
    bounds = [*starts, len(text)]
    entries: list[_Entry] = []
    seen: set[str] = set()
    for number, (start, end) in enumerate(itertools.pairwise(bounds), start=1):
        chunk = text[start:end]
        read = cache.get(chunk) if cache is not None else None
        if read is None:
            read = _read_chunk(chunk)
            if cache is not None:
                cache[chunk] = read
        if isinstance(read, str):
            return f"entry {number}: {read}"
        entry, data = read
        if not _strict_equal(data, [whole[number - 1]]):
            return f"entry {number}: reads differently on its own than in the file"
        if entry.id in seen:
            return f"the id {entry.id} is used twice"
        seen.add(entry.id)
        entries.append(entry)
    return _Log(text[: starts[0]], tuple(entries))


def _compose(text: str) -> Node | str | None:
    """The node tree of a single-document text, or the parser's complaint."""
    try:
        node: Node | None = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as err:
        return str(getattr(err, "problem", None) or err).strip()
    except (ValueError, RecursionError) as err:
        return str(err)
    return node


def _is_empty_document(root: Node | None) -> bool:
    # An empty file, a comments-only file and a bare `---` are all "no entries yet".
    return root is None or (isinstance(root, ScalarNode) and root.tag == _NULL and root.value == "")


def _lines(text: str) -> list[str]:
    """Lines with their endings. Only LF ends a line here, so a chunk boundary is
    always right after a real newline (CRLF files keep their CR in the line)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _item_starts(text: str) -> list[int] | str:
    """Offsets of the lines that start a top-level item, or why they can't be found."""
    offset = 0
    indent: str | None = None
    starts: list[int] = []
    for number, line in enumerate(_lines(text), start=1):
        body = line.lstrip("\ufeff") if number == 1 else line
        if indent is None:
            match = _ITEM_RE.match(body)
            if match:
                indent = match.group(1)
                starts.append(offset)
            elif not _HEADER_LINE_RE.fullmatch(body.rstrip("\r\n")):
                return f"line {number} comes before the first entry but is not a comment"
        elif body.startswith(indent + "-") and _ITEM_RE.match(body[len(indent) :]):
            starts.append(offset)
        offset += len(line)
    if not starts:
        return "no '- ' item found"
    return starts


def _read_chunk(chunk: str) -> _Chunk | str:
    """One chunk read on its own: a single mapping with a text id (or why not)."""
    node = _compose(chunk)
    if isinstance(node, str):
        return f"does not read on its own ({node})"
    if (
        not isinstance(node, SequenceNode)
        or node.flow_style
        or len(node.value) != 1
        or not isinstance(node.value[0], MappingNode)
    ):
        return "is not a single mapping"
    item: MappingNode = node.value[0]
    # Before constructing: the constructor flattens merge keys into the node in place.
    if any(isinstance(key, ScalarNode) and key.tag == _MERGE for key, _ in item.value):
        return "uses a merge key (<<)"
    data = SafeConstructor().construct_document(node)
    ids = [value for key, value in item.value if _is_key(key, "id")]
    if len(ids) != 1:
        return "has no id" if not ids else "has more than one id"
    id_node = ids[0]
    if not isinstance(id_node, ScalarNode) or id_node.tag != _STR or not id_node.value.strip():
        return "has an id that is not text"
    dates = [value for key, value in item.value if _is_key(key, "date")]
    moment = None
    if len(dates) == 1 and isinstance(dates[0], ScalarNode):
        moment = parse_datetime(dates[0].value)
    return _Entry(id_node.value, chunk, moment), data


def _is_key(node: Node, name: str) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _STR and node.value == name


def _strict_equal(a: object, b: object) -> bool:
    """Equality that also demands equal types, so 1, 1.0 and True are not the same."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


# ------------------------------------------------------------------- merging


@dataclass
class MergeCache:
    """What reading log texts found, kept across merges of related versions (a series
    of commits replayed one after another): each whole text and each chunk is then
    read once. A plain dict per kind: texts are compared exactly."""

    texts: dict[str, _Log | str] = field(default_factory=dict)
    chunks: dict[str, _Chunk | str] = field(default_factory=dict)

    def parse(self, text: str) -> _Log | str:
        found = self.texts.get(text)
        if found is None:
            found = self.texts[text] = _parse(text, self.chunks)
        return found


def merge_logs(base: str, ours: str, theirs: str, cache: MergeCache | None = None) -> MergeResult:
    """Three-way merge of log texts: every entry of both sides, once.

    Ours is kept as it is, in its order; each entry only theirs added is placed by
    date, then id: right before the first dated entry of ours that comes later. When
    both sides are in date order (as valid logs are) the result is therefore the
    union ordered by date then id; an existing entry is never moved, so comparing the
    result with ours shows additions only.

    Conflicts (text None): a base entry changed, removed or moved on either side, an
    id added on both sides with different text, an entry added by theirs without a
    valid date, the header comments changed differently on both sides, or a version
    that cannot be cut into entries. Otherwise the header (ours, or theirs if only
    theirs changed it) followed by every entry exactly as written, each ending with a
    newline. ``cache`` carries what was read to the next merge of a series.
    """
    cache = cache if cache is not None else MergeCache()
    logs: dict[str, _Log] = {}
    refused: list[str] = []
    for side, text in (("base", base), ("ours", ours), ("theirs", theirs)):
        parsed = cache.parse(text)
        if isinstance(parsed, str):
            refused.append(f"{side} cannot be merged entry by entry: {parsed}")
        else:
            logs[side] = parsed
    if refused:
        return MergeResult(None, refused)
    old, mine, other = logs["base"], logs["ours"], logs["theirs"]

    conflicts = _base_conflicts(old, {"ours": mine, "theirs": other})
    additions, added_conflicts = _additions(old, mine, other)
    conflicts += added_conflicts
    header = _merge_header(old.header, mine.header, other.header)
    if header is None:
        conflicts.append("the comments before the first entry were changed on both sides")
    conflicts += [
        f"entry {entry.id} has no valid date, so its place in the log cannot be decided"
        for entry in additions
        if entry.date is None
    ]
    if conflicts or header is None:
        return MergeResult(None, conflicts)

    ordered = _place(mine.entries, additions)
    text = _terminated(header) + "".join(_terminated(entry.text) for entry in ordered)
    check = cache.parse(text)
    if isinstance(check, str) or [e.id for e in check.entries] != [e.id for e in ordered]:
        return MergeResult(None, ["the merged log would not read back as the same entries"])
    return MergeResult(text, [])


def _base_conflicts(base: _Log, sides: dict[str, _Log]) -> list[str]:
    """Every base entry must survive on both sides, unchanged and in its place."""
    conflicts: list[str] = []
    base_order = [e.id for e in base.entries]
    for side, log in sides.items():
        by_id = {e.id: e for e in log.entries}
        for entry in base.entries:
            now = by_id.get(entry.id)
            if now is None:
                conflicts.append(f"entry {entry.id} was removed on {side}")
            elif not _same_text(now.text, entry.text):
                conflicts.append(f"entry {entry.id} was changed on {side}")
        conflicts += [
            f"entry {entry_id} was moved on {side}"
            for entry_id in moved_entries(base_order, [e.id for e in log.entries])
        ]
    return conflicts


def _additions(base: _Log, ours: _Log, theirs: _Log) -> tuple[list[_Entry], list[str]]:
    """The entries theirs added that ours does not hold yet (each id once)."""
    base_ids = {e.id for e in base.entries}
    mine = {e.id: e for e in ours.entries}
    added: list[_Entry] = []
    conflicts: list[str] = []
    for entry in theirs.entries:
        if entry.id in base_ids:
            continue
        same_id = mine.get(entry.id)
        if same_id is None:
            added.append(entry)
        elif not _same_text(same_id.text, entry.text):
            conflicts.append(
                f"entry {entry.id} was added on both sides with different text: two different "
                "notes got the same id; keep both by giving one of them a new id "
                f"(for example {entry.id}-2)"
            )
    return added, conflicts


def _place(ours: Sequence[_Entry], additions: Sequence[_Entry]) -> list[_Entry]:
    """Ours in its own order, each addition put before the first later dated entry.

    A merge step (as in merge sort): with both inputs in date order the result is in
    date order; entries of ours keep their relative order whatever it is.
    """
    pending = sorted(additions, key=_order_key)
    out: list[_Entry] = []
    next_up = 0
    for entry in ours:
        if entry.date is not None:  # an undated entry of ours is never a landmark
            key = _order_key(entry)
            while next_up < len(pending) and _order_key(pending[next_up]) < key:
                out.append(pending[next_up])
                next_up += 1
        out.append(entry)
    out.extend(pending[next_up:])
    return out


def moved_entries(before: Sequence[str], after: Sequence[str]) -> list[str]:
    """Keys found in both sequences whose relative order changed (as few as possible).

    Keys only in one sequence are ignored: an entry inserted anywhere moves nothing.
    The keys kept in place are a longest run of ``after`` that is in ``before``'s
    order; the others (in ``after``'s order) are the ones reported as moved.
    """
    rank = {key: i for i, key in enumerate(before)}
    seq = [key for key in after if key in rank]
    tails: list[int] = []  # smallest last rank of an increasing run of each length
    tail_at: list[int] = []  # index in seq of that last element
    previous = [-1] * len(seq)
    for i, key in enumerate(seq):
        r = rank[key]
        j = bisect.bisect_left(tails, r)
        if j == len(tails):
            tails.append(r)
            tail_at.append(i)
        else:
            tails[j] = r
            tail_at[j] = i
        previous[i] = tail_at[j - 1] if j else -1
    kept: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        kept.add(i)
        i = previous[i]
    return [key for i, key in enumerate(seq) if i not in kept]


def _merge_header(base: str, ours: str, theirs: str) -> str | None:
    """Ours, unless only theirs changed it; None when both changed it differently."""
    if _same_text(ours, theirs) or _same_text(theirs, base):
        return ours
    if _same_text(ours, base):
        return theirs
    return None


def _same_text(a: str, b: str) -> bool:
    return a.rstrip(_TRAILING_WS) == b.rstrip(_TRAILING_WS)


def _order_key(entry: _Entry) -> tuple[datetime, str]:
    # Wall-clock time as written: naive times are the agency's local time, so an
    # offset is dropped rather than converted (facts.py reads days the same way).
    assert entry.date is not None  # undated additions are refused; undated ours skipped
    return entry.date.replace(tzinfo=None), entry.id


def _terminated(chunk: str) -> str:
    """The chunk ending with a line break, in the chunk's own style."""
    if not chunk or chunk.endswith("\n"):
        return chunk
    return chunk + ("\r\n" if "\r\n" in chunk else "\n")


# ----------------------------------------------------------------- git glue


def main(argv: list[str]) -> int:
    """Git entry point: ``<cmd> %O %A %B [%P]``. 0 merged into %A, 1 conflict, 2 error."""
    if len(argv) not in (3, 4):
        print("usage: python -m casectl.mergedriver BASE OURS THEIRS [PATH]", file=sys.stderr)
        return 2
    base_path, ours_path, theirs_path = (Path(arg) for arg in argv[:3])
    shown = argv[3] if len(argv) == 4 else argv[1]
    try:
        raws = [p.read_bytes() for p in (base_path, ours_path, theirs_path)]
    except OSError as err:
        print(f"casectl merge: {shown}: cannot read: {err}", file=sys.stderr)
        return 2
    group: str | None = None
    if any(raw.startswith(MAGIC) for raw in raws):  # a restricted client's log
        from casectl.vault import crypt

        opened = crypt.open_for_merge(Path.cwd(), shown, raws)
        if isinstance(opened, str):
            print(f"casectl merge: {shown}: conflict: {opened}", file=sys.stderr)
            return 1
        raws, group = opened
    try:
        texts = [raw.decode("utf-8") for raw in raws]
    except UnicodeDecodeError as err:
        print(f"casectl merge: {shown}: cannot read: {err}", file=sys.stderr)
        return 2
    result = merge_logs(texts[0], texts[1], texts[2])
    if result.text is None:
        for message in result.conflicts:
            print(f"casectl merge: {shown}: conflict: {message}", file=sys.stderr)
        return 1
    merged = result.text.encode("utf-8")
    if group is not None:
        from casectl.vault import crypt

        try:
            merged = crypt.encrypt(Path.cwd(), merged, group)
        except CasectlError as err:
            print(f"casectl merge: {shown}: conflict: {err}", file=sys.stderr)
            return 1
    try:
        ours_path.write_bytes(merged)
    except OSError as err:
        print(f"casectl merge: {shown}: cannot write: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
