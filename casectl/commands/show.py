"""``casectl show ID``: one client at a glance (who, needs, plan, due, recent notes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from casectl.commands._common import agency_context, resolve_client
from casectl.core import schedule
from casectl.errors import CasectlError
from casectl.present.output import Output, json_visible, visible
from casectl.present.text import fit_line, plain_table
from casectl.read.agency import read_client

RECENT = 5


def run(out: Output, directory: Path | None, client_id: str, as_of: str | None, fmt: str) -> int:
    ctx = agency_context(directory, as_of, out=out)
    client_id = resolve_client(ctx, client_id, out)
    check = read_client(ctx, client_id)
    client = check.client
    if client is None:
        raise CasectlError(
            f"clients/{client_id}/client.yaml has errors; "
            f"run `casectl validate clients/{client_id}`"
        )
    facts = check.facts
    assert facts is not None
    items = schedule.sort_items(schedule.due_items(facts, ctx.agency.cadence, ctx.as_of))
    latest = (
        check.assessments.assessments[-1]
        if check.assessments and check.assessments.assessments
        else None
    )
    data: dict[str, Any] = {
        "id": client.id,
        "name": client.name,
        "status": client.status,
        "manager": client.manager,
        "manager_name": ctx.agency.manager_name(client.manager),
        "program": client.program,
        "opened": client.opened.isoformat(),
        "closed": client.closed.model_dump(mode="json") if client.closed else None,
        "consent_expires": client.consent.expires.isoformat()
        if client.consent and client.consent.expires
        else None,
        "latest_assessment": {
            "date": latest.date.isoformat(),
            "scores": {k: v.score for k, v in latest.domains.items()},
        }
        if latest
        else None,
        "goals": [
            {
                "id": g.id,
                "goal": g.goal,
                "status": g.status,
                "target": g.target.isoformat() if g.target else None,
                "open_actions": [a.action for a in g.actions if not a.done],
            }
            for g in (check.plan.goals if check.plan else [])
        ],
        "due": [i.to_json() for i in items],
        "recent_notes": [
            {
                "id": e.id,
                "date": e.date.strftime("%Y-%m-%d %H:%M"),
                "by": e.by,
                "type": e.type,
                "text": e.text.strip(),
            }
            for e in check.log[-RECENT:]
        ],
        "problems": len([p for p in check.problems if p.severity == "error"]),
    }
    if fmt == "json":
        out.write(json_visible(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
        return 0
    if out.is_tty():
        width = out.console_width()
        with out.paged():
            out.write(_text(data, width))
    else:
        out.write(_text(data))
    return 0


def _text(d: dict[str, Any], width: int | None = None) -> str:
    """The at-a-glance text; every value from the records is shown on one line, and on
    a terminal (``width``) long lines wrap at spaces under their own column."""
    v = visible
    lines: list[str] = []
    lines.append(f"{v(d['name'])} ({v(d['id'])})")
    status = d["status"] + (
        f" since {d['closed']['date']} ({v(d['closed']['reason'])})" if d["closed"] else ""
    )
    lines.append(f"  status:   {status}")
    lines.append(f"  manager:  {v(d['manager_name'])} ({v(d['manager'])})")
    if d["program"]:
        lines.append(f"  program:  {v(d['program'])}")
    lines.append(f"  opened:   {d['opened']}")
    if d["consent_expires"]:
        lines.append(f"  consent:  expires {d['consent_expires']}")
    if d["problems"]:
        lines.append(f"  PROBLEMS: {d['problems']} error(s); run casectl validate")
    lines.append("")
    a = d["latest_assessment"]
    if a:
        scores = ", ".join(f"{v(k)} {s}" for k, s in a["scores"].items())
        lines += fit_line(f"Latest assessment ({a['date']}): {scores}", width, 2)
    else:
        lines.append("No assessment yet.")
    lines.append("")
    lines.append("Goals:" if d["goals"] else "No goals in the plan.")
    for g in d["goals"]:
        target = f", target {g['target']}" if g["target"] else ""
        head = f"  {v(g['id'])} [{g['status']}{target}] "
        lines += fit_line(head + v(g["goal"]), width, len(head))
        for action in g["open_actions"]:
            lines += fit_line(f"      - {v(action)}", width, 8)
    lines.append("")
    if d["due"]:
        lines.append("Due:")
        rows = [[i["status"], i["due"], i["kind"], i["what"]] for i in d["due"]]
        table = plain_table(("status", "due", "kind", "what"), rows).splitlines()
        what_at = 2 + table[0].index("what")
        lines += [wrapped for ln in table for wrapped in fit_line("  " + ln, width, what_at)]
    else:
        lines.append("Nothing due.")
    lines.append("")
    lines.append("Recent notes:" if d["recent_notes"] else "No notes yet.")
    for n in d["recent_notes"]:
        text_lines = n["text"].splitlines()
        first = text_lines[0] if text_lines else ""
        if len(text_lines) > 1:
            first += " …"  # shortened: the whole note is in the report and `--format json`
        head = f"  {n['date']} {n['type']:<10} {v(n['by'])}: "
        lines += fit_line(head + v(first), width, len(head))
    return "\n".join(lines) + "\n"
