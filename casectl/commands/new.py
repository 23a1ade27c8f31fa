"""``casectl new ID --name N --manager M``: scaffold a client's four files; commit.

One edit transaction creating the folder: the four files are checked as one candidate
client before anything is written; a client that cannot be made (or committed)
leaves no trace.
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import agency_context, parse_date_option
from casectl.core.suggest import did_you_mean
from casectl.edit import scaffold, transaction
from casectl.errors import CasectlError
from casectl.git import run as gitrun
from casectl.present.output import Output
from casectl.store import layout


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    name: str,
    manager: str,
    opened: str | None,
    program: str | None,
    no_commit: bool,
    born: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    address: str | None = None,
    consent_signed: str | None = None,
    consent_expires: str | None = None,
) -> int:
    layout.check_client_id(client_id)
    ctx = agency_context(directory, writes=True)
    root = ctx.root
    day = parse_date_option("--opened", opened) if opened else ctx.today
    # The intake fields (contract 5.3); what is wrong with them the check of the new
    # client says (a birth date in the future, a consent expiring before it is signed).
    born_day = parse_date_option("--born", born) if born else None
    if (consent_signed is None) != (consent_expires is None):
        raise CasectlError("give --consent-signed and --consent-expires together")
    consent = None
    if consent_signed is not None and consent_expires is not None:
        consent = (
            parse_date_option("--consent-signed", consent_signed),
            parse_date_option("--consent-expires", consent_expires),
        )
    for option, value in (("--phone", phone), ("--email", email), ("--address", address)):
        if value is not None and (not value.strip() or "\n" in value):
            raise CasectlError(f"{option}: give one line of text")
    if not name.strip():
        raise CasectlError("--name: the client needs a name")
    managers = ctx.agency.managers
    if managers is not None and manager not in managers:
        known = ", ".join(sorted(managers)) or "none"
        raise CasectlError(
            f"--manager: {manager!r} is not a manager in casectl.yaml"
            f"{did_you_mean(manager, managers)} (known: {known})"
        )
    left = ctx.agency.manager_left(manager)
    if left is not None:
        raise CasectlError(
            f"--manager: {manager!r} left the agency on {left.isoformat()}; "
            "new clients cannot be given to them; nothing written"
        )
    making = transaction.open_new(ctx, client_id, commit=not no_commit)
    if not gitrun.committed(root, layout.CONFIG_NAME):
        raise CasectlError(
            f"{layout.CONFIG_NAME} is not committed: this agency repository was not finished "
            f"(`casectl init` stopped before its first commit). Run `casectl init "
            f"--agency NAME` again in {root} to complete it, then add clients; "
            "nothing was written"
        )
    files = {
        "client.yaml": scaffold.client_yaml(client_id, name.strip(), manager, day, program)
        + scaffold.intake_lines(
            born_day, phone, email, address, consent, consents_list=ctx.agency.format >= 2
        ),
        "assessment.yaml": scaffold.assessment_yaml(),
        "plan.yaml": scaffold.plan_yaml(day),
        "log.yaml": scaffold.log_yaml(),
    }
    with making.transaction(f"new: {client_id} ({manager})") as tx:
        for file_name, text in files.items():
            tx.create(file_name, text)
    out.line(f"created {making.rel}")
    return 0
