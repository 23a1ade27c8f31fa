"""``show``'s formats: one client at a glance (present.formats.SHOW)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from casectl.present.output import json_visible, visible
from casectl.present.text import plain_table

if TYPE_CHECKING:
    from casectl.present.output import Output


def write_json(out: Output, data: dict[str, Any]) -> None:
    out.write(json_visible(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def write_text(out: Output, data: dict[str, Any]) -> None:
    out.write(_text(data))


def _text(d: dict[str, Any]) -> str:
    """The at-a-glance text; every value from the records is shown on one line."""
    v = visible
    lines = [f"{v(d['name'])} ({v(d['id'])})"]
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
        lines.append(f"Latest assessment ({a['date']}): {scores}")
    else:
        lines.append("No assessment yet.")
    lines.append("")
    lines.append("Goals:" if d["goals"] else "No goals in the plan.")
    for g in d["goals"]:
        target = f", target {g['target']}" if g["target"] else ""
        lines.append(f"  {v(g['id'])} [{g['status']}{target}] {v(g['goal'])}")
        for action in g["open_actions"]:
            lines.append(f"      - {v(action)}")
    lines.append("")
    if d["due"]:
        lines.append("Due:")
        rows = [[i["status"], i["due"], i["kind"], i["what"]] for i in d["due"]]
        lines += [
            "  " + ln for ln in plain_table(("status", "due", "kind", "what"), rows).splitlines()
        ]
    else:
        lines.append("Nothing due.")
    lines.append("")
    lines.append("Recent notes:" if d["recent_notes"] else "No notes yet.")
    for n in d["recent_notes"]:
        first = n["text"].splitlines()[0] if n["text"] else ""
        lines.append(f"  {n['date']} {n['type']:<10} {v(n['by'])}: {v(first)}")
    return "\n".join(lines) + "\n"
