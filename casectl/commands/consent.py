"""``casectl consent ID --signed D --expires D [--party P]... [--document FILE]``.

Appends a consent to client.yaml's ``consents:`` (a renewal is a new item, never an
edit; a format 1 ``consent:`` block is converted into the list's first item in the
same commit), plus a ``consent`` entry. The document's sha256 is recorded, the file
is not stored.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from casectl.commands._common import agency_context, entry_start, parse_date_option, report_written
from casectl.edit import coordinate, transaction
from casectl.errors import CasectlError
from casectl.present.output import Output
from casectl.store import layout


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    signed: str,
    expires: str,
    parties: list[str],
    document: Path | None,
    by: str | None,
    no_commit: bool,
) -> int:
    layout.check_client_id(client_id)
    signed_day = parse_date_option("--signed", signed)
    expires_day = parse_date_option("--expires", expires)
    if expires_day <= signed_day:
        raise CasectlError(f"--expires: {expires_day} is not after --signed {signed_day}")
    names = [p.strip() for p in parties]
    if any(not p for p in names):
        raise CasectlError("--party: name who records may be shared with")
    digest: str | None = None
    if document is not None:
        try:
            with open(document, "rb") as fh:
                digest = "sha256:" + hashlib.file_digest(fh, "sha256").hexdigest()
        except OSError as exc:
            raise CasectlError(
                f"--document {document}: cannot read: {exc.strerror or exc}"
            ) from None
    ctx = agency_context(directory, writes=True)
    opened = transaction.open_client(ctx, client_id, commit=not no_commit)
    start = entry_start(ctx, by, None)
    item: dict[str, object] = {"signed": signed_day, "expires": expires_day}
    if names:
        item["parties"] = names
    if digest is not None:
        item["document"] = digest
    shown = f" (parties: {', '.join(names)})" if names else ""
    text = f"Consent signed {signed_day}, expires {expires_day}{shown}.\n"
    change = f"consent {signed_day} .. {expires_day} added"
    with opened.transaction(f"consent: {client_id} {signed_day} .. {expires_day}") as tx:
        converted = coordinate.convert_consent(tx)
        coordinate.add_consent(tx.document("client.yaml"), item)
        tx.require_format(2)
        tx.append_entry(start.entry("consent", text, changes=[change]), local=start.local)
    if converted:
        out.warn(f"{opened.rel}/client.yaml: the consent: block is now the first item of consents:")
    result = tx.result
    return report_written(out, result, f"the consent was written (note {result.note_id})")
