"""``casectl submit ID plan|closure``: ask a supervisor to sign off; commit.

A ``submitted`` entry records ``what`` and ``object``, the git blob id of plan.yaml
(client.yaml for a closure) at HEAD (the file must be committed as it is). ``close``
submits a closure with its reason and date when casectl.yaml has ``approvals:
[closure]``; one submitted here has neither (approving it closes the case on the day
of the approval, reason ``other``).
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context, entry_start, report_written
from casectl.core.model import SIGN_OFF_KINDS
from casectl.edit import coordinate, transaction
from casectl.errors import CasectlError
from casectl.present.output import Output
from casectl.store import layout


def run(
    out: Output, directory: Path | None, client_id: str, what: str, by: str | None, no_commit: bool
) -> int:
    layout.check_client_id(client_id)
    if what not in SIGN_OFF_KINDS:
        raise CasectlError(f"{what!r}: submit plan or closure")
    ctx = agency_context(directory, writes=True)
    opened = transaction.open_client(ctx, client_id, commit=not no_commit)
    start = entry_start(ctx, by, None)
    with opened.transaction(f"submit: {client_id} {what} ({start.by})") as tx:
        if tx.checked.client is not None and tx.checked.client.status == "closed":
            raise CasectlError(f"{client_id} is closed; nothing written")
        oid = coordinate.signed_object(tx, what)
        keys: dict[str, object] = {"what": what, "object": oid}
        if what == "closure":
            if coordinate.pending(tx.checked.log, "closure") is not None:
                raise CasectlError(
                    f"the closure of {client_id} already waits for a supervisor; nothing written"
                )
            # No reason given: approving it closes the case as of that day, reason other
            # (`close ID --reason R` submits with the reason and date instead).
            keys["changes"] = ["status active -> closed"]
        label = "Plan" if what == "plan" else "Closure"
        text = f"{label} submitted for approval.\n"
        tx.append_entry(start.entry("submitted", text, **keys), local=start.local)
    out.warn(f"{client_id}: {what} submitted for approval ({oid[:12]})")
    result = tx.result
    return report_written(out, result, f"the submission was written (note {result.note_id})")
