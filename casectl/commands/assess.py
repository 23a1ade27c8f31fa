"""``casectl assess ID [--date D] [--score DOMAIN=N]... [--summary TEXT]``: append a new
assessment to assessment.yaml (earlier ones are never edited) and an ``assessment``
entry; one commit. With no ``--score``, $EDITOR opens prefilled with the last scores."""

from __future__ import annotations

from datetime import date as Day
from pathlib import Path

from casectl.commands._common import write_change
from casectl.core.context import RunContext
from casectl.edit import casework, notes
from casectl.edit.transaction import Transaction
from casectl.errors import CasectlError
from casectl.git import run as gitrun
from casectl.present.output import Output


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    date: str | None,
    scores: list[str],
    summary: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    wanted: dict[str, int] = {}
    found_summary: list[str | None] = [summary]

    def before(ctx: RunContext) -> None:
        domains = ctx.agency.domains
        if scores:
            wanted.update(casework.parse_scores(scores, domains))
            return
        # No --score: the editor, prefilled with the last scores (read before the lock;
        # the transaction reads the file again under it).
        from casectl.store import records

        files = records.read_client(ctx.root, client_id)
        loaded = files.loaded.get("assessment.yaml")
        last = casework.last_scores(loaded.data if loaded is not None else None)
        day = notes.parse_day_option("--date", date, ctx.zone) if date else ctx.today
        who = by or notes.resolve_by(ctx.agency, by, lambda: gitrun.config_identity(ctx.root))
        template = casework.assessment_template(client_id, day, who, last)
        text = notes.edit_text(template, notes.private_parent(ctx.root), "ASSESSMENT.yaml")
        got, written = casework.read_assessment_text(text, domains)
        if not got:
            raise CasectlError("no scores: nothing written")
        wanted.update(got)
        if found_summary[0] is None:
            found_summary[0] = written

    def change(tx: Transaction, day: Day) -> tuple[list[str], str]:
        by_key = _by(tx)
        lines = casework.add_assessment(
            tx.doc("assessment.yaml"), day, by_key, wanted, found_summary[0], tx.rel
        )
        said = ", ".join(f"{domain} {score}" for domain, score in wanted.items())
        return lines, found_summary[0] or f"Assessment: {said}."

    def _by(tx: Transaction) -> str:
        return notes.resolve_by(tx.ctx.agency, by, lambda: gitrun.config_identity(tx.ctx.root))

    return write_change(
        out,
        directory,
        client_id,
        command="assess",
        entry_type="assessment",
        change=change,
        date_option=date,
        by=by,
        no_commit=no_commit,
        before=before,
        with_="client",
    )
