"""JSON Schemas of the five files, generated from the records (``casectl schema``).

Strict where a schema can be, so an editor flags what ``casectl validate`` flags: an
unknown key (``additionalProperties: false``; the validator names the typo), numbers
outside their bounds (``minutes`` 0..1440, scores 1..5), dates that are not real dates
(a pattern that admits only real days of the years 1800..2999, leap days included),
note times with a real hour and minute, durations as casectl reads them. What needs
more than one file (a goal id in the plan, a manager in casectl.yaml) is validate's.
"""

from __future__ import annotations

import json
from typing import Any

from casectl.core.model import Agency, AssessmentFile, Client, LogEntry, Plan

SCHEMA_FILES = {
    "casectl.yaml": "casectl.schema.json",
    "client.yaml": "client.schema.json",
    "assessment.yaml": "assessment.schema.json",
    "plan.yaml": "plan.schema.json",
    "log.yaml": "log.schema.json",
}


_YEAR = r"(?:18|19|2\d)\d{2}"
_LEAP_YEAR = r"(?:(?:18|19|2\d)(?:0[48]|[2468][048]|[13579][26])|2000|2400|2800)"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))"
)
# A real day of the years casectl reads (1800..2999): 2026-02-30 and 2026-13-01 fail.
REAL_DATE = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
DATE_PATTERN = rf"^{REAL_DATE}$"
# A note time: a real date, then optionally a real hour and minute (seconds, an offset).
NOTE_TIME_PATTERN = (
    rf"^{REAL_DATE}(?:[ T](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
    r"\s*(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?$"
)
# A duration as casectl reads it (any case): up to five digits and a unit.
DURATION_PATTERN = (
    r"^\s*\d{1,5}\s*(?:[Dd][Aa][Yy]|[Ww][Ee][Ee][Kk]|[Mm][Oo][Nn][Tt][Hh]|[Yy][Ee][Aa][Rr])"
    r"[Ss]?\s*$"
)
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _strict(node: Any) -> Any:
    """The schema made strict in place (see the module's docstring)."""
    if isinstance(node, list):
        for item in node:
            _strict(item)
        return node
    if not isinstance(node, dict):
        return node
    if "properties" in node and node.get("additionalProperties", True) is True:
        node["additionalProperties"] = False
    if node.get("format") == "date" and node.get("type") == "string":
        del node["format"]
        node["pattern"] = DATE_PATTERN
    elif node.get("description", "").startswith("YYYY-MM-DD HH:MM") and "pattern" in node:
        node["pattern"] = NOTE_TIME_PATTERN
    elif node.get("description", "").startswith("'<n> days") and "pattern" in node:
        node["pattern"] = DURATION_PATTERN
    for pydantic_name, name in _BOUNDS.items():
        if pydantic_name in node and node.get("type") in ("integer", "number"):
            node[name] = node.pop(pydantic_name)
    default = node.get("default")
    if isinstance(default, dict) and set(default) == {"count", "unit"}:
        node["default"] = f"{default['count']} {default['unit']}"  # a duration, as written
    for key, value in node.items():
        if key not in ("default", "examples", "enum", "const"):
            _strict(value)
    return node


def bundle() -> dict[str, Any]:
    """The five schemas as one JSON Schema document (what ``casectl schema`` prints
    without ``-o``): each under ``$defs`` by its file name, with that name as its
    ``$id``, so a schema tool reads it whole and ``bundle.json#/$defs/client.schema.json``
    (or the ``$id``) names one."""
    defs: dict[str, Any] = {}
    for name, schema in schemas().items():
        embedded = {"$id": name, **schema}
        embedded.pop("$schema", None)
        defs[name] = embedded
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://casectl.example/schemas/",
        "title": "casectl files",
        "description": "The JSON Schemas of casectl's five files, one under $defs per "
        "file; `casectl schema -o DIR` writes them one file each.",
        "$defs": defs,
    }


def schemas() -> dict[str, dict[str, Any]]:
    """Schema file name -> JSON Schema (draft 2020-12)."""
    out: dict[str, dict[str, Any]] = {}
    for filename, model in (
        ("casectl.yaml", Agency),
        ("client.yaml", Client),
        ("assessment.yaml", AssessmentFile),
        ("plan.yaml", Plan),
    ):
        schema = _strict(model.model_json_schema())
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = filename
        out[SCHEMA_FILES[filename]] = schema
    entry = _strict(LogEntry.model_json_schema())
    defs = entry.pop("$defs", {})
    log: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "log.yaml",
        "description": "Progress notes, oldest first; entries are never edited or removed.",
        "type": "array",
        "items": entry,
    }
    if defs:
        log["$defs"] = defs
    out[SCHEMA_FILES["log.yaml"]] = log
    return out


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
