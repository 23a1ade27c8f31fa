"""Every client of the agency: problems, facts and due dates, through the read cache,
in a pool of processes for the clients that changed.

``scan`` is what validate, list, due, digest, caseload and sync's check read. A client
whose files did not change since the cache saw them is not read at all: its problems
come from the cache's index, its facts and due dates from the cache's sections, each
decoded only when a command asks for it. The others are read and checked
(``store.records.read_client`` + ``checks.check_client``, in worker processes when
there are many), and their facts and due dates computed once, as objects; the cache
stores their JSON form.

Restricted clients (git-crypt, ``store.restricted``) are never put in the cache: where
the key is, their facts would be a plain copy of what is stored encrypted; where it is
not, their files are ciphertext, which is neither read nor checked: such a client is
*locked* (``AgencyState.locked``), and the readers count it.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, ParamSpec, TypeVar

from casectl.core import dates
from casectl.core.context import Env, RunContext, past
from casectl.core.facts import (
    DETAIL_FIELDS,
    STANDING,
    SUMMARY_FIELDS,
    CaseloadFacts,
    ClientFacts,
    Listed,
    Standing,
)
from casectl.core.problems import Problem
from casectl.core.schedule import (
    SORTED_KINDS,
    ClientSchedule,
    DueItem,
    ItemStatus,
    add,
    client_schedule,
    item_manager,
    items_from_json,
    items_from_schedule,
    record_item,
    retention_period,
    sort_items,
    sort_key,
)
from casectl.read.agency import loaded_cache, refuse_link
from casectl.store import layout, records
from casectl.store.cache import ReadCache, WithBlob, entry_problems, stamp_folder, usable
from casectl.store.restricted import locked_clients, restricted_clients

if TYPE_CHECKING:
    from casectl.checks import CheckedClient
    from casectl.core.model import Agency
    from casectl.figures import ClientRecords

# Checking clients (records, pydantic, the as-of views, the worker pool) is imported by
# the runs that check one: a warm read checks none and never loads that stack.

PARALLEL_THRESHOLD = 200  # fewer clients to check than this: no worker processes
CHUNK = 100  # clients per task of a worker

Progress = Callable[[int, int], None]


class CaseloadRow(NamedTuple):
    """A client as ``caseload`` reads it (``ScannedClient.caseload``)."""

    shown: CaseloadFacts
    schedule: ClientSchedule


class ScannedClient:
    """One client as a scan found it: its problems, and its facts and due dates, either
    just computed or decoded from the cache's sections on first use (None: the cache
    did not have them intact; ``AgencyState`` then checks the client again)."""

    __slots__ = ("_facts", "_schedule", "_source", "id", "problems")

    def __init__(
        self,
        cid: str,
        problems: list[Problem],
        facts: ClientFacts | None = None,
        plan: ClientSchedule | None = None,
        source: tuple[ReadCache, Any] | None = None,
    ) -> None:
        self.id = cid
        self.problems = problems
        self._facts = facts
        self._schedule = plan
        self._source = source  # (cache, stamp) to decode the sections from

    def _section(self, name: str) -> Any:
        if self._source is None:
            return None
        cache, stamp = self._source
        return cache.section(name, self.id, stamp)

    @property
    def facts(self) -> ClientFacts | None:
        if self._facts is None:
            summary, detail = self._section("facts"), self._section("detail")
            if isinstance(summary, dict) and isinstance(detail, dict):
                self._facts = ClientFacts.from_json({**summary, **detail})
        return self._facts

    def listing(self) -> Listed | None:
        """What ``list`` shows, from the cache's summary section alone (its ``Standing``
        included: no detail is decoded); a client checked in this run has its whole
        facts anyway."""
        if self._facts is not None:
            return Listed.of(self._facts)
        summary = self._section("facts")
        if not isinstance(summary, dict):
            return None
        return Listed.from_summary(summary, summary.get(STANDING))

    def due(
        self, as_of: date, within: dates.Duration | None
    ) -> tuple[str | None, list[DueItem]] | None:
        """The client's manager and its due items as of ``as_of`` (``within``: the
        window instead of the client's own due-soon); from the cache's schedule section
        without decoding it whole when it was not decoded yet."""
        if self._schedule is None:
            return items_from_json(self._section("schedule"), as_of, within)
        plan = self._schedule
        return plan.manager, items_from_schedule(plan, as_of, within)

    def caseload(self) -> CaseloadRow | None:
        """What a caseload row needs (``caseload``): ``CaseloadFacts`` (from the cache's
        caseload section: neither the facts' summary nor their detail is decoded) and
        the due dates."""
        plan = self.schedule
        if plan is None:
            return None
        if self._facts is not None:
            return CaseloadRow(CaseloadFacts.of(self._facts), plan)
        shown = CaseloadFacts.from_json(self._section("caseload"))
        return CaseloadRow(shown, plan) if shown is not None else None

    @property
    def schedule(self) -> ClientSchedule | None:
        if self._schedule is None:
            self._schedule = ClientSchedule.from_json(self._section("schedule"))
        return self._schedule


@dataclass
class AgencyState:
    """What ``scan`` found: every client, the problems of the layout around them
    (clients/ itself, things under it that are not folders) and the files read;
    ``locked``: the restricted clients whose files are ciphertext in this clone (not
    read, not in ``clients``)."""

    ctx: RunContext
    clients: list[ScannedClient] = field(default_factory=list)
    layout_problems: list[Problem] = field(default_factory=list)
    files: int = 0
    locked: list[str] = field(default_factory=list)

    def problems(self) -> list[Problem]:
        """Every problem, casectl.yaml's included, sorted (path, line, column)."""
        out = [*self.ctx.problems, *self.layout_problems]
        for c in self.clients:
            out += c.problems
        return sorted(out)

    def facts(self) -> list[ClientFacts]:
        """Every client's facts."""
        out = []
        for c in self.clients:
            found = c.facts
            if found is None:  # the cache's copy was damaged: check the client again
                found = _recheck(self.ctx, c.id).facts
            if found is not None:
                out.append(found)
        return out

    def listings(self) -> list[Listed]:
        """Every client as ``list`` shows it (``Listed``: summary values and standing)."""
        return [found for _, found in self.listings_by_folder()]

    def listings_by_folder(self) -> list[tuple[str, Listed]]:
        """``listings``, each with its client's folder name."""
        out = []
        for c in self.clients:
            found = c.listing()
            if found is None:  # the cache's copy was damaged: check the client again
                found = _recheck(self.ctx, c.id).listing()
            if found is not None:
                out.append((c.id, found))
        return out

    def caseload(self) -> list[CaseloadRow]:
        """Every client's ``ScannedClient.caseload`` (``caseload``)."""
        out = []
        for c in self.clients:
            found = c.caseload()
            if found is None:  # damaged in the cache: check it again
                found = _recheck(self.ctx, c.id).caseload()
            if found is not None:
                out.append(found)
        return out

    def due_items(
        self, as_of: date, within: dates.Duration | None = None
    ) -> tuple[list[str | None], list[DueItem]]:
        """Every client's manager, and every due item as of ``as_of`` (unsorted)."""
        managers: list[str | None] = []
        items: list[DueItem] = []
        for c in self.clients:
            found = c.due(as_of, within)
            if found is None:  # the cache's copy was damaged: check the client again
                found = _recheck(self.ctx, c.id).due(as_of, within)
            if found is not None:
                managers.append(found[0])
                items += found[1]
        return managers, items

    def schedules(self) -> list[ClientSchedule]:
        """Every client's due dates (a client with errors too: its `record` item and
        what its valid files still give)."""
        out = []
        for c in self.clients:
            found = c.schedule
            if found is None:  # the cache's copy was damaged: check the client again
                found = _recheck(self.ctx, c.id).schedule
            if found is not None:
                out.append(found)
        return out


@dataclass(frozen=True)
class _Checked:
    """One client just checked (in a worker, or here): its cache index entry and, when
    asked for, its facts and due dates."""

    id: str
    entry: dict[str, Any]
    facts: ClientFacts | None
    schedule: ClientSchedule | None
    gone: bool = False  # opened after the --as-of day: not there as of it
    current: bool = True  # facts of the records as they are (cacheable), not an as-of view
    extra: dict[str, Any] = field(default_factory=dict)  # asked-for lazy sections' JSON


# The lazy sections of the read cache (store.cache.LAZY_SECTIONS): a client's JSON in
# each, from its valid records (0: client.yaml has errors, the client is left out).
def _figures_rows(records: ClientRecords, agency: Agency) -> list[Any]:
    from casectl.figures.stats import StatsRows  # only stats and search need these

    return StatsRows.of(records, agency).to_json()


def _note_rows(records: ClientRecords, agency: Agency) -> WithBlob:
    from casectl.figures.search import NoteRows

    rows = NoteRows.of(records, agency)
    return WithBlob(rows.to_json(), rows.blob())  # the texts stay bytes, beside the JSON


EXTRA: dict[str, Callable[[ClientRecords, Agency], Any]] = {
    "figures": _figures_rows,
    "notes": _note_rows,
}


def check_chunk(
    root: Path,
    folders: list[str],
    env: Env,
    derive: bool,
    day: date | None = None,
    extra: tuple[str, ...] = (),
    stamps: list[str | None] | None = None,
    as_json: bool = False,
) -> list[_Checked]:
    """Check these clients; with ``day`` (``--as-of`` before today) their facts and due
    dates are those of the records as of ``day`` (``read.asof``), never cached.
    ``extra``: the lazy sections (``EXTRA``) to compute too, of the same view.
    ``stamps``: each folder's stamp, taken before this call (else taken here, before
    its files are read: a file changed since then only makes the stamp stale).
    ``as_json``: the caller needs the cache's JSON of the facts and due dates, not
    the objects (``validate``): they come in ``extra`` (see ``cache_parts``), which a
    worker sends back for a fraction of the objects' pickling."""
    from casectl.checks import check_client
    from casectl.read.asof import checked_as_of, latest_dated

    out = []
    base = os.fspath(root / "clients") + os.sep
    for n, folder in enumerate(folders):
        stamp = (
            stamps[n] if stamps is not None else stamp_folder(base + folder, records.CLIENT_FILES)
        )
        check = check_client(records.read_client(root, folder), env)
        latest = check.latest_event()
        dated = _iso(latest_dated(check, env.agency))
        entry = {
            "stamp": stamp,
            "problems": [
                [p.path, p.line, p.column, p.severity, p.code, p.message] for p in check.problems
            ],
            "latest": latest.isoformat() if latest else None,
            "checked": env.today.isoformat(),
            "dated": dated,
            "files": len(check.loaded),
        }
        current = _same_as_of(entry, day)  # the as-of view is the records themselves
        seen = check if current else checked_as_of(check, env.agency, day)
        facts = seen.facts if derive and seen is not None else None
        plan = (
            client_schedule(
                facts,
                env.agency.cadence,
                env.agency.supervisors(),
                retention=retention_period(env.agency),
            )
            if facts is not None
            else None
        )
        found = records_of(seen) if extra and seen is not None else None
        parts = {name: 0 if found is None else EXTRA[name](found, env.agency) for name in extra}
        checked = _Checked(check.id, entry, facts, plan, seen is None, current=current, extra=parts)
        if as_json:
            checked = replace(checked, facts=None, schedule=None, extra=cache_parts(checked))
        out.append(checked)
    return out


def records_of(check: CheckedClient) -> ClientRecords | None:
    """The valid part of a checked client's files (None without a valid client.yaml)."""
    from casectl.core.model import AssessmentFile, Plan
    from casectl.figures import ClientRecords

    if check.client is None:
        return None
    return ClientRecords(
        client=check.client,
        assessments=check.assessments or AssessmentFile(),
        plan=check.plan or Plan(),
        log=tuple(check.log),
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _same_as_of(entry: dict[str, Any], day: date | None) -> bool:
    """Whether the cached facts hold as of ``day`` (None: today): nothing the as-of
    view looks at is dated after it. An entry without ``dated`` is not trusted."""
    if day is None:
        return True
    dated = entry.get("dated", False)
    return dated is None or (isinstance(dated, str) and dated <= day.isoformat())


def serves(entry: dict[str, Any], today: date, day: date | None) -> bool:
    """Whether a cache index entry (of the client's current stamp) may answer for the
    client: usable today (``store.cache.usable``) and nothing in it dated after the
    as-of ``day`` (``_same_as_of``; None: today). The one rule of every cached read:
    ``scan`` inlines it in its loop, the figures' reads (``read.figures``) call it."""
    return usable(entry, today) and _same_as_of(entry, day)


def scan(
    ctx: RunContext,
    only: Iterable[str] | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    derive: bool = True,
    index_wanted: bool = False,
) -> AgencyState:
    """Every client's problems, facts and due dates (``only``: just these folders).

    ``derive=False`` (validate): the command needs problems only, so the facts and
    due dates of a client checked now are computed only to be cached (``use_cache``).
    ``index_wanted``: the cache's flat indexes (due, list) are written even if no
    client changed (``due_of`` or ``listings_of`` found one missing or unusable).
    """
    root = ctx.root
    state = AgencyState(ctx)
    clients_dir = root / "clients"
    if clients_dir.is_symlink():
        state.layout_problems.append(refuse_link(ctx.validating, "clients"))
        state.files = 1
        return state  # nothing under it is read
    all_ids = layout.client_ids(root)
    wanted = all_ids if only is None else sorted(set(only) & set(all_ids))
    restricted = set(restricted_clients(root))
    if restricted:
        state.locked = locked_clients(root, restricted.intersection(wanted))
        wanted = [cid for cid in wanted if cid not in state.locked]
    if clients_dir.exists() and not clients_dir.is_dir():
        state.layout_problems.append(
            Problem("clients", 1, 1, "error", "CM605", "clients must be a folder")
        )
    cache = loaded_cache(ctx) if use_cache else ReadCache(root, ctx.config_bytes)
    cache.index_wanted = index_wanted
    as_json = not derive  # the facts and due dates are only written to the cache
    derive = derive or use_cache
    day = past(ctx) if derive else None
    found: dict[str, ScannedClient] = {}
    files = 0
    misses: list[str] = []
    miss_stamps: list[str | None] = []
    base = os.fspath(clients_dir) + os.sep  # strings, not Paths: this runs 10,000 times
    today = ctx.today.isoformat()  # an entry checked today is usable (``cache.usable``)
    names = records.CLIENT_FILES
    for cid in wanted:
        stamp = stamp_folder(base + cid, names)
        if stamp is None and not os.path.isdir(base + cid) and not os.path.islink(base + cid):
            state.layout_problems.append(
                Problem(f"clients/{cid}", 1, 1, "warning", "CM605", "not a client folder (ignored)")
            )
            continue
        entry = cache.get(cid, stamp) if use_cache and cid not in restricted else None
        if (
            entry is not None
            and (entry.get("checked") == today or usable(entry, ctx.today))
            and (day is None or _same_as_of(entry, day))
        ):
            problems = entry_problems(entry)
            if problems is not None:
                found[cid] = ScannedClient(cid, problems, source=(cache, stamp))
                files += _files(entry)
                continue
        misses.append(cid)
        miss_stamps.append(stamp)
    done = len(found)
    if progress:
        progress(done, len(wanted))
    # checking makes cyclic garbage: collect it as usual (a warm read checks no one)
    with gc_paused(False) if misses else contextlib.nullcontext():
        checks = _run_checks(ctx, misses, miss_stamps, derive, day if derive else None, as_json)
        for checked in checks:
            # as-of views are never cached, restricted clients never
            if use_cache and checked.current and checked.id not in restricted:
                cache.put(checked.id, checked.entry, cache_parts(checked))
            if checked.gone:
                done += 1
                continue
            problems = entry_problems(checked.entry) or []
            found[checked.id] = ScannedClient(checked.id, problems, checked.facts, checked.schedule)
            files += _files(checked.entry)
            done += 1
            if progress:
                progress(done, len(wanted))
    state.clients = [found[cid] for cid in sorted(found)]
    state.files = files + 1  # casectl.yaml
    if use_cache:
        if only is None or restricted:
            cache.prune(set(all_ids) - restricted)
        cache.save()
    return state


class DueFound(NamedTuple):
    """``due_of``'s answer: every client's manager (for ``--manager``'s check), the due
    items sorted as ``due`` prints them, the locked restricted clients; ``indexed``:
    the clients whose items came from the cache's due index (the others were scanned)."""

    managers: list[str | None]
    items: list[DueItem]
    locked: list[str]
    indexed: int


def due_of(
    ctx: RunContext,
    only: Iterable[str] | None,
    as_of: date,
    within: dates.Duration | None = None,
) -> DueFound:
    """The due items of every client (``only``: these folders) as of ``as_of``, sorted
    (``schedule.sort_items``): what ``scan(ctx, only).due_items`` gives, sorted. A warm
    run takes them from the cache's due index (``store.cache.DueIndex``) for each client
    whose stamp is the index's, in one pass over rows already in order; the other
    clients (changed, unusable today, not in the index) are scanned and their items
    merged in. Without a usable index, or where it does not apply (``--as-of`` in the
    past, restricted clients, a client gone since, settings checked in this run), it is
    ``scan`` as before, and the cache's save then writes the index."""
    found = _due_from_index(ctx, only, as_of, within)
    if isinstance(found, DueFound):
        return found
    state = scan(ctx, only=only, index_wanted=found)
    managers, items = state.due_items(as_of, within)
    return DueFound(managers, sort_items(items), state.locked, 0)


def _due_from_index(
    ctx: RunContext,
    only: Iterable[str] | None,
    as_of: date,
    within: dates.Duration | None,
) -> DueFound | bool:
    """``due_of`` from the due index; else whether the index is to be written (none
    there, or not usable) rather than not applying to this run."""
    if not _index_applies(ctx):
        return False
    index = ReadCache(ctx.root, ctx.config_bytes).due_index()
    if index is None:
        return True
    clients = index.clients
    try:
        split = _fresh(ctx, clients, only)
        if split is None:
            return False  # a client gone since: scan prunes it, the index is written anew
        fresh, stale = split
        last = [-1] * len(clients)  # each client's horizon (ordinal); -1: not from the index
        horizons: dict[tuple[int, str], int] = {}
        managers: list[str | None] = []
        errors_items: list[DueItem] = []  # the record items of the clients with errors
        for at in fresh:
            _, _, _, count, unit, cid, name, manager, errors = clients[at]
            window = (count, unit) if within is None else (within.count, within.unit)
            horizon = horizons.get(window)
            if horizon is None:
                horizon = horizons[window] = add(as_of, dates.Duration(*window)).toordinal()
            last[at] = horizon
            managers.append(manager)
            if errors:
                errors_items.append(record_item(cid, name, manager, as_of))
        rows = index.rows(max(horizons.values(), default=0))
        day_of = date.fromordinal
        days: dict[int, date] = {}
        ordinal = as_of.toordinal()
        items: list[DueItem] = []
        kinds = SORTED_KINDS  # (the index keeps a kind's place in sorting: ORDER)
        for due, at, place, what, ref in rows:
            if due > last[at]:
                continue
            day = days.get(due)
            if day is None:
                day = days[due] = day_of(due)
            _, _, _, _, _, cid, name, manager, _ = clients[at]
            kind = kinds[place]
            if ref is None:
                ref = f"{cid}/{kind}"
            if kind == "approval":
                manager = item_manager(kind, ref, manager)
            status: ItemStatus = "overdue" if due < ordinal else "due_soon"
            items.append(DueItem(cid, name, manager, kind, what, day, status, ordinal - due, ref))
    except (TypeError, ValueError, IndexError, KeyError, OverflowError):
        return True  # not what the cache writes: scan as before, and write it anew
    for item in errors_items:  # (few: each in its place, after any equal one)
        bisect.insort_right(items, item, key=sort_key)
    if stale:
        state = scan(ctx, only=stale)
        more_managers, more = state.due_items(as_of, within)
        managers += more_managers
        items = sort_items(items + more)
    return DueFound(managers, items, [], len(fresh))


class ListingsFound(NamedTuple):
    """``listings_of``'s answer: every client as ``list`` shows it, in the order of their
    folders, the locked restricted clients; ``indexed``: the clients from the cache's
    list index (the others were scanned)."""

    listed: list[Listed]
    locked: list[str]
    indexed: int


def listings_of(ctx: RunContext) -> ListingsFound:
    """What ``scan(ctx).listings()`` gives, from the cache's list index for each client
    whose stamp is the index's (``due_of``'s rules: the others are scanned and merged
    in; without a usable index or where it does not apply, ``scan`` for all)."""
    found = _listings_from_index(ctx)
    if isinstance(found, ListingsFound):
        return found
    state = scan(ctx, index_wanted=found)
    return ListingsFound(state.listings(), state.locked, 0)


def _listings_from_index(ctx: RunContext) -> ListingsFound | bool:
    if not _index_applies(ctx):
        return False
    clients = ReadCache(ctx.root, ctx.config_bytes).list_index()
    if clients is None:
        return True
    try:
        split = _fresh(ctx, clients, None)
        if split is None:
            return False
        fresh, stale = split
        from_row = Listed.from_row
        listed = [from_row(clients[at][3:]) for at in fresh]
    except (TypeError, ValueError, IndexError, KeyError):
        return True
    if stale:  # in the folders' order, as scan lists them
        by_folder = [(clients[at][0], found) for at, found in zip(fresh, listed, strict=True)]
        by_folder += scan(ctx, only=stale).listings_by_folder()
        listed = [found for _, found in sorted(by_folder, key=_folder)]
    return ListingsFound(listed, [], len(fresh))


def _folder(pair: tuple[str, Listed]) -> str:
    return pair[0]


def _index_applies(ctx: RunContext) -> bool:
    """Whether the flat indexes of the read cache can answer this run: not an as-of
    view (``--as-of`` in the past), casectl.yaml's reading from the cache (else the
    full scan keeps it), no restricted clients (never cached), clients/ not a link."""
    root = ctx.root
    return (
        past(ctx) is None
        and callable(ctx.settings)
        and not (root / "clients").is_symlink()
        and not restricted_clients(root)
    )


def _fresh(
    ctx: RunContext, clients: list[list[Any]], only: Iterable[str] | None
) -> tuple[list[int], list[str]] | None:
    """Of the clients wanted (``only``, else all), the positions in a flat index
    (``clients``: ``[folder, stamp, future, ...]``) of those whose folder's stamp is the
    index's and whose entry is usable today (``store.cache.usable``), in the folders'
    order, and the folders of the others; None when the index has a client that is gone."""
    all_ids = layout.client_ids(ctx.root)
    wanted = all_ids if only is None else sorted(set(only) & set(all_ids))
    position = {c[0]: n for n, c in enumerate(clients)}
    if len(position) != len(clients) or not position.keys() <= set(all_ids):
        return None
    today = ctx.today.isoformat()
    base = os.fspath(ctx.root / "clients") + os.sep
    names = records.CLIENT_FILES
    fresh: list[int] = []
    stale: list[str] = []
    for cid in wanted:
        at = position.get(cid)
        if at is not None:
            client = clients[at]
            future = client[2]
            if stamp_folder(base + cid, names) == client[1] and (future is None or future == today):
                fresh.append(at)
                continue
        stale.append(cid)
    return fresh, stale


def cache_parts(checked: _Checked) -> dict[str, Any]:
    """A just-checked client's JSON in each section of the read cache."""
    parts: dict[str, Any] = dict(checked.extra)
    if checked.facts is not None and checked.schedule is not None:
        facts = checked.facts.to_json()
        parts["facts"] = {
            **{name: facts[name] for name in SUMMARY_FIELDS},
            STANDING: Standing.of(checked.facts).to_json(),
        }
        parts["detail"] = {name: facts[name] for name in DETAIL_FIELDS}
        parts["schedule"] = checked.schedule.to_json()
        parts["caseload"] = CaseloadFacts.of(checked.facts).to_json()
    return parts


@contextlib.contextmanager
def gc_paused(paused: bool = True) -> Iterator[None]:
    """The cyclic garbage collector paused (``paused=False``: running) inside, as it
    was after. A warm read (list, due, caseload) decodes the cache and writes its
    output: hundreds of thousands of objects without cycles (JSON values, facts, due
    items, output lines) that the collector would otherwise walk again and again, for
    15 % of a warm ``due`` and 40 % of a caseload at 10,000 clients. ``scan`` runs the
    checks of changed clients with it running (worker processes inherit that state):
    loading and checking records does make cyclic garbage."""
    was = gc.isenabled()
    if paused:
        gc.disable()
    else:
        gc.enable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


_P = ParamSpec("_P")
_R = TypeVar("_R")


def warm_read(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """A read command run with the collector paused (``gc_paused``)."""

    @functools.wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with gc_paused():
            return command(*args, **kwargs)

    return run


def _files(entry: dict[str, Any]) -> int:
    count = entry.get("files", 0)
    return count if isinstance(count, int) and not isinstance(count, bool) else 0


def _run_checks(
    ctx: RunContext,
    folders: list[str],
    stamps: list[str | None],
    derive: bool,
    day: date | None = None,
    as_json: bool = False,
) -> Iterable[_Checked]:
    """Check ``folders`` (whose ``stamps`` were just taken), in worker processes when
    there are many (``as_json``: see ``check_chunk``)."""
    if not folders:
        return  # a warm read: nothing to check, the settings need not even be built
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    workers = min(os.cpu_count() or 1, 8)
    env = ctx.env
    if len(folders) < PARALLEL_THRESHOLD or workers < 2:
        for n, folder in enumerate(folders):
            yield from check_chunk(
                ctx.root, [folder], env, derive, day, stamps=[stamps[n]], as_json=as_json
            )
        return
    # The first client here: what checking builds on first use (the records'
    # validators) is then built once, not once in every worker.
    yield from check_chunk(
        ctx.root, folders[:1], env, derive, day, stamps=stamps[:1], as_json=as_json
    )
    spans = range(1, len(folders), CHUNK)
    # What this process holds now (modules, settings, the cache's index) is only read
    # by the workers: frozen, their collector never walks it again (nor copies its pages).
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
            futures = [
                pool.submit(
                    check_chunk,
                    ctx.root,
                    folders[i : i + CHUNK],
                    env,
                    derive,
                    day,
                    stamps=stamps[i : i + CHUNK],
                    as_json=as_json,
                )
                for i in spans
            ]
            for fut in futures:
                yield from fut.result()
    finally:
        gc.unfreeze()


def _recheck(ctx: RunContext, cid: str) -> ScannedClient:
    """A client whose cached facts or due dates were damaged, read and checked again."""
    checked = check_chunk(ctx.root, [cid], ctx.env, True, past(ctx))[0]
    return ScannedClient(cid, entry_problems(checked.entry) or [], checked.facts, checked.schedule)
