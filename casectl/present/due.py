"""Due items for people and scripts: aligned text, rich tables per manager, Markdown;
JSON is ``DueItem.to_json`` through ``text.json_list`` and iCalendar is ``ics``.

Only formats: the items come filtered and sorted (``commands._common.gather_due``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from casectl.core.schedule import DueItem
from casectl.present.output import Output, visible
from casectl.present.text import UNKNOWN_MANAGER, json_list, rich_table

if TYPE_CHECKING:
    from casectl.core.model import Agency

TEXT_HEADERS = ("status", "due", "days", "manager", "client", "name", "kind", "what")


MD_HEADERS = ("status", "due", "days", "client", "name", "manager", "kind", "what")


ROW_STYLES = {"overdue": "red", "due_soon": "yellow"}


def days_text(item: DueItem) -> str:
    """``25 days overdue``, ``due today``, ``in 1 day``: for people, not scripts."""
    if item.kind == "record":
        return "needs fixing"
    if item.days > 0:
        return f"{item.days} day{'s' if item.days != 1 else ''} overdue"
    if item.days == 0:
        return "due today"
    return f"in {-item.days} day{'s' if item.days != -1 else ''}"


def _row(item: DueItem, with_manager: bool) -> list[Any]:
    row: list[Any] = [item.status, item.due.isoformat(), item.days]
    if with_manager:
        row.append(item.manager or "")
    row += [item.client, item.name or "", item.kind, item.what]
    return row


_TEXT_COLUMNS = attrgetter("status", "due", "days", "manager", "client", "name", "kind", "what")


def plain_text(items: Sequence[DueItem]) -> str:
    """Aligned columns for pipes: one line per item, a header line first, no colour.

    The same layout as ``plain_table`` (two spaces between columns, the last one
    not padded, values through ``visible``), written out directly and column by
    column: at 10,000 clients there are tens of thousands of rows but few distinct
    days, day counts, managers, names and kinds, and each distinct value of a column is
    written and padded once.
    """
    if not items:
        return "  ".join(TEXT_HEADERS) + "\n"
    columns = zip(*map(_TEXT_COLUMNS, items), strict=True)
    written = [
        _column(header, values, write, last=header == TEXT_HEADERS[-1])
        for header, values, write in zip(TEXT_HEADERS, columns, _TEXT_WRITERS, strict=True)
    ]
    lines = map("  ".join, zip(*[cells for _, cells in written], strict=True))
    whats = set(written[-1][1])
    if not all(w and not w[-1].isspace() for w in whats):
        lines = map(str.rstrip, lines)  # a line ending in spaces, as plain_table cuts them
    return "  ".join([header for header, _ in written]) + "\n" + "\n".join(lines) + "\n"


def _text(value: str | None) -> str:
    """A cell's text: "" for None, ``visible`` for what is not plainly printable."""
    if value is None:
        return ""
    return value if value.isprintable() else visible(value)


def _same(value: str) -> str:
    return value


# status, due, days, manager, client, name, kind, what
_TEXT_WRITERS: tuple[Callable[[Any], str], ...] = (
    _same,
    date.isoformat,
    str,
    _text,
    _same,
    _text,
    _same,
    _text,
)


def _column(
    header: str, values: Sequence[Any], write: Callable[[Any], str], last: bool
) -> tuple[str, list[str]]:
    """A column's header and cells, each distinct value written once and, but in the
    last column, padded to the column's width (as ``%-Ns`` pads: never cut)."""
    texts = {value: write(value) for value in set(values)}
    if not last:
        width = max(len(header), *map(len, texts.values()))
        texts = {value: text.ljust(width) for value, text in texts.items()}
        header = header.ljust(width)
    return header, list(map(texts.__getitem__, values))


def markdown(items: Sequence[DueItem], as_of: date) -> str:
    """A GitHub-renderable Markdown table; every cell through ``markdown.md_escape``."""
    from casectl.present.markdown import md_escape

    if not items:
        return f"Nothing due as of {as_of.isoformat()}.\n"

    def row(cells: Sequence[Any]) -> str:
        return "| " + " | ".join(md_escape(c) for c in cells) + " |"

    lines = [row(MD_HEADERS), "| " + " | ".join(["---"] * len(MD_HEADERS)) + " |"]
    for i in items:
        lines.append(
            row(
                [
                    i.status,
                    i.due.isoformat(),
                    i.days,
                    i.client,
                    i.name or "",
                    i.manager or "",
                    i.kind,
                    i.what,
                ]
            )
        )
    return "\n".join(lines) + "\n"


def by_manager(items: Sequence[DueItem]) -> dict[str | None, list[DueItem]]:
    """Items grouped by manager key (keys sorted; None, a client.yaml that cannot tell,
    last), each group keeping the items' order."""
    groups: dict[str | None, list[DueItem]] = {}
    for item in items:
        groups.setdefault(item.manager, []).append(item)
    return {key: groups[key] for key in sorted(groups, key=lambda k: (k is None, k or ""))}


def manager_title(agency: Agency, key: str | None) -> str:
    """``Jane Doe (jdoe)``, or what stands for a manager that client.yaml cannot tell."""
    return f"{agency.manager_name(key)} ({key})" if key is not None else UNKNOWN_MANAGER


def print_rich(out: Output, items: Sequence[DueItem], agency: Agency, as_of: date) -> None:
    """Coloured tables on a terminal, one per manager when there are several."""
    from rich.markup import escape

    groups = by_manager(items)
    headers = TEXT_HEADERS[:3] + TEXT_HEADERS[4:]
    for key, mine in groups.items():
        # One manager: the caseload is obviously theirs, so no title.
        title = escape(manager_title(agency, key)) if len(groups) > 1 else None
        rows = [_row(i, False) for i in mine]
        styles = [ROW_STYLES[i.status] for i in mine]
        out.print_rich(rich_table(headers, rows, styles=styles, title=title, wrap=("name", "what")))
    overdue = sum(1 for i in items if i.status == "overdue")
    out.print_rich(
        f"{len(items)} item{'s' if len(items) != 1 else ''}: "
        f"{overdue} overdue, {len(items) - overdue} due soon (as of {as_of.isoformat()})"
    )


# ------------------------------------------------------------------ the due formats
# (present.formats.DUE lists them)


# Each takes the settings as a function: only the terminal's tables (managers' names)
# and the calendar (the agency's name) build them; a warm run in a pipe never does.
Settings = Callable[[], "Agency"]


def write_text(out: Output, items: Sequence[DueItem], settings: Settings, as_of: date) -> None:
    """Rich tables on a terminal, aligned columns in a pipe, a line when nothing is due."""
    if not items:
        out.line(f"nothing due as of {as_of.isoformat()}")
    elif out.is_tty():
        with out.paged():
            print_rich(out, items, settings(), as_of)
    else:
        out.write(plain_text(items))


def write_json(out: Output, items: Sequence[DueItem], settings: Settings, as_of: date) -> None:
    out.write(json_list([i.to_json() for i in items]))


def write_markdown(out: Output, items: Sequence[DueItem], settings: Settings, as_of: date) -> None:
    out.write(markdown(items, as_of))


def write_ics(out: Output, items: Sequence[DueItem], settings: Settings, as_of: date) -> None:
    from datetime import UTC, datetime

    from casectl.present.ics import to_ics

    out.write_exact(to_ics(list(items), settings().agency, stamp=datetime.now(UTC)))
