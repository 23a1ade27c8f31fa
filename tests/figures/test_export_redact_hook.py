"""The hook ``export --redact`` uses (present.reports.export_redaction): the same
scrubber and initials as report, due and digest, so every form of the client's name,
birth date, phone, e-mail and address planted in free text is gone from every row."""

from __future__ import annotations

import json

from casectl.figures.export import rows
from casectl.present.reports import export_redaction
from tests.builders import AGENCY, client, note, plan, records

PLANTED = "Met Maria de la Cruz (CRUZ, maria) on 12/03/1984 at 12 Elm St; call +1 555 0100"
SECRETS = ("maria", "cruz", "elm st", "1984", "555", "0100")


def test_every_kind_of_export_is_redacted_by_the_hook() -> None:
    r = records(
        client(
            "rc-0042", name="Maria de la Cruz", phone="+1 555 0100", email="maria@example.org",
            address="12 Elm St, Springfield", born="1984-03-12", program=PLANTED,
        ),
        note("n1", "2026-02-05 10:30", "referral", PLANTED, to=PLANTED),
        plan_=plan(
            goals=[{"id": "G1", "goal": PLANTED, "actions": [{"action": PLANTED}]}],
            referrals=[{"id": "R1", "to": PLANTED, "sent": "2026-02-07", "outcome": PLANTED}],
        ),
    )  # fmt: skip
    red = export_redaction()
    for kind in ("clients", "notes", "goals", "referrals"):
        found = list(rows(kind, [r], AGENCY, redaction=red))  # type: ignore[arg-type]
        assert found, kind
        text = json.dumps(found, default=str).lower()
        assert [s for s in SECRETS if s in text] == [], (kind, text)
    (c,) = rows("clients", [r], AGENCY, redaction=red)
    assert c["name"] == "M.d.l.C."
