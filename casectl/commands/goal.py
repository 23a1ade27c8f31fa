"""``casectl goal ID add TEXT [--domain D] [--target D]`` and ``casectl goal ID G
[--status S] [--target D] [--date D] [--why TEXT]``: plan.yaml's goals, changed in
place, and a ``plan_change`` entry naming what changed; one commit."""

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
    goal: str,
    text: str | None,
    domain: str | None,
    target: str | None,
    status: str | None,
    date: str | None,
    why: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    adding = goal == "add"
    if adding:
        if not text:
            raise CasectlError("goal ID add TEXT: give the goal's text")
        if status is not None or date is not None or why is not None:
            raise CasectlError("a new goal is active: leave out --status, --date and --why")
    else:
        if text is not None:
            raise CasectlError(
                f"unexpected TEXT after goal {goal!r}: to add a goal, casectl goal ID add TEXT; "
                "to say why a goal changed, --why TEXT"
            )
        if domain is not None:
            raise CasectlError("--domain is for a new goal (casectl goal ID add TEXT --domain D)")
    day_target: list[Day] = []

    def before(ctx: RunContext) -> None:
        if target is not None:
            day_target.append(parse_when_or_duration("--target", target, ctx.today))

    def change(tx: Transaction, day: Day) -> tuple[list[str], str]:
        plan = tx.doc("plan.yaml")
        new_target = day_target[0] if day_target else None
        if adding:
            assert text is not None
            goal_id, lines = casework.add_goal(plan, text, domain, new_target, tx.rel)
            return lines, f"Goal {goal_id} added: {text}"
        found = casework.find_goal(plan, goal, tx.rel)
        lines = casework.change_goal(found, status, new_target, day, goal)
        said = ", ".join(line.removeprefix(f"{goal} ") for line in lines)
        return lines, f"Goal {goal}: {said}."

    return write_change(
        out,
        directory,
        client_id,
        command="goal",
        entry_type="plan_change",
        change=change,
        text=why,
        date_option=date,
        by=by,
        no_commit=no_commit,
        before=before,
    )
