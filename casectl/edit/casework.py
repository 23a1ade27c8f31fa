"""The casework changes to plan.yaml, client.yaml and assessment.yaml (issue 13), as
transaction steps: each takes the round-trip tree of ``tx.doc(name)``, changes it in
place (``yamledit`` keeps every other line, comment and quote) and returns the
``changes:`` lines of the entry that says what changed (docs/format.md).

Refusals are CasectlError (exit 2) naming the item; they never quote record text.
Pure apart from the tree they change: the transaction reads, checks and writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from casectl.core.model import FINAL_GOAL_STATUSES, GOAL_STATUSES
from casectl.errors import CasectlError

_NUMBERED = re.compile(r"\A([A-Z])(\d{1,9})\Z")


def next_id(prefix: str, items: Any) -> str:
    """``<prefix><n>``: one more than the highest number in use (never a reused one)."""
    highest = 0
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            m = _NUMBERED.match(str(item.get("id", "")))
            if m and m.group(1) == prefix:
                highest = max(highest, int(m.group(2)))
    return f"{prefix}{highest + 1}"


def _mapping(pairs: Iterable[tuple[str, Any]]) -> Any:
    from ruamel.yaml.comments import CommentedMap

    return CommentedMap([(k, v) for k, v in pairs if v is not None])


def _list_at(root: Any, key: str, shown: str) -> Any:
    """The list under ``key`` of ``root`` to append to: made when missing or empty
    (``key:`` alone, ``key: []``); refused when it is something else."""
    from ruamel.yaml.comments import CommentedSeq

    value = root.get(key)
    if value is None:
        root[key] = CommentedSeq()
        return root[key]
    if not isinstance(value, list):
        raise CasectlError(f"{shown}: `{key}:` is not a list; fix it first (casectl validate)")
    return value


def _goals(plan: Any, rel: str) -> list[Any]:
    goals = plan.get("goals")
    if goals is None:
        return []
    if not isinstance(goals, list):
        raise CasectlError(f"{rel}/plan.yaml: `goals:` is not a list; fix it first")
    return goals


def find_goal(plan: Any, goal_id: str, rel: str) -> Any:
    goals = _goals(plan, rel)
    for goal in goals:
        if isinstance(goal, dict) and str(goal.get("id")) == goal_id:
            return goal
    known = [str(g.get("id")) for g in goals if isinstance(g, dict) and "id" in g]
    raise CasectlError(
        f"no goal {goal_id!r} in {rel}/plan.yaml (goals: {', '.join(known) or 'none'})"
    )


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    return value.isoformat() if isinstance(value, date) else str(value)


# ------------------------------------------------------------------ goals


def add_goal(
    plan: Any, text: str, domain: str | None, target: date | None, rel: str
) -> tuple[str, list[str]]:
    """A new active goal with the next free id; (its id, the changes lines)."""
    goals = _list_at(plan, "goals", f"{rel}/plan.yaml")
    goal_id = next_id("G", goals)
    goals.append(
        _mapping(
            [
                ("id", goal_id),
                ("domain", domain),
                ("goal", text),
                ("target", target),
                ("status", "active"),
            ]
        )
    )
    return goal_id, [f"{goal_id} added"]


def change_goal(
    goal: Any, status: str | None, target: date | None, day: date, goal_id: str
) -> list[str]:
    """``status`` and/or ``target`` of ``goal`` changed; a final status gets
    ``status_date: day``, a goal made active again loses it. The changes lines."""
    lines: list[str] = []
    if status is not None:
        if status not in GOAL_STATUSES:
            raise CasectlError(
                f"--status: {status!r} is not a goal status (one of: {', '.join(GOAL_STATUSES)})"
            )
        old = goal.get("status", "active")
        if old == status:
            raise CasectlError(f"{goal_id} is already {status}; nothing written")
        goal["status"] = status
        lines.append(f"{goal_id} status {_shown(old)} -> {status}")
        if status in FINAL_GOAL_STATUSES:
            goal["status_date"] = day
        elif "status_date" in goal:
            del goal["status_date"]
    if target is not None:
        old_target = goal.get("target")
        if old_target == target:
            raise CasectlError(f"{goal_id} already has target {target}; nothing written")
        goal["target"] = target
        lines.append(f"{goal_id} target {_shown(old_target)} -> {target.isoformat()}")
    if not lines:
        raise CasectlError("nothing to change: give --status and/or --target")
    return lines


# ------------------------------------------------------------------ actions


def add_action(
    goal: Any, text: str, who: str | None, due: date | None, goal_id: str, rel: str
) -> tuple[str, list[str]]:
    actions = _list_at(goal, "actions", f"{rel}/plan.yaml {goal_id}")
    actions.append(_mapping([("action", text), ("who", who), ("due", due)]))
    name = f"{goal_id}.{len(actions)}"
    return name, [f"{name} added"]


def split_action(name: str) -> tuple[str, int]:
    """``G1.2`` -> (``G1``, 2); CasectlError when it is not ``GOAL.N``."""
    goal_id, dot, number = name.rpartition(".")
    if not dot or not goal_id or not number.isdigit() or int(number) < 1:
        raise CasectlError(
            f"{name!r} is not an action: name it by goal and position, e.g. G1.2 "
            "(to add one: casectl action ID G1 add TEXT)"
        )
    return goal_id, int(number)


def action_done(goal: Any, position: int, day: date, name: str, rel: str) -> tuple[str, list[str]]:
    """Mark action ``position`` (1-based) of ``goal`` done on ``day``; (its text, lines)."""
    actions = goal.get("actions")
    count = len(actions) if isinstance(actions, list) else 0
    if not 1 <= position <= count:
        raise CasectlError(f"no action {name} in {rel}/plan.yaml (the goal has {count} actions)")
    assert isinstance(actions, list)
    action = actions[position - 1]
    if not isinstance(action, dict):
        raise CasectlError(f"{rel}/plan.yaml: action {name} is not a mapping; fix it first")
    if action.get("done") is not None:
        when = _shown(action.get("done"))
        raise CasectlError(f"{name} is already done ({when}); nothing written")
    action["done"] = day
    return str(action.get("action", "")), [f"{name} done {day.isoformat()}"]


# ------------------------------------------------------------------ tasks


def add_task(plan: Any, text: str, due: date, who: str | None, rel: str) -> tuple[str, list[str]]:
    tasks = _list_at(plan, "tasks", f"{rel}/plan.yaml")
    task_id = next_id("T", tasks)
    tasks.append(_mapping([("id", task_id), ("task", text), ("due", due), ("who", who)]))
    return task_id, [f"{task_id} added, due {due.isoformat()}"]


def task_done(plan: Any, task_id: str, day: date, rel: str) -> tuple[str, list[str]]:
    tasks = plan.get("tasks")
    items = tasks if isinstance(tasks, list) else []
    for task in items:
        if isinstance(task, dict) and str(task.get("id")) == task_id:
            if task.get("done") is not None:
                raise CasectlError(
                    f"{task_id} is already done ({_shown(task.get('done'))}); nothing written"
                )
            task["done"] = day
            return str(task.get("task", "")), [f"{task_id} done {day.isoformat()}"]
    known = [str(t.get("id")) for t in items if isinstance(t, dict) and "id" in t]
    raise CasectlError(
        f"no task {task_id!r} in {rel}/plan.yaml (tasks: {', '.join(known) or 'none'})"
    )


# ------------------------------------------------------------------ flags


def raise_flag(client: Any, kind: str, since: date, review_by: date | None, rel: str) -> list[str]:
    """A new flag item (``kind``, ``since``, ``review_by``); refused while a flag of
    that kind is raised and not cleared."""
    flags = _list_at(client, "flags", f"{rel}/client.yaml")
    for flag in flags:
        if isinstance(flag, dict) and flag.get("kind") == kind and flag.get("cleared") is None:
            raise CasectlError(
                f"flag {kind} is already raised (since {_shown(flag.get('since'))}); "
                f"clear it first (casectl flag ID {kind} --clear); nothing written"
            )
    flags.append(_mapping([("kind", kind), ("since", since), ("review_by", review_by)]))
    review = f", review by {review_by.isoformat()}" if review_by is not None else ""
    return [f"flag {kind} raised{review}"]


def clear_flag(client: Any, kind: str, day: date, rel: str) -> list[str]:
    """``cleared: day`` on every raised flag of ``kind`` (items are never removed)."""
    flags = client.get("flags")
    found = [
        flag
        for flag in (flags if isinstance(flags, list) else [])
        if isinstance(flag, dict) and flag.get("kind") == kind and flag.get("cleared") is None
    ]
    if not found:
        raise CasectlError(f"no raised flag {kind} in {rel}/client.yaml; nothing written")
    for flag in found:
        flag["cleared"] = day
    return [f"flag {kind} cleared"]


# ------------------------------------------------------------------ assessments


def add_assessment(
    assessments: Any,
    day: date,
    by: str,
    scores: dict[str, int],
    summary: str | None,
    rel: str,
) -> list[str]:
    """A new assessment appended (earlier ones are never touched)."""
    items = _list_at(assessments, "assessments", f"{rel}/assessment.yaml")
    domains = _mapping((domain, _mapping([("score", score)])) for domain, score in scores.items())
    items.append(_mapping([("date", day), ("by", by), ("domains", domains), ("summary", summary)]))
    return [f"assessment {day.isoformat()} added"]


def last_scores(assessments: Any) -> dict[str, int]:
    """The scores of the latest assessment (by date; the last of a day), as plain data."""
    items = assessments.get("assessments") if isinstance(assessments, dict) else None
    best: dict[str, int] = {}
    best_day: Any = None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("domains"), dict):
            continue
        day = item.get("date")
        if best_day is not None and isinstance(day, date) and day < best_day:
            continue
        best_day = day
        best = {}
        for domain, value in item["domains"].items():
            score = value.get("score") if isinstance(value, dict) else value
            if isinstance(score, int) and not isinstance(score, bool):
                best[str(domain)] = score
    return best


_SCORE = re.compile(r"\A\s*([A-Za-z0-9_-]+)\s*=\s*(\d+)\s*\Z")


def parse_scores(values: Iterable[str], domains: Iterable[str]) -> dict[str, int]:
    """``--score DOMAIN=N`` values: a known domain, N from 1 to 5, each domain once."""
    known = list(domains)
    scores: dict[str, int] = {}
    for value in values:
        m = _SCORE.match(value)
        if not m:
            raise CasectlError(f"--score: {value!r} is not DOMAIN=N (e.g. housing=2)")
        domain, score = m.group(1), int(m.group(2))
        if domain not in known:
            raise CasectlError(
                f"--score: {domain!r} is not a domain of casectl.yaml (one of: {', '.join(known)})"
            )
        if not 1 <= score <= 5:
            raise CasectlError(f"--score: {domain} {score}: a score is 1 (in crisis) .. 5")
        if domain in scores:
            raise CasectlError(f"--score: {domain} is given twice")
        scores[domain] = score
    return scores


def assessment_template(client_id: str, day: date, by: str, last: dict[str, int]) -> str:
    """What ``assess`` opens in $EDITOR: the last scores, one ``domain: score`` a line."""
    lines = [
        f"# New assessment of {client_id} on {day.isoformat()} by {by}.",
        "# Scores: 1 in crisis .. 5 thriving, one 'domain: score' a line. The last",
        "# assessment's scores are filled in: change them; delete a line to leave a",
        "# domain out. Lines starting with '#' are left out; no scores at all: nothing",
        "# is written.",
        "domains:",
        *(f"  {domain}: {score}" for domain, score in last.items()),
        "summary: ",
    ]
    return "\n".join(lines) + "\n"


def read_assessment_text(text: str, domains: Iterable[str]) -> tuple[dict[str, int], str | None]:
    """The editor's text: (scores, summary); CasectlError when it cannot be read."""
    from casectl.store.load import load_text

    loaded = load_text("ASSESSMENT.yaml", text)
    if loaded.problems:
        first = loaded.problems[0]
        raise CasectlError(f"the assessment is not valid YAML ({first.message}); nothing written")
    data = loaded.data if loaded.data is not None else {}
    if not isinstance(data, dict) or not isinstance(data.get("domains") or {}, dict):
        raise CasectlError("the assessment must keep 'domains:' with 'domain: score' lines")
    scores_in = data.get("domains") or {}
    values = []
    for domain, score in scores_in.items():
        if isinstance(score, bool) or not isinstance(score, int):
            raise CasectlError(f"{domain}: the score must be a whole number 1..5")
        values.append(f"{domain}={score}")
    summary = data.get("summary")
    if summary is not None and not isinstance(summary, str):
        summary = str(summary)
    return parse_scores(values, domains), (summary or None)


# ------------------------------------------------------------------ casectl edit


def _label(value: Any) -> str:
    """How a list item is named in a changes line: its name, id, goal, action..."""
    if isinstance(value, dict):
        for key in ("name", "id", "kind", "goal", "action", "task", "date"):
            if key in value and not isinstance(value[key], dict | list):
                return _shown(value[key])
        return "an item"
    if isinstance(value, list):
        return "a list"
    return _shown(value)


def describe_changes(old: Any, new: Any, path: str = "") -> list[str]:
    """One line per changed field path, as the ``plan_change`` entry of ``edit`` lists
    them: ``goals[1].target 2026-12-15 -> 2027-01-31``, ``contacts added: Rosa Lopez``,
    ``goals[0].actions[2] removed: Call the landlord``. Lists are compared by position
    (0-based, as validate's field paths), items added or removed at the end."""
    if isinstance(old, dict) and isinstance(new, dict):
        lines: list[str] = []
        for key in old:
            here = f"{path}.{key}" if path else str(key)
            if key not in new:
                lines.append(f"{here} removed")
            else:
                lines += describe_changes(old[key], new[key], here)
        for key in new:
            if key not in old:
                here = f"{path}.{key}" if path else str(key)
                if isinstance(new[key], list):
                    lines += [f"{here} added: {_label(item)}" for item in new[key]]
                else:
                    lines.append(f"{here} added: {_label(new[key])}")
        return lines
    if isinstance(old, list) and isinstance(new, list):
        lines = []
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            lines += describe_changes(a, b, f"{path}[{i}]")
        lines += [f"{path} added: {_label(item)}" for item in new[len(old) :]]
        lines += [f"{path}[{i}] removed: {_label(old[i])}" for i in range(len(new), len(old))]
        return lines
    if old == new and type(old) is type(new):
        return []
    return [f"{path} {_shown(old)} -> {_shown(new)}"]


# What `edit` refuses to change: the commands that own them say so.
_OWNED = {
    "client.yaml": {
        "status": "casectl close / reopen",
        "closed": "casectl close / reopen",
        "manager": "casectl transfer",
    },
}


def refuse_owned_changes(name: str, old: Any, new: Any) -> list[str]:
    """Why the edit of ``name`` from ``old`` to ``new`` (plain data) is refused: status,
    closed and manager of client.yaml, existing consents, earlier assessments."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    out = [
        f"`{key}` cannot be changed here: use {owner}"
        for key, owner in _OWNED.get(name, {}).items()
        if old.get(key) != new.get(key)
    ]
    if name == "client.yaml":
        if "consent" in old and old.get("consent") != new.get("consent"):
            out.append("an existing consent cannot be changed here: use casectl consent")
        before, after = old.get("consents"), new.get("consents")
        if (
            isinstance(before, list)
            and before
            and (not isinstance(after, list) or after[: len(before)] != before)
        ):
            out.append("existing consents cannot be changed here: use casectl consent")
    if name == "assessment.yaml":
        before, after = old.get("assessments"), new.get("assessments")
        if (
            isinstance(before, list)
            and before
            and (not isinstance(after, list) or after[: len(before)] != before)
        ):
            out.append(
                "earlier assessments cannot be changed or removed: add a new one (casectl assess)"
            )
    return out
