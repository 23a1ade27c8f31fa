"""``casectl edit ID [client|plan|assessment]``: the ``crontab -e`` of case files.

The file (plan.yaml by default) is copied into a private 0600 file in a fresh 0700
folder and opened in $EDITOR. On save it is checked exactly as ``validate`` would
check the client with it; when the change adds errors or touches what other commands
own (status, closed, manager, consents, earlier assessments), the editor opens again
with the problems as comments at the top. Saving it empty, unchanged, or quitting the
editor with an error aborts: nothing changes. Otherwise one edit transaction writes
the file as saved and a ``plan_change`` entry listing what changed; one commit.
"""

from __future__ import annotations

from datetime import date as Day
from pathlib import Path

from casectl.checks import check_client
from casectl.commands._common import write_change
from casectl.core.context import RunContext
from casectl.core.problems import Problem
from casectl.edit import casework, notes, transaction
from casectl.edit.transaction import Transaction
from casectl.errors import CasectlError
from casectl.present.output import Output
from casectl.present.problems import problem_line
from casectl.store import load, records

FILES = {"client": "client.yaml", "plan": "plan.yaml", "assessment": "assessment.yaml"}
MARK = "#! casectl: "  # the lines casectl adds on top; removed from what is saved
MAX_ROUNDS = 20


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    which: str,
    by: str | None,
    no_commit: bool,
) -> int:
    if which not in FILES:
        raise CasectlError(f"{which!r}: edit one of {', '.join(FILES)} (default plan)")
    name = FILES[which]
    edited: list[bytes] = []
    original: list[bytes] = []

    def before(ctx: RunContext) -> None:
        files = records.read_client(ctx.root, client_id)
        raw = files.raw.get(name)
        if raw is None:
            raise CasectlError(f"clients/{client_id}/{name} cannot be read; fix it first")
        original.append(raw)
        saved = _edit_until_valid(ctx, files, name, raw)
        if saved is None:
            raise _NoChange(f"no changes to clients/{client_id}/{name}; nothing written")
        edited.append(saved)

    def change(tx: Transaction, day: Day) -> tuple[list[str], str]:
        if tx.files.raw.get(name) != original[0]:
            raise CasectlError(
                f"{tx.rel}/{name} changed while it was being edited; nothing written "
                "(run casectl edit again)"
            )
        old = load.load_text(name, original[0]).data
        new = load.load_text(name, edited[0]).data
        lines = casework.describe_changes(old, new) or [f"{name} reformatted"]
        tx.replace(name, edited[0])
        return lines, f"Edited {name}."

    try:
        return write_change(
            out,
            directory,
            client_id,
            command="edit",
            entry_type="plan_change",
            change=change,
            by=by,
            no_commit=no_commit,
            before=before,
        )
    except _NoChange as exc:  # the user aborted or changed nothing: not a failure
        out.warn(str(exc))
        return 0


class _NoChange(CasectlError):
    pass


def _edit_until_valid(
    ctx: RunContext, files: records.ClientFiles, name: str, raw: bytes
) -> bytes | None:
    """The editor, again and again until the file is valid or the user aborts (None)."""
    before = check_client(files, ctx.env).problems
    text = raw.decode("utf-8", "replace")
    parent = notes.private_parent(ctx.root)
    for _ in range(MAX_ROUNDS):
        saved = notes.edit_raw(text, parent, name)
        kept = "".join(ln for ln in saved.splitlines(keepends=True) if not ln.startswith(MARK))
        if not kept.strip() or kept.encode("utf-8") == raw:
            return None
        problems = _problems(ctx, files, name, raw, kept.encode("utf-8"), before)
        if not problems:
            return kept.encode("utf-8")
        header = [
            f"{MARK}clients/{files.id}/{name} was not saved: fix these, save again.",
            f"{MARK}To give up (nothing changes), save an empty file or quit with an error.",
            *(f"{MARK}{line}" for line in problems),
        ]
        text = "\n".join(header) + "\n" + kept
    raise CasectlError(f"gave up after {MAX_ROUNDS} rounds; nothing written")


def _problems(
    ctx: RunContext,
    files: records.ClientFiles,
    name: str,
    raw: bytes,
    new: bytes,
    before: list[Problem],
) -> list[str]:
    old_data = load.load_text(name, raw).data
    loaded = load.load_text(name, new)
    out = [problem_line(p) for p in loaded.problems]
    if out:
        return out
    out += casework.refuse_owned_changes(name, old_data, loaded.data)
    after = check_client(files.replaced(name, new), ctx.env).problems
    added = transaction.new_problems(before, after)
    out += [problem_line(p) for p in added if p.severity == "error"]
    return out
