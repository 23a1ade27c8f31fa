"""The agency's settings and one client's records, checked.

``open_agency`` reads casectl.yaml; ``read_client`` one client's full records
(``show``, ``report``); ``read.scan`` every client through the cache.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path

from casectl.checks import ClientCheck, check_client, check_config
from casectl.core.model import FORMAT_VERSION, Agency
from casectl.core.problems import Problem
from casectl.errors import CasectlError
from casectl.store import layout, load


@dataclass
class AgencyContext:
    """The agency settings and what "today" is for it."""

    root: Path
    agency: Agency
    problems: list[Problem]
    config_bytes: bytes
    zone: tzinfo | None
    today: date  # the as-of day: what is due is counted from it
    # The day the records are checked on: always the real today in the agency's zone,
    # as for `validate`, so that `--as-of` in the past does not make later-dated
    # records errors (a client's `record` item means "casectl validate finds errors").
    checked_on: date = field(default_factory=date.today)
    # casectl.yaml's errors, and what the settings fell back to because of them
    settings_errors: list[Problem] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    # validate reports a symbolic link where casectl.yaml or clients/ belongs (CM603);
    # every other command refuses to run on such a repository.
    validating: bool = False


def zone_named(name: str) -> tzinfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def today_in(zone: tzinfo | None) -> date:
    return datetime.now(zone).date() if zone else datetime.utcnow().date()


LINKED = "CM603"  # a symbolic link where a case file or folder belongs (docs/checks.md)


def refuse_link(ctx_validating: bool, name: str) -> Problem:
    """The CM603 problem for validate; for any other command, the refusal (exit 2)."""
    if not ctx_validating:
        raise CasectlError(
            f"{name} is a symbolic link ({LINKED}); casectl does not follow links in an "
            f"agency repository: put the real {name} there"
        )
    return Problem(name, 1, 1, "error", LINKED, "is a symbolic link; refusing to follow it")


def open_agency(root: Path, validating: bool = False) -> AgencyContext:
    """Read casectl.yaml. Refuses (exit 2) a format newer than this casectl reads, and
    a casectl.yaml that is a symbolic link (``validating``: reported as CM603).

    Never falls back silently: a file with errors gives the best reading of the
    settings, with the errors and each fallback in ``settings_errors`` and
    ``fallbacks`` for the caller to refuse on (writes) or to say (reads); see
    ``commands._common.agency_context``.
    """
    path = root / layout.CONFIG_NAME
    if path.is_symlink():
        problem = refuse_link(validating, layout.CONFIG_NAME)
        unread = Agency.model_construct(agency="(agency)")
        return AgencyContext(
            root, unread, [problem], b"", None, today_in(None), validating=validating
        )
    raw = load.read_regular(path)
    if isinstance(raw, str):
        raise CasectlError(f"cannot read {layout.CONFIG_NAME}: {raw.removeprefix('cannot read: ')}")
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
    return AgencyContext(
        root,
        agency,
        settings.problems,
        raw,
        zone,
        today_in(zone),
        checked_on=today_in(zone),
        settings_errors=settings.errors,
        fallbacks=settings.fallbacks,
        validating=validating,
    )


def read_client(ctx: AgencyContext, client_id: str) -> ClientCheck:
    """One client's full records (and problems), read fresh from disk."""
    if (ctx.root / "clients").is_symlink():
        refuse_link(ctx.validating, "clients")
    layout.client_dir(ctx.root, client_id)
    return check_client(ctx.root, client_id, ctx.agency, ctx.checked_on, ctx.zone)
