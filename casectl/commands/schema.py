"""``casectl schema``: the JSON Schemas, to stdout or into a folder."""

from __future__ import annotations

import json
from pathlib import Path

from casectl import schemas
from casectl.errors import CasectlError
from casectl.output import Output


def run(out: Output, directory: Path | None, output: Path | None) -> int:
    all_schemas = schemas.schemas()
    if output is None:
        out.write(json.dumps(all_schemas, indent=2, ensure_ascii=False) + "\n")
        return 0
    try:
        output.mkdir(parents=True, exist_ok=True)
        for name, schema in all_schemas.items():
            (output / name).write_text(schemas.dumps(schema), encoding="utf-8")
    except OSError as exc:
        raise CasectlError(f"{output}: {exc.strerror or exc}") from None
    for name in all_schemas:
        out.line(str(output / name))
    return 0
