"""``casectl task ID TEXT --due D|DUR [--who M]`` and ``casectl task ID T --done
[--date D]``: a reminder outside the goals (plan.yaml ``tasks:``, ids T1, T2 ...)
and a ``task`` entry; one commit. A task stays due after the case is closed."""

from __future__ import annotations

import re
from datetime import date as Day
from pathlib import Path

from casectl.commands._common import parse_when_or_duration, write_change
from casectl.core.context import RunContext
from casectl.edit import casework
from casectl.edit.transaction import Transaction
from casectl.errors import CasectlError
from casectl.present.output import Output

_TASK_ID = re.compile(r"\AT\d{1,9}\Z")


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    text: str,
    due: str | None,
    who: str | None,
    done: bool,
    date: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    if done:
        if not _TASK_ID.match(text):
            raise CasectlError(f"--done: {text!r} is not a task id (T1, T2, ...)")
        if due is not None or who is not None:
            raise CasectlError("--due and --who are for a new task (casectl task ID TEXT --due D)")
    else:
        if due is None:
            raise CasectlError("a task needs --due DATE or --due DURATION (e.g. '2 weeks')")
        if date is not None:
            raise CasectlError("--date is for --done (when the task was done)")
        if not text.strip():
            raise CasectlError("task ID TEXT: give the task's text")
    due_day: list[Day] = []

    def before(ctx: RunContext) -> None:
        if due is not None:
            due_day.append(parse_when_or_duration("--due", due, ctx.today))
        managers = ctx.agency.managers
        if who is not None and managers is not None and who not in managers:
            known = ", ".join(sorted(managers)) or "none"
            raise CasectlError(f"--who: {who!r} is not a manager in casectl.yaml (known: {known})")

    def change(tx: Transaction, day: Day) -> tuple[list[str], str]:
        plan = tx.doc("plan.yaml")
        if done:
            task, lines = casework.task_done(plan, text, day, tx.rel)
            return lines, f"Task {text} done: {task}"
        task_id, lines = casework.add_task(plan, text, due_day[0], who, tx.rel)
        return lines, f"Task {task_id}: {text}"

    return write_change(
        out,
        directory,
        client_id,
        command="task",
        entry_type="task",
        change=change,
        date_option=date,
        by=by,
        no_commit=no_commit,
        before=before,
    )
