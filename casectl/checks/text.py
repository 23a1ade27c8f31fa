"""What text in a case file may hold (CM011, CM128).

| code | rule |
|---|---|
| CM011 | no control character in a key or text value, in any file (below) |
| CM128 | client.yaml `name` is not empty or blank |

CM011 flags C0 controls (but tab and newline in free text), DEL, C1 controls and the
bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069): an error in
keys, ids and names (``_NAMES``), a warning in free text.

YAML cannot hold most control characters raw (that is CM001), but a double-quoted
``"\\e[2J"`` or ``"\\u202e"`` puts them into a value. casectl never shows them raw
(``output.visible``), yet a key, id or name holding one is always a mistake or an
attack, and free text holding one is worth a look: an RTL override makes a note read
differently in an editor than on the screen.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from casectl.checks.result import CheckedClient
from casectl.core.context import Env
from casectl.core.problems import Problem
from casectl.store.load import FLAGGED, Loaded

CONTROL = "CM011"
BLANK_NAME = "CM128"

_IN_TEXT = re.compile(f"[{FLAGGED}]")  # free text: newline and tab are fine
_IN_NAME = re.compile(f"[\t\n{FLAGGED}]")  # keys, ids, names: one line

Loc = tuple[str | int, ...]

# Values that name or identify something, per file ("*": any list index or key).
_NAMES: dict[str, frozenset[tuple[str, ...]]] = {
    "casectl.yaml": frozenset(
        {
            ("agency",),
            ("timezone",),
            ("managers", "*"),
            ("managers", "*", "name"),
            ("managers", "*", "email"),
            ("domains", "*"),
        }
    ),
    "client.yaml": frozenset(
        {("id",), ("name",), ("status",), ("manager",), ("program",), ("contacts", "*", "name")}
    ),
    "plan.yaml": frozenset(
        {
            ("goals", "*", "id"),
            ("goals", "*", "domain"),
            ("goals", "*", "status"),
            ("goals", "*", "actions", "*", "who"),
        }
    ),
    "assessment.yaml": frozenset({("assessments", "*", "by")}),
    "log.yaml": frozenset(
        {
            ("*", "id"),
            ("*", "by"),
            ("*", "type"),
            ("*", "amends"),
            ("*", "to"),
            ("*", "goals", "*"),
        }
    ),
}
# Mappings whose keys are names (any key matches "*" in the patterns above).
_KEYED = frozenset({("managers",)})
# Keys whose text values may be names, and lists of names: only there can newline or
# tab be a problem, so only there are they looked at.
_ONE_LINE = frozenset(p[-1] for ps in _NAMES.values() for p in ps if p[-1] != "*") | {"managers"}
_NAME_LISTS = frozenset({"goals", "domains"})


def check(loaded: Loaded, kind: str) -> list[Problem]:
    """CM011 for every key and text value of ``loaded`` (``kind``: the file's name)."""
    if loaded.data is None:
        return []
    hits: list[tuple[Loc, str, bool]] = []
    if loaded.marked_text:
        _walk(loaded.data, (), hits)
    else:  # no value holds a tab or a flagged character: only a newline can be wrong
        _walk_newlines(loaded.data, (), hits)
    if not hits:
        return []
    names = _NAMES.get(kind, frozenset())
    out: list[Problem] = []
    for loc, text, is_key in hits:
        name = is_key or _pattern(loc) in names
        found = (_IN_NAME if name else _IN_TEXT).findall(text)
        if found:
            out.append(
                loaded.problem(
                    loc,
                    CONTROL,
                    _message(found),
                    severity="error" if name else "warning",
                    key=is_key,
                )
            )
    return out


def check_client_name(loaded: Loaded) -> list[Problem]:
    """CM128: a client.yaml ``name`` that is empty or only spaces."""
    data = loaded.data
    if isinstance(data, dict):
        name = data.get("name")
        if isinstance(name, str) and not name.strip():
            return [loaded.problem(("name",), BLANK_NAME, "is empty; write the client's name")]
    return []


def _walk(node: Any, loc: Loc, hits: list[tuple[Loc, str, bool]], names: bool = False) -> None:
    """Collect every key, and every text value holding a flagged character (newline and
    tab too where the value may be a name), for :func:`check` to classify.

    This runs over every value of every file on a cold ``validate``: ``isprintable``
    (in C) settles nearly every value, and multi-line free text (note bodies) costs
    one regex search.
    """
    # The loader builds plain dicts, lists and strs: exact type tests are the cheapest.
    if type(node) is dict:
        for key, value in node.items():
            if type(key) is str and not key.isprintable():
                hits.append(((*loc, key), key, True))
            kind = type(value)
            if kind is str:
                if not value.isprintable() and (key in _ONE_LINE or _IN_TEXT.search(value)):
                    hits.append(((*loc, key), value, False))
            elif kind is dict or kind is list:
                _walk(value, (*loc, key), hits, key in _NAME_LISTS)
    elif type(node) is list:
        for i, value in enumerate(node):
            kind = type(value)
            if kind is str:
                if not value.isprintable() and (names or _IN_TEXT.search(value)):
                    hits.append(((*loc, i), value, False))
            elif kind is dict or kind is list:
                _walk(value, (*loc, i), hits)
    elif type(node) is str and not node.isprintable():
        hits.append((loc, node, False))


def _walk_newlines(
    node: Any, loc: Loc, hits: list[tuple[Loc, str, bool]], names: bool = False
) -> None:
    """:func:`_walk` for a file whose text holds no tab, no backslash and no flagged
    character (``Loaded.marked_text``): then only a key, or a value that may be a name,
    holding a newline can be a problem, and only those are collected (the same ones,
    in the same order, as :func:`_walk` finds problems in)."""
    if type(node) is dict:
        for key, value in node.items():
            if type(key) is str and "\n" in key:
                hits.append(((*loc, key), key, True))
            kind = type(value)
            if kind is str:
                if key in _ONE_LINE and "\n" in value:
                    hits.append(((*loc, key), value, False))
            elif kind is dict or kind is list:
                _walk_newlines(value, (*loc, key), hits, key in _NAME_LISTS)
    elif type(node) is list:
        for i, value in enumerate(node):
            kind = type(value)
            if kind is str:
                if names and "\n" in value:
                    hits.append(((*loc, i), value, False))
            elif kind is dict or kind is list:
                _walk_newlines(value, (*loc, i), hits)


def _pattern(loc: Loc) -> tuple[str, ...]:
    """``("goals", 2, "id")`` as ``("goals", "*", "id")``; keys of name-keyed maps too."""
    out: list[str] = []
    for part in loc:
        out.append("*" if isinstance(part, int) or tuple(out) in _KEYED else part)
    return tuple(out)


def _message(found: list[str]) -> str:
    first = found[0]
    try:
        label = unicodedata.name(first).lower()
    except ValueError:  # C0/C1 controls have no name in the Unicode database
        label = _C0_NAMES.get(first, "a control character")
    count = "1 control character" if len(found) == 1 else f"{len(found)} control characters"
    return (
        f"holds {count} (the first: U+{ord(first):04X}, {label}); "
        "they could take over a terminal or hide text"
    )


_C0_NAMES = {
    "\x00": "null",
    "\x07": "bell",
    "\x08": "backspace",
    "\t": "tab",
    "\n": "newline",
    "\r": "carriage return",
    "\x1b": "escape",
    "\x7f": "delete",
    "\x9b": "control sequence introducer",
}


def run(c: CheckedClient, env: Env) -> list[Problem]:
    """CM011 in every file of the client, CM128 in client.yaml."""
    out: list[Problem] = []
    for name, loaded in c.loaded.items():
        out += check(loaded, name)
        if name == "client.yaml":
            out += check_client_name(loaded)
    return out
