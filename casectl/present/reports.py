"""Template contexts for ``report``, ``caseload`` and ``digest``: plain data built from
records.

Everything here is pure (no I/O, no clock): the commands read the records, pass
them in with the as-of day, and render the returned dicts with casectl.templating.
Contexts hold only str, int, bool, None, lists and dicts (dates as ISO strings), so
an agency's own templates see exactly what docs/templates.md describes.

Redaction happens here, not in templates: every field of every context is classified
in REDACTION, and a redacted context keeps the safe fields, drops or replaces the
identifying ones (name, birth date, age, phone, e-mail, address) and passes free text
through the client's scrubber (names, birth date, phone numbers, e-mail addresses and
address of the client and their contacts). docs/security.md says what that promises.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from casectl.core import dates, schedule
from casectl.core.facts import CaseloadFacts, ConsentFact, SignOffFact, consent_on
from casectl.core.model import (
    OPEN_REFERRAL_STATUSES,
    Agency,
    Assessment,
    AssessmentFile,
    Client,
    Goal,
    LogEntry,
    Plan,
)
from casectl.core.schedule import DueItem
from casectl.present.due import by_manager, days_text
from casectl.present.output import visible
from casectl.present.text import UNKNOWN_MANAGER
from casectl.store.restricted import locked_message

if TYPE_CHECKING:
    from casectl.figures.export import Redaction
    from casectl.read.scan import CaseloadRow

Context = dict[str, Any]
CONTACT_WINDOW_DAYS = 30
REDACTED = "[redacted]"


# ------------------------------------------------------------------ small helpers


def iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def note_time(moment: datetime) -> str:
    """A note's time as written in logs: ``YYYY-MM-DD HH:MM`` (offset kept when given)."""
    text = moment.strftime("%Y-%m-%d %H:%M")
    offset = moment.strftime("%z")
    if offset:
        text += f" {offset[:3]}:{offset[3:]}"
    return text


def age_on(born: date, as_of: date) -> int:
    """Whole years from ``born`` to ``as_of`` (0 when born after it)."""
    years = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    return max(years, 0)


def age_band(age: int) -> str:
    """Ten-year band such as ``30-39``: enough for a funder, too coarse to identify."""
    low = (age // 10) * 10
    return f"{low}-{low + 9}"


def initials(name: str) -> str:
    """``Maria de la Cruz`` -> ``M.d.l.C.``; initials of every word, dotted."""
    parts = [p for p in re.split(r"[\s\-]+", name.strip()) if p]
    return "".join(f"{p[0]}." for p in parts) or "?"


def score_change(score: int | None, previous: int | None, had_previous: bool) -> str | None:
    """``+1``, ``-2``, ``=``, ``new`` (not scored before) or None (not scored now)."""
    if score is None:
        return None
    if not had_previous or previous is None:
        return "new"
    delta = score - previous
    return "=" if delta == 0 else f"{delta:+d}"


# --------------------------------------------------------------------- redaction
#
# Redaction works on the finished context: every field a template can receive is
# classified in REDACTION (identifying: dropped or replaced; free text: scrubbed;
# safe: kept), and :func:`redact` walks the context with that table. A field the
# table does not know is refused (UnclassifiedField), never passed through, so a new
# field cannot leak; tests/present/test_redaction.py fails until it is classified.


@dataclass(frozen=True)
class Scrubber:
    """Replaces a person's name and contact details in free text.

    Every e-mail address goes first (only texts holding an ``@`` are searched for
    one); then ``pattern``, one alternation of every other form (longest and most
    specific first), replaces each match of its group ``g<i>`` by ``replacements[i]``,
    in one pass. The default scrubber changes nothing.
    """

    pattern: re.Pattern[str] | None = None
    replacements: tuple[str, ...] = ()
    emails_only: bool = False

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        return self.text(text)

    def text(self, text: str) -> str:
        if self.pattern is None and not self.emails_only:
            return text
        # Compose accents the way the records do, and drop the invisible characters
        # that could split a name ("Den\u200bise") without showing.
        text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
        if "@" in text:
            text = _EMAIL.sub(REDACTED, text)
        return self.pattern.sub(self._replace, text) if self.pattern is not None else text

    def _replace(self, match: re.Match[str]) -> str:
        group = match.lastgroup
        return self.replacements[int(group[1:])] if group else REDACTED


NO_SCRUB = Scrubber()
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_LETTER = r"[^\W\d_]"
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
)  # fmt: skip
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # any e-mail address at all
# Between the digits of a phone number: up to three of space, dot, dash, slash,
# brackets, plus, any dash or space of Unicode.
_PHONE_SEP = r"[\W_]{0,3}"


def _name_parts(name: str) -> list[str]:
    """The words of a name worth matching alone (two letters or more)."""
    parts = [p for p in re.split(r"[\s\-]+", unicodedata.normalize("NFC", name).strip()) if p]
    return sorted({p for p in parts if len(p) >= 2}, key=len, reverse=True)


def _name_forms(name: str) -> list[tuple[str, str]]:
    """Patterns of a name: its words run together in any order and case, with any
    separator or none ("Carter, Denise", "DeniseCarter", "denise.carter"), then each
    word alone: as a word, a possessive or plural ("Carter's", "Carters"), or inside
    camelCase ("MsCarter"). Replacements are initials."""
    parts = _name_parts(name)
    if not parts:
        return []
    any_part = "|".join(re.escape(p) for p in parts)
    start = rf"(?:(?<!{_LETTER})|(?<=[a-z])(?=[A-Z]))"
    end = rf"(?:(?!{_LETTER})|(?=s(?!{_LETTER}))|(?<=[a-z])(?=[A-Z]))"
    forms = [(rf"{start}(?i:{any_part})(?:[\W_]{{0,3}}(?i:{any_part}))+{end}", initials(name))]
    for part in parts:
        forms.append((rf"{start}(?i:{re.escape(part)}){end}", f"{part[0].upper()}."))
    return forms


def _phone_form(phone: str) -> str | None:
    """Any spacing of the number: its last seven digits, with as many of the digits
    before them as the text has, and up to three separators between any two."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return re.escape(phone.strip()) if phone.strip() else None
    head = ""
    for d in digits[:-7]:
        head = f"(?:{head}{d}{_PHONE_SEP})?"
    return rf"(?<!\d){head}{_PHONE_SEP.join(digits[-7:])}(?!\d)"


def _date_forms(born: date) -> str:
    """The birth date in any common writing: day/month/year either way round, with
    /, ., - or spaces, two- or four-digit year, ISO, run together, or with the month's
    name ("July 14, 1988", "14th of July 1988", "Jul. 14 1988")."""
    d = rf"0?{born.day}" if born.day < 10 else str(born.day)
    m = rf"0?{born.month}" if born.month < 10 else str(born.month)
    y = rf"(?:{born.year}|{born.year % 100:02d})"
    sep = r"(?:\s*[/.\-]\s*|\s+)"
    dd, mm, yyyy = f"{born.day:02d}", f"{born.month:02d}", str(born.year)
    month = _MONTHS[born.month - 1]
    name = rf"(?:{month}|{month[:3]}\.?)"
    th = r"(?:st|nd|rd|th)?"
    forms = [
        rf"{d}{sep}{m}{sep}{y}",
        rf"{m}{sep}{d}{sep}{y}",
        rf"{yyyy}{sep}{m}{sep}{d}",
        f"{dd}{mm}{yyyy}|{mm}{dd}{yyyy}|{yyyy}{mm}{dd}",
        rf"{d}{th}\s+(?:of\s+)?{name},?\s+{y}",
        rf"{name}\s+{d}{th},?\s+{y}",
    ]
    return rf"(?i:(?<!\d)(?:{'|'.join(forms)})(?!\d))"


def _literal(text: str) -> str:
    """``text`` in any case, with any run of white space where it has one."""
    words = text.split()
    return r"(?i:" + r"\s+".join(re.escape(w) for w in words) + ")" if words else ""


def _address_texts(address: str) -> list[str]:
    """The whole address, and each part but the last (usually the town, which may be
    in the agency's own name): "418 Alder Ave", "Apt 2B", a shelter's name; the
    street also without its house number ("Alder Ave")."""
    texts = [address.strip()]
    for part in address.split(",")[:-1]:
        for text in (part.strip(), re.sub(r"^\d+\w*\s+", "", part.strip())):
            if len(text) >= 6:
                texts.append(text)
    return texts


def _contacts(client: Client) -> list[dict[str, Any]]:
    """The people around the client (client.yaml ``contacts:``, contract 5.1), as far
    as they are readable: mappings with text values."""
    return [p.model_dump(exclude_none=True) for p in client.contacts or ()]


def make_scrubber(client: Client) -> Scrubber:
    """A scrubber for the client's and their contacts' names, the client's birth date,
    and every phone number, e-mail address and address part of them."""
    names = [client.name] + [p.get("name") for p in _contacts(client)]
    name_forms = [f for n in names if isinstance(n, str) for f in _name_forms(n)]
    just_a_name = re.compile("|".join(f for f, _ in name_forms)) if name_forms else None
    forms: list[tuple[str, str]] = []
    firsts = set("0123456789")  # phone numbers, dates, house numbers
    emails = [client.email] + [p.get("email") for p in _contacts(client)]
    for email in emails:
        if isinstance(email, str) and "@" in email:
            local = email.strip().split("@")[0]
            if just_a_name is not None and just_a_name.fullmatch(local):
                continue  # "denise@...": the name's own forms replace it by initials
            if len(local) >= 3:  # alone, before the name's forms: "denise.carter88 at ..."
                forms.append((rf"(?<![\w.+-])(?i:{re.escape(local)})(?![\w+-])", REDACTED))
                firsts.add(local[0])
    if client.address and client.address.strip():
        for text in _address_texts(client.address):
            forms.append((_literal(text), REDACTED))
            firsts.add(text[0])
    phones = [client.phone] + [p.get("phone") for p in _contacts(client)]
    for phone in phones:
        form = _phone_form(phone) if isinstance(phone, str) else None
        if form:
            forms.append((form, REDACTED))
            firsts.update(phone.strip()[:1])
    if client.born:
        forms.append((_date_forms(client.born), REDACTED))
        firsts.add(_MONTHS[client.born.month - 1][0])
    forms += name_forms
    firsts.update(part[0] for n in names if isinstance(n, str) for part in _name_parts(n))
    if not forms:
        return Scrubber(emails_only=True)
    # Most positions of a text cannot start any form: the lookahead (any case, as the
    # forms match) rules them out before the alternation is tried.
    first = "".join(re.escape(c) for c in sorted(firsts))
    alternation = "|".join(f"(?P<g{i}>{form})" for i, (form, _) in enumerate(forms))
    pattern = re.compile(f"(?=(?i:[{first}]))(?:{alternation})")
    return Scrubber(pattern, tuple(r for _, r in forms), emails_only=False)


SAFE = "safe"  # kept as it is
FREE = "free"  # free text: scrubbed
DROP = "drop"  # identifying: removed (None)
INITIALS = "initials"  # identifying: replaced by the initials

_NOTE: dict[str, Any] = {
    "id": SAFE, "date": SAFE, "day": SAFE, "by": SAFE, "by_name": SAFE, "type": SAFE,
    "minutes": SAFE, "goals": SAFE, "to": FREE, "text": FREE, "amends": SAFE,
    "recorded": SAFE, "with": SAFE, "mode": SAFE,
}  # fmt: skip
_NOTE["amendments"] = [_NOTE]
_ASSESSMENT: dict[str, Any] = {
    "date": SAFE, "day": SAFE, "by": SAFE, "by_name": SAFE, "scores": SAFE,
    "domains": [{"domain": SAFE, "label": SAFE, "score": SAFE, "previous": SAFE,
                 "delta": SAFE, "change": SAFE, "note": FREE}],
    "strengths": FREE, "summary": FREE, "previous_date": SAFE,
}  # fmt: skip
_ACTION = {"action": FREE, "who": FREE, "due": SAFE, "done": SAFE, "overdue": SAFE}
_DUE_ITEM = {
    "client": SAFE, "name": INITIALS, "manager": SAFE, "kind": SAFE, "what": FREE,
    "due": SAFE, "status": SAFE, "days": SAFE,
}  # fmt: skip
_CASELOAD_CLIENT: dict[str, Any] = {
    "id": SAFE, "name": INITIALS, "status": SAFE, "manager": SAFE, "manager_name": SAFE,
    "program": FREE, "opened": SAFE, "last_contact": SAFE, "contacts_30d": SAFE,
    "goals_met": SAFE, "goals_active": SAFE, "goals_total": SAFE, "overdue": SAFE,
    "due_soon": SAFE, "items": [_DUE_ITEM], "errors": SAFE,
    "stage": SAFE, "flags": SAFE, "tasks_open": SAFE,
    "next_due": {"kind": SAFE, "what": FREE, "due": SAFE, "days": SAFE, "status": SAFE},
    "manager_left": SAFE, "referrals_open": SAFE, "referrals_overdue": SAFE,
    "consent": {"state": SAFE, "expires": SAFE, "parties": FREE},
    "sign_offs": [{"what": SAFE, "since": SAFE, "stale": SAFE}],
}  # fmt: skip
_SIGN_OFF_ROW = {
    "client": SAFE, "name": INITIALS, "manager": SAFE, "what": SAFE, "since": SAFE,
    "stale": SAFE, "supervisors": SAFE,
}  # fmt: skip
_REFERRAL = {
    "id": SAFE, "to": FREE, "service": FREE, "goal": SAFE, "sent": SAFE, "expect_by": SAFE,
    "status": SAFE, "status_date": SAFE, "outcome": FREE, "open": SAFE, "overdue": SAFE,
}  # fmt: skip
_ERRORED_CLIENT = {
    "id": SAFE, "client": SAFE, "name": INITIALS, "status": SAFE, "manager": SAFE,
    "manager_name": SAFE, "what": SAFE, "command": SAFE,
}  # fmt: skip

# Every field a template receives, by template family. Identifiers (client, goal and
# note ids), dates, counts, statuses and staff (managers, authors) are safe; the
# client's name, birth date, age and contact details identify; everything a person
# typed is free text. Keep docs/security.md in step.
REDACTION: dict[str, dict[str, Any]] = {
    "client": {
        "agency": {"name": SAFE},
        "as_of": SAFE, "generated": SAFE, "redacted": SAFE, "since": SAFE, "problems": SAFE,
        "client": {
            "id": SAFE, "name": INITIALS, "initials": SAFE, "born": DROP, "age": DROP,
            "age_band": SAFE, "phone": DROP, "email": DROP, "address": DROP,
            "program": FREE, "manager": SAFE, "manager_name": SAFE, "status": SAFE,
            "opened": SAFE, "closed": {"date": SAFE, "reason": SAFE, "note": FREE},
            "consent": {"signed": SAFE, "expires": SAFE, "expired": SAFE, "days_left": SAFE},
            "stage": SAFE,
            "flags": [{"kind": SAFE, "since": SAFE, "review_by": SAFE}],
            "contacts": DROP,
        },
        "domains": SAFE,
        "assessments": [_ASSESSMENT], "latest": _ASSESSMENT, "previous": _ASSESSMENT,
        "chart": {
            "dates": SAFE, "days": SAFE, "span": SAFE,
            "series": [{"domain": SAFE, "label": SAFE,
                        "points": [{"date": SAFE, "day": SAFE, "score": SAFE}]}],
        },
        "plan": {
            "created": SAFE, "counts": SAFE,
            "goals": [{
                "id": SAFE, "domain": SAFE, "goal": FREE, "target": SAFE, "status": SAFE,
                "overdue": SAFE, "actions": [_ACTION], "open_actions": [_ACTION],
                "done_actions": [_ACTION],
            }],
        },
        "due": [{"kind": SAFE, "what": FREE, "due": SAFE, "status": SAFE, "days": SAFE}],
        "notes": [_NOTE], "note_count": SAFE,
        "referrals": [_REFERRAL],
        "consents": [{"signed": SAFE, "expires": SAFE, "expired": SAFE, "valid": SAFE,
                      "parties": FREE, "document": SAFE}],
        "sign_offs": [{"what": SAFE, "since": SAFE, "stale": SAFE}],
    },
    "caseload": {
        "agency": {"name": SAFE},
        "as_of": SAFE, "generated": SAFE, "manager": {"key": SAFE, "name": SAFE},
        "counts": SAFE, "goals": SAFE, "contacts_30d": SAFE, "contact_window_days": SAFE,
        "skipped": SAFE, "clients": [_CASELOAD_CLIENT], "errors": [_ERRORED_CLIENT],
        "locked": SAFE, "locked_message": SAFE,
        "overdue": [_DUE_ITEM], "due_soon": [_DUE_ITEM],
        "managers": [{
            "key": SAFE, "name": SAFE, "clients": [_CASELOAD_CLIENT], "count": SAFE,
            "active": SAFE, "on_hold": SAFE, "overdue": SAFE, "overdue_clients": SAFE,
            "due_soon": SAFE, "contacts_30d": SAFE, "left": SAFE,
        }],
        "sign_offs": [_SIGN_OFF_ROW], "referrals_open": SAFE,
    },
    "digest": {
        "agency": SAFE, "as_of": SAFE, "window": SAFE, "total": SAFE,
        "overdue_count": SAFE, "due_soon_count": SAFE, "errors": [_ERRORED_CLIENT],
        "locked": SAFE, "locked_message": SAFE,
        "managers": [{
            "key": SAFE, "name": SAFE, "email": SAFE, "count": SAFE,
            "overdue": [{**_DUE_ITEM, "days_text": SAFE, "kind_text": SAFE}],
            "due_soon": [{**_DUE_ITEM, "days_text": SAFE, "kind_text": SAFE}],
        }],
    },
}  # fmt: skip


def redact_items(
    items: Sequence[DueItem], scrubbers: Mapping[str, Scrubber | None]
) -> list[DueItem]:
    """Due items for ``due --redact`` and ``digest --redact`` (contract 5.5), each with
    its own client's scrubber (``_DUE_ITEM``'s classes): the name becomes initials,
    ``what`` (goal, action and other typed text) is scrubbed. A client without a
    scrubber (``scrubbers[id]`` None: its client.yaml could not tell what identifies
    it) keeps only the part of ``what`` before its first colon (``G1``), nothing typed."""
    out = []
    for item in items:
        scrub = scrubbers.get(item.client)
        if scrub is not None:
            what = scrub.text(item.what)
        elif ":" in item.what:
            what = f"{item.what.partition(':')[0]}: {REDACTED}"
        else:
            what = item.what if item.kind in _FIXED_WHAT else REDACTED
        name = initials(item.name) if item.name is not None else None
        out.append(replace(item, name=name, what=what))
    return out


# Kinds whose `what` is casectl's own words, never typed text.
_FIXED_WHAT = frozenset({"plan_review", "assessment", "contact", "consent", "retention"})


def export_redaction() -> Redaction:
    """The hook of ``export --redact`` (contract 5.4/5.5): ``figures.export.Redaction``
    with this module's scrubber (``make_scrubber``, the client's and contacts' names,
    birth date, phone, e-mail and address) and ``initials``, so every output of
    casectl redacts the same way."""
    from casectl.figures.export import Redaction

    return Redaction(scrubber=lambda client: make_scrubber(client).text, initials=initials)


class UnclassifiedField(Exception):
    """A context field missing from REDACTION: refused rather than passed through."""


def redact_context(value: Any, spec: Any, scrub: Scrubber, path: str = "") -> Any:
    """``value`` (a context or part of one) redacted by ``spec`` (part of REDACTION)."""
    if isinstance(spec, str):
        if spec == SAFE or value is None:
            return value
        if spec == DROP:
            return None
        if spec == INITIALS:
            return initials(value) if isinstance(value, str) else None
        return _scrub_all(value, scrub)
    if isinstance(spec, list):
        if value is None:
            return None
        return [redact_context(v, spec[0], scrub, f"{path}[]") for v in value]
    if value is None:
        return None
    out: dict[str, Any] = {}
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key not in spec:
            raise UnclassifiedField(f"{where}: not classified for redaction (reports.REDACTION)")
        out[key] = redact_context(item, spec[key], scrub, where)
    return out


def _scrub_all(value: Any, scrub: Scrubber) -> Any:
    if isinstance(value, str):
        return scrub.text(value)
    if isinstance(value, list):
        return [_scrub_all(v, scrub) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_all(v, scrub) for k, v in value.items()}
    return value


def unclassified(value: Any, spec: Any, path: str = "") -> list[str]:
    """Paths of ``value`` that ``spec`` does not classify (empty when all are)."""
    if isinstance(spec, str) or value is None:
        return []
    if isinstance(spec, list):
        return [p for v in value for p in unclassified(v, spec[0], f"{path}[]")]
    found: list[str] = []
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        found += unclassified(item, spec[key], where) if key in spec else [where]
    return sorted(set(found))


# ------------------------------------------------------------------- client report


def client_block(client: Client, agency: Agency, as_of: date, stage: str | None = None) -> Context:
    """Who the client is (``redact`` then keeps the initials and age band only)."""
    age = age_on(client.born, as_of) if client.born else None
    consent: Context | None = None
    if client.consent is not None:
        expires = client.consent.expires
        consent = {
            "signed": iso(client.consent.signed),
            "expires": iso(expires),
            "expired": expires is not None and expires < as_of,
            "days_left": (expires - as_of).days if expires is not None else None,
        }
    closed: Context | None = None
    if client.closed is not None:
        closed = {
            "date": iso(client.closed.date),
            "reason": client.closed.reason,
            "note": client.closed.note,
        }
    return {
        "id": client.id,
        "name": client.name,
        "initials": initials(client.name),
        "born": iso(client.born),
        "age": age,
        "age_band": age_band(age) if age is not None else None,
        "phone": client.phone,
        "email": client.email,
        "address": client.address,
        "program": client.program,
        "manager": client.manager,
        "manager_name": agency.manager_name(client.manager),
        "status": client.status,
        "opened": iso(client.opened),
        "closed": closed,
        "consent": consent,
        "stage": stage,
        "flags": [
            {"kind": f.kind, "since": iso(f.since), "review_by": iso(f.review_by)}
            for f in client.flags or ()
            if f.cleared is None and f.since <= as_of
        ],
        "contacts": [
            {key: getattr(c, key) for key in _CONTACT_KEYS} for c in client.contacts or ()
        ],
    }


_CONTACT_KEYS = ("name", "relation", "phone", "email", "address", "org", "emergency")


def domain_order(agency: Agency, assessments: Sequence[Assessment]) -> list[str]:
    """The agency's domain order, then any other scored domain alphabetically."""
    scored = {d for a in assessments for d in a.domains}
    known = [d for d in agency.domains if d in scored]
    return known + sorted(scored - set(known))


def assessment_blocks(assessments: Sequence[Assessment], agency: Agency) -> list[Context]:
    """Every assessment, oldest first, each domain with its change since the one before."""
    ordered = sorted(assessments, key=lambda a: a.date)
    order = domain_order(agency, ordered)
    first = ordered[0].date if ordered else None
    blocks: list[Context] = []
    previous: Assessment | None = None
    for a in ordered:
        rows: list[Context] = []
        for domain in order:
            now = a.domains.get(domain)
            before = previous.domains.get(domain) if previous else None
            if now is None and before is None:
                continue
            score = now.score if now else None
            prev_score = before.score if before else None
            rows.append(
                {
                    "domain": domain,
                    "label": domain.replace("_", " "),
                    "score": score,
                    "previous": prev_score,
                    "delta": score - prev_score
                    if score is not None and prev_score is not None
                    else None,
                    "change": score_change(score, prev_score, previous is not None),
                    "note": now.note if now else None,
                }
            )
        blocks.append(
            {
                "date": a.date.isoformat(),
                "day": (a.date - first).days if first else 0,
                "by": a.by,
                "by_name": agency.manager_name(a.by),
                "domains": rows,
                "scores": {d: s.score for d, s in a.domains.items()},
                "strengths": list(a.strengths or []),
                "summary": a.summary,
                "previous_date": previous.date.isoformat() if previous else None,
            }
        )
        previous = a
    return blocks


def chart_block(blocks: Sequence[Context], order: Sequence[str]) -> Context:
    """Data for the score-over-time chart: one series per domain (the template draws it)."""
    series = []
    for domain in order:
        points = [
            {"date": b["date"], "day": b["day"], "score": b["scores"][domain]}
            for b in blocks
            if domain in b["scores"]
        ]
        if points:
            series.append({"domain": domain, "label": domain.replace("_", " "), "points": points})
    return {
        "dates": [b["date"] for b in blocks],
        "days": [b["day"] for b in blocks],
        "span": blocks[-1]["day"] if blocks else 0,
        "series": series,
    }


def goal_block(goal: Goal, as_of: date) -> Context:
    actions = [
        {
            "action": a.action,
            "who": a.who,
            "due": iso(a.due),
            "done": iso(a.done),
            "overdue": a.done is None and a.due is not None and a.due < as_of,
        }
        for a in goal.actions
    ]
    return {
        "id": goal.id,
        "domain": goal.domain,
        "goal": goal.goal,
        "target": iso(goal.target),
        "status": goal.status,
        "overdue": goal.status == "active" and goal.target is not None and goal.target < as_of,
        "actions": actions,
        "open_actions": [a for a in actions if a["done"] is None],
        "done_actions": [a for a in actions if a["done"] is not None],
    }


def plan_block(plan: Plan | None, as_of: date) -> Context:
    goals = [goal_block(g, as_of) for g in (plan.goals if plan else [])]
    return {
        "created": iso(plan.created) if plan else None,
        "goals": goals,
        "counts": {
            status: sum(1 for g in goals if g["status"] == status)
            for status in ("active", "met", "partly_met", "not_met", "dropped")
        },
    }


def due_block(items: Iterable[schedule.DueItem]) -> list[Context]:
    """Due items without the client's name (it is in ``client``)."""
    return [
        {
            "kind": i.kind,
            "what": i.what,
            "due": i.due.isoformat(),
            "status": i.status,
            "days": i.days,
        }
        for i in schedule.sort_items(list(items))
    ]


def _note(entry: LogEntry, agency: Agency) -> Context:
    return {
        "id": entry.id,
        "date": note_time(entry.date),
        "day": entry.date.date().isoformat(),
        "by": entry.by,
        "by_name": agency.manager_name(entry.by),
        "type": entry.type,
        "minutes": entry.minutes,
        "goals": list(entry.goals or []),
        "to": entry.to,
        "text": entry.text.strip("\n"),
        "amends": entry.amends,
        "recorded": note_time(entry.recorded) if entry.recorded is not None else None,
        "with": entry.with_,
        "mode": entry.mode,
        "amendments": [],
    }


def note_blocks(log: Sequence[LogEntry], agency: Agency, since: date | None) -> list[Context]:
    """Notes oldest first; each amendment nested under the entry it corrects.

    An amendment of an amendment goes under the original entry too. With ``since``,
    only entries from that day on are listed, an included entry keeps all its
    amendments, and a recent amendment of an older entry is listed on its own
    (its ``amends`` names the entry it corrects).
    """
    by_id = {e.id: e for e in log}

    def root_of(entry: LogEntry) -> str:
        seen = {entry.id}
        current = entry
        while current.amends and current.amends in by_id and current.amends not in seen:
            seen.add(current.amends)
            current = by_id[current.amends]
        return current.id

    def included(entry: LogEntry) -> bool:
        return since is None or entry.date.date() >= since

    top: list[Context] = []
    shown: dict[str, Context] = {}
    pending: list[LogEntry] = []
    for entry in log:
        root = root_of(entry) if entry.type == "amendment" and entry.amends else entry.id
        if root == entry.id:
            if included(entry):
                shown[entry.id] = _note(entry, agency)
                top.append(shown[entry.id])
        else:
            pending.append(entry)
    for entry in pending:
        root = root_of(entry)
        if root in shown:
            shown[root]["amendments"].append(_note(entry, agency))
        elif included(entry):
            top.append(_note(entry, agency))
    top.sort(key=lambda n: n["date"])
    return top


def client_report_context(
    agency: Agency,
    client: Client,
    assessments: AssessmentFile | None,
    plan: Plan | None,
    log: Sequence[LogEntry],
    due: Iterable[schedule.DueItem],
    as_of: date,
    generated: str,
    since: date | None = None,
    redact: bool = False,
    problems: int = 0,
    sign_offs: Sequence[SignOffFact] = (),
    stage: str | None = None,
) -> Context:
    """The context of ``client.<format>.j2`` (documented in docs/templates.md);
    with ``redact``, redacted by REDACTION["client"] with the client's scrubber."""
    items = assessments.assessments if assessments else []
    blocks = assessment_blocks(items, agency)
    order = domain_order(agency, items)
    notes = note_blocks(log, agency, since)
    context = {
        "agency": {"name": agency.agency},
        "as_of": as_of.isoformat(),
        "generated": generated,
        "redacted": redact,
        "since": iso(since),
        "problems": problems,
        "client": client_block(client, agency, as_of, stage),
        "domains": order,
        "assessments": blocks,
        "latest": blocks[-1] if blocks else None,
        "previous": blocks[-2] if len(blocks) > 1 else None,
        "chart": chart_block(blocks, order),
        "plan": plan_block(plan, as_of),
        "due": due_block(due),
        "notes": notes,
        "note_count": sum(1 + len(n["amendments"]) for n in notes),
        "referrals": referral_blocks(plan, as_of),
        "consents": consent_blocks(client, as_of),
        "sign_offs": [
            {"what": s.what, "since": s.since.isoformat(), "stale": s.stale} for s in sign_offs
        ],
    }
    if not redact:
        return context
    redacted: Context = redact_context(context, REDACTION["client"], make_scrubber(client))
    return redacted


def referral_blocks(plan: Plan | None, as_of: date) -> list[Context]:
    """The plan's referrals ("Services and referrals"), oldest first."""
    out: list[Context] = []
    for r in plan.referrals if plan else []:
        is_open = r.status in OPEN_REFERRAL_STATUSES
        out.append(
            {
                "id": r.id,
                "to": r.to,
                "service": r.service,
                "goal": r.goal,
                "sent": r.sent.isoformat(),
                "expect_by": iso(r.expect_by),
                "status": r.status,
                "status_date": iso(r.status_date),
                "outcome": r.outcome,
                "open": is_open,
                "overdue": bool(is_open and r.expect_by is not None and r.expect_by < as_of),
            }
        )
    return out


def consent_blocks(client: Client, as_of: date) -> list[Context]:
    """Every consent, oldest first, with whether it is in force on ``as_of`` (its
    parties: who records may be shared with)."""
    out: list[Context] = []
    for c in client.all_consents():
        expired = c.expires is not None and c.expires < as_of
        started = c.signed is None or c.signed <= as_of
        out.append(
            {
                "signed": iso(c.signed),
                "expires": iso(c.expires),
                "expired": expired,
                "valid": started and not expired,
                "parties": list(c.parties) if c.parties is not None else None,
                "document": c.document,
            }
        )
    return out


# ------------------------------------------------------------------------ caseload


def contacts_within(shown: CaseloadFacts, as_of: date, days: int = CONTACT_WINDOW_DAYS) -> int:
    """Contacts in the ``days`` days ending on ``as_of`` (later-dated entries count too)."""
    return shown.contacts_since(as_of - timedelta(days=days - 1))


def _item(i: schedule.DueItem) -> Context:
    return {
        "client": i.client,
        "name": i.name,
        "manager": i.manager,
        "kind": i.kind,
        "what": i.what,
        "due": i.due.isoformat(),
        "status": i.status,
        "days": i.days,
    }


_KIND_ORDER = schedule.ORDER


def caseload_client(
    row: CaseloadRow,
    agency: Agency,
    as_of: date,
    items: Sequence[schedule.DueItem],
    item_dicts: list[Context],
) -> Context:
    """One open client's row of the caseload (``item_dicts``: ``items`` as ``_item``
    makes them)."""
    shown, plan = row
    next_due: Context | None = None
    if plan.dates:
        order = _KIND_ORDER
        # the first of them sorted: min keeps the first of equals, as a stable sort does
        kind, what, ref, due = min(plan.dates, key=lambda d: (d[3], order[d[0]], d[1]))
        next_due = {
            "kind": kind,
            "what": what,
            "due": due.isoformat(),
            "days": (as_of - due).days,
            "status": next((i.status for i in items if i.ref == ref), "later"),
        }
    overdue = due_soon = 0
    for i in items:
        if i.status == "overdue":
            overdue += 1
        elif i.status == "due_soon":
            due_soon += 1
    today = as_of.toordinal()
    manager = shown.manager
    return {
        "id": shown.id,
        "name": shown.name,
        "status": shown.status,
        "manager": manager,
        "manager_name": agency.manager_name(manager) if manager else None,
        "program": shown.program,
        "opened": shown.opened,
        "errors": shown.errors,
        "last_contact": shown.last_contact,
        "contacts_30d": contacts_within(shown, as_of),
        "goals_met": shown.goals_met,
        "goals_active": shown.goals_active,
        "goals_total": shown.goals_total,
        "next_due": next_due,
        "overdue": overdue,
        "due_soon": due_soon,
        "items": item_dicts,
        "manager_left": iso(agency.manager_left(manager)) if manager else None,
        "referrals_open": len(shown.referrals_expect_by),
        "referrals_overdue": sum(
            1 for e in shown.referrals_expect_by if e is not None and e < today
        )
        if shown.referrals_expect_by
        else 0,
        "consent": consent_state(shown.consents, as_of),
        "sign_offs": [
            {"what": s.what, "since": s.since.isoformat(), "stale": s.stale}
            for s in shown.sign_offs
        ]
        if shown.sign_offs
        else [],
        "stage": shown.stage,
        "flags": list(shown.open_flags),
        "tasks_open": shown.open_tasks,
    }


def consent_state(consents: Sequence[ConsentFact], as_of: date) -> Context:
    """The client's consent on ``as_of``: ``valid`` (with its parties), ``expired``
    (the newest one ran out) or ``none``."""
    valid = consent_on(consents, as_of)
    if valid is not None:
        return {"state": "valid", "expires": iso(valid.expires), "parties": valid.parties}
    if consents:
        return {"state": "expired", "expires": iso(consents[-1].expires), "parties": None}
    return {"state": "none", "expires": None, "parties": None}


def caseload_context(
    agency: Agency,
    clients_in: Sequence[CaseloadRow],
    as_of: date,
    generated: str,
    manager: str | None = None,
    locked: int = 0,
) -> Context:
    """The context of ``caseload.<format>.j2`` (documented in docs/templates.md), from
    each client's facts and due dates (``read.scan``'s ``AgencyState.caseload``);
    ``locked``: how many restricted clients this clone cannot read (not in the rest)."""
    mine = [r for r in clients_in if manager is None or r.shown.manager == manager]
    # Clients whose files have errors: listed (whatever their status) with a `record`
    # item, never left out.
    with_errors = sorted((r.shown for r in mine if r.shown.errors), key=lambda f: f.id)
    statuses = [r.shown.status for r in mine]
    counts = {s: statuses.count(s) for s in ("active", "on_hold", "closed")}
    open_ones = sorted(
        (r for r in mine if r.shown.status in ("active", "on_hold")), key=lambda r: r.shown.id
    )
    clients: list[Context] = []
    overdue: list[schedule.DueItem] = []
    due_soon: list[schedule.DueItem] = []
    # Each item's dict is made once: the client's row and the overdue or due-soon list
    # share it (the sandbox cannot change it).
    dicts: dict[int, tuple[schedule.DueItem, Context]] = {}
    for row in open_ones:
        items = schedule.items_from_schedule(row.schedule, as_of)
        if len(items) > 1:
            items = schedule.sort_items(items)
        mine_dicts = []
        for i in items:
            d = _item(i)
            dicts[id(i)] = (i, d)
            mine_dicts.append(d)
            if i.status == "overdue":
                overdue.append(i)
            elif i.status == "due_soon":
                due_soon.append(i)
        clients.append(caseload_client(row, agency, as_of, items, mine_dicts))
    for row in mine:
        if row.shown.errors and row.shown.status not in ("active", "on_hold"):
            overdue += schedule.items_from_schedule(row.schedule, as_of)  # closed: the record item
    keys: list[str | None] = [manager] if manager else list(agency.managers or {})
    named = {c["manager"] for c in clients} - set(keys)
    keys += sorted(named, key=lambda k: (k is None, k or ""))
    by_key: dict[str | None, list[Context]] = {key: [] for key in keys}
    for c in clients:
        by_key[c["manager"]].append(c)
    managers = []
    for key in keys:
        theirs = by_key[key]
        managers.append(
            {
                "key": key,
                "name": agency.manager_name(key) if key is not None else UNKNOWN_MANAGER,
                "clients": theirs,
                "count": len(theirs),
                "active": sum(1 for c in theirs if c["status"] == "active"),
                "on_hold": sum(1 for c in theirs if c["status"] == "on_hold"),
                "overdue": sum(c["overdue"] for c in theirs),
                "overdue_clients": sum(1 for c in theirs if c["overdue"]),
                "due_soon": sum(c["due_soon"] for c in theirs),
                "contacts_30d": sum(c["contacts_30d"] for c in theirs),
                "left": iso(agency.manager_left(key)) if key is not None else None,
            }
        )
    sign_offs = [
        {
            "client": c["id"],
            "name": c["name"],
            "manager": c["manager"],
            "what": s["what"],
            "since": s["since"],
            "stale": s["stale"],
            "supervisors": list(agency.supervisors()),
        }
        for c in clients
        for s in c["sign_offs"]
    ]

    def item_dicts(items: list[schedule.DueItem]) -> list[Context]:
        out = []
        for i in schedule.sort_items(items):
            made = dicts.get(id(i))
            out.append(made[1] if made is not None and made[0] is i else _item(i))
        return out

    return {
        "agency": {"name": agency.agency},
        "as_of": as_of.isoformat(),
        "generated": generated,
        "manager": {"key": manager, "name": agency.manager_name(manager)} if manager else None,
        "counts": {**counts, "open": counts["active"] + counts["on_hold"], "total": len(mine)},
        "managers": managers,
        "clients": clients,
        "overdue": item_dicts(overdue),
        "due_soon": item_dicts(due_soon),
        "goals": {
            "met": sum(c["goals_met"] for c in clients),
            "active": sum(c["goals_active"] for c in clients),
        },
        "contacts_30d": sum(c["contacts_30d"] for c in clients),
        "contact_window_days": CONTACT_WINDOW_DAYS,
        "errors": [
            {
                "id": f.id,
                "name": f.name,
                "status": f.status,
                "manager": f.manager,
                "manager_name": agency.manager_name(f.manager) if f.manager else None,
                "command": f"casectl validate clients/{f.id}",
            }
            for f in with_errors
        ],
        "skipped": 0,  # no client is left out any more; kept for older agency templates
        "sign_offs": sign_offs,
        "referrals_open": sum(c["referrals_open"] for c in clients),
        **_locked(locked),
    }


# The rows of the built-in caseload.html.j2, made in Python: at 10,000 clients the
# template printed about 290,000 values one `{{ }}` at a time (each looked up in the
# sandbox and escaped on its own), a third of the command's time. Each filter prints
# exactly what the template's loop printed (tests/present/test_reports.py renders both).


def _h(value: Any) -> str:
    """What ``{{ value }}`` prints in an autoescaped template (markupsafe's escaping)."""
    if type(value) is str:
        if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
            return str(escape(value))
        return value
    if type(value) is int:
        return str(value)
    return str(escape(value))


def _h_spaced(value: Any) -> str:
    """``{{ value|replace("_", " ") }}``."""
    return _h(str(value).replace("_", " "))


def caseload_rows(clients: Iterable[Context]) -> Markup:
    """The table rows of caseload clients (``managers[].clients``), one ``<tr>`` each,
    as the built-in caseload.html.j2 prints them."""
    out = []
    for c in clients:
        cid = _h(c["id"])
        first = f'  <tr class="client" id="client-{cid}"><td>{_h(c["name"] or "")} '
        first += f'<span class="meta">({cid})</span>'
        if c["errors"]:
            first += ' <span class="overdue">records have errors</span>'
        if c["manager_left"]:
            first += ' <span class="meta">manager left</span>'
        if c["program"]:
            first += f'<br><span class="meta">{_h(c["program"])}</span>'
        status = c["status"]
        second = f'  <td class="status-{_h(status)}">{_h_spaced(status)}<br>'
        second += f'<span class="meta">{_h(c["stage"])}</span>'
        flags = c["flags"]
        if flags:
            second += f'<br><strong class="overdue">{_h(", ".join(map(str, flags)))}</strong>'
        due = c["next_due"]
        if due:
            nxt = f'<span class="date {_h(due["status"])}">{_h(due["due"])}</span> '
            nxt += _h(due["what"])
        else:
            nxt = "–"
        consent = c["consent"]
        state = consent["state"]
        if state == "valid":
            held = f'to <span class="date">{_h(consent["expires"] or "open end")}</span>'
            if consent["parties"] is not None:
                held += f": {_h(consent['parties'])}"
        elif state == "expired":
            held = f'<span class="overdue">expired <span class="date">{_h(consent["expires"])}'
            held += "</span></span>"
        else:
            held = "none"
        out.append(
            f"{first}</td>\n{second}</td>\n  <td>{nxt}</td>\n"
            f'  <td class="num{" overdue" if c["overdue"] else ""}">{_h(c["overdue"])}</td>\n'
            f'  <td class="num">{_h(c["goals_met"])} / {_h(c["goals_active"])}</td>'
            f'<td class="num">{_h(c["contacts_30d"])}</td>\n'
            f'  <td class="date">{_h(c["last_contact"] or "–")}</td>\n'
            f'  <td class="num{" overdue" if c["referrals_overdue"] else ""}">'
            f"{_h(c['referrals_open'])}</td>\n"
            f"  <td>{held}</td></tr>\n"
        )
    return Markup("".join(out))


def overdue_rows(items: Iterable[Context]) -> Markup:
    """The table rows of overdue items (``overdue``), one ``<tr>`` each, as the
    built-in caseload.html.j2 prints them."""
    out = []
    for i in items:
        out.append(
            f'  <tr><td class="overdue date">{_h(i["due"])}</td><td class="num">'
            f'{_h(i["days"])}</td><td>{_h(i["name"] or "")} <span class="meta">'
            f"({_h(i['client'])})</span></td>\n  <td>{_h(i['manager'] or '')}</td><td>"
            f"{_h_spaced(i['kind'])}</td><td>{_h(i['what'])}</td></tr>\n"
        )
    return Markup("".join(out))


# Added to the environment of caseload's templates (docs/templates.md).
CASELOAD_FILTERS = {"caseload_rows": caseload_rows, "overdue_rows": overdue_rows}


def _locked(count: int) -> Context:
    """``locked`` (a count) and ``locked_message`` ("2 restricted clients are locked
    here", None when 0) for the caseload and digest templates."""
    return {"locked": count, "locked_message": locked_message(count) if count else None}


# ------------------------------------------------------------------------ digest


def digest_context(
    agency: Agency,
    items: Sequence[DueItem],
    as_of: date,
    within: dates.Duration | None,
    locked: int = 0,
) -> Context:
    """The variables of ``digest.txt.j2`` (documented in docs/monitoring.md; keep the
    two in step): due items grouped by manager, clients whose files have errors."""
    overdue = sum(1 for i in items if i.status == "overdue")
    window = within if within is not None else agency.cadence.due_soon
    return {
        "agency": visible(agency.agency),
        "as_of": as_of.isoformat(),
        "window": str(window),
        "total": len(items),
        "overdue_count": overdue,
        "due_soon_count": len(items) - overdue,
        "managers": [manager_group(agency, key, mine) for key, mine in by_manager(items).items()],
        # Clients whose files have errors (one `record` item each), in client order.
        "errors": [
            {
                "client": i.client,
                "name": i.name,
                "manager": i.manager,
                "manager_name": agency.manager_name(i.manager) if i.manager else None,
                "what": i.what,
                "command": f"casectl validate clients/{i.client}",
            }
            for i in sorted((i for i in items if i.kind == "record"), key=lambda i: i.client)
        ],
        **_locked(locked),
    }


def manager_group(agency: Agency, key: str | None, items: Sequence[DueItem]) -> dict[str, Any]:
    rows = [item_dict(i) for i in items]
    email = agency.manager_email(key) if key is not None else None
    return {
        "key": visible(key) if key is not None else None,
        "name": visible(agency.manager_name(key)) if key is not None else UNKNOWN_MANAGER,
        "email": visible(email) if email is not None else None,
        "overdue": [r for r in rows if r["status"] == "overdue"],
        "due_soon": [r for r in rows if r["status"] == "due_soon"],
        "count": len(rows),
    }


def item_dict(item: DueItem) -> dict[str, Any]:
    """The contract's JSON keys plus two conveniences for people; the digest is plain
    text, so record values are already one line with control characters escaped."""
    data = item.to_json()
    for key in ("name", "manager", "what"):
        if isinstance(data[key], str):
            data[key] = visible(data[key])
    data["days_text"] = days_text(item)
    data["kind_text"] = item.kind.replace("_", " ")
    return data


# ------------------------------------------------------------- report files


def generated_stamp(zone: tzinfo | None) -> str:
    """When a report was made: now, in the agency's zone (``2026-11-30 09:12 CST``). It
    is shown on the footer line beside the as-of day, the one line of a report that is
    not reproducible (contract 5.4: only a line with the word "generated")."""
    return now_text(zone)


def now_text(zone: tzinfo | None) -> str:
    moment = datetime.now(zone) if zone else datetime.now().astimezone()
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


_SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}


def output_format(fmt: str | None, output: Path | None) -> str:
    """``--format`` when given, else the one ``-o``'s extension names (``.html``,
    ``.htm``: html; ``.md``, ``.markdown``: md), else md."""
    if fmt is not None:
        return fmt
    suffix = output.suffix.lower() if output is not None else ""
    return _SUFFIX_FORMATS.get(suffix, "md")
