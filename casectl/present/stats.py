"""``stats`` output: the template context (text, md and html render templates/stats.*.j2)
and the CSV form. Pure: figures in (the contract's json objects), text out.

CSV (long form, one figure per row, so months and groups stack in a spreadsheet):
``from, to, group, figure, key, value``. ``group`` is ``all`` without ``--by``;
``key`` is empty for a plain count (``open``, ``served``, ``new``, ``minutes``,
``goals_met``, ``crises``), else the reason, type, ``with``, status or, for
``domains.<domain>``, ``improved``/``same``/``worse``. Zero counts of objects are not
written (as in the json). UTF-8, RFC 4180, CRLF line ends.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from casectl.core.model import Agency
from casectl.figures.stats import ALL
from casectl.present import markdown, templating
from casectl.present.output import json_visible
from casectl.present.text import plain_table

CSV_COLUMNS = ("from", "to", "group", "figure", "key", "value")
PLAIN = ("open", "served", "new")  # counts, in this order, before the objects
MOVES = ("improved", "same", "worse")


def hours(minutes: int) -> str:
    """``190`` -> ``3h 10m``."""
    h, m = divmod(minutes, 60)
    return f"{h}h {m:02d}m" if h else f"{m}m"


def groups_of(result: Mapping[str, Any], by: str | None) -> list[tuple[str, Mapping[str, Any]]]:
    """(group key, figures) in output order, ``all`` last (alone without ``by``)."""
    if by is None:
        return [(ALL, result)]
    return list(result.items())


def csv_text(result: Mapping[str, Any], by: str | None) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for group, f in groups_of(result, by):
        period = (f["from"], f["to"])
        for name in PLAIN:
            writer.writerow((*period, group, name, "", f[name]))
        for name in ("closed", "contacts", "contacts_with"):
            for key, n in f[name].items():
                writer.writerow((*period, group, name, key, n))
        writer.writerow((*period, group, "minutes", "", f["minutes"]))
        for key, n in f["referrals"].items():
            writer.writerow((*period, group, "referrals", key, n))
        writer.writerow((*period, group, "goals_met", "", f["goals_met"]))
        writer.writerow((*period, group, "crises", "", f["crises"]))
        for domain, moves in f["domains"].items():
            for move in MOVES:
                writer.writerow((*period, group, f"domains.{domain}", move, moves[move]))
    return buffer.getvalue()


def _rows(groups: Sequence[tuple[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """The figures as table rows: ``{label, cells (one per group), sub}`` where ``sub``
    marks a breakdown of the row above it."""
    figures = [f for _, f in groups]

    def keys(name: str) -> list[str]:
        return list(dict.fromkeys(k for f in figures for k in f[name]))

    def row(label: str, cells: list[Any], sub: bool = False) -> dict[str, Any]:
        return {"label": label, "cells": cells, "sub": sub}

    out = [
        row("open", [f["open"] for f in figures]),
        row("served", [f["served"] for f in figures]),
        row("new", [f["new"] for f in figures]),
        row("closed", [sum(f["closed"].values()) for f in figures]),
    ]
    out += [row(f"reason: {k.replace('_', ' ')}", [f["closed"].get(k, 0) for f in figures], True)
            for k in keys("closed")]  # fmt: skip
    out.append(row("contacts", [sum(f["contacts"].values()) for f in figures]))
    out += [row(k, [f["contacts"].get(k, 0) for f in figures], True) for k in keys("contacts")]
    out += [
        row(f"with {k}", [f["contacts_with"].get(k, 0) for f in figures], True)
        for k in keys("contacts_with")
    ]
    out.append(row("minutes", [f["minutes"] for f in figures]))
    out.append(row("hours", [hours(f["minutes"]) for f in figures], True))
    out.append(row("referrals", [sum(f["referrals"].values()) for f in figures]))
    out += [
        row(k.replace("_", " "), [f["referrals"].get(k, 0) for f in figures], True)
        for k in keys("referrals")
    ]
    out.append(row("goals met", [f["goals_met"] for f in figures]))
    out.append(row("crises", [f["crises"] for f in figures]))
    domains = keys("domains")
    if domains:
        out.append(row("domains (improved / same / worse)", ["" for _ in figures]))
    for d in domains:
        cells = []
        for f in figures:
            m = f["domains"].get(d)
            cells.append(" / ".join(str(m[k]) for k in MOVES) if m else "-")
        out.append(row(d.replace("_", " "), cells, True))
    return out


def context(
    agency: Agency,
    result: Mapping[str, Any],
    by: str | None,
    months: Mapping[str, int],
    month_order: Sequence[str],
    *,
    generated: str,
    as_of: str | None,
    redacted: bool,
) -> dict[str, Any]:
    """What templates/stats.*.j2 receive (docs/templates.md lists it)."""
    groups = groups_of(result, by)
    total = groups[-1][1]

    def label(key: str) -> str:
        if key == ALL:
            return "all"
        if by == "manager":
            name = agency.manager_name(key)
            return key if name == key else f"{name} ({key})"
        return key

    rows = _rows(groups)
    headers = ["", *(label(k) for k, _ in groups)]
    table = [[("  " if r["sub"] else "") + r["label"], *r["cells"]] for r in rows]
    most = max([months.get(m, 0) for m in month_order] or [0])
    return {
        "agency": {"name": agency.agency},
        "from": total["from"],
        "to": total["to"],
        "by": by,
        "as_of": as_of,
        "generated": generated,
        "redacted": redacted,
        "all": dict(total),
        "hours": hours(total["minutes"]),
        "groups": [{"key": k, "label": label(k), "figures": dict(f)} for k, f in groups],
        "headers": headers,
        "rows": rows,
        "text_table": plain_table(headers, table),
        "months": [{"month": m, "contacts": months.get(m, 0)} for m in month_order],
        "months_max": most,
        "domains": [
            {"domain": d, "label": d.replace("_", " "), **moves}
            for d, moves in total["domains"].items()
        ],
    }


def period_view(
    agency: Agency, by_manager: Mapping[str, Any], manager: str | None
) -> dict[str, Any]:
    """The ``period`` of the caseload's context (``caseload --from --to``): per manager
    (casectl.yaml's order, then others) clients served, contacts (all, and with the
    client), minutes and hours; ``total`` for all of them (or the one ``manager``)."""

    def row(key: str | None, f: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "key": key,
            "name": agency.manager_name(key) if key is not None else "All",
            "served": f["served"],
            "contacts": sum(f["contacts"].values()),
            "contacts_client": f["contacts_with"].get("client", 0),
            "minutes": f["minutes"],
            "hours": hours(f["minutes"]),
        }

    groups = {k: v for k, v in by_manager.items() if k != ALL}
    keys = [k for k in (agency.managers or {}) if k in groups]
    keys += sorted(k for k in groups if k not in keys)
    if manager is not None:
        keys = [manager]
    empty = {"served": 0, "contacts": {}, "contacts_with": {}, "minutes": 0}
    rows = [row(k, groups.get(k, empty)) for k in keys]
    total = by_manager[ALL] if manager is None else groups.get(manager, empty)
    return {
        "from": by_manager[ALL]["from"],
        "to": by_manager[ALL]["to"],
        "managers": rows,
        "total": row(None, total),
    }


# ------------------------------------------------------------------ stats' formats
# (its entry in the format registry: each format renders the figures to one text)

FORMATS = ("text", "md", "csv", "json", "html")
_SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".csv": "csv", ".json": "json"}
_TEMPLATES = {"text": "stats.txt.j2", "md": "stats.md.j2", "html": "stats.html.j2"}
_EXACT = frozenset({"csv"})  # written byte for byte (RFC 4180's CRLF)


def format_for(suffix: str | None) -> str:
    """The format of ``-o FILE`` by its extension (``.html``, ``.md``...), else text."""
    return _SUFFIXES.get((suffix or "").lower(), "text")


def exact(fmt: str) -> bool:
    return fmt in _EXACT


def render(fmt: str, root: Any, figures: Mapping[str, Any], by: str | None, **ctx: Any) -> str:
    """The figures as ``fmt``: json and csv directly, the others through
    templates/stats.<fmt>.j2 with :func:`context` (``ctx``: its other arguments)."""
    if fmt == "json":
        return json_visible(json.dumps(figures, indent=2, ensure_ascii=False)) + "\n"
    if fmt == "csv":
        return csv_text(figures, by)
    shown = context(ctx.pop("agency"), figures, by, **ctx)
    return templating.render(root, _TEMPLATES[fmt], shown, filters=markdown.FILTERS)
