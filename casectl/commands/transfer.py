"""``casectl transfer ID --to M [--date D] [TEXT]`` and
``casectl transfer --from M --to N --all``: a new case manager.

One edit transaction per client: client.yaml's ``manager:`` (in place), the open
actions and tasks whose ``who`` was the old manager (finished ones untouched), a
``transfer`` entry with ``from``/``to`` and the ``changes:`` lines, one commit. With
``--all`` every open client of M is transferred, one commit each; a client that cannot
be transferred is reported and the rest go on (exit 1 if any failed).
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import (
    EntryStart,
    agency_context,
    check_manager_option,
    entry_start,
    entry_text,
    report_written,
)
from casectl.core.context import RunContext
from casectl.edit import coordinate, transaction
from casectl.errors import CasectlError
from casectl.present.output import Output
from casectl.read.scan import scan
from casectl.store import layout


def run(
    out: Output,
    directory: Path | None,
    client_id: str | None,
    to: str,
    from_: str | None,
    all_: bool,
    text: str | None,
    date: str | None,
    by: str | None,
    no_commit: bool,
) -> int:
    if all_ != (client_id is None):
        raise CasectlError("give a client ID, or --from M --all for every open client of M")
    if all_ and from_ is None:
        raise CasectlError("--all needs --from M (whose clients to transfer)")
    if client_id is not None:
        layout.check_client_id(client_id)
    ctx = agency_context(directory, writes=True)
    check_target(ctx, to)
    check_manager_option(ctx, from_)
    start = entry_start(ctx, by, date)
    if client_id is not None:
        return transfer_one(out, ctx, client_id, to, from_, text, start, no_commit)
    assert from_ is not None
    if from_ == to:
        raise CasectlError(f"--from and --to are both {to!r}; nothing to do")
    facts = scan(ctx).facts()
    mine = [f.id for f in facts if f.manager == from_ and f.status != "closed"]
    if not mine:
        out.warn(f"{from_} has no open clients; nothing to transfer")
        return 0
    failed = 0
    for cid in mine:
        try:
            transfer_one(out, ctx, cid, to, from_, text, start, no_commit, prefix=f"{cid} ")
        except CasectlError as exc:
            failed += 1
            out.warn(f"{cid}: not transferred: {exc}")
    done = len(mine) - failed
    out.warn(f"{done} of {len(mine)} clients transferred from {from_} to {to}")
    return 1 if failed else 0


def check_target(ctx: RunContext, to: str) -> None:
    """``--to``: a manager of casectl.yaml (when it lists them) who has not left."""
    managers = ctx.agency.managers
    if managers is not None and to not in managers:
        known = ", ".join(sorted(managers)) or "none"
        raise CasectlError(f"--to: {to!r} is not a manager in casectl.yaml (known: {known})")
    left = ctx.agency.manager_left(to)
    if left is not None:
        raise CasectlError(
            f"--to: {to!r} left the agency on {left.isoformat()}; clients cannot be "
            "transferred to them; nothing written"
        )


def transfer_one(
    out: Output,
    ctx: RunContext,
    client_id: str,
    to: str,
    expect_from: str | None,
    text: str | None,
    start: EntryStart,
    no_commit: bool,
    prefix: str = "",
) -> int:
    opened = transaction.open_client(ctx, client_id, commit=not no_commit)
    checked = opened.checked
    client = checked.client if checked is not None else None
    if client is None:
        raise CasectlError(
            f"{opened.rel}/client.yaml has errors; fix them first (casectl validate {opened.rel})"
        )
    if client.status == "closed":
        raise CasectlError(f"{client_id} is closed; reopen it first; nothing written")
    if client.manager == to:
        raise CasectlError(f"{client_id} is managed by {to} already; nothing written")
    if expect_from is not None and client.manager != expect_from:
        raise CasectlError(
            f"{client_id} is managed by {client.manager}, not {expect_from}; nothing written"
        )
    old = client.manager
    warning = coordinate.transfer_consent_warning(client, start.day)
    body = coordinate.with_warning(entry_text(text, f"Transferred from {old} to {to}."), warning)
    with opened.transaction(f"transfer: {client_id} {old} -> {to} ({start.by})") as tx:
        now = tx.checked.client
        if now is None or now.manager != old:
            raise CasectlError(f"{client_id} changed meanwhile; run the transfer again")
        coordinate.transfer_client(tx.document("client.yaml"), to)
        moved: list[str] = []
        if coordinate.plan_moves(tx.checked.plan, old):
            moved = coordinate.transfer_plan(tx.document("plan.yaml"), old, to)
        changes = [f"manager {old} -> {to}", *moved]
        tx.append_entry(
            start.entry("transfer", body, to=to, changes=changes, **{"from": old}),
            local=start.local,
        )
    result = tx.result
    if warning is not None:
        out.warn(f"{client_id}: {warning}")
    if prefix and result.note_id is not None:
        result.note_id = f"{prefix}{result.note_id}"
    return report_written(out, result, f"{client_id} was transferred (note {result.note_id})")
