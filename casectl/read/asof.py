"""THE as-of view of the read path (contract 5.2): ``--as-of D`` before today means "as
the records stood at the end of D" for every reading command.

:func:`checked_as_of` applies the rules of :mod:`casectl.figures.asof` to a checked
client; the readers call it and nothing else does: ``read.figures.client_records``
(``stats``, ``export``, ``search``), ``read.scan`` (the facts and due dates of
``due``, ``list``, ``digest``, ``caseload``) and ``read.agency.read_client`` (``show``,
``report``). A client opened after D does not exist as of D. ``today`` (the validation
clock, ``RunContext.today``) never moves: problems are those of the files now.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from casectl.checks import CheckedClient
from casectl.core.context import past as past
from casectl.core.model import Agency
from casectl.figures import local_day, zone_of
from casectl.figures.asof import (
    assessments_as_of,
    client_as_of,
    entries_as_of,
    plan_as_of,
    visible,
)


def checked_as_of(check: CheckedClient, agency: Agency, day: date | None) -> CheckedClient | None:
    """THE as-of view (contract 5.2): ``check`` with its records as they stood at the end
    of ``day`` (:mod:`casectl.figures.asof`), or None when the client was opened after
    it. ``day`` None: ``check`` itself. Problems are left as they are (they are about
    the files now); facts derived from the result are as of ``day``."""
    if day is None:
        return check
    zone = zone_of(agency)
    client, fields = check.client, check.client_fields
    if client is not None:
        if client.opened > day:
            return None
        client = client_as_of(client, day)
    elif fields is not None:
        if fields.opened is not None and fields.opened > day:
            return None
        if fields.closed is not None and fields.closed > day:
            fields = fields._replace(status="active", closed=None)
    return replace(
        check,
        client=client,
        client_fields=fields,
        assessments=assessments_as_of(check.assessments, day) if check.assessments else None,
        plan=plan_as_of(check.plan, day, check.log, zone) if check.plan else None,
        log=list(entries_as_of(check.log, day, zone)),
        log_entries=[(i, e) for i, e in check.log_entries if visible(e, day, zone)],
    )


def latest_dated(check: CheckedClient, agency: Agency) -> date | None:
    """The latest day of anything the as-of view looks at (entries' ``date`` and
    ``recorded``, assessments, ``done``, ``status_date``, referrals' ``sent``, the
    closure, consents and flags). As of any day on or after it, the view is the
    records themselves: ``read.scan`` then serves the cached facts (None: nothing
    dated at all)."""
    zone = zone_of(agency)
    days: list[date] = []
    client = check.client
    if client is not None:
        days.append(client.opened)
        if client.closed is not None:
            days.append(client.closed.date)
        days += [c.signed for c in client.all_consents() if c.signed is not None]
        for f in client.flags or ():
            days += [d for d in (f.since, f.cleared) if d is not None]
    elif check.client_fields is not None:
        fields = check.client_fields
        days += [d for d in (fields.opened, fields.closed) if d is not None]
    if check.assessments is not None:
        days += [a.date for a in check.assessments.assessments]
    if check.plan is not None:
        plan = check.plan
        for g in plan.goals:
            days += [d for d in [g.status_date, *(a.done for a in g.actions)] if d is not None]
        days += [t.done for t in plan.tasks if t.done is not None]
        for r in plan.referrals:
            days += [d for d in (r.sent, r.status_date) if d is not None]
    for e in check.log:
        days.append(local_day(e.date, zone))
        if e.recorded is not None:
            days.append(local_day(e.recorded, zone))
    return max(days) if days else None
