"""``casectl digest``: the plain-text morning digest that cron mails.

Rendered from ``digest.txt.j2`` (an agency's own ``templates/digest.txt.j2`` replaces
the built-in one). Prints nothing at all when nothing is due, so ``mail -E`` or
``ifne`` send no empty mail. Never colour: it is meant for mail, not a terminal.
The template context is documented in docs/monitoring.md; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from casectl.commands.due import Gathered, by_manager, days_text, gather
from casectl.core.model import Agency
from casectl.core.schedule import DueItem
from casectl.present import templating
from casectl.present.output import Output, visible
from casectl.present.problems import UNKNOWN_MANAGER

TEMPLATE = "digest.txt.j2"


def run(
    out: Output,
    directory: Path | None,
    as_of: str | None,
    manager: str | None,
    within: str | None,
) -> int:
    g = gather(out, directory, as_of, within, manager)
    if not g.items:
        return 0
    text = templating.render(g.ctx.root, TEMPLATE, context(g))
    if text and not text.endswith("\n"):
        text += "\n"
    out.write(text)
    return 0


def context(g: Gathered) -> dict[str, Any]:
    """The template's variables (see docs/monitoring.md)."""
    agency = g.ctx.agency
    overdue = sum(1 for i in g.items if i.status == "overdue")
    window = g.within if g.within is not None else agency.cadence.due_soon
    return {
        "agency": visible(agency.agency),
        "as_of": g.ctx.today.isoformat(),
        "window": str(window),
        "total": len(g.items),
        "overdue_count": overdue,
        "due_soon_count": len(g.items) - overdue,
        "managers": [
            manager_group(agency, key, items) for key, items in by_manager(g.items).items()
        ],
        # Clients whose files have errors (one `record` item each), in client order.
        "errors": [
            {
                "client": i.client,
                "name": i.name,
                "manager": i.manager,
                "manager_name": agency.manager_name(i.manager) if i.manager else None,
                "what": i.what,
                "command": f"casectl validate clients/{i.client}",
            }
            for i in sorted((i for i in g.items if i.kind == "record"), key=lambda i: i.client)
        ],
    }


def manager_group(agency: Agency, key: str | None, items: Sequence[DueItem]) -> dict[str, Any]:
    rows = [item_dict(i) for i in items]
    email = agency.manager_email(key) if key is not None else None
    return {
        "key": visible(key) if key is not None else None,
        "name": visible(agency.manager_name(key)) if key is not None else UNKNOWN_MANAGER,
        "email": visible(email) if email is not None else None,
        "overdue": [r for r in rows if r["status"] == "overdue"],
        "due_soon": [r for r in rows if r["status"] == "due_soon"],
        "count": len(rows),
    }


def item_dict(item: DueItem) -> dict[str, Any]:
    """The contract's JSON keys plus two conveniences for people; the digest is plain
    text, so record values are already one line with control characters escaped."""
    data = item.to_json()
    for key in ("name", "manager", "what"):
        if isinstance(data[key], str):
            data[key] = visible(data[key])
    data["days_text"] = days_text(item)
    data["kind_text"] = item.kind.replace("_", " ")
    return data
