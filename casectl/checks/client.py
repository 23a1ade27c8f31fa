"""client.yaml rules (CM1xx).

| code | rule |
|---|---|
| CM120 | `id` equals the client's folder name |
| CM121 | `closed` is required when `status` is closed |
| CM122 | `closed` is forbidden unless `status` is closed |
| CM123 | `consent.expires` is after `consent.signed` |
| CM124 | `closed.date` is on or after `opened` |
| CM125 | `manager` is a key of casectl.yaml `managers` (when that list exists) |
| CM126 | `opened`, `born`, `consent.signed`, `closed.date` are not in the future |
| CM127 | `born` is before `opened` |
"""

from __future__ import annotations

from datetime import date

from casectl.core.model import Agency, Client, describe
from casectl.core.problems import Problem
from casectl.store.load import Loaded


def check(
    loaded: Loaded, client: Client, folder: str, agency: Agency, today: date
) -> list[Problem]:
    out: list[Problem] = []
    if client.id != folder:
        out.append(
            loaded.problem(
                ("id",),
                "CM120",
                f"{describe(client.id)} does not match its folder name {describe(folder)}",
            )
        )
    if client.status == "closed" and client.closed is None:
        out.append(
            loaded.problem(
                ("status",),
                "CM121",
                "status is closed but there is no `closed:` block (date, reason)",
            )
        )
    if client.status != "closed" and client.closed is not None:
        out.append(
            loaded.problem(
                ("closed",),
                "CM122",
                f"`closed:` is only allowed when status is closed (status is {client.status})",
                key=True,
            )
        )
    consent = client.consent
    if consent and consent.signed and consent.expires and consent.expires <= consent.signed:
        out.append(
            loaded.problem(
                ("consent", "expires"),
                "CM123",
                f"{consent.expires} is not after consent.signed {consent.signed}",
            )
        )
    if client.closed and client.closed.date < client.opened:
        out.append(
            loaded.problem(
                ("closed", "date"),
                "CM124",
                f"{client.closed.date} is before opened {client.opened}",
            )
        )
    if agency.managers is not None and client.manager not in agency.managers:
        out.append(
            loaded.problem(
                ("manager",),
                "CM125",
                f"{describe(client.manager)} is not a manager in casectl.yaml",
            )
        )
    for loc, day in (
        (("opened",), client.opened),
        (("born",), client.born),
        (("consent", "signed"), consent.signed if consent else None),
        (("closed", "date"), client.closed.date if client.closed else None),
    ):
        if day is not None and day > today:
            out.append(loaded.problem(loc, "CM126", f"{day} is in the future"))
    if client.born and client.born > client.opened:
        out.append(
            loaded.problem(("born",), "CM127", f"{client.born} is after opened {client.opened}")
        )
    return out
