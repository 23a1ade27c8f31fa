"""``casectl flag ID KIND [--review-by D|DUR] [TEXT]`` and ``casectl flag ID KIND
--clear [TEXT]``: raise or clear a risk or care flag (client.yaml ``flags:``; kinds
from casectl.yaml ``flag_kinds``) and a ``flag`` entry; one commit."""

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
    kind: str,
    text: str | None,
    review_by: str | None,
    clear: bool,
    date: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    if clear and review_by is not None:
        raise CasectlError("--review-by is for raising a flag; leave it out with --clear")
    review_day: list[Day] = []

    def before(ctx: RunContext) -> None:
        kinds = ctx.agency.flag_kinds
        if kind not in kinds:
            raise CasectlError(
                f"{kind!r} is not a flag kind of casectl.yaml flag_kinds (one of: "
                f"{', '.join(kinds)})"
            )
        if review_by is not None:
            review_day.append(parse_when_or_duration("--review-by", review_by, ctx.today))

    def change(tx: Transaction, day: Day) -> tuple[list[str], str]:
        client = tx.doc("client.yaml")
        if clear:
            return casework.clear_flag(client, kind, day, tx.rel), f"Flag {kind} cleared."
        review = review_day[0] if review_day else None
        return casework.raise_flag(client, kind, day, review, tx.rel), f"Flag {kind} raised."

    return write_change(
        out,
        directory,
        client_id,
        command="flag",
        entry_type="flag",
        change=change,
        text=text,
        date_option=date,
        by=by,
        no_commit=no_commit,
        before=before,
    )
