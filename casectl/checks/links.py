"""Links between a client's files and the repository layout (CM6xx).

| code | rule |
|---|---|
| CM601 | each client folder has client.yaml, assessment.yaml, plan.yaml and log.yaml |
| CM602 | a client folder's name is a valid client id (`^[a-z0-9][a-z0-9-]{0,63}$`) |
| CM603 | a client folder or file is not a symbolic link |
| CM604 | unexpected file in a client folder (warning) |
| CM605 | something under clients/ that is not a folder (warning) |
| CM620 | a note's `goals` each name a goal id of plan.yaml |
"""

from __future__ import annotations

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
