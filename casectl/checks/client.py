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
from typing import Any

from casectl.checks import schema
from casectl.checks.result import CheckedClient
from casectl.core.context import Env
from casectl.core.facts import ClientFields
from casectl.core.model import Agency, Client, Consent, describe
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
    located: list[tuple[tuple[str | int, ...], Consent]] = (
        [(("consent",), consent)] if consent else []
    )
    located += [(("consents", i), c) for i, c in enumerate(client.consents or [])]
    for at, item in located:
        if item.signed and item.expires and item.expires <= item.signed:
            out.append(
                loaded.problem(
                    (*at, "expires"),
                    "CM123",
                    f"{item.expires} is not after consent.signed {item.signed}",
                )
            )
        if item.signed is not None and item.signed > today and at != ("consent",):
            out.append(loaded.problem((*at, "signed"), "CM126", f"{item.signed} is in the future"))
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


def run(c: CheckedClient, env: Env) -> list[Problem]:
    """The record of client.yaml (CM101..CM107) and its rules; the valid fields of an
    invalid one are kept for the facts (``salvage``)."""
    lc = c.loaded.get("client.yaml")
    if lc is None or not lc.ok:
        return []
    c.client, out = schema.validate(lc, Client, 1)
    if c.client is None:
        c.client_fields = salvage(c.id, lc.data)
        return out
    return out + check(lc, c.client, c.id, env.agency, env.today)


# Stand-ins for the required fields of client.yaml, so that each field the file has
# can be validated on its own (the stand-ins themselves are never kept).
_CLIENT_STAND_IN = {
    "id": "x",
    "name": "x",
    "status": "active",
    "opened": "2000-01-01",
    "manager": "x",
}


PERSONAL = ("name", "born", "phone", "email", "address", "contacts")


def personal(data: Any) -> Client | None:
    """What identifies the client in a client.yaml's data (name, birth date, contact
    details, contacts), for ``--redact``'s scrubber, as a Client whose other fields are
    None: from the file even when something else in it is invalid. None when one of
    these fields is there but not valid (its text could not be told apart from the
    rest: the caller then keeps no free text at all)."""
    if not isinstance(data, dict):
        return None
    whole = schema.valid_or_none(Client, data)
    if whole is not None:
        return whole  # type: ignore[no-any-return]
    good: dict[str, Any] = {}
    for key in PERSONAL:
        if data.get(key) is None:
            continue
        one = schema.valid_or_none(Client, {**_CLIENT_STAND_IN, key: data[key]})
        if one is None:
            return None
        good[key] = getattr(one, key)
    return Client.model_construct(**{**dict.fromkeys(_CLIENT_STAND_IN), **good})


def salvage(cid: str, data: Any) -> ClientFields:
    """The fields of an invalid client.yaml that are valid on their own."""
    if not isinstance(data, dict):
        return ClientFields(cid)
    good: dict[str, Any] = {}
    for key in (
        "name",
        "status",
        "manager",
        "program",
        "opened",
        "consent",
        "consents",
        "closed",
        "cadence",
    ):
        if key in data:
            one = schema.valid_or_none(Client, {**_CLIENT_STAND_IN, key: data[key]})
            if one is not None:
                good[key] = getattr(one, key)
    valid = Client.model_construct(**{**dict.fromkeys(_CLIENT_STAND_IN), **good, "id": cid})
    return ClientFields.of(valid)
