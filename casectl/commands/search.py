"""``casectl search PATTERN``: the notes whose text matches, over every client (contract
5.4). Matching and filters are ``figures.search``; the records come from
``read.figures.note_hits`` (``client_records`` in columns, from the read cache where
files did not change; as of ``--as-of`` when given; with ``--client``, only that client).

Text: one heading line per note (``date time  client  type  by  id``), then its text
indented by four spaces; on a terminal the matches are highlighted. A count goes to
stderr. JSON: the contract's list of ``{client, id, date, by, type, text}``. Finding
nothing is not an error (exit 0: ``[]``, or nothing on stdout).
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import (
    agency_context,
    check_clients,
    check_manager_option,
    figures_errors,
    parse_date_option,
)
from casectl.core.values import NOTE_TYPES
from casectl.errors import CasectlError
from casectl.figures.search import compile_pattern
from casectl.present import formats
from casectl.present.output import Output
from casectl.read.figures import Skipped, note_hits
from casectl.read.scan import warm_read


@warm_read
def run(
    out: Output,
    directory: Path | None,
    pattern: str,
    regex: bool,
    client: str | None,
    manager: str | None,
    note_type: str | None,
    start: str | None,
    end: str | None,
    fmt: str,
    as_of: str | None,
) -> int:
    if note_type is not None and note_type not in NOTE_TYPES:
        raise CasectlError(f"--type: {note_type!r} is not one of {', '.join(NOTE_TYPES)}")
    first = parse_date_option("--from", start) if start is not None else None
    last = parse_date_option("--to", end) if end is not None else None
    with figures_errors():
        matcher = compile_pattern(pattern, regex=regex)
    ctx = agency_context(directory, as_of, out=out)
    check_manager_option(ctx, manager)
    only = check_clients(ctx.root, [client]) if client is not None else None
    skipped = Skipped()
    with figures_errors():
        hits, rows = note_hits(
            ctx,
            matcher,
            only=only,
            skipped=skipped,
            client=client,
            manager=manager,
            note_type=note_type,
            start=first,
            end=last,
            as_json=formats.search_rows(fmt),
        )
    for line in skipped.lines():
        out.warn(line)
    formats.SEARCH.write(fmt, out, formats.SearchView(hits, matcher, rows))
    return 0
