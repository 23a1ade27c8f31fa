"""Links between a client's files (CM62x); the folder layout is ``layout`` (CM60x).

| code | rule |
|---|---|
| CM620 | a note's `goals` each name a goal id of plan.yaml |
"""

from __future__ import annotations

from casectl.checks.result import CheckedClient
from casectl.core.context import Env
from casectl.core.model import LogEntry, Plan, describe
from casectl.core.problems import Problem
from casectl.store.load import Loaded


def note_goals(
    log: Loaded,
    entries: list[tuple[int, LogEntry]],
    plan: Plan | None,
    also_known: set[str] | None = None,
) -> list[Problem]:
    """``also_known``: goal ids of plan.yaml entries that were invalid otherwise (a
    note naming one is not a broken link; the goal's own problem is reported)."""
    if plan is None:
        return []
    known = {g.id for g in plan.goals} | (also_known or set())
    out: list[Problem] = []
    for i, e in entries:
        for j, gid in enumerate(e.goals or ()):
            if gid not in known:
                out.append(
                    log.problem(
                        (i, "goals", j), "CM620", f"{describe(gid)} is not a goal id in plan.yaml"
                    )
                )
    return out


def run(c: CheckedClient, env: Env) -> list[Problem]:
    ll = c.loaded.get("log.yaml")
    if ll is None or not (ll.ok or ll.data == []):
        return []
    return note_goals(ll, c.log_entries, c.plan, c.goal_ids)
