"""``casectl export KIND``: one row per note, client, goal, assessment or referral, as
CSV or JSON Lines (contract 5.4; columns in ``figures.export``, docs/format.md).

Streams: the records come one client at a time from ``read.figures.client_records``
(as of ``--as-of`` when given) and each row is written as it is made, so memory stays
flat whatever the number of notes. ``-o FILE`` is written atomically (a temporary file
beside it, renamed at the end; 0600 when new). To a terminal, control characters in
the records are shown as escapes; to a pipe or file the data is exact.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any, TextIO, cast

from casectl.commands._common import (
    agency_context,
    check_output,
    figures_errors,
    parse_date_option,
)
from casectl.errors import CasectlError
from casectl.figures.export import WRITERS, ExportKind, Row, columns, rows
from casectl.present import reports
from casectl.present.output import Output, json_visible, visible
from casectl.read.figures import Skipped, client_records
from casectl.store import writes

Writer = Callable[[Iterable[Row], Sequence[str], TextIO], int]


def run(
    out: Output,
    directory: Path | None,
    kind: str,
    fmt: str,
    start: str | None,
    end: str | None,
    redact: bool,
    output: Path | None,
    as_of: str | None,
) -> int:
    first = parse_date_option("--from", start) if start is not None else None
    last = parse_date_option("--to", end) if end is not None else None
    ctx = agency_context(directory, as_of, out=out)
    if output is not None:
        check_output(ctx.root, output)
        _check_folder(output)
    redaction = reports.export_redaction() if redact else None
    skipped = Skipped()
    records = client_records(ctx, skipped=skipped)
    export_kind = cast(ExportKind, kind)
    with figures_errors():
        names = columns(export_kind, ctx.agency)
        found = rows(export_kind, records, ctx.agency, start=first, end=last, redaction=redaction)
    write: Writer = WRITERS[fmt]
    if output is None:
        _to_stdout(out, write, found, names, fmt)
    else:
        try:
            with writes.atomic_open(output, new_mode=0o600) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                write(found, names, text)
                text.flush()
                text.detach()
        except OSError as exc:
            raise CasectlError(f"-o {output}: cannot write: {exc.strerror or exc}") from None
    for line in skipped.lines():
        out.warn(line)
    return 0


def _check_folder(output: Path) -> None:
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise CasectlError(f"-o {output}: folder {folder} does not exist")
    if output.is_dir():
        raise CasectlError(f"-o {output}: is a folder")


def _to_stdout(
    out: Output, write: Writer, found: Iterable[Row], names: Sequence[str], fmt: str
) -> None:
    stream = out.stdout
    if out.is_tty():
        write(found, names, cast(TextIO, _Shown(stream, fmt)))
        stream.flush()
        return
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text-only stream: it takes the text as it is
        write(found, names, cast(TextIO, stream))
        stream.flush()
        return
    stream.flush()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=False)
    try:
        write(found, names, text)
        text.flush()
    finally:
        text.detach()


class _Shown(io.TextIOBase):
    """A terminal: each record written with its control characters as escapes (CSV's
    CRLF ends as a plain line end)."""

    def __init__(self, stream: IO[str], fmt: str) -> None:
        self._stream = stream
        self._fmt = fmt

    def write(self, text: Any) -> int:
        shown = json_visible(text) if self._fmt == "jsonl" else text.replace("\r\n", "\n")
        self._stream.write(visible(shown, multiline=True))
        return len(text)
