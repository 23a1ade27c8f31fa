"""``casectl approve ID [plan|closure] [--reject REASON]``: a supervisor's sign-off.

The supervisor is the manager matching git's identity, with ``role: supervisor``;
anyone else is refused, and so is approving one's own submission. The ``approval``
entry names the submitted blob (``object``) and the ``decision``. Approving a closure
writes ``status: closed`` and the ``closed:`` block the submission recorded, in the
same commit; a rejection leaves the case open.
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context, report_written
from casectl.core.facts import blob_id
from casectl.core.model import SIGN_OFF_KINDS
from casectl.edit import changes, coordinate, notes, transaction
from casectl.errors import CasectlError
from casectl.git import history
from casectl.git import run as gitrun
from casectl.present.output import Output
from casectl.store import layout


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    what: str | None,
    reject: str | None,
    no_commit: bool,
) -> int:
    layout.check_client_id(client_id)
    if what is not None and what not in SIGN_OFF_KINDS:
        raise CasectlError(f"{what!r}: approve plan or closure")
    if reject is not None and not reject.strip():
        raise CasectlError("--reject: say why")
    ctx = agency_context(directory, writes=True)
    opened = transaction.open_client(ctx, client_id, commit=not no_commit)
    ident = gitrun.config_identity(ctx.root)
    shown = " / ".join(v for v in (ident.name, ident.email) if v) or "not set"
    found = notes.matching_managers(ctx.agency, ident.name, ident.email)
    if len(found) != 1:
        raise CasectlError(
            f"only a supervisor can approve, and git's user ({shown}) is not one manager of "
            "casectl.yaml; nothing written"
        )
    key = found[0]
    if ctx.agency.manager_role(key) != "supervisor":
        raise CasectlError(
            f"only a supervisor can approve: {key} (git's user {shown}) has role "
            f"{ctx.agency.manager_role(key)} in casectl.yaml; nothing written"
        )
    now = notes.now_minute(ctx.zone)
    notes.refuse_left(ctx.agency, key, now.date(), "git's user")
    log = opened.checked.log if opened.checked is not None else []
    if what is None:
        waiting = [w for w in SIGN_OFF_KINDS if coordinate.pending(log, w) is not None]
        if not waiting:
            raise CasectlError(f"nothing of {client_id} waits for sign-off; nothing written")
        if len(waiting) > 1:
            raise CasectlError(f"say which: {' or '.join(waiting)} (both wait for sign-off)")
        what = waiting[0]
    decision = "rejected" if reject is not None else "approved"
    label = "Plan" if what == "plan" else "Closure"
    text = notes.normalize_text(reject) if reject is not None else f"{label} {decision}.\n"
    with opened.transaction(f"approve: {client_id} {what} {decision} ({key})") as tx:
        submitted = coordinate.pending(tx.checked.log, what)
        if submitted is None:
            raise CasectlError(f"no {what} of {client_id} waits for sign-off; nothing written")
        if key in (submitted.by, submitted.entered_by):
            raise CasectlError(
                f"{key} submitted this {what}; a supervisor never signs off their own "
                "submission; nothing written"
            )
        _refuse_changed(tx, what, submitted.object)
        if what == "closure" and decision == "approved":
            closing = coordinate.closure_of(submitted, now.date())
            changes.refuse_closed(tx.checked)
            changes.close_client(tx.document("client.yaml"), *closing)
        entry = {
            "date": now,
            "by": key,
            "type": "approval",
            "what": what,
            "object": submitted.object,
            "decision": decision,
            "text": text,
        }
        tx.append_entry(entry, local=now)
    out.warn(f"{client_id}: {what} {decision}")
    result = tx.result
    return report_written(out, result, f"the sign-off was written (note {result.note_id})")


def _refuse_changed(tx: transaction.Transaction, what: str, submitted: str | None) -> None:
    """The file must still be what was submitted (for a plan: the same goals)."""
    name = coordinate.SIGNED_FILE[what]
    raw = tx.files.raw.get(name)
    if raw is not None and submitted is not None and blob_id(raw) == submitted:
        return
    if what == "plan" and submitted is not None and raw is not None:
        since = history.stale_since(tx.ctx.root, f"{tx.rel}/{name}", submitted)
        if since is None:
            return  # only tasks, referrals or done dates changed
    raise CasectlError(
        f"{tx.rel}/{name} changed since the {what} was submitted; it must be submitted "
        "again; nothing written"
    )
