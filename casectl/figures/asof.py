"""A client's records as the dated records stood at the end of a day (``--as-of D``).

Contract section 5.2, last paragraph. :func:`as_of` returns the records with
everything that happened after D taken back out:

| record | as of the end of D |
|---|---|
| the client | does not exist when ``opened`` is after D (``as_of`` returns None) |
| log entries | left out when dated after D, or ``recorded`` after D (a late entry written later) |
| assessments | left out when dated after D |
| actions, tasks | ``done`` after D is cleared: the item was still open |
| goals | ``status_date`` after D: the goal counts as ``active`` (no date: final at every day) |
| referrals | left out when ``sent`` after D; a ``status_date`` after D: see below |
| ``closed:`` | dated after D: the client was open, read as ``active`` (below) |
| consents | left out when ``signed`` after D |
| flags | left out when raised (``since``) after D; ``cleared`` after D is cleared |

Undated plan items (goals, their targets, tasks' dues, referrals' ``expect_by``)
and ``manager:`` are read as they are now; the exact past state is in git.

Two earlier values are not in the files, so they are rebuilt by rule:

* **A referral whose status changed after D** takes the status it had at the end of
  D from the log: the last entry of the view (any type) whose ``changes:`` holds
  ``<id> status <old> -> <new>`` for that referral gives ``<new>``, and its day
  becomes ``status_date``. With no such entry the referral reads as ``sent`` with no
  ``status_date``. Only entries of the view are read, so later entries never change
  the past.
* **A client closed after D** was open then; its status before the closure is not
  recorded anywhere dated, so it reads as ``active`` (an ``on_hold`` before the
  closure is not rebuilt).

Dates of note times are agency days: a time without an offset is agency-local, one
with an offset is converted to the agency's zone before its day is taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, tzinfo

from casectl.core.model import (
    REFERRAL_STATUSES,
    Agency,
    AssessmentFile,
    Client,
    Goal,
    LogEntry,
    Plan,
    Referral,
    Task,
)
from casectl.figures import ClientRecords, local_day, local_time, zone_of

# One item of an entry's `changes:` that moves a referral: "R1 status sent -> accepted".
STATUS_CHANGE = re.compile(r"\s*(\S+)\s+status\s+(\S+)\s*->\s*(\S+)\s*")


def as_of(records: ClientRecords, agency: Agency, day: date) -> ClientRecords | None:
    """The client's records as they stood at the end of ``day`` (agency day); None
    when the client was opened after it. Records are returned unchanged (the same
    objects) where nothing is dated after ``day``."""
    if records.client.opened > day:
        return None
    zone = zone_of(agency)
    return ClientRecords(
        client=client_as_of(records.client, day),
        assessments=assessments_as_of(records.assessments, day),
        plan=plan_as_of(records.plan, day, records.log, zone),
        log=entries_as_of(records.log, day, zone),
    )


def entries_as_of(log: Iterable[LogEntry], day: date, zone: tzinfo) -> tuple[LogEntry, ...]:
    """The entries dated on or before ``day`` and not recorded after it."""
    return tuple(e for e in log if visible(e, day, zone))


def visible(entry: LogEntry, day: date, zone: tzinfo) -> bool:
    """Whether ``entry`` was in the log at the end of ``day``: dated on or before it
    and not recorded after it."""
    return local_day(entry.date, zone) <= day and (
        entry.recorded is None or local_day(entry.recorded, zone) <= day
    )


def client_as_of(client: Client, day: date) -> Client:
    """client.yaml at the end of ``day``: closure, consents and flags taken back."""
    update: dict[str, object] = {}
    if client.closed is not None and client.closed.date > day:
        update["status"] = "active"
        update["closed"] = None
    if client.consents is not None and any(_after(c.signed, day) for c in client.consents):
        update["consents"] = [c for c in client.consents if not _after(c.signed, day)]
    if client.consent is not None and _after(client.consent.signed, day):
        update["consent"] = None
    flags = client.flags or []
    if any(f.since > day or _after(f.cleared, day) for f in flags):
        update["flags"] = [
            f.model_copy(update={"cleared": None}) if _after(f.cleared, day) else f
            for f in flags
            if f.since <= day
        ]
    return client.model_copy(update=update) if update else client


def assessments_as_of(assessments: AssessmentFile, day: date) -> AssessmentFile:
    """The assessments dated on or before ``day``."""
    items = assessments.assessments
    if all(a.date <= day for a in items):
        return assessments
    return assessments.model_copy(update={"assessments": [a for a in items if a.date <= day]})


def plan_as_of(plan: Plan, day: date, log: Sequence[LogEntry], zone: tzinfo) -> Plan:
    """plan.yaml at the end of ``day``. ``log`` is the client's log, read only for a
    referral whose status changed after ``day`` (its entries after ``day`` ignored)."""
    update: dict[str, object] = {}
    goals = [_goal_as_of(g, day) for g in plan.goals]
    if any(new is not old for new, old in zip(goals, plan.goals, strict=True)):
        update["goals"] = goals
    tasks = [_task_as_of(t, day) for t in plan.tasks]
    if any(new is not old for new, old in zip(tasks, plan.tasks, strict=True)):
        update["tasks"] = tasks
    if any(r.sent > day or _after(r.status_date, day) for r in plan.referrals):
        update["referrals"] = _referrals_as_of(plan.referrals, day, log, zone)
    return plan.model_copy(update=update) if update else plan


def _goal_as_of(goal: Goal, day: date) -> Goal:
    update: dict[str, object] = {}
    if _after(goal.status_date, day):
        update["status"] = "active"
        update["status_date"] = None
    if any(_after(a.done, day) for a in goal.actions):
        update["actions"] = [
            a.model_copy(update={"done": None}) if _after(a.done, day) else a for a in goal.actions
        ]
    return goal.model_copy(update=update) if update else goal


def _task_as_of(task: Task, day: date) -> Task:
    return task.model_copy(update={"done": None}) if _after(task.done, day) else task


def _referrals_as_of(
    referrals: Sequence[Referral], day: date, log: Sequence[LogEntry], zone: tzinfo
) -> list[Referral]:
    out: list[Referral] = []
    logged: dict[str, tuple[str, date | None]] | None = None
    for r in referrals:
        if r.sent > day:
            continue
        if _after(r.status_date, day):
            if logged is None:
                logged = _logged_statuses(log, day, zone)
            status, on = logged.get(r.id, ("sent", None))
            r = r.model_copy(update={"status": status, "status_date": on})
        out.append(r)
    return out


def _logged_statuses(
    log: Sequence[LogEntry], day: date, zone: tzinfo
) -> dict[str, tuple[str, date | None]]:
    """Referral id -> (status, day) of the last status change in the ``changes:`` of
    the entries visible at the end of ``day`` (by entry time; log order breaks ties)."""
    found: dict[str, tuple[tuple[datetime, int], str]] = {}
    for i, e in enumerate(log):
        if not e.changes or not visible(e, day, zone):
            continue
        for change in e.changes:
            m = STATUS_CHANGE.fullmatch(change)
            if m is None or m.group(3) not in REFERRAL_STATUSES:
                continue
            key = (local_time(e.date, zone), i)
            rid = m.group(1)
            if rid not in found or found[rid][0] <= key:
                found[rid] = (key, m.group(3))
    return {rid: (status, at.date()) for rid, ((at, _), status) in found.items()}


def _after(value: date | None, day: date) -> bool:
    return value is not None and value > day
