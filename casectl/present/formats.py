"""One registry from (what is shown, ``--format`` name) to the function that writes it.

Every command with a ``--format`` option hands its result to ``write`` here and
never branches on the format itself; cli.py's choices are the names listed here (a
test checks they agree). A formatter takes the ``Output`` and the view of one
command (below) and writes stdout (and the summary lines the contract puts on
stderr); on a terminal the text formats may draw rich tables instead.

Adding a format: a function in the matching present module and one line in its
table below (then the choice in cli.py); docs/cli.md says what it prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from casectl.present import audit, due, history, listing, problems, show

if TYPE_CHECKING:
    from casectl.core.model import Agency
    from casectl.core.problems import Problem
    from casectl.core.schedule import DueItem
    from casectl.figures.search import Hit, Matcher
    from casectl.git.audit import AuditResult
    from casectl.present.output import Output

V = TypeVar("V")


@dataclass(frozen=True)
class Formats(Generic[V]):
    """The formats of one kind of output: name -> writer."""

    what: str
    table: dict[str, Callable[[Output, V], None]]
    human: tuple[str, ...] = ("text",)  # read by people: lines such as the locked count go in

    def names(self) -> tuple[str, ...]:
        return tuple(self.table)

    def for_people(self, fmt: str) -> bool:
        """Whether ``fmt`` is read by people (the text formats) rather than programs."""
        return fmt in self.human

    def write(self, fmt: str, out: Output, view: V) -> None:
        self.table[fmt](out, view)


# ------------------------------------------------------------------ the views
# NamedTuples, not dataclasses: immutable all the same, and made at import for every
# command (a dataclass costs a millisecond to create; the warm reads count them).


class DueView(NamedTuple):
    """``due``: the filtered, sorted items as of a day."""

    items: Sequence[DueItem]
    settings: Callable[[], Agency]  # built only by the formats that show them
    as_of: date


class ProblemsView(NamedTuple):
    """``validate``: the problems found and how many files were read."""

    problems: Sequence[Problem]
    files: int


class ListView(NamedTuple):
    """``list``: one row per client (the JSON objects of contract section 3)."""

    rows: Sequence[dict[str, Any]]


class HistoryView(NamedTuple):
    """``history``: one row per commit, newest first, of ``clients/<id>``."""

    rows: Sequence[dict[str, Any]]
    prefix: str
    zone: tzinfo | None = None  # the agency's: the text shows times in it


class AuditView(NamedTuple):
    """``audit``: what the audit found."""

    result: AuditResult
    require_signed: bool


class ShowView(NamedTuple):
    """``show``: one client at a glance (the JSON object of ``show --format json``)."""

    data: dict[str, Any]


# ------------------------------------------------------------------ the registry


def _due(
    fn: Callable[[Output, Sequence[DueItem], Callable[[], Agency], date], None],
) -> Callable[[Output, DueView], None]:
    return lambda out, v: fn(out, v.items, v.settings, v.as_of)


DUE: Formats[DueView] = Formats(
    "due",
    {
        "text": _due(due.write_text),
        "json": _due(due.write_json),
        "md": _due(due.write_markdown),
        "ics": _due(due.write_ics),
    },
    human=("text", "md"),
)
PROBLEMS: Formats[ProblemsView] = Formats(
    "problems",
    {
        "text": lambda out, v: problems.write_text(out, v.problems, v.files),
        "json": lambda out, v: problems.write_json(out, v.problems, v.files),
        "github": lambda out, v: problems.write_github(out, v.problems, v.files),
    },
)
LIST: Formats[ListView] = Formats(
    "list",
    {
        "text": lambda out, v: listing.write_text(out, v.rows),
        "json": lambda out, v: listing.write_json(out, v.rows),
    },
)
HISTORY: Formats[HistoryView] = Formats(
    "history",
    {
        "text": lambda out, v: history.write_text(out, v.rows, v.prefix, v.zone),
        "json": lambda out, v: history.write_json(out, v.rows, v.prefix, v.zone),
    },
)
AUDIT: Formats[AuditView] = Formats(
    "audit",
    {
        "text": lambda out, v: audit.write_text(out, v.result, v.require_signed),
        "json": lambda out, v: audit.write_json(out, v.result, v.require_signed),
    },
)
SHOW: Formats[ShowView] = Formats(
    "show",
    {
        "text": lambda out, v: show.write_text(out, v.data),
        "json": lambda out, v: show.write_json(out, v.data),
    },
)


class SearchView(NamedTuple):
    """``search``: the notes found, and the pattern (for highlighting)."""

    hits: Sequence[Hit]
    matcher: Matcher
    rows: Sequence[str] | None = None  # json: the hits' rows, when made already


def search_rows(fmt: str) -> bool:
    """Whether ``search`` in ``fmt`` is written from the json rows of its hits
    (``SearchView.rows``, made by ``read.figures.note_hits`` without hits)."""
    return fmt == "json"


# present.search needs the figures' stack (records, pydantic): imported when used.
def _search_text(out: Output, v: SearchView) -> None:
    from casectl.present import search

    search.write_text(out, v.hits, v.matcher)


def _search_json(out: Output, v: SearchView) -> None:
    from casectl.present import search

    search.write_json(out, v.hits, v.matcher, v.rows)


SEARCH: Formats[SearchView] = Formats("search", {"text": _search_text, "json": _search_json})

# Every kind of output by name (docs and tests read this).
REGISTRY: dict[str, Formats[Any]] = {
    f.what: f for f in (DUE, PROBLEMS, LIST, HISTORY, AUDIT, SHOW, SEARCH)
}
