"""JSON Schemas of the five files, generated from the records (``casectl schema``)."""

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


def schemas() -> dict[str, dict[str, Any]]:
    """Schema file name -> JSON Schema (draft 2020-12)."""
    out: dict[str, dict[str, Any]] = {}
    for filename, model in (
        ("casectl.yaml", Agency),
        ("client.yaml", Client),
        ("assessment.yaml", AssessmentFile),
        ("plan.yaml", Plan),
    ):
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = filename
        out[SCHEMA_FILES[filename]] = schema
    entry = LogEntry.model_json_schema()
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
