"""``casectl action ID G add TEXT [--who W] [--due D]`` and ``casectl action ID G.N
--done [--date D]``: a goal's actions in plan.yaml, changed in place, and a
``plan_change`` entry; one commit. Actions are named by position: G1.2 is the second
action of G1."""

from __future__ import annotations

from datetime import date as Day
from pathlib import Path

from casectl.commands._common import parse_when_or_duration, write_change
from casectl.core.context import RunContext
from casectl.edit import casework
from casectl.edit.transaction import Transaction
from casectl.errors import CasectlError
from casectl.present.output import Output


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    target: str,
    verb: str | None,
    text: str | None,
    who: str | None,
    due: str | None,
    done: bool,
    date: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    if verb == "add":
        if not text:
            raise CasectlError("action ID G add TEXT: give the action's text")
        if done or date is not None:
            raise CasectlError("a new action is open: leave out --done and --date")
    elif verb is not None:
        raise CasectlError(
            f"unexpected {verb!r}: casectl action ID G add TEXT, or casectl action ID G.N --done"
        )
    else:
        if not done:
            raise CasectlError(
                f"what should happen to {target!r}? casectl action ID G.N --done "
                "(or casectl action ID G add TEXT)"
            )
        if who is not None or due is not None:
            raise CasectlError("--who and --due are for a new action (action ID G add TEXT)")
        casework.split_action(target)  # refuse a bad name before anything is read
    due_day: list[Day] = []

    def before(ctx: RunContext) -> None:
        if due is not None:
            due_day.append(parse_when_or_duration("--due", due, ctx.today))

    def change(tx: Transaction, day: Day) -> tuple[list[str], str]:
        plan = tx.doc("plan.yaml")
        if verb == "add":
            assert text is not None
            goal = casework.find_goal(plan, target, tx.rel)
            name, lines = casework.add_action(
                goal, text, who, due_day[0] if due_day else None, target, tx.rel
            )
            return lines, f"Action {name} added: {text}"
        goal_id, position = casework.split_action(target)
        goal = casework.find_goal(plan, goal_id, tx.rel)
        action, lines = casework.action_done(goal, position, day, target, tx.rel)
        return lines, f"Action {target} done: {action}"

    return write_change(
        out,
        directory,
        client_id,
        command="action",
        entry_type="plan_change",
        change=change,
        date_option=date,
        by=by,
        no_commit=no_commit,
        before=before,
    )
