"""Schema checks: a loaded file against its pydantic record (codes x01..x07).

Within each file's hundred-block (CM1xx client, CM2xx plan, CM3xx assessment, CM4xx
log, CM5xx casectl.yaml) the schema codes are:

| code | meaning |
|---|---|
| x01 | a required key is missing |
| x02 | a value has the wrong type (text, number, list, mapping expected) |
| x03 | a value is not one of the allowed values |
| x04 | not a real date / date and time |
| x05 | a number out of range |
| x06 | not a duration (`90 days`) |
| x07 | unknown key (warning; an error under ``--strict``) |
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from casectl.load import Loaded
from casectl.model import Record, describe
from casectl.problems import Problem, field_path

R = TypeVar("R", bound=Record)

_OFFSETS = {
    "missing": 1,
    "literal_error": 3,
    "cm_id": 3,
    "enum": 3,
    "cm_date": 4,
    "cm_datetime": 4,
    "greater_than_equal": 5,
    "less_than_equal": 5,
    "greater_than": 5,
    "less_than": 5,
    "cm_duration": 6,
}
UNKNOWN_KEY = 7

_BOUNDS = {
    "greater_than_equal": "at least",
    "less_than_equal": "at most",
    "greater_than": "more than",
    "less_than": "less than",
}

_KIND = {
    "dict": "a mapping (key: value)",
    "list": "a list",
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
}


def code(block: int, offset: int) -> str:
    return f"CM{block * 100 + offset:03d}"


def _message(err: Any) -> str:
    etype: str = err["type"]
    value = err.get("input")
    if etype == "missing":
        return "required key is missing"
    if etype.startswith("cm_"):
        return str(err["msg"])
    if etype == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", "")).replace("'", "")
        expected = expected.replace(" or ", ", ")
        return f"{describe(value)} is not one of: {expected}"
    if etype in _BOUNDS:
        limit = next(iter(err.get("ctx", {}).values()), "?")
        return f"{describe(value)} is out of range ({_BOUNDS[etype]} {limit})"
    base = etype.split("_")[0]
    if base in ("model", "dict"):
        return f"expected {_KIND['dict']}, got {describe(value)}"
    if base in _KIND:
        return f"expected {_KIND[base]}, got {describe(value)}"
    return f"{err['msg']} (got {describe(value)})"


def _data_loc(data: Any, loc: Sequence[Any], missing: bool) -> tuple[str | int, ...]:
    """The part of a pydantic loc that names real data.

    Union branches add tags such as ``Manager`` or ``function-before[...]`` that are
    not keys of the data: they are skipped. A missing key is kept as the last part.
    """
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        present = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if present and isinstance(part, str | int):
            out.append(part)
            node = node[part]
        elif missing and i == len(loc) - 1 and isinstance(part, str) and isinstance(node, dict):
            out.append(part)
        elif not isinstance(node, dict | list):
            break
    return tuple(out)


def _shape_errors_first(found: list[tuple[tuple[str | int, ...], Any]]) -> list[Any]:
    """Drop a union branch's "wrong type" error where another branch matched the
    value's shape and found something deeper (``{email: x}`` for ``name | {name}``)."""
    locs = [loc for loc, _ in found]
    kept = []
    for loc, err in found:
        offset = _OFFSETS.get(err["type"], 2)
        deeper = any(len(o) > len(loc) and o[: len(loc)] == loc for o in locs)
        if offset == 2 and deeper:
            continue
        kept.append((loc, err))
    return kept


def validate(
    loaded: Loaded,
    model: type[R],
    block: int,
    data: Any = None,
    prefix: tuple[str | int, ...] = (),
) -> tuple[R | None, list[Problem]]:
    """Validate ``data`` (default: the whole file) against ``model``."""
    if data is None and not prefix:
        data = loaded.data
    if not isinstance(data, dict):
        where = prefix if prefix else ()
        what = "this entry" if prefix else "the file"
        return None, [
            loaded.problem(
                where,
                code(block, 2),
                f"{what} must be a mapping (key: value), got {describe(data)}",
            )
        ]
    try:
        record = model.model_validate(data)
    except ValidationError as exc:
        problems: list[Problem] = []
        seen: set[tuple[str | int, ...]] = set()
        found = [(_data_loc(data, e["loc"], e["type"] == "missing"), e) for e in exc.errors()]
        for loc, err in _shape_errors_first(found):
            if loc in seen:
                continue  # one problem per place (unions report every branch)
            seen.add(loc)
            offset = _OFFSETS.get(err["type"], 2)
            typo = _misspelt(data, loc) if err["type"] == "missing" else None
            if typo is not None:
                # Point at the misspelt key: that is the line to fix.
                line, col = loaded.mark((*prefix, *loc[:-1], typo), key=True)
                text = f"{field_path(prefix + loc)}: required key is missing; "
                text += f"did you mean {loc[-1]!r} for {typo!r}?"
                problems.append(Problem(loaded.path, line, col, "error", code(block, 1), text))
                continue
            problems.append(loaded.problem(prefix + loc, code(block, offset), _message(err)))
        return None, problems
    return record, unknown_keys(loaded, record, block, prefix)


def _misspelt(data: Any, loc: tuple[str | int, ...]) -> str | None:
    """The key beside a missing required key that looks like a misspelling of it
    (``stauts`` for ``status``), or None."""
    if not loc or not isinstance(loc[-1], str):
        return None
    parent = data
    for part in loc[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return None
    if not isinstance(parent, dict):
        return None
    others = [k for k in parent if isinstance(k, str) and k != loc[-1]]
    close = difflib.get_close_matches(loc[-1], others, n=1, cutoff=0.75)
    return close[0] if close else None


def unknown_keys(
    loaded: Loaded, record: BaseModel, block: int, prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    """Warnings for keys the record does not know (``stauts``), recursively."""
    problems: list[Problem] = []
    extra = record.model_extra
    fields = [info.alias or name for name, info in type(record).model_fields.items()]
    if extra:
        for key in extra:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                loaded.problem(
                    (*prefix, key),
                    code(block, UNKNOWN_KEY),
                    f"unknown key (ignored){hint}",
                    severity="warning",
                    key=True,
                )
            )
    for name in _nested_fields(type(record)):
        value = getattr(record, name)
        if isinstance(value, BaseModel):
            problems += unknown_keys(loaded, value, block, (*prefix, name))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    problems += unknown_keys(loaded, item, block, (*prefix, name, i))
        elif isinstance(value, dict):
            for k, item in value.items():
                if isinstance(item, BaseModel):
                    problems += unknown_keys(loaded, item, block, (*prefix, name, k))
    return problems


_NESTED: dict[type[BaseModel], tuple[str, ...]] = {}


def _nested_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """Names of fields whose type may hold records (computed once per class)."""
    cached = _NESTED.get(cls)
    if cached is None:
        names = []
        for name, info in cls.model_fields.items():
            text = repr(info.annotation)
            if any(rec.__name__ in text for rec in _record_classes()):
                names.append(name)
        cached = _NESTED[cls] = tuple(names)
    return cached


def _record_classes() -> list[type[BaseModel]]:
    out: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [Record]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            out.append(sub)
            todo.append(sub)
    return out
