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

A value longer than its limit (``casectl.model.MAX_NAME`` ...) is CM013 in every file.
Past ``load.MAX_PROBLEMS_PER_FILE`` problems the rest are counted, not built (a
``Budget`` per producer), and a record with many errors is checked list by list, so a
huge file costs one pass however broken it is.
"""

from __future__ import annotations

import difflib
import functools
import heapq
import itertools
from collections.abc import Sequence
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, Field, PlainValidator, TypeAdapter, ValidationError
from pydantic_core import SchemaValidator

from casectl.core.model import SHORT_TEXT_LIMITS, Record, _to_bool, _to_int, _to_text, describe
from casectl.core.problems import Problem, field_path
from casectl.store import load
from casectl.store.load import Loaded

R = TypeVar("R", bound=Record)
Loc = tuple[str | int, ...]
Parts = dict[str, tuple[list[Any], list[int]]]  # field -> (valid items, their positions)

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


def _data_loc(data: Any, loc: Sequence[Any], missing: bool) -> Loc:
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


def _shape_errors_first(found: list[tuple[Loc, Any]]) -> list[tuple[Loc, Any]]:
    """Drop a union branch's "wrong type" error where another branch matched the
    value's shape and found something deeper (``{email: x}`` for ``name | {name}``).

    Linear: every proper prefix of every place goes into one set first.
    """
    prefixes: set[Loc] = set()
    for loc, _ in found:
        prefixes.update(loc[:i] for i in range(len(loc)))
    return [
        (loc, err)
        for loc, err in found
        if not (_OFFSETS.get(err["type"], 2) == 2 and loc in prefixes)
    ]


class Budget:
    """How many more problems a producer may build for one file. Past it, problems are
    only counted (``Loaded.skip``): the file shows its first ones and a count."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = load.MAX_PROBLEMS_PER_FILE


def validate(
    loaded: Loaded,
    model: type[R],
    block: int,
    data: Any = None,
    prefix: Loc = (),
    budget: Budget | None = None,
    parts: Parts | None = None,
) -> tuple[R | None, list[Problem]]:
    """Validate ``data`` (default: the whole file) against ``model``.

    ``budget`` is shared by the calls for one file (the entries of a log); by default
    each call has its own. ``parts``, when given, receives for each big list of the
    record that was checked item by item its valid items and their positions (so a
    caller salvaging the valid ones need not check them again).
    """
    budget = budget or Budget()
    if data is None and not prefix:
        data = loaded.data
    if not isinstance(data, dict):
        where = prefix if prefix else ()
        what = "this entry" if prefix else "the file"
        if budget.left <= 0:
            loaded.skip()
            return None, []
        budget.left -= 1
        return None, [
            loaded.problem(
                where,
                code(block, 2),
                f"{what} must be a mapping (key: value), got {describe(data)}",
            )
        ]
    found = _Found(loaded, block, budget, parts)
    valid, record = found.check(model, data, prefix)
    if not valid:
        return None, found.problems
    return record, unknown_keys(loaded, record, block, prefix, budget)


# A record failing with more errors than this is checked container by container, so
# that only the problems shown are ever built (and a huge list costs one pass).
SPLIT_FROM = 50
# A list or mapping with more items than this is checked item by item from the start:
# pydantic keeps every error of one call in memory, and such a list may hold millions.
BIG = 1000
# Items counted per pydantic call once the problems shown are built (bounds memory).
CHUNK = 1000


class _Bad:
    """An item that failed its type, in the result of a tolerant validation."""

    __slots__ = ()


_BAD = _Bad()


@functools.cache
def _tolerant(tp: Any) -> TypeAdapter[list[Any]] | SchemaValidator:
    """A list of ``tp`` where an invalid item becomes ``_BAD``: one pass, no exception
    and no error kept per item.

    Each item is first tried as ``tp`` with pydantic's own checks in place of casectl's
    Python validators of texts, numbers and true/false (``_native``: they accept a part
    of what those accept, and give the same values), then, if that fails, as ``tp``
    itself: a valid log entry costs two Python calls instead of six."""
    bad = Annotated[Any, PlainValidator(lambda _: _BAD)]
    item = Annotated[Union[tp, bad], Field(union_mode="left_to_right")]  # noqa: UP007
    adapter = TypeAdapter(list[item])
    schema: Any = adapter.core_schema
    if schema.get("type") != "list" or schema["items_schema"].get("type") != "union":
        return adapter
    choices = schema["items_schema"]["choices"]
    fast = _native(choices[0])
    if fast is None:
        return adapter
    union = {**schema["items_schema"], "choices": [fast, *choices]}
    return SchemaValidator({**schema, "items_schema": union})


def _native(node: Any) -> Any:
    """A copy of the core schema ``node`` with casectl's validators of plain texts,
    short texts, whole numbers (and their bounds) and true/false replaced by pydantic's
    strict ``str`` (with ``max_length``), ``int`` (with ``ge``/``le``) and ``bool``;
    None if nothing was replaced or the schema refers to definitions."""
    changed = False

    def walk(node: Any) -> Any:
        nonlocal changed
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        if node.get("type") in ("definitions", "definition-ref"):
            raise LookupError
        out = {k: v if k in _OPAQUE else walk(v) for k, v in node.items() if k != "ref"}
        kind = out.get("type")
        if kind == "function-before" and out["function"].get("type") == "no-info":
            function, inner = out["function"]["function"], out["schema"]
            native = _NATIVE.get(function)
            if native is not None and inner == {"type": native}:
                changed = True
                return {"type": native, "strict": True}
            limit = SHORT_TEXT_LIMITS.get(function)
            if limit is not None and inner == {"type": "str"}:
                changed = True
                return {"type": "str", "strict": True, "max_length": limit}
        if kind == "function-after" and out["function"].get("type") == "no-info":
            function, inner = out["function"]["function"], out["schema"]
            bound = _bound(function)
            if bound is not None and inner.get("type") == "int" and inner.get("strict"):
                return {**inner, bound[0]: bound[1]}
        return out

    try:
        copy = walk(node)
    except LookupError:
        return None
    return copy if changed else None


_OPAQUE = frozenset({"cls", "config", "metadata", "serialization", "default", "expected"})
_NATIVE: dict[Any, str] = {_to_text: "str", _to_int: "int", _to_bool: "bool"}


def _bound(function: Any) -> tuple[str, int] | None:
    """("ge", n) or ("le", n) for pydantic's own Python check of a ``Field(ge=n)``
    (``le``) on a whole number; None for any other function."""
    if isinstance(function, functools.partial) and len(function.keywords) == 1:
        name = getattr(function.func, "__name__", "")
        [(key, value)] = function.keywords.items()
        wanted = {"greater_than_or_equal_validator": "ge", "less_than_or_equal_validator": "le"}
        if wanted.get(name) == key and type(value) is int:
            return key, value
    return None


def valid_items(tp: Any, items: list[Any]) -> tuple[list[Any], list[int]]:
    """The items valid as ``tp`` (validated: records for a record type) and their
    positions, in one pass."""
    checked = _tolerant(tp).validate_python(items)
    positions = [i for i, item in enumerate(checked) if item is not _BAD]
    return [checked[i] for i in positions], positions


@functools.cache
def _strict_list(tp: Any) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[tp])


def count_errors(tp: Any, items: list[Any]) -> int:
    """How many errors pydantic finds in ``items`` as ``tp``, CHUNK items per call."""
    count = 0
    adapter = _strict_list(tp)
    for start in range(0, len(items), CHUNK):
        try:
            adapter.validate_python(items[start : start + CHUNK])
        except ValidationError as exc:
            count += exc.error_count()
    return count


class _Found:
    """The problems of one failed validation, built while the budget lasts."""

    def __init__(
        self, loaded: Loaded, block: int, budget: Budget, parts: Parts | None = None
    ) -> None:
        self.loaded = loaded
        self.block = block
        self.budget = budget
        self.problems: list[Problem] = []
        self.parts = parts

    def check(self, tp: Any, data: Any, at: Loc) -> tuple[bool, Any]:
        """Validate ``data`` (at ``at``) as ``tp``: (valid, the value). Every problem is
        accounted for: built while the budget lasts, else counted."""
        big = _big_containers(tp, data)
        if not big:
            try:
                return True, _adapter(tp).validate_python(data)
            except ValidationError as exc:
                self.failed(tp, data, at, exc)
                return False, None
        valid = True
        rest = {**data, **{name: type(data[name])() for name in big}}
        try:
            _adapter(tp).validate_python(rest)
        except ValidationError as exc:
            self.failed(tp, rest, at, exc)
            valid = False
        exact = not _has_union(tp)
        for name, item_tp in big.items():
            value = data[name]
            keys = list(value) if isinstance(value, dict) else None
            items = list(value.values()) if isinstance(value, dict) else value
            good_items, good = valid_items(item_tp, items)
            if self.parts is not None and not at:
                self.parts[name] = (good_items, good)
            if len(good) == len(items):
                continue
            valid = False
            ok = set(good)
            bad = [i for i in range(len(items)) if i not in ok]
            for n, i in enumerate(bad):
                if exact and self.budget.left <= 0:
                    # Only counted now: CHUNK items per call, nested big lists on their own.
                    nested = [j for j in bad[n:] if _big_containers(item_tp, items[j])]
                    if nested:
                        skip = set(nested)
                        flat = [items[j] for j in bad[n:] if j not in skip]
                    else:
                        flat = [items[j] for j in bad[n:]]
                    self.loaded.skip(count=count_errors(item_tp, flat))
                    for j in nested:
                        self.check(item_tp, items[j], (*at, name, keys[j] if keys else j))
                    break
                self.check(item_tp, items[i], (*at, name, keys[i] if keys else i))
        if not valid:
            return False, None
        try:  # every part is valid on its own: the whole is (no cross-field rules)
            return True, _adapter(tp).validate_python(data)
        except ValidationError as exc:  # pragma: no cover - defensive
            self.failed(tp, data, at, exc)
            return False, None

    def failed(self, tp: Any, data: Any, at: Loc, exc: ValidationError) -> None:
        """Account for every problem behind ``exc``: ``data`` (at ``at``) failed ``tp``."""
        errors = exc.error_count()
        parts = _containers(tp, data) if errors > SPLIT_FROM else {}
        if not parts:
            self._detail(tp, data, at, exc)
            return
        exact = not _has_union(tp)
        if exact and self.budget.left <= 0:
            self.loaded.skip(count=errors)  # one problem per error (no union branches)
            return
        rest = {**data, **{name: type(data[name])() for name in parts}}
        accounted = 0
        try:
            _adapter(tp).validate_python(rest)
        except ValidationError as inner:
            self.failed(tp, rest, at, inner)
            accounted += inner.error_count()
        for name, item_tp in parts.items():
            value = data[name]
            items = value.items() if isinstance(value, dict) else enumerate(value)
            adapter = _adapter(item_tp)
            for key, item in items:
                if exact and self.budget.left <= 0:
                    break
                try:
                    adapter.validate_python(item)
                except ValidationError as inner:
                    self.failed(item_tp, item, (*at, name, key), inner)
                    accounted += inner.error_count()
        if exact:
            self.loaded.skip(count=errors - accounted)  # the items not looked at

    def _detail(self, tp: Any, data: Any, at: Loc, exc: ValidationError) -> None:
        found = [
            (_data_loc(data, e["loc"], e["type"] == "missing"), e)
            for e in exc.errors(include_url=False)
        ]
        seen: set[Loc] = set()
        for loc, err in _shape_errors_first(found):
            if loc in seen:
                continue  # one problem per place (unions report every branch)
            seen.add(loc)
            if self.budget.left <= 0:
                self.loaded.skip()
                continue
            self.budget.left -= 1
            message = _message(err)
            typo = _misspelt(tp, data, loc) if err["type"] == "missing" else None
            if typo is not None:
                # Point at the misspelt key: that is the line to fix.
                line, col = self.loaded.mark((*at, *loc[:-1], typo), key=True)
                text = f"{field_path((*at, *loc))}: required key is missing; "
                text += f"did you mean {loc[-1]!r} for {describe(typo)}?"
                self.problems.append(
                    Problem(self.loaded.path, line, col, "error", code(self.block, 1), text)
                )
                continue
            etype = err["type"]
            code_ = (
                load.TOO_LONG
                if etype == "cm_too_long"
                else code(self.block, _OFFSETS.get(etype, 2))
            )
            self.problems.append(self.loaded.problem((*at, *loc), code_, message))


def _misspelt(tp: Any, data: Any, loc: Loc) -> str | None:
    """The unknown key beside a missing required key that looks like a misspelling of
    it (``stauts`` for ``status``), or None."""
    parent = data
    for part in loc[:-1]:
        parent = parent[part]
    if not isinstance(parent, dict) or not isinstance(loc[-1], str):
        return None
    known = _fields_at(tp, loc[:-1])
    wanted = loc[-1]
    near = [
        k
        for k in parent
        if isinstance(k, str) and k not in known and abs(len(k) - len(wanted)) <= 3
    ][:_HINT_CANDIDATES]
    close = difflib.get_close_matches(wanted, near, n=1, cutoff=0.75)
    return close[0] if close else None


_HINT_CANDIDATES = 1000


def unknown_keys(
    loaded: Loaded,
    record: BaseModel,
    block: int,
    prefix: Loc = (),
    budget: Budget | None = None,
) -> list[Problem]:
    """Warnings for keys the record does not know (``stauts``), recursively.

    Within the budget the first ones in the file are built (with a "did you mean");
    the others are only counted.
    """
    if not record.__pydantic_extra__ and not _nested_fields(type(record)):
        return []  # nearly every log entry: nothing unknown, nothing nested
    budget = budget or Budget()
    found: list[tuple[Loc, BaseModel]] = []
    shown = max(budget.left, 0)
    loaded.skip("warning", _collect_unknown(record, prefix, found, shown))
    if len(found) > shown:
        loaded.skip("warning", len(found) - shown)
        found = heapq.nsmallest(shown, found, key=lambda f: loaded.mark(f[0], key=True))
    budget.left -= len(found)
    problems = []
    for loc, owner in found:
        fields = [info.alias or name for name, info in type(owner).model_fields.items()]
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(
            loaded.problem(
                loc,
                code(block, UNKNOWN_KEY),
                f"unknown key (ignored){hint}",
                severity="warning",
                key=True,
            )
        )
    return problems


def _collect_unknown(
    record: BaseModel, prefix: Loc, out: list[tuple[Loc, BaseModel]], keep: int
) -> int:
    """(place, record) of the unknown keys under ``record``, cheaply (no messages): of
    each mapping the first ``keep`` (they are in file order, so no later one can be
    among the first ``keep`` of the file). Returns how many were left out."""
    left_out = 0
    extra = record.__pydantic_extra__  # model_extra, without the property's call
    if extra:
        out.extend(((*prefix, key), record) for key in itertools.islice(extra, keep))
        left_out += max(len(extra) - keep, 0)
    for name, key in _nested_fields(type(record)):
        value = getattr(record, name)
        if isinstance(value, BaseModel):
            left_out += _collect_unknown(value, (*prefix, key), out, keep)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    left_out += _collect_unknown(item, (*prefix, key, i), out, keep)
        elif isinstance(value, dict):
            for k, item in value.items():
                if isinstance(item, BaseModel):
                    left_out += _collect_unknown(item, (*prefix, key, k), out, keep)
    return left_out


# ------------------------------------------------------- types, read once per type


def _unwrap(tp: Any) -> Any:
    """``X`` of ``Annotated[X, ...]`` and of ``X | None``; anything else unchanged."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


@functools.cache
def _container_fields(model: type[BaseModel]) -> dict[str, tuple[type, Any]]:
    """Fields of ``model`` that are lists or mappings: name -> (list or dict, item type)."""
    out: dict[str, tuple[type, Any]] = {}
    for name, info in model.model_fields.items():
        tp = _unwrap(info.annotation)
        origin = get_origin(tp)
        key = info.alias or name  # as the data spells it
        if origin is list:
            out[key] = (list, get_args(tp)[0])
        elif origin is dict:
            out[key] = (dict, get_args(tp)[1])
    return out


def _big_containers(tp: Any, data: Any) -> dict[str, Any]:
    """The lists and mappings of ``data`` with more than BIG items (see _containers)."""
    if type(data) is not dict or not data:
        return {}
    fields = _container_fields(_unwrap(tp)) if _is_model(_unwrap(tp)) else {}
    return {
        name: item
        for name, (kind, item) in fields.items()
        if type(data.get(name)) is kind and len(data[name]) > BIG
    }


def _containers(tp: Any, data: Any) -> dict[str, Any]:
    """The non-empty lists and mappings of ``data`` that ``tp`` (a record) checks item by
    item: field name -> item type."""
    tp = _unwrap(tp)
    if not _is_model(tp) or not isinstance(data, dict):
        return {}
    return {
        name: item
        for name, (kind, item) in _container_fields(tp).items()
        if type(data.get(name)) is kind and data[name]
    }


@functools.cache
def _has_union(tp: Any) -> bool:
    """Whether ``tp`` or anything inside it is a union (other than ``X | None``): only
    then can one place have several errors (one per branch)."""
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, UnionType):
        return True
    if get_origin(tp) in (list, dict):
        return any(_has_union(a) for a in get_args(tp))
    if _is_model(tp):
        return any(_has_union(info.annotation) for info in tp.model_fields.values())
    return False


@functools.cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def _record_type(tp: Any) -> Any:
    """``tp`` unwrapped; of a union, its first record member."""
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, UnionType):
        return next((_unwrap(a) for a in get_args(tp) if _is_model(_unwrap(a))), None)
    return tp


def _fields_at(tp: Any, loc: Loc) -> frozenset[str]:
    """The field names of the record type at ``loc`` under ``tp`` (none when the place
    is not a record)."""
    for part in loc:
        tp = _record_type(tp)
        if _is_model(tp):
            info = _by_key(tp).get(part) if isinstance(part, str) else None
            tp = info.annotation if info is not None else None
        elif get_origin(tp) in (list, dict):
            tp = get_args(tp)[-1]
        else:
            return frozenset()
    tp = _record_type(tp)
    return frozenset(_by_key(tp)) if _is_model(tp) else frozenset()


@functools.cache
def _by_key(model: type[BaseModel]) -> dict[str, Any]:
    """The fields of ``model`` by the key the data uses (its alias, else its name)."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


_NESTED: dict[type[BaseModel], tuple[tuple[str, str], ...]] = {}


def _nested_fields(cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(name, key as the data spells it) of the fields whose type may hold records
    (computed once per class)."""
    cached = _NESTED.get(cls)
    if cached is None:
        names = []
        for name, info in cls.model_fields.items():
            text = repr(info.annotation)
            if any(rec.__name__ in text for rec in _record_classes()):
                names.append((name, info.alias or name))
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


def valid_or_none(model: type[Record], data: Any) -> Any:
    """``data`` as a ``model`` record, or None when it is not valid as one."""
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def valid_items_of(model: type[Record], items: list[Any]) -> tuple[list[Any], list[int]]:
    """The items of ``items`` valid as ``model`` (as records) and their positions."""
    mappings = [i for i, item in enumerate(items) if type(item) is dict]
    kept, positions = valid_items(model, [items[i] for i in mappings])
    return kept, [mappings[i] for i in positions]
