"""Template contexts for ``report`` and ``caseload``: plain data built from records.

Everything here is pure (no I/O, no clock): the commands read the records, pass
them in with the as-of day, and render the returned dicts with casectl.templating.
Contexts hold only str, int, bool, None, lists and dicts (dates as ISO strings), so
an agency's own templates see exactly what docs/templates.md describes.

Redaction happens here, not in templates: a redacted context never contains the
client's name, birth date, phone, email or address, and free text (notes,
assessment notes, goals) has the client's own name and contact details scrubbed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from markupsafe import Markup, escape

from casectl import schedule
from casectl.facts import ClientFacts
from casectl.model import (
    Agency,
    Assessment,
    AssessmentFile,
    Client,
    Goal,
    LogEntry,
    Plan,
)
from casectl.output import visible

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


@dataclass(frozen=True)
class Scrubber:
    """Replaces a client's own name and contact details in free text."""

    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        for pattern, replacement in self.patterns:
            text = pattern.sub(replacement, text)
        return text

    def text(self, text: str) -> str:
        scrubbed = self(text)
        assert scrubbed is not None
        return scrubbed


def _phone_pattern(phone: str) -> re.Pattern[str] | None:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return None
    # The last seven digits with any separators between them: "555 0101",
    # "555-0101" and "+1 (555) 0101" all match.
    tail = digits[-7:]
    return re.compile(r"[\s().-]*".join(re.escape(d) for d in tail))


def make_scrubber(client: Client) -> Scrubber:
    """A scrubber for this client's name, birth date, phone, email and address."""
    patterns: list[tuple[re.Pattern[str], str]] = []

    def literal(text: str, replacement: str) -> None:
        patterns.append((re.compile(re.escape(text), re.IGNORECASE), replacement))

    for value in (client.email, client.address):
        if value and value.strip():
            literal(value.strip(), REDACTED)
    if client.address:
        # Each part but the last (usually the town, which may be in the agency's
        # own name): "418 Alder Ave", "Apt 2B", a shelter's name.
        # The street is also matched without its house number ("Alder Ave").
        for part in client.address.split(",")[:-1]:
            for text in (part.strip(), re.sub(r"^\d+\w*\s+", "", part.strip())):
                if len(text) >= 6:
                    literal(text, REDACTED)
    if client.phone:
        phone = _phone_pattern(client.phone)
        if phone is not None:
            patterns.append((phone, REDACTED))
        else:
            literal(client.phone.strip(), REDACTED)
    if client.born:
        literal(client.born.isoformat(), REDACTED)
    name = client.name.strip()
    if name:
        literal(name, initials(name))
        for part in sorted(set(re.split(r"\s+", name)), key=len, reverse=True):
            if len(part) >= 2:
                patterns.append(
                    (
                        re.compile(rf"(?<!\w){re.escape(part)}(?!\w)", re.IGNORECASE),
                        f"{part[0]}.",
                    )
                )
    return Scrubber(tuple(patterns))


NO_SCRUB = Scrubber()


# ------------------------------------------------------------------- client report


def client_block(client: Client, agency: Agency, as_of: date, redact: bool) -> Context:
    """Who the client is. Redacted: initials, age band, no contact details at all."""
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
        "name": initials(client.name) if redact else client.name,
        "initials": initials(client.name),
        "born": None if redact else iso(client.born),
        "age": None if redact else age,
        "age_band": age_band(age) if age is not None else None,
        "phone": None if redact else client.phone,
        "email": None if redact else client.email,
        "address": None if redact else client.address,
        "program": client.program,
        "manager": client.manager,
        "manager_name": agency.manager_name(client.manager),
        "status": client.status,
        "opened": iso(client.opened),
        "closed": closed,
        "consent": consent,
    }


def domain_order(agency: Agency, assessments: Sequence[Assessment]) -> list[str]:
    """The agency's domain order, then any other scored domain alphabetically."""
    scored = {d for a in assessments for d in a.domains}
    known = [d for d in agency.domains if d in scored]
    return known + sorted(scored - set(known))


def assessment_blocks(
    assessments: Sequence[Assessment], agency: Agency, scrub: Scrubber
) -> list[Context]:
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
                    "note": scrub(now.note) if now else None,
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
                "strengths": [scrub.text(s) for s in a.strengths or []],
                "summary": scrub(a.summary),
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


def goal_block(goal: Goal, as_of: date, scrub: Scrubber) -> Context:
    actions = [
        {
            "action": scrub.text(a.action),
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
        "goal": scrub.text(goal.goal),
        "target": iso(goal.target),
        "status": goal.status,
        "overdue": goal.status == "active" and goal.target is not None and goal.target < as_of,
        "actions": actions,
        "open_actions": [a for a in actions if a["done"] is None],
        "done_actions": [a for a in actions if a["done"] is not None],
    }


def plan_block(plan: Plan | None, as_of: date, scrub: Scrubber) -> Context:
    goals = [goal_block(g, as_of, scrub) for g in (plan.goals if plan else [])]
    return {
        "created": iso(plan.created) if plan else None,
        "goals": goals,
        "counts": {
            status: sum(1 for g in goals if g["status"] == status)
            for status in ("active", "met", "partly_met", "not_met", "dropped")
        },
    }


def due_block(items: Iterable[schedule.DueItem], scrub: Scrubber) -> list[Context]:
    """Due items without the client's name (it is in ``client``)."""
    return [
        {
            "kind": i.kind,
            "what": scrub.text(i.what),
            "due": i.due.isoformat(),
            "status": i.status,
            "days": i.days,
        }
        for i in schedule.sort_items(list(items))
    ]


def _note(entry: LogEntry, agency: Agency, scrub: Scrubber) -> Context:
    return {
        "id": entry.id,
        "date": note_time(entry.date),
        "day": entry.date.date().isoformat(),
        "by": entry.by,
        "by_name": agency.manager_name(entry.by),
        "type": entry.type,
        "minutes": entry.minutes,
        "goals": list(entry.goals or []),
        "to": scrub(entry.to),
        "text": scrub.text(entry.text.strip("\n")),
        "amends": entry.amends,
        "amendments": [],
    }


def note_blocks(
    log: Sequence[LogEntry], agency: Agency, since: date | None, scrub: Scrubber
) -> list[Context]:
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
                shown[entry.id] = _note(entry, agency, scrub)
                top.append(shown[entry.id])
        else:
            pending.append(entry)
    for entry in pending:
        root = root_of(entry)
        if root in shown:
            shown[root]["amendments"].append(_note(entry, agency, scrub))
        elif included(entry):
            top.append(_note(entry, agency, scrub))
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
) -> Context:
    """The context of ``client.<format>.j2`` (documented in docs/templates.md)."""
    scrub = make_scrubber(client) if redact else NO_SCRUB
    items = assessments.assessments if assessments else []
    blocks = assessment_blocks(items, agency, scrub)
    order = domain_order(agency, items)
    notes = note_blocks(log, agency, since, scrub)
    return {
        "agency": {"name": agency.agency},
        "as_of": as_of.isoformat(),
        "generated": generated,
        "redacted": redact,
        "since": iso(since),
        "problems": problems,
        "client": client_block(client, agency, as_of, redact),
        "domains": order,
        "assessments": blocks,
        "latest": blocks[-1] if blocks else None,
        "previous": blocks[-2] if len(blocks) > 1 else None,
        "chart": chart_block(blocks, order),
        "plan": plan_block(plan, as_of, scrub),
        "due": due_block(due, scrub),
        "notes": notes,
        "note_count": sum(1 + len(n["amendments"]) for n in notes),
    }


# ------------------------------------------------------------------------ caseload


def contacts_within(facts: ClientFacts, as_of: date, days: int = CONTACT_WINDOW_DAYS) -> int:
    """Contacts in the ``days`` days ending on ``as_of`` (later-dated entries count too)."""
    start = as_of - timedelta(days=days - 1)
    return sum(1 for d in facts.contact_dates if d >= start)


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


def caseload_client(
    facts: ClientFacts, agency: Agency, as_of: date, items: Sequence[schedule.DueItem]
) -> Context:
    """One open client's row of the caseload."""
    upcoming = sorted(
        schedule.due_dates(facts, agency.cadence),
        key=lambda d: (d[3], schedule.KINDS.index(d[0]), d[1]),
    )
    next_due: Context | None = None
    if upcoming:
        kind, what, ref, due = upcoming[0]
        next_due = {
            "kind": kind,
            "what": what,
            "due": due.isoformat(),
            "days": (as_of - due).days,
            "status": next((i.status for i in items if i.ref == ref), "later"),
        }
    goals = facts.goals
    return {
        "id": facts.id,
        "name": facts.name,
        "status": facts.status,
        "manager": facts.manager,
        "manager_name": agency.manager_name(facts.manager),
        "program": facts.program,
        "opened": facts.opened.isoformat(),
        "last_contact": iso(facts.last_contact),
        "contacts_30d": contacts_within(facts, as_of),
        "goals_met": sum(1 for g in goals if g.status == "met"),
        "goals_active": sum(1 for g in goals if g.status == "active"),
        "goals_total": len(goals),
        "next_due": next_due,
        "overdue": sum(1 for i in items if i.status == "overdue"),
        "due_soon": sum(1 for i in items if i.status == "due_soon"),
        "items": [_item(i) for i in items],
    }


def caseload_context(
    agency: Agency,
    facts: Sequence[ClientFacts],
    as_of: date,
    generated: str,
    manager: str | None = None,
    skipped: int = 0,
) -> Context:
    """The context of ``caseload.<format>.j2`` (documented in docs/templates.md)."""
    mine = [f for f in facts if manager is None or f.manager == manager]
    counts = {s: sum(1 for f in mine if f.status == s) for s in ("active", "on_hold", "closed")}
    open_facts = sorted((f for f in mine if f.status in ("active", "on_hold")), key=lambda f: f.id)
    clients: list[Context] = []
    overdue: list[schedule.DueItem] = []
    due_soon: list[schedule.DueItem] = []
    for f in open_facts:
        items = schedule.sort_items(schedule.due_items(f, agency.cadence, as_of))
        overdue += [i for i in items if i.status == "overdue"]
        due_soon += [i for i in items if i.status == "due_soon"]
        clients.append(caseload_client(f, agency, as_of, items))
    keys = [manager] if manager else list(agency.managers or {})
    keys += sorted({c["manager"] for c in clients} - set(keys))
    managers = []
    for key in keys:
        theirs = [c for c in clients if c["manager"] == key]
        managers.append(
            {
                "key": key,
                "name": agency.manager_name(key),
                "clients": theirs,
                "count": len(theirs),
                "active": sum(1 for c in theirs if c["status"] == "active"),
                "on_hold": sum(1 for c in theirs if c["status"] == "on_hold"),
                "overdue": sum(c["overdue"] for c in theirs),
                "overdue_clients": sum(1 for c in theirs if c["overdue"]),
                "due_soon": sum(c["due_soon"] for c in theirs),
                "contacts_30d": sum(c["contacts_30d"] for c in theirs),
            }
        )
    return {
        "agency": {"name": agency.agency},
        "as_of": as_of.isoformat(),
        "generated": generated,
        "manager": {"key": manager, "name": agency.manager_name(manager)} if manager else None,
        "counts": {**counts, "open": counts["active"] + counts["on_hold"], "total": len(mine)},
        "managers": managers,
        "clients": clients,
        "overdue": [_item(i) for i in schedule.sort_items(overdue)],
        "due_soon": [_item(i) for i in schedule.sort_items(due_soon)],
        "goals": {
            "met": sum(c["goals_met"] for c in clients),
            "active": sum(c["goals_active"] for c in clients),
        },
        "contacts_30d": sum(c["contacts_30d"] for c in clients),
        "contact_window_days": CONTACT_WINDOW_DAYS,
        "skipped": skipped,
    }


# ------------------------------------------------------------- template filters


# Markdown punctuation that can start markup anywhere in a line (CommonMark lets any
# ASCII punctuation be backslash-escaped): emphasis, code, links, images, tables,
# headings, strikethrough, GitHub's math ($) and footnotes.
_MD_INLINE = re.compile(r"([\\`*_\[\]{}|#~!$])")
# What starts a block when it begins a line: a list item, quote, setext underline,
# ordered item.
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")
# GitHub turns bare URLs, www. names and e-mail addresses into links by itself.
_MD_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<![\w.])(www)(\.)|(@)")
_MD_PLAIN = re.compile(r"[^\W_]+(?:[ -][^\W_]+)*")  # letters, digits, single spaces/hyphens
_BACKTICKS = re.compile(r"`+")


def _autolink(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\:"
    if match.group(2):
        return "www\\."
    return "\\@"


def md_escape(value: object, code: bool = False) -> str:
    """Any value as Markdown text that adds no markup: one line, safe in a table cell,
    a heading, a list item or (``code=True``) as a complete code span.

    The one function every value passes on its way into Markdown (the ``md`` filter of
    the templates, ``due --format md``). Line breaks become spaces so a table row stays
    one row; control characters are shown as escapes (``output.visible``). Inline:
    ``<`` ``>`` ``&`` become entities (GitHub would otherwise pass some HTML through),
    Markdown punctuation is backslash-escaped, a block marker at the start is escaped,
    and bare URLs, ``www.`` names and e-mail addresses are broken up so GitHub does
    not link them. ``code=True``: the text between backtick fences longer than any
    run of backticks in it (so it cannot close the span early), ``|`` escaped for
    tables.
    """
    if value is None:
        return ""
    text = str(value)
    if not code and _MD_PLAIN.fullmatch(text):
        return text  # the common case: a name, an id, a date
    text = visible(" ".join(text.split()))
    if code:
        runs = _BACKTICKS.findall(text)
        fence = "`" * (max(map(len, runs), default=0) + 1)
        pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
        inner = text.replace("|", "\\|")
        return f"{fence}{pad}{inner}{pad}{fence}" if text else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_AUTOLINK.sub(_autolink, text)
    return _MD_LINE_START.sub(r"\1\\\2", text)


def md_quote(value: object, depth: int = 1) -> str:
    """Multi-line text as a Markdown blockquote (``depth`` levels), lines escaped, breaks kept."""
    if value is None:
        return ""
    prefix = "> " * depth
    lines = []
    for raw in str(value).splitlines() or [""]:
        escaped = md_escape(raw)
        # Two trailing spaces keep the writer's line breaks inside the quote.
        lines.append(f"{prefix}{escaped}  " if escaped else prefix.rstrip())
    return "\n".join(lines)


def html_lines(value: object) -> Markup:
    """Escape for HTML and keep line breaks (for templates without pre-wrap CSS)."""
    if value is None:
        return Markup("")
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


FILTERS: dict[str, Callable[..., Any]] = {
    "md": md_escape,
    "mdquote": md_quote,
    "html_lines": html_lines,
}
