"""Export: one row per record, for spreadsheets and scripts (contract 5.4).

The columns of each kind are stable: new columns may be added at the end, none is
renamed, moved or dropped. An empty cell (CSV) or ``null`` (JSON Lines) means the
record has no value there.

``notes`` (one row per log entry; the contract's columns)
    ``client, id, date, recorded, by, type, with, mode, minutes, goals, to, amends,
    text``. ``date`` and ``recorded`` as log.yaml writes them (``2026-02-05 10:30``,
    an offset kept where the record has one); ``with`` is ``client`` when the entry
    does not say; ``goals`` are the goal ids joined by spaces.
``clients`` (one row per client)
    ``client, name, status, opened, closed, close_reason, close_note, manager,
    program, born, phone, email, address, consent_signed, consent_expires, flags``.
    ``consent_*`` are of the newest consent; ``flags`` the kinds of the flags not
    cleared, joined by spaces.
``goals`` (one row per goal)
    ``client, id, domain, goal, target, status, status_date, actions,
    actions_done`` (``actions``: how many; ``actions_done``: how many are done).
``assessments`` (one row per assessment)
    ``client, date, by``, then one column per domain of casectl.yaml ``domains:``
    (in that order) holding the score 1..5, then ``strengths`` (joined by ``; ``)
    and ``summary``. Domain notes are not exported (reports show them).
``referrals`` (one row per referral)
    ``client, id, to, service, goal, sent, expect_by, status, status_date, outcome``.

``--from`` / ``--to`` keep the records whose date is in the range (both days
included, agency days): a note's ``date``, a client's ``opened``, a goal's
``status_date`` (goals without one are left out of a filtered export), an
assessment's ``date``, a referral's ``sent``.

``--redact``: names become initials; born, phone, email and address are left empty;
every free-text cell (note text and ``to``, close note, goal text, strengths,
summary, referral ``to``, service and outcome) goes through the client's scrubber.

Writers stream: rows are made one client at a time and written as they come, so
memory stays flat whatever the number of notes.

* **CSV**: UTF-8 without a byte order mark, RFC 4180 (fields quoted when they hold a
  comma, quote, CR or LF; quotes doubled; every record ends in CRLF). A text cell
  that starts with ``=``, ``+``, ``-`` or ``@``, also after leading spaces or tabs,
  is prefixed with ``'`` so a spreadsheet shows it instead of running it. Open the
  output with ``newline=""``.
* **JSON Lines**: one object per line with the same keys in the same order, values
  as they are (numbers as numbers, no ``'`` prefix), UTF-8; the line separators
  U+2028, U+2029 and U+0085 are written as ``\\u`` escapes so that no reader splits
  a record.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Literal, TextIO, get_args

from casectl.core.model import Agency, Client
from casectl.figures import ClientRecords, FiguresError, format_time, local_day, zone_of

ExportKind = Literal["notes", "clients", "goals", "assessments", "referrals"]
KINDS: tuple[str, ...] = get_args(ExportKind)
Cell = str | int | None
Row = dict[str, Cell]

NOTE_COLUMNS = (
    "client", "id", "date", "recorded", "by", "type", "with", "mode", "minutes",
    "goals", "to", "amends", "text",
)  # fmt: skip
CLIENT_COLUMNS = (
    "client", "name", "status", "opened", "closed", "close_reason", "close_note",
    "manager", "program", "born", "phone", "email", "address", "consent_signed",
    "consent_expires", "flags",
)  # fmt: skip
GOAL_COLUMNS = (
    "client", "id", "domain", "goal", "target", "status", "status_date", "actions",
    "actions_done",
)  # fmt: skip
ASSESSMENT_HEAD = ("client", "date", "by")
ASSESSMENT_TAIL = ("strengths", "summary")
REFERRAL_COLUMNS = (
    "client", "id", "to", "service", "goal", "sent", "expect_by", "status",
    "status_date", "outcome",
)  # fmt: skip

_FORMULA_STARTS = ("=", "+", "-", "@")
# str.splitlines() and some JSON Lines readers break lines at these; json.dumps
# leaves them raw with ensure_ascii=False.
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


@dataclass(frozen=True, slots=True)
class Redaction:
    """What ``--redact`` needs: ``scrubber(client)`` returns the function that
    scrubs that client's free text; ``initials(name)`` shortens a name."""

    scrubber: Callable[[Client], Callable[[str], str]]
    initials: Callable[[str], str]


def columns(kind: ExportKind, agency: Agency) -> tuple[str, ...]:
    """The columns of ``kind``, in order (assessments: with the agency's domains)."""
    if kind == "notes":
        return NOTE_COLUMNS
    if kind == "clients":
        return CLIENT_COLUMNS
    if kind == "goals":
        return GOAL_COLUMNS
    if kind == "referrals":
        return REFERRAL_COLUMNS
    fixed = (*ASSESSMENT_HEAD, *ASSESSMENT_TAIL)
    for domain in agency.domains:
        if domain in fixed:
            raise FiguresError(
                f"casectl.yaml: domain {domain!r} has the name of an assessment column; "
                "rename the domain to export assessments"
            )
    return (*ASSESSMENT_HEAD, *dict.fromkeys(agency.domains), *ASSESSMENT_TAIL)


def rows(
    kind: ExportKind,
    clients: Iterable[ClientRecords],
    agency: Agency,
    *,
    start: date | None = None,
    end: date | None = None,
    redaction: Redaction | None = None,
) -> Iterator[Row]:
    """The rows of ``kind``, client after client in the order given, records in file
    order, keys in :func:`columns` order. Lazy: ``clients`` is read one at a time.
    A bad range or column set is refused here, before anything is written."""
    if start is not None and end is not None and start > end:
        raise FiguresError(
            f"--from {start.isoformat()} is after --to {end.isoformat()}: nothing to export"
        )
    names = columns(kind, agency)
    return _rows(_MAKERS[kind], clients, names, _Window(start, end), zone_of(agency), redaction)


def _rows(
    make: _Maker,
    clients: Iterable[ClientRecords],
    names: tuple[str, ...],
    window: _Window,
    zone: tzinfo,
    redaction: Redaction | None,
) -> Iterator[Row]:
    for r in clients:
        scrub = redaction.scrubber(r.client) if redaction is not None else _keep
        for row in make(r, window, zone, scrub, redaction):
            yield {name: row.get(name) for name in names}


def write_csv(rows: Iterable[Row], columns: Sequence[str], out: TextIO) -> int:
    """Writes a header and ``rows`` as CSV (see the module's notes); returns how many
    rows. ``out`` must be opened with ``newline=""``."""
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(csv_cell(c) for c in columns)
    count = 0
    for row in rows:
        writer.writerow(csv_cell(row.get(c)) for c in columns)
        count += 1
    return count


def write_jsonl(rows: Iterable[Row], columns: Sequence[str], out: TextIO) -> int:
    """Writes ``rows`` as JSON Lines, keys in ``columns`` order; returns how many."""
    count = 0
    for row in rows:
        line = json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False)
        out.write(line.translate(_LINE_BREAKS) + "\n")
        count += 1
    return count


def csv_cell(value: Cell) -> str:
    """A value as a CSV cell: empty for None, a text a spreadsheet would run as a
    formula prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if value.lstrip(" \t").startswith(_FORMULA_STARTS):
        return "'" + value
    return value


# ------------------------------------------------------------------ the kinds


@dataclass(frozen=True, slots=True)
class _Window:
    start: date | None
    end: date | None

    def keeps(self, day: date | None) -> bool:
        if self.start is None and self.end is None:
            return True
        if day is None:
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


Scrub = Callable[[str], str]
_Maker = Callable[[ClientRecords, _Window, tzinfo, Scrub, Redaction | None], Iterator[Row]]


def _keep(text: str) -> str:
    return text


def _free(text: str | None, scrub: Scrub) -> str | None:
    return None if text is None else scrub(text)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _notes(
    r: ClientRecords, window: _Window, zone: tzinfo, scrub: Scrub, _: Redaction | None
) -> Iterator[Row]:
    cid = r.client.id
    for e in r.log:
        if not window.keeps(local_day(e.date, zone)):
            continue
        yield {
            "client": cid,
            "id": e.id,
            "date": format_time(e.date),
            "recorded": None if e.recorded is None else format_time(e.recorded),
            "by": e.by,
            "type": e.type,
            "with": e.contact_with,
            "mode": e.mode,
            "minutes": e.minutes,
            "goals": " ".join(e.goals) if e.goals else None,
            "to": _free(e.to, scrub),
            "amends": e.amends,
            "text": scrub(e.text),
        }


def _clients(
    r: ClientRecords, window: _Window, _: tzinfo, scrub: Scrub, redaction: Redaction | None
) -> Iterator[Row]:
    c = r.client
    if not window.keeps(c.opened):
        return
    consent = c.latest_consent()
    private = redaction is not None
    flags = [f.kind for f in c.flags or () if f.cleared is None]
    yield {
        "client": c.id,
        "name": redaction.initials(c.name) if redaction is not None else c.name,
        "status": c.status,
        "opened": c.opened.isoformat(),
        "closed": _day(c.closed.date) if c.closed else None,
        "close_reason": c.closed.reason if c.closed else None,
        "close_note": _free(c.closed.note, scrub) if c.closed else None,
        "manager": c.manager,
        "program": _free(c.program, scrub),  # free text (reports.REDACTION: FREE)
        "born": None if private else _day(c.born),
        "phone": None if private else c.phone,
        "email": None if private else c.email,
        "address": None if private else c.address,
        "consent_signed": _day(consent.signed) if consent else None,
        "consent_expires": _day(consent.expires) if consent else None,
        "flags": " ".join(flags) if flags else None,
    }


def _goals(
    r: ClientRecords, window: _Window, _: tzinfo, scrub: Scrub, __: Redaction | None
) -> Iterator[Row]:
    for g in r.plan.goals:
        if not window.keeps(g.status_date):
            continue
        yield {
            "client": r.client.id,
            "id": g.id,
            "domain": g.domain,
            "goal": scrub(g.goal),
            "target": _day(g.target),
            "status": g.status,
            "status_date": _day(g.status_date),
            "actions": len(g.actions),
            "actions_done": sum(a.done is not None for a in g.actions),
        }


def _assessments(
    r: ClientRecords, window: _Window, _: tzinfo, scrub: Scrub, __: Redaction | None
) -> Iterator[Row]:
    for a in r.assessments.assessments:
        if not window.keeps(a.date):
            continue
        row: Row = {domain: score.score for domain, score in a.domains.items()}
        row.update(client=r.client.id, date=a.date.isoformat(), by=a.by)  # these win
        row["strengths"] = scrub("; ".join(a.strengths)) if a.strengths else None
        row["summary"] = _free(a.summary, scrub)
        yield row


def _referrals(
    r: ClientRecords, window: _Window, _: tzinfo, scrub: Scrub, __: Redaction | None
) -> Iterator[Row]:
    for x in r.plan.referrals:
        if not window.keeps(x.sent):
            continue
        yield {
            "client": r.client.id,
            "id": x.id,
            "to": scrub(x.to),
            "service": _free(x.service, scrub),
            "goal": x.goal,
            "sent": x.sent.isoformat(),
            "expect_by": _day(x.expect_by),
            "status": x.status,
            "status_date": _day(x.status_date),
            "outcome": _free(x.outcome, scrub),
        }


_MAKERS: dict[str, _Maker] = {
    "notes": _notes,
    "clients": _clients,
    "goals": _goals,
    "assessments": _assessments,
    "referrals": _referrals,
}


# ``--format`` name -> writer (export's entry in the format registry: its formats are
# streams to a file, not views of present.formats).
WRITERS: dict[str, Callable[[Iterable[Row], Sequence[str], TextIO], int]] = {
    "csv": write_csv,
    "jsonl": write_jsonl,
}
