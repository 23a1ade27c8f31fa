"""The changes of the coordinate commands (contract 5.3), as transaction steps:
``transfer`` (client.yaml ``manager:``, open actions and tasks of the old manager),
``refer`` (``referrals:`` in plan.yaml), ``consent`` (``consents:`` in client.yaml),
and what ``submit``/``approve`` read (git blob ids, the latest sign-off entries).

Every step edits an open ``Document`` in place (``yamledit``: every other line,
comment and quote kept) and returns the ``changes:`` lines of the log entry
(CASEWORK.md's shapes). Consent coverage is decided here too, for the warnings of
``refer`` and ``transfer``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from casectl.core import dates
from casectl.core.model import (
    FINAL_REFERRAL_STATUSES,
    OPEN_REFERRAL_STATUSES,
    REFERRAL_STATUSES,
    Client,
    Consent,
    LogEntry,
    Plan,
)
from casectl.edit.yamledit import Document, EditRefused
from casectl.errors import CasectlError

if TYPE_CHECKING:
    from casectl.edit.transaction import Transaction

# ------------------------------------------------------------------ consent


def valid_consents(client: Client | None, day: date) -> list[Consent]:
    """The consents in force on ``day``: signed on or before it (or undated), not
    expired before it."""
    if client is None:
        return []
    return [
        c
        for c in client.all_consents()
        if (c.signed is None or c.signed <= day) and (c.expires is None or c.expires >= day)
    ]


def names_party(consent: Consent, party: str) -> bool:
    wanted = party.strip().casefold()
    return any(p.strip().casefold() == wanted for p in consent.parties or [])


def referral_consent_warning(client: Client | None, party: str, day: date) -> str | None:
    """The warning of a referral to ``party`` no unexpired consent covers: none is in
    force, or every one in force names its parties and none names this one."""
    valid = valid_consents(client, day)
    if any(c.parties is None or names_party(c, party) for c in valid):
        return None
    if not valid:
        return f"Warning: no unexpired consent on {day.isoformat()}; records may not be shared."
    return f"Warning: no unexpired consent names {party}; records may not be shared with them."


def transfer_consent_warning(client: Client | None, day: date) -> str | None:
    """The warning of a transfer when no consent covers the client on ``day``
    (a transfer inside the agency needs no party)."""
    if valid_consents(client, day):
        return None
    return f"Warning: no valid consent covers this client on {day.isoformat()}."


def with_warning(text: str, warning: str | None) -> str:
    """The entry text with the warning line written into it (never a silent share)."""
    if warning is None:
        return text
    return text.rstrip("\n") + "\n" + warning + "\n"


# ------------------------------------------------------------------ transfer


def _editable_scalar(doc: Document, key: str) -> None:
    """Refuse a top-level ``key`` that cannot be changed in place safely."""
    short = doc.name.rpartition("/")[2]
    if doc.flow_style:
        raise doc.refused(
            f"{short} is written in flow style ({{...}}); edit it by hand or rewrite it in "
            "block style (one key per line)"
        )
    data = doc.loaded.data
    if not isinstance(data.get(key), str):
        raise doc.refused(f"{short} has no top-level '{key}:' line to change")


def transfer_client(doc: Document, new: str) -> str:
    """client.yaml's ``manager:`` set to ``new``; returns the old manager."""
    _editable_scalar(doc, "manager")
    old = str(doc.root["manager"])
    doc.root["manager"] = new
    return old


def transfer_plan(doc: Document, old: str, new: str) -> list[str]:
    """Open actions and tasks (no ``done``) whose ``who`` is ``old`` get ``new``;
    finished ones are untouched. The ``changes:`` lines, in plan order."""
    out: list[str] = []
    root = doc.root
    for goal in root.get("goals") or []:
        if not isinstance(goal, dict):
            continue
        for n, action in enumerate(goal.get("actions") or [], start=1):
            if isinstance(action, dict) and action.get("who") == old and not action.get("done"):
                action["who"] = new
                out.append(f"{goal.get('id')}.{n} who {old} -> {new}")
    for task in root.get("tasks") or []:
        if isinstance(task, dict) and task.get("who") == old and not task.get("done"):
            task["who"] = new
            out.append(f"{task.get('id')} who {old} -> {new}")
    return out


def plan_moves(plan: Plan | None, old: str) -> bool:
    """Whether a transfer from ``old`` changes anything in the plan."""
    if plan is None:
        return False
    return any(a.who == old and a.done is None for g in plan.goals for a in g.actions) or any(
        t.who == old and t.done is None for t in plan.tasks
    )


# ------------------------------------------------------------------ referrals


def next_id(prefix: str, used: Sequence[object]) -> str:
    """``<prefix><n>``: one more than the highest number in use (never reused)."""
    highest = 0
    for value in used:
        text = str(value)
        if text.startswith(prefix) and text[len(prefix) :].isdigit():
            highest = max(highest, int(text[len(prefix) :]))
    return f"{prefix}{highest + 1}"


@dataclass(frozen=True)
class NewReferral:
    to: str
    sent: date
    expect_by: date
    service: str | None = None
    goal: str | None = None


def add_referral(doc: Document, referral: NewReferral) -> str:
    """A referral ``R<n>`` appended to plan.yaml's ``referrals:`` (the list is made
    at the end of the file when missing). Returns its id."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    root = doc.root
    items = root.get("referrals")
    if items is None:
        items = CommentedSeq()
        root["referrals"] = items
    elif not isinstance(items, list):
        raise doc.refused("plan.yaml's 'referrals:' is not a list; fix it first")
    rid = next_id("R", [r.get("id") for r in items if isinstance(r, dict)])
    item: Any = CommentedMap([("id", rid), ("to", referral.to)])
    if referral.service is not None:
        item["service"] = referral.service
    if referral.goal is not None:
        item["goal"] = referral.goal
    item["sent"] = referral.sent
    item["expect_by"] = referral.expect_by
    item["status"] = "sent"
    items.append(item)
    return rid


def find_referral(doc: Document, rid: str) -> Any:
    for item in doc.root.get("referrals") or []:
        if isinstance(item, dict) and item.get("id") == rid:
            return item
    known = [str(r.get("id")) for r in doc.root.get("referrals") or [] if isinstance(r, dict)]
    raise CasectlError(
        f"no referral {rid!r} in the plan (referrals: {', '.join(known) or 'none'}); "
        "nothing written"
    )


def check_referral_status(status: str) -> str:
    if status not in REFERRAL_STATUSES:
        raise CasectlError(
            f"--status: {status!r} is not a referral status "
            f"(one of: {', '.join(REFERRAL_STATUSES)})"
        )
    return status


def update_referral(
    item: Any, status: str | None, day: date, outcome: str | None
) -> tuple[str, list[str]]:
    """Move a referral on: any open status to any later one (contract 5.1), with
    ``status_date``; ``outcome`` set. Returns (old status, the ``changes:`` lines)."""
    rid = str(item.get("id"))
    old = str(item.get("status") or "sent")
    changes: list[str] = []
    if status is not None:
        if old in FINAL_REFERRAL_STATUSES:
            raise CasectlError(f"referral {rid} is {old} already (final); nothing written")
        order = REFERRAL_STATUSES
        if status in OPEN_REFERRAL_STATUSES and order.index(status) <= order.index(old):
            raise CasectlError(
                f"--status: referral {rid} is {old}; it can move to a later status only "
                f"({', '.join(s for s in order if order.index(s) > order.index(old))}); "
                "nothing written"
            )
        sent = dates.parse_date(item.get("sent"))
        if sent is not None and day < sent:
            raise CasectlError(
                f"--date: {day.isoformat()} is before referral {rid} was sent "
                f"({sent.isoformat()}); nothing written"
            )
        item["status"] = status
        item["status_date"] = day
        changes.append(f"{rid} status {old} -> {status}")
    if outcome is not None:
        item["outcome"] = outcome
        if status is None:
            changes.append(f"{rid} outcome recorded")
    return old, changes


# ------------------------------------------------------------------ consents


def add_consent(doc: Document, consent: dict[str, Any]) -> None:
    """A consent appended to client.yaml's ``consents:`` (made at the end of the file
    when missing; a format 1 ``consent:`` block is converted first, by
    :func:`consent_block_to_list`)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    root = doc.root
    if "consent" in root:
        raise doc.refused("client.yaml has a 'consent:' block; convert it first")
    items = root.get("consents")
    if items is None:
        items = CommentedSeq()
        root["consents"] = items
    elif not isinstance(items, list):
        raise doc.refused("client.yaml's 'consents:' is not a list; fix it first")
    items.append(CommentedMap(consent.items()))


def convert_consent(tx: Transaction) -> bool:
    """client.yaml's ``consent:`` block made the first item of ``consents:`` in this
    transaction (before anything else changes the file); False when there is none."""
    doc = tx.document("client.yaml")
    converted = consent_block_to_list(doc.text)
    if converted is None:
        return False
    if doc.crlf:
        converted = converted.replace("\n", "\r\n")
    tx.rewrite("client.yaml", ("\ufeff" if doc.bom else "") + converted)
    return True


_KEY_LINE = re.compile(r"^consent:(?P<rest>[ \t]*(?:#.*)?)$")
_FLOW_LINE = re.compile(r"^consent:[ \t]+(?P<value>\{.*)$")


def consent_block_to_list(text: str) -> str | None:
    """client.yaml's text with a top-level ``consent:`` block rewritten as a one-item
    ``consents:`` list, where it stood, every comment kept (the block's lines indented
    under ``- ``); None when there is no such block. ``EditRefused`` when its layout
    is not one this can rewrite safely (checked by reading the result back)."""
    lines = text.splitlines(keepends=True)
    start = next(
        (i for i, ln in enumerate(lines) if ln.startswith("consent:") and ln[8:9] in " \t\r\n#"),
        None,
    )
    if start is None:
        return None
    head = lines[start].rstrip("\r\n")
    ending = lines[start][len(head) :]
    flow = _FLOW_LINE.match(head)
    if flow:
        out = [*lines[:start], f"consents:{ending}", f"  - {flow.group('value')}{ending}"]
        out += lines[start + 1 :]
        return "".join(out)
    match = _KEY_LINE.match(head)
    if match is None:
        raise EditRefused("the 'consent:' block is not laid out as expected; edit it by hand")
    end = start + 1
    while end < len(lines) and (lines[end][:1] in (" ", "\t") or not lines[end].strip()):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines after the block stay where they are
    block = lines[start + 1 : end]
    content = [ln for ln in block if ln.strip() and not ln.lstrip().startswith("#")]
    if not content:
        raise EditRefused("the 'consent:' block is empty; edit it by hand")
    indent = len(content[0]) - len(content[0].lstrip(" "))
    new: list[str] = []
    first = True
    for ln in block:
        if not ln.strip():
            new.append(ln)
        elif first and not ln.lstrip().startswith("#"):
            new.append(" " * indent + "- " + ln[indent:])
            first = False
        else:
            new.append(" " * (indent + 2) + ln[indent:] if ln[:indent].strip() == "" else ln)
    return "".join([*lines[:start], f"consents:{match.group('rest')}{ending}", *new, *lines[end:]])


# ------------------------------------------------------------------ sign-off


SIGNED_FILE = {"plan": "plan.yaml", "closure": "client.yaml"}


def signed_object(tx: Transaction, what: str) -> str:
    """The git blob id of the file ``what`` signs off (plan.yaml, or client.yaml for a
    closure) as committed at HEAD; refused when the file differs from HEAD."""
    from casectl.core.facts import blob_id
    from casectl.git import history

    name = SIGNED_FILE[what]
    rel = f"{tx.rel}/{name}"
    raw = tx.files.raw.get(name)
    head = history.head_blob(tx.ctx.root, rel)
    if raw is None or head is None or blob_id(raw) != head:
        raise CasectlError(
            f"{rel} is not committed as it is: commit it first (what is signed off is the "
            "committed file); nothing written"
        )
    return head


def pending(log: Sequence[LogEntry], what: str) -> LogEntry | None:
    """The latest ``submitted`` entry of ``what`` with no decision after it."""
    from casectl.core.facts import latest_sign_off

    submitted, decision = latest_sign_off(log, what)
    return submitted if decision is None else None


def closure_of(submitted: LogEntry, today: date) -> tuple[date, str]:
    """The closing date and reason a ``submitted`` closure entry recorded (``close``);
    one from ``submit ID closure`` has neither: ``today`` and ``other``."""
    found: dict[str, str] = {}
    for line in submitted.changes or []:
        for key in ("closed.date", "closed.reason"):
            if line.startswith(key + " "):
                found[key] = line[len(key) + 1 :].strip()
    day = dates.parse_date(found.get("closed.date")) or today
    reason = found.get("closed.reason") or "other"
    return day, reason
