"""Every client's typed records, as they stood at the end of the run's as-of day: the
read path of ``stats``, ``export`` and ``search`` (contract 5.2, 5.4).

``client_records(ctx)`` reads each client once (``store.records.read_client`` and
``checks.check_client``, the loader and checks every command shares), keeps what is
valid in its files and yields it as :class:`casectl.figures.ClientRecords`, one client
at a time (memory stays flat: ``export`` streams them).

The as-of view is ``read.asof.checked_as_of``, applied to each client as it is read.

A client whose client.yaml cannot be read has no records to count: it is left out and
named in ``Skipped`` so the command can say so on stderr (never silently).

``figures_rows`` (``stats``) and ``note_rows`` (``search``) give the same records as
compact rows (``figures.stats.StatsRows``, ``figures.search.NoteRows``), served from
the read cache's ``figures`` and ``notes`` sections for every client whose files did
not change, so a warm run parses no YAML; ``client_records`` stays the pure path
(``export``, and the reference the rows are tested against).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar, cast

from casectl.core.context import RunContext, past
from casectl.figures import ClientRecords, Period
from casectl.figures.search import (
    Hit,
    Matcher,
    NoteIndex,
    NoteRows,
    json_row,
    search,
    sort_key,
)
from casectl.read.agency import loaded_cache, refuse_link
from casectl.read.scan import (
    cache_parts,
    check_chunk,
    gc_paused,
    records_of,
    serves,
)
from casectl.store import layout, records, restricted
from casectl.store.cache import ReadCache, WithBlob, stamp_folder

if TYPE_CHECKING:  # (a warm read imports neither the checks nor the record models)
    from casectl.figures.stats import StatsRows

_Rows = TypeVar("_Rows", "StatsRows", NoteRows)


@dataclass
class Skipped:
    """The clients left out: their client.yaml has errors (``ids``), or they are
    restricted clients this clone has no key for (``locked``, contract 5.6)."""

    ids: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What to say on stderr about them (nothing when none was left out)."""
        said = [] if (m := self.message()) is None else [f"warning: {m}"]
        if self.locked:
            said.append(restricted.locked_message(len(self.locked)))
        return said

    def message(self) -> str | None:
        if not self.ids:
            return None
        n = len(self.ids)
        shown = ", ".join(self.ids[:5]) + (", ..." if n > 5 else "")
        return (
            f"{n} client{'s' if n != 1 else ''} left out: client.yaml has errors ({shown}); "
            "run `casectl validate`"
        )


def _client_ids(ctx: RunContext, only: Iterable[str] | None) -> list[str]:
    """Every client id in id order (``only``: these ids); a linked clients/ refused."""
    if (ctx.root / "clients").is_symlink():
        refuse_link(False, "clients")
    ids = layout.client_ids(ctx.root)
    if only is not None:
        wanted = set(only)
        ids = [cid for cid in ids if cid in wanted]
    return ids


# Clients parsed between two returns of the C heap's freed memory to the system.
TRIM_EVERY = 64


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    import ctypes

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_freed_memory() -> None:
    """Give the memory freed on the C heap back to the system. Reading a client frees
    what it allocated, but glibc keeps freed chunks of its heap (a log read earlier
    raised its mmap threshold), so a run that parses every client grew by ~14 KB per
    client: `export notes` peaked at 170 MiB at 10,000 clients instead of staying
    flat. Costs well under a millisecond per call; nothing where glibc is not."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def client_records(
    ctx: RunContext,
    only: Iterable[str] | None = None,
    skipped: Skipped | None = None,
    log_filter: Callable[[bytes], bool] | None = None,
) -> Iterator[ClientRecords]:
    """Every client's records (``only``: these ids), in id order, as of ``ctx.as_of``.

    ``log_filter`` (``search``): given the bytes of a client's log.yaml, False when
    nothing in it can be wanted; such a client is not parsed or checked at all (a
    log.yaml that cannot be read as a regular file always is)."""
    from casectl.checks import check_client
    from casectl.read.asof import checked_as_of

    ids = _client_ids(ctx, only)
    env = ctx.env
    day = past(ctx)
    base = ctx.root / "clients"
    locked = set(restricted.locked_clients(ctx.root))
    parsed = 0
    for cid in ids:
        if not (base / cid).is_dir():
            continue  # a stray file (validate warns, CM605)
        if cid in locked:  # ciphertext here: never parsed, counted instead
            if skipped is not None:
                skipped.locked.append(cid)
            continue
        if log_filter is not None:
            raw = layout.read_regular(base / cid / "log.yaml")
            if isinstance(raw, bytes) and not log_filter(raw):
                continue
        fresh = check_client(records.read_client(ctx.root, cid), env)
        parsed += 1
        if parsed % TRIM_EVERY == 0:
            release_freed_memory()  # (memory stays flat whatever the agency's size)
        check = checked_as_of(fresh, ctx.agency, day)
        if check is None:
            continue  # opened after the as-of day
        found = records_of(check)
        if found is None:
            if skipped is not None:
                skipped.ids.append(cid)
            continue
        yield found


def figures_rows(ctx: RunContext, skipped: Skipped | None = None) -> Iterator[StatsRows]:
    """What ``stats`` counts of every client (``client_records`` through
    ``StatsRows.of``), from the read cache's ``figures`` section where the client's
    files have not changed (see :func:`_cached`)."""
    from casectl.figures.stats import StatsRows

    return _cached(ctx, "figures", lambda value, _: StatsRows.from_json(value), None, skipped, None)


def note_rows(
    ctx: RunContext,
    only: Iterable[str] | None = None,
    skipped: Skipped | None = None,
    log_filter: Callable[[bytes], bool] | None = None,
) -> Iterator[NoteRows]:
    """What ``search`` reads of every client (``only``: these ids), from the read
    cache's ``notes`` section where the client's files have not changed."""
    return _cached(ctx, "notes", NoteRows.from_json, only, skipped, log_filter)


def note_hits(
    ctx: RunContext,
    matcher: Matcher,
    *,
    only: Iterable[str] | None = None,
    skipped: Skipped | None = None,
    client: str | None = None,
    manager: str | None = None,
    note_type: str | None = None,
    start: date | None = None,
    end: date | None = None,
    as_json: bool = False,
) -> tuple[list[Hit], list[str] | None]:
    """``search`` over every client (``figures.search.search`` over :func:`note_rows`,
    same filters), the cached clients searched at once in the notes' index
    (``figures.search.NoteIndex``, for words of ASCII) and any other client read as
    :func:`note_rows` reads it, the hits merged in order. The index is written anew
    when this run saved the notes, or found it missing or not of the notes file.

    The hits, or (``as_json``, when the index answered) [] and their rows in
    ``search --format json`` (``figures.search.json_row``), made without hits."""
    if start is not None and end is not None:
        Period(start, end)  # refuses --from after --to (before anything is read)
    zone = ctx.zone or UTC  # (zone_of: the settings' zone, UTC when they name none)
    cache = loaded_cache(ctx)
    index = NoteIndex.load(cache) if matcher.probe is not None else None
    scanned: list[tuple[str, Hit | str, int]] | None = None
    if index is not None:  # (before the clients' stamps: a bad notes file drops the index)
        wanted = bytearray(b"\1") * len(index.clients)
        if only is not None or manager is not None:
            keep = None if only is None else set(only)
            for k, (cid, boss) in enumerate(zip(index.clients, index.managers, strict=True)):
                wanted[k] = (keep is None or cid in keep) and (manager is None or boss == manager)
        scanned = index.scan(cache, matcher, wanted, note_type, start, end, zone, as_json)
        if scanned is None:
            index = None
    served = bytearray(len(index.clients) if index is not None else 0)

    def take(cid: str, stamp: str | None) -> bool:
        """Whether the index answers for the client (its stamp there is this one)."""
        assert index is not None
        k = index.position.get(cid)
        if k is None or index.stamps[k] != stamp:
            return False
        if index.skipped[k] and skipped is not None:
            skipped.ids.append(cid)
        served[k] = 1
        return True

    stale = _cached(
        ctx,
        "notes",
        NoteRows.from_json,
        only,
        skipped,
        matcher.may_match_file,
        take if index is not None else None,
        cache,
    )
    found = search(stale, zone, matcher, client=client, manager=manager, note_type=note_type,
                   start=start, end=end)  # fmt: skip
    rows: list[str] | None = None
    if index is not None and scanned:
        keyed = scanned if served.count(0) == 0 else index.hits(scanned, served)
        if found:  # (clients read as before)
            more = [json_row(hit) if as_json else hit for hit in found]
            keyed += zip(map(sort_key, found), more, [-1] * len(found), strict=True)
        keyed.sort(key=itemgetter(0))  # (stable: ties are notes of one client, in order)
        if as_json:
            rows = cast(list[str], [item for _, item, _ in keyed])
            found = []
        else:
            found = cast(list[Hit], [item for _, item, _ in keyed])
    if "notes" in cache.saved_blobs or (index is None and matcher.probe is not None):
        NoteIndex.write(cache)
    return found, rows


def _cached(
    ctx: RunContext,
    section: str,
    decode: Callable[[Any, bytes | memoryview | None], _Rows | None],
    only: Iterable[str] | None,
    skipped: Skipped | None,
    log_filter: Callable[[bytes], bool] | None,
    take: Callable[[str, str | None], bool] | None = None,
    cache: ReadCache | None = None,
) -> Iterator[_Rows]:
    """Each client's JSON in ``section`` (store.cache.LAZY_SECTIONS), in id order, as
    of ``ctx.as_of``: what ``client_records`` would give, made into rows.

    A client is served from the cache exactly when ``read.scan`` would serve its
    facts: the same stamps (a changed file is always read again), an entry still
    usable today, nothing in it dated after the as-of day. Any other client is read
    and checked as ``client_records`` does; its rows, and its index entry and facts
    (as ``scan`` makes them), are stored when they are of the records as they are.
    Restricted clients (git-crypt) are never stored; locked ones are never read."""
    ids = _client_ids(ctx, only)
    day = past(ctx)
    base = os.fspath(ctx.root / "clients") + os.sep
    secret = set(restricted.restricted_clients(ctx.root))
    locked = set(restricted.locked_clients(ctx.root, secret.intersection(ids))) if secret else set()
    if cache is None:
        cache = loaded_cache(ctx)
    names = records.CLIENT_FILES
    with_blob = section == "notes"  # its texts are kept beside the JSON (WithBlob)
    parsed = 0  # clients read and checked here
    for cid in ids:
        folder = base + cid
        # (a stamp is made of a folder only: without one, a stray file is seen here)
        stamp = stamp_folder(folder, names) if cid not in secret else None
        if (stamp is None or stamp.startswith("link")) and not os.path.isdir(folder):
            continue  # a stray file (validate warns, CM605)
        if cid in locked:  # ciphertext here: never parsed, counted instead
            if skipped is not None:
                skipped.locked.append(cid)
            continue
        value: Any = None
        blob: bytes | memoryview | None = None
        if cid not in secret:
            entry = cache.get(cid, stamp)
            if entry is not None and serves(entry, ctx.today, day):
                if take is not None and take(cid, stamp):
                    continue  # (``note_hits``: its notes are searched in the index)
                value = cache.section(section, cid, stamp)
                if value is not None and value != 0 and with_blob:
                    blob = cache.blob(section, cid, stamp)
        rows = None if value is None or value == 0 else decode(value, blob)
        if rows is None and value != 0:  # not in the cache, or damaged there
            if log_filter is not None:
                raw = layout.read_regular(ctx.root / "clients" / cid / "log.yaml")
                if isinstance(raw, bytes) and not log_filter(raw):
                    continue
            with gc_paused(False):  # checks make cyclic garbage (the command pauses it)
                checked = check_chunk(ctx.root, [cid], ctx.env, True, day, (section,))[0]
            parsed += 1
            if parsed % TRIM_EVERY == 0:
                release_freed_memory()
            if checked.current and cid not in secret:
                cache.put(cid, checked.entry, cache_parts(checked))
            if checked.gone:
                continue  # opened after the as-of day
            value = checked.extra[section]
            if isinstance(value, WithBlob):
                value, blob = value.value, value.blob
            rows = None if value == 0 else decode(value, blob)
        if rows is None:  # client.yaml has errors
            if skipped is not None:
                skipped.ids.append(cid)
            continue
        yield rows
    cache.save()
