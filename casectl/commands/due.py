"""``casectl due``: overdue and due-soon items (contract sections 2 and 3).

The items come from the cached facts of ``agency.scan`` (no YAML is parsed when no
file changed) through ``schedule.due_items``. :func:`gather` is shared with
``casectl digest`` so both commands filter and validate options the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from casectl.commands._common import (
    agency_context,
    check_manager_option,
    parse_duration_option,
)
from casectl.core import dates, schedule
from casectl.core.model import Agency
from casectl.core.schedule import DueItem
from casectl.errors import CasectlError, UnknownClientError
from casectl.git import commit as repo
from casectl.present import problems as render
from casectl.present.output import Output, visible
from casectl.read.agency import AgencyContext, scan

TEXT_HEADERS = ("status", "due", "days", "manager", "client", "name", "kind", "what")
MD_HEADERS = ("status", "due", "days", "client", "name", "manager", "kind", "what")
ROW_STYLES = {"overdue": "red", "due_soon": "yellow"}


@dataclass
class Gathered:
    """The agency and its filtered, sorted due items."""

    ctx: AgencyContext
    items: list[DueItem]
    within: dates.Duration | None


def run(
    out: Output,
    directory: Path | None,
    as_of: str | None,
    within: str | None,
    manager: str | None,
    clients: Sequence[str],
    kinds: Sequence[str],
    fmt: str,
    fail_on_overdue: bool,
) -> int:
    g = gather(out, directory, as_of, within, manager, clients, kinds)
    items = g.items
    if fmt == "json":
        out.write(render.json_list([i.to_json() for i in items]))
    elif fmt == "md":
        out.write(markdown(items, g.ctx.today))
    elif fmt == "ics":
        from casectl.present.ics import to_ics

        write_exact(out, to_ics(items, g.ctx.agency.agency, stamp=datetime.now(UTC)))
    elif not items:
        out.line(f"nothing due as of {g.ctx.today.isoformat()}")
    elif out.is_tty():
        _print_rich(out, g)
    else:
        out.write(plain_text(items))
    if fail_on_overdue and (g.ctx.settings_errors or any(i.status == "overdue" for i in items)):
        return 1
    return 0


def write_exact(out: Output, text: str) -> None:
    """Write UTF-8 bytes as they are: iCalendar's CRLFs must survive a text stream that
    would translate newlines (Windows)."""
    stream = out.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        out.write(text)
        return
    stream.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


# ------------------------------------------------------------------ gathering


def gather(
    out: Output,
    directory: Path | None,
    as_of: str | None,
    within: str | None,
    manager: str | None,
    clients: Sequence[str] = (),
    kinds: Sequence[str] = (),
) -> Gathered:
    """Validate the options, scan the agency and return the filtered, sorted items.

    Every option is checked before any client is read, so a typo fails fast (exit 2).
    A client whose files have errors is never left out: it has a ``record`` item.
    """
    check_kinds(kinds)
    window = parse_duration_option("--within", within) if within is not None else None
    ctx = agency_context(directory, as_of, out=out)
    check_manager_option(ctx, manager)
    wanted = check_clients(ctx.root, clients)
    state = scan(ctx, only=wanted or None)
    known = state.schedules()
    if not wanted:  # with --client, the clients read are not all the managers' clients
        check_manager_option(ctx, manager, (plan.manager for plan in known))
    items: list[DueItem] = []
    for plan in known:
        if manager is not None and plan.manager != manager:
            continue
        items.extend(schedule.items_from_schedule(plan, ctx.today, window))
    if kinds:
        items = [i for i in items if i.kind in kinds]
    return Gathered(ctx, schedule.sort_items(items), window)


def check_kinds(kinds: Sequence[str]) -> None:
    for kind in kinds:
        if kind not in schedule.KINDS:
            raise CasectlError(f"--kind: {kind!r} is not one of {', '.join(schedule.KINDS)}")


def check_clients(root: Path, clients: Sequence[str]) -> list[str]:
    """The --client ids, each a well-formed id with a folder under clients/."""
    existing = set(repo.client_ids(root))
    for cid in clients:
        repo.check_client_id(cid)
        if cid not in existing:
            raise UnknownClientError(f"--client: no client {cid!r} (no folder clients/{cid})")
    return sorted(set(clients))


# ------------------------------------------------------------------ formats


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


def plain_text(items: Sequence[DueItem]) -> str:
    """Aligned columns for pipes: one line per item, a header line first, no colour.

    The same layout as ``render.plain_table`` (two spaces between columns, the last one
    not padded, values through ``visible``), written out directly: at 10,000 clients
    there are tens of thousands of rows and the generic per-cell path was a third of a
    warm run.
    """
    rows = [
        (
            i.status,
            i.due.isoformat(),
            str(i.days),
            visible(i.manager or ""),
            i.client,
            visible(i.name or ""),
            i.kind,
            visible(i.what),
        )
        for i in items
    ]
    table = [TEXT_HEADERS, *rows]
    widths = [max(map(len, column)) for column in list(zip(*table, strict=True))[:-1]]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]).rstrip()
        for r in table
    ]
    return "\n".join(lines) + "\n"


def markdown(items: Sequence[DueItem], as_of: date) -> str:
    """A GitHub-renderable Markdown table; every cell through ``reports.md_escape``."""
    from casectl.present.reports import md_escape

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
    return f"{agency.manager_name(key)} ({key})" if key is not None else render.UNKNOWN_MANAGER


def _print_rich(out: Output, g: Gathered) -> None:
    from rich.markup import escape

    groups = by_manager(g.items)
    headers = TEXT_HEADERS[:3] + TEXT_HEADERS[4:]
    for key, items in groups.items():
        # One manager: the caseload is obviously theirs, so no title.
        title = escape(manager_title(g.ctx.agency, key)) if len(groups) > 1 else None
        rows = [_row(i, False) for i in items]
        styles = [ROW_STYLES[i.status] for i in items]
        out.print_rich(render.rich_table(headers, rows, styles=styles, title=title))
    overdue = sum(1 for i in g.items if i.status == "overdue")
    out.print_rich(
        f"{len(g.items)} item{'s' if len(g.items) != 1 else ''}: "
        f"{overdue} overdue, {len(g.items) - overdue} due soon (as of {g.ctx.today.isoformat()})"
    )
