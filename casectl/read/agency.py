"""The agency's settings (``open_agency`` -> ``RunContext``) and one client's records,
checked (``read_client``: ``store.records`` then ``checks.check_client``); every client
at once is ``read.scan``.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casectl.core.context import Roster, RunContext
from casectl.core.dates import zone_named
from casectl.core.problems import Problem
from casectl.core.values import FORMAT_VERSION
from casectl.errors import CasectlError
from casectl.store import layout, records, restricted
from casectl.store.cache import ReadCache

if TYPE_CHECKING:
    from casectl.checks import CheckedClient
    from casectl.core.model import Agency


def today_in(zone: tzinfo | None, now: datetime | None = None) -> date:
    """The current day in ``zone`` (UTC without one): always the agency's day, never the
    machine's. The one place casectl reads the clock for a day; ``now`` (an aware
    datetime) replaces the clock in tests."""
    moment = now if now is not None else datetime.now(UTC)
    return moment.astimezone(zone or UTC).date()


LINKED = "CM603"  # a symbolic link where a case file or folder belongs (docs/checks.md)


def refuse_link(ctx_validating: bool, name: str) -> Problem:
    """The CM603 problem for validate; for any other command, the refusal (exit 2)."""
    if not ctx_validating:
        raise CasectlError(
            f"{name} is a symbolic link ({LINKED}); casectl does not follow links in an "
            f"agency repository: put the real {name} there"
        )
    return Problem(name, 1, 1, "error", LINKED, "is a symbolic link; refusing to follow it")


def open_agency(
    root: Path, validating: bool = False, as_of: date | None = None, use_cache: bool = True
) -> RunContext:
    """Read casectl.yaml. Refuses (exit 2) a format newer than this casectl reads, and
    a casectl.yaml that is a symbolic link (``validating``: reported as CM603).
    ``today`` is the real day in the agency's zone; ``as_of`` defaults to it.

    Never falls back silently: a file with errors gives the best reading of the
    settings, with the errors and each fallback in ``settings_errors`` and
    ``fallbacks`` for the caller to refuse on (writes) or to say (reads); see
    ``commands._common.agency_context``.

    The checked reading of these very bytes of casectl.yaml is kept in the read cache
    (``kept_settings``): when it is there, the file is not checked again and the
    settings (pydantic records) are built only if the command asks for them;
    ``use_cache=False`` (``validate --no-cache``) always checks the file.
    """
    path = root / layout.CONFIG_NAME
    if path.is_symlink():
        from casectl.core.model import Agency

        problem = refuse_link(validating, layout.CONFIG_NAME)
        unread = Agency.model_construct(agency="(agency)")
        day = today_in(None)
        return RunContext(
            root,
            unread,
            Roster.of(unread),
            (problem,),
            b"",
            None,
            day,
            as_of or day,
            validating=validating,
        )
    raw = layout.read_regular(path)
    if isinstance(raw, str):
        raise CasectlError(f"cannot read {layout.CONFIG_NAME}: {raw.removeprefix('cannot read: ')}")
    cached = _cached_context(root, raw, validating, as_of) if use_cache else None
    if cached is not None:
        return cached
    from casectl.checks import check_config
    from casectl.store import load

    loaded = load.load_text(layout.CONFIG_NAME, raw)
    data = loaded.data
    if isinstance(data, dict):
        fmt = data.get("format")
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT_VERSION:
            raise CasectlError(
                f"{layout.CONFIG_NAME} is format {fmt}, but this casectl reads format "
                f"{FORMAT_VERSION}; upgrade casectl"
            )
    settings = check_config(loaded)
    agency = settings.agency
    zone = zone_named(agency.timezone)
    today = today_in(zone)
    return RunContext(
        root,
        agency,
        Roster.of(agency),
        tuple(settings.problems),
        raw,
        zone,
        today,
        as_of or today,
        settings_errors=tuple(settings.errors),
        fallbacks=tuple(settings.fallbacks),
        validating=validating,
    )


def _settings_of(raw: bytes) -> Agency:
    """The settings ``open_agency`` would have built from these bytes of casectl.yaml."""
    from casectl.checks import check_config
    from casectl.store import load

    return check_config(load.load_text(layout.CONFIG_NAME, raw)).agency


def _cached_context(
    root: Path, raw: bytes, validating: bool, as_of: date | None
) -> RunContext | None:
    """The context of ``open_agency`` from the checked reading the read cache keeps for
    these bytes (``kept_settings``); None when it has none intact (then the file is
    checked). The settings themselves are built from the bytes on first use."""
    data = ReadCache(root, raw).settings()
    try:
        problems = tuple(Problem(*p) for p in data["problems"])
        fallbacks = data["fallbacks"]
        managers, left, zone_name = data["managers"], data["left"], data["timezone"]
        if not (
            all(isinstance(p, list) and len(p) == 6 for p in data["problems"])
            and _strings(fallbacks)
            and _strings(left)
            and (managers is None or _strings(managers))
            and isinstance(zone_name, str)
        ):
            return None
    except (KeyError, TypeError, ValueError):
        return None
    zone = zone_named(zone_name)
    if zone is None:
        return None
    today = today_in(zone)
    return RunContext(
        root,
        functools.partial(_settings_of, raw),
        Roster(None if managers is None else tuple(managers), frozenset(left)),
        problems,
        raw,
        zone,
        today,
        as_of or today,
        settings_errors=tuple(p for p in problems if p.severity == "error"),
        fallbacks=tuple(fallbacks),
        validating=validating,
    )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def kept_settings(ctx: RunContext) -> dict[str, Any] | None:
    """What the read cache keeps of a casectl.yaml just checked (``_cached_context``
    reads it back); None when there is nothing to keep: the reading came from the cache,
    or casectl.yaml is a link (not read)."""
    if callable(ctx.settings) or any(p.code == LINKED for p in ctx.problems):
        return None
    return {
        "problems": [
            [p.path, p.line, p.column, p.severity, p.code, p.message] for p in ctx.problems
        ],
        "fallbacks": list(ctx.fallbacks),
        "timezone": ctx.agency.timezone,
        "managers": None if ctx.roster.managers is None else list(ctx.roster.managers),
        "left": sorted(ctx.roster.left),
    }


def loaded_cache(ctx: RunContext) -> ReadCache:
    """The agency's read cache, loaded; casectl.yaml's reading goes in with it when this
    run has just checked the file (``kept_settings``), so the next run need not."""
    cache = ReadCache(ctx.root, ctx.config_bytes)
    cache.load()
    kept = kept_settings(ctx)
    if kept is not None:
        cache.keep_settings(kept)
    return cache


def read_client(ctx: RunContext, client_id: str) -> CheckedClient:
    """One client's full records (and problems), read fresh from disk, checked on the
    real today (``ctx.today``), as they stood at the end of ``ctx.as_of`` (``read.asof``);
    refused (exit 2) when the client was opened after that day, or is a restricted
    client locked here."""
    from casectl.checks import check_client
    from casectl.read.asof import checked_as_of, past

    if (ctx.root / "clients").is_symlink():
        refuse_link(ctx.validating, "clients")
    layout.client_dir(ctx.root, client_id)
    restricted.refuse_locked(ctx.root, client_id)
    check = check_client(records.read_client(ctx.root, client_id), ctx.env)
    seen = checked_as_of(check, ctx.agency, past(ctx))
    if seen is None:
        opened = check.client.opened.isoformat() if check.client else "?"
        raise CasectlError(
            f"{client_id} was opened on {opened}, after {ctx.as_of.isoformat()} (--as-of): "
            "there are no records of it as of that day"
        )
    return seen
