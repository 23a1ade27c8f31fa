"""``casectl show ID``: one client at a glance (who, needs, plan, due, recent notes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from casectl.commands._common import agency_context, resolve_client
from casectl.core import schedule
from casectl.errors import CasectlError
from casectl.present import formats
from casectl.present.output import Output
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
    newest = client.latest_consent()
    retention = schedule.retention_period(ctx.agency)
    items = schedule.due_items(facts, ctx.agency.cadence, ctx.as_of, retention=retention)
    items = schedule.sort_items(items)
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
        "manager_left": _iso(ctx.agency.manager_left(client.manager)),
        "program": client.program,
        "opened": client.opened.isoformat(),
        "closed": client.closed.model_dump(mode="json") if client.closed else None,
        "consent_expires": _iso(newest.expires) if newest is not None else None,
        "consents": [c.model_dump(mode="json", exclude_none=True) for c in client.all_consents()],
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
        "referrals": [
            r.model_dump(mode="json", exclude_none=True)
            for r in (check.plan.referrals if check.plan else [])
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
        # contract 5.4: the derived stage, flags, open tasks, the people around the client
        "stage": facts.stage,
        "flags": [
            {
                "kind": f.kind,
                "since": f.since.isoformat(),
                "review_by": f.review_by.isoformat() if f.review_by else None,
            }
            for f in client.flags or []
            if f.cleared is None
        ],
        "tasks": [
            {
                "id": t.id,
                "task": t.task,
                "due": t.due.isoformat() if t.due else None,
                "who": t.who,
            }
            for t in (check.plan.tasks if check.plan else [])
            if t.done is None
        ],
        "contacts": [c.model_dump(mode="json", exclude_none=True) for c in client.contacts or []],
    }
    formats.SHOW.write(fmt, out, formats.ShowView(data))
    return 0


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None
