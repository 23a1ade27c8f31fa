"""``casectl schema``: the JSON Schemas, to stdout or into a folder."""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import check_output
from casectl.core import schemas
from casectl.errors import CasectlError, NoAgencyError
from casectl.present.output import Output
from casectl.store import layout, writes


def run(out: Output, directory: Path | None, output: Path | None) -> int:
    if output is None:  # one JSON Schema document a schema tool reads whole
        out.write(schemas.dumps(schemas.bundle()))
        return 0
    all_schemas = schemas.schemas()
    root = _agency_around(directory, output)
    if root is not None:
        for name in all_schemas:
            # Regenerating the committed schemas/ after an upgrade is what -o is for.
            check_output(root, output / name, overwrite_tracked=True)
    try:
        writes.write_text_files(
            output, {name: schemas.dumps(schema) for name, schema in all_schemas.items()}
        )
    except OSError as exc:
        raise CasectlError(f"{output}: {exc.strerror or exc}") from None
    for name in all_schemas:
        out.line(str(output / name))
    return 0


def _agency_around(directory: Path | None, output: Path) -> Path | None:
    """The agency ``-C`` names or the current folder is in, else the one around
    ``output``; None outside any (schema needs no agency)."""
    for start, explicit in ((directory, directory is not None), (output.absolute(), False)):
        try:
            return layout.find_root(start, explicit=explicit)
        except NoAgencyError:
            continue
    return None
