"""Every client of the agency: problems, facts and due dates, through the read cache,
in a pool of processes for the clients that changed.

``scan`` is what validate, list, due, digest and caseload read; ``AgencyState`` gives
each client's problems, facts and schedule (decoded from the cache only when asked).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from casectl.checks import CLIENT_FILES, ClientCheck, check_client
from casectl.core import schedule
from casectl.core.facts import ClientFacts
from casectl.core.model import Agency
from casectl.core.problems import Problem
from casectl.read.agency import AgencyContext, refuse_link, zone_named
from casectl.store import layout
from casectl.store.cache import ReadCache, stamp_folder

PARALLEL_THRESHOLD = 200


CHUNK = 100


Progress = Callable[[int, int], None]


_UNREAD: Any = object()


class ClientSummary:
    """A client's problems, and its facts and due dates built on first use.

    Facts and schedule come either with the summary (a client just checked) or from
    the cache's section files, read only when a command asks for them.
    """

    __slots__ = ("_facts", "_facts_json", "_schedule_json", "_source", "id", "problems")

    def __init__(
        self,
        cid: str,
        problems: list[Problem],
        facts_json: Any = _UNREAD,
        schedule_json: Any = _UNREAD,
        source: tuple[ReadCache, Any] | None = None,
    ) -> None:
        self.id = cid
        self.problems = problems
        self._facts_json = facts_json
        self._schedule_json = schedule_json
        self._source = source
        self._facts: ClientFacts | None = None

    def _part(self, name: str, value: Any) -> Any:
        if value is not _UNREAD:
            return value
        if self._source is None:
            raise KeyError(name)
        cache, stamp = self._source
        part = cache.section(name, self.id, stamp)
        if part is not None and not isinstance(part, dict):
            raise TypeError(f"damaged {name}")
        return part

    def schedule(self, agency: Agency) -> schedule.ClientSchedule | None:
        """The client's due dates: from the cache when it has them, else from facts."""
        self._schedule_json = self._part("schedule", self._schedule_json)
        if self._schedule_json is not None:
            return schedule.ClientSchedule.from_json(self._schedule_json)
        facts = self.facts
        return schedule.client_schedule(facts, agency.cadence) if facts is not None else None

    @property
    def facts(self) -> ClientFacts | None:
        if self._facts is None:
            self._facts_json = self._part("facts", self._facts_json)
            if self._facts_json is not None:
                self._facts = ClientFacts.from_json(self._facts_json)
        return self._facts


@dataclass
class AgencyState:
    ctx: AgencyContext
    clients: list[ClientSummary] = field(default_factory=list)
    files: int = 0

    def problems(self) -> list[Problem]:
        out = list(self.ctx.problems)
        for c in self.clients:
            out += c.problems
        return sorted(out)

    def facts(self) -> list[ClientFacts]:
        out = []
        for c in self.clients:
            try:
                f = c.facts
            except (KeyError, TypeError, ValueError):  # a damaged cache entry
                f = _recheck(self.ctx, c.id).facts
            if f is not None:
                out.append(f)
        return out

    def schedules(self) -> list[schedule.ClientSchedule]:
        """Every client's due dates (a client with errors too: its `record` item and
        what its valid files still give)."""
        out = []
        agency = self.ctx.agency
        for c in self.clients:
            try:
                plan = c.schedule(agency)
            except (KeyError, TypeError, ValueError):  # a damaged cache entry
                plan = _recheck(self.ctx, c.id).schedule(agency)
            if plan is not None:
                out.append(plan)
        return out


Checked = tuple[str, dict[str, Any], dict[str, Any]]  # (client id, index entry, parts)


def _entry_from_check(check: ClientCheck, stamp: Any, today: date, agency: Agency) -> Checked:
    facts = check.facts
    plan = schedule.client_schedule(facts, agency.cadence)
    latest = check.latest_event()
    entry = {
        "stamp": stamp,
        "problems": [list(_problem_tuple(p)) for p in check.problems],
        "latest": latest.isoformat() if latest else None,
        "checked": today.isoformat(),
        "files": len(check.loaded),
    }
    parts = {"facts": facts.to_json(), "schedule": plan.to_json()}
    return (check.id, entry, parts)


def _problem_tuple(p: Problem) -> tuple[str, int, int, str, str, str]:
    return (p.path, p.line, p.column, p.severity, p.code, p.message)


def _summary(
    cid: str, entry: dict[str, Any], parts: dict[str, Any] | None, cache: ReadCache
) -> ClientSummary:
    problems = [Problem(*p) for p in entry["problems"]]
    if parts is not None:
        return ClientSummary(cid, problems, parts["facts"], parts["schedule"])
    return ClientSummary(cid, problems, source=(cache, entry["stamp"]))


def _usable(entry: dict[str, Any], today: date) -> bool:
    """Future-date checks depend on today; an entry stays valid while no checked date
    has crossed from the future into the past since it was made."""
    checked = entry.get("checked")
    if checked == today.isoformat():
        return True
    latest = entry.get("latest")
    return latest is None or (isinstance(checked, str) and latest <= checked)


def _check_chunk(
    root: Path, folders: list[str], agency: Agency, today: date, tzname: str
) -> list[Checked]:
    zone = zone_named(tzname)
    out = []
    for folder in folders:
        stamp = stamp_folder(root / "clients" / folder, CLIENT_FILES)
        check = check_client(root, folder, agency, today, zone)
        out.append(_entry_from_check(check, stamp, today, agency))
    return out


def scan(
    ctx: AgencyContext,
    only: Iterable[str] | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> AgencyState:
    """Every client's problems and facts (``only``: just these client folders)."""
    root = ctx.root
    state = AgencyState(ctx)
    clients_dir = root / "clients"
    if clients_dir.is_symlink():
        problem = refuse_link(ctx.validating, "clients")
        if problem not in ctx.problems:
            ctx.problems.append(problem)
        state.files = 1
        return state  # nothing under it is read
    all_ids = layout.client_ids(root)
    wanted = all_ids if only is None else sorted(set(only) & set(all_ids))
    if clients_dir.exists() and not clients_dir.is_dir():
        ctx.problems.append(Problem("clients", 1, 1, "error", "CM605", "clients must be a folder"))
    cache = ReadCache(root, ctx.config_bytes)
    if use_cache:
        cache.load()
    results: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    misses: list[str] = []
    for cid in wanted:
        path = clients_dir / cid
        stamp = stamp_folder(path, CLIENT_FILES)
        if stamp is None and not path.is_dir() and not path.is_symlink():
            ctx.problems.append(
                Problem(f"clients/{cid}", 1, 1, "warning", "CM605", "not a client folder (ignored)")
            )
            continue
        entry = cache.get(cid, stamp) if use_cache else None
        if entry is not None and _usable(entry, ctx.checked_on):
            results[cid] = (entry, None)
        else:
            misses.append(cid)
    done = len(results)
    if progress:
        progress(done, len(wanted))
    for cid, fresh, fresh_parts in _run_checks(ctx, misses):
        results[cid] = (fresh, fresh_parts)
        if use_cache:
            cache.put(cid, fresh, fresh_parts)
        done += 1
        if progress:
            progress(done, len(wanted))
    for cid in sorted(results):
        entry, parts = results[cid]
        try:
            state.clients.append(_summary(cid, entry, parts, cache))
        except (KeyError, TypeError, ValueError):  # a damaged cache entry: check again
            redo = _check_chunk(root, [cid], ctx.agency, ctx.checked_on, ctx.agency.timezone)[0]
            entry = redo[1]
            if use_cache:
                cache.put(cid, entry, redo[2])
            state.clients.append(_summary(cid, entry, redo[2], cache))
        state.files += int(entry.get("files", 0) or 0)
    state.files += 1  # casectl.yaml
    if use_cache:
        if only is None:
            cache.prune(set(all_ids))
        cache.save()
    return state


def _run_checks(ctx: AgencyContext, folders: list[str]) -> Iterable[Checked]:
    workers = min(os.cpu_count() or 1, 8)
    if len(folders) < PARALLEL_THRESHOLD or workers < 2:
        for folder in folders:
            yield from _check_chunk(
                ctx.root, [folder], ctx.agency, ctx.checked_on, ctx.agency.timezone
            )
        return
    chunks = [folders[i : i + CHUNK] for i in range(0, len(folders), CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        futures = [
            pool.submit(
                _check_chunk, ctx.root, chunk, ctx.agency, ctx.checked_on, ctx.agency.timezone
            )
            for chunk in chunks
        ]
        for fut in futures:
            yield from fut.result()


def _recheck(ctx: AgencyContext, cid: str) -> ClientSummary:
    _, entry, parts = _check_chunk(
        ctx.root, [cid], ctx.agency, ctx.checked_on, ctx.agency.timezone
    )[0]
    return ClientSummary(
        cid, [Problem(*p) for p in entry["problems"]], parts["facts"], parts["schedule"]
    )
