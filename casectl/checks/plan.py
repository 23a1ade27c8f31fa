"""plan.yaml rules (CM2xx).

| code | rule |
|---|---|
| CM220 | goal ids are unique in the plan |
| CM221 | a goal's `domain` is one of the agency's domains |
| CM222 | `created` and an action's `done` are not in the future |
| CM223 | a goal with status `met` has no open action with a `due` date (warning) |
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError

from casectl.checks import schema
from casectl.checks.result import CheckedClient
from casectl.core.context import Env
from casectl.core.model import Agency, Goal, Plan, describe
from casectl.core.problems import Problem
from casectl.store.load import Loaded


def check(
    loaded: Loaded,
    plan: Plan,
    agency: Agency,
    today: date,
    positions: list[int] | None = None,
) -> list[Problem]:
    """``positions[k]`` is the index in the file of ``plan.goals[k]`` when the plan was
    salvaged from a file with invalid goals (their places are kept in messages)."""
    out: list[Problem] = []
    seen: dict[str, int] = {}
    known = set(agency.domains)
    if plan.created and plan.created > today:
        out.append(loaded.problem(("created",), "CM222", f"{plan.created} is in the future"))
    for k, goal in enumerate(plan.goals):
        i = positions[k] if positions is not None else k
        at = ("goals", i)
        if goal.id in seen:
            out.append(
                loaded.problem(
                    (*at, "id"),
                    "CM220",
                    f"goal id {describe(goal.id)} is already used by goals[{seen[goal.id]}]",
                )
            )
        else:
            seen[goal.id] = i
        if goal.domain is not None and goal.domain not in known:
            out.append(
                loaded.problem(
                    (*at, "domain"),
                    "CM221",
                    f"{describe(goal.domain)} is not one of the agency's domains",
                )
            )
        for j, action in enumerate(goal.actions):
            if action.done and action.done > today:
                out.append(
                    loaded.problem(
                        (*at, "actions", j, "done"), "CM222", f"{action.done} is in the future"
                    )
                )
            if goal.status == "met" and action.due and not action.done:
                out.append(
                    loaded.problem(
                        (*at, "actions", j),
                        "CM223",
                        "the goal is met but this action is still open",
                        severity="warning",
                    )
                )
    return out


def run(c: CheckedClient, env: Env) -> list[Problem]:
    """The record of plan.yaml (CM201..CM207) and its rules; when the file fails as a
    whole, the goals valid on their own are checked and every goal id is remembered."""
    lp = c.loaded.get("plan.yaml")
    if lp is None or not lp.ok:
        return []
    parts: schema.Parts = {}
    c.plan, out = schema.validate(lp, Plan, 2, parts=parts)
    if c.plan is None:
        c.plan, c.plan_positions, c.goal_ids = salvage(lp.data, parts)
    if c.plan is not None:
        out += check(lp, c.plan, env.agency, env.today, c.plan_positions)
    return out


def salvage(data: Any, parts: schema.Parts) -> tuple[Plan | None, list[int] | None, set[str]]:
    """The valid goals of a plan file that failed as a whole, with their positions.

    Their problems were reported already; the salvaged plan lets the cross-goal rules
    (duplicate ids...) and the schedule see everything that is readable.
    """
    if not isinstance(data, dict) or not isinstance(data.get("goals", []), list):
        return None, None, set()
    items = data.get("goals", [])
    ids = {
        item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)
    }
    goals, positions = parts["goals"] if "goals" in parts else schema.valid_items_of(Goal, items)
    try:
        created = Plan.model_validate({"created": data.get("created")}).created
    except ValidationError:
        created = None
    plan = Plan.model_construct(created=created, goals=goals)
    return plan, positions, ids
