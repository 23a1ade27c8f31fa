"""``show``'s formats: one client at a glance (present.formats.SHOW)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from casectl.core.values import OPEN_REFERRAL_STATUSES
from casectl.present.output import json_visible, visible
from casectl.present.text import fit_line, plain_table

if TYPE_CHECKING:
    from casectl.present.output import Output


def write_json(out: Output, data: dict[str, Any]) -> None:
    out.write(json_visible(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def write_text(out: Output, data: dict[str, Any]) -> None:
    """On a terminal: long lines wrap at spaces under their own column, through the pager."""
    if out.is_tty():
        width = out.console_width()
        with out.paged():
            out.write(_text(data, width))
    else:
        out.write(_text(data))


def referral_line(r: dict[str, Any]) -> str:
    """One referral: id, where to, service, status (since), expected by, outcome."""
    v = visible
    service = f" ({v(r['service'])})" if r.get("service") else ""
    since = f" {r['status_date']}" if r.get("status_date") else ""
    expect = (
        f", expect by {r['expect_by']}"
        if r.get("expect_by") and r["status"] in OPEN_REFERRAL_STATUSES
        else ""
    )
    outcome = f": {v(r['outcome'])}" if r.get("outcome") else ""
    return (
        f"{v(r['id'])} {v(r['to'])}{service} [{r['status']}{since}] sent {r['sent']}"
        f"{expect}{outcome}"
    )


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
    lines.append(f"  stage:    {d['stage']}")
    for f in d["flags"]:
        review = f", review by {f['review_by']}" if f["review_by"] else ""
        lines.append(f"  FLAG:     {v(f['kind'])} since {f['since']}{review}")
    left = f"; manager left {d['manager_left']}" if d["manager_left"] else ""
    lines.append(f"  manager:  {v(d['manager_name'])} ({v(d['manager'])}){left}")
    if d["program"]:
        lines.append(f"  program:  {v(d['program'])}")
    lines.append(f"  opened:   {d['opened']}")
    if d["consent_expires"]:
        parties = (d["consents"][-1].get("parties") if d["consents"] else None) or []
        shared = f" (parties: {v(', '.join(parties))})" if parties else ""
        lines.append(f"  consent:  expires {d['consent_expires']}{shared}")
    for c in d["contacts"]:
        about = ", ".join(
            v(str(c[k])) for k in ("relation", "org", "phone", "email", "address") if c.get(k)
        )
        emergency = " [emergency contact]" if c.get("emergency") else ""
        lines.append(f"  contact:  {v(c['name'])}{f' ({about})' if about else ''}{emergency}")
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
    if d["tasks"]:
        lines.append("Tasks:")
        for t in d["tasks"]:
            who = f" ({v(t['who'])})" if t["who"] else ""
            head = f"  {v(t['id'])} due {t['due'] or '-'}{who} "
            lines += fit_line(head + v(t["task"]), width, len(head))
    lines.append("")
    if d["referrals"]:
        lines.append("Services and referrals:")
        for r in d["referrals"]:
            lines.append("  " + referral_line(r))
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
