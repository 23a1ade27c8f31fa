"""Small helpers shared by command modules: finding the agency, parsing option values."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from casectl import dates, repo
from casectl.agency import AgencyContext, open_agency
from casectl.errors import CasectlError
from casectl.model import MAX_YEAR, MIN_YEAR, too_long

if TYPE_CHECKING:
    from casectl.notes import Written
    from casectl.output import Output


def agency_context(directory: Path | None, as_of: str | None = None) -> AgencyContext:
    """The agency named by ``-C`` or found above the current folder."""
    root = repo.find_root(directory, explicit=directory is not None)
    ctx = open_agency(root)
    if as_of is not None:
        ctx.today = parse_date_option("--as-of", as_of)
    return ctx


def parse_date_option(option: str, value: str) -> date:
    parsed = dates.parse_date(value)
    if parsed is None:
        raise CasectlError(f"{option}: {value!r} is not a date (use YYYY-MM-DD)")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise CasectlError(f"{option}: {value!r} is outside the years {MIN_YEAR}..{MAX_YEAR}")
    return parsed


def parse_duration_option(option: str, value: str) -> dates.Duration:
    parsed = dates.parse_duration(value)
    if parsed is None:
        raise CasectlError(f"{option}: {value!r} is not a duration (use e.g. '30 days')")
    if too_long(parsed):
        raise CasectlError(f"{option}: {value!r} is longer than 100 years")
    return parsed


_PRIVATE_FOLDERS = ("clients", ".git", repo.CACHE_DIR)


def check_output(root: Path, output: Path, overwrite_tracked: bool = False) -> None:
    """Refuse ``-o FILE`` where a report or other output must never go (exit 2): inside
    clients/ (case files), .git/ or .casectl/, onto casectl.yaml, or onto any file git
    tracks in the agency (unless ``overwrite_tracked``). Links in the folder part are
    followed, so a link cannot smuggle the file there."""
    target = Path(os.path.realpath(output.parent)) / output.name
    base = Path(os.path.realpath(root))
    if not target.is_relative_to(base):
        return
    rel = target.relative_to(base)
    if not rel.parts:
        return
    if rel.parts[0] in _PRIVATE_FOLDERS:
        raise CasectlError(
            f"-o {output}: refusing to write inside {rel.parts[0]}/ of the agency "
            f"({'the case files' if rel.parts[0] == 'clients' else 'kept by git and casectl'}); "
            "choose a file elsewhere"
        )
    if rel.as_posix() == repo.CONFIG_NAME:
        raise CasectlError(
            f"-o {output}: refusing to overwrite {repo.CONFIG_NAME}, the agency's settings"
        )
    if not overwrite_tracked and repo.is_tracked(base, rel.as_posix()):
        raise CasectlError(
            f"-o {output}: refusing to overwrite {rel.as_posix()}, a file tracked by git; "
            "choose a new file name (reports hold personal data: keep them out of git)"
        )


def report_written(out: Output, result: Written, unsaved: str) -> int:
    """Print what a writing command did (warnings, the new note id) and fail loudly when
    the change was written but could not be committed; ``unsaved`` leads that message."""
    for warning in result.warnings:
        out.warn(f"warning: {warning}")
    out.line(result.note_id)
    if result.commit_error is not None:
        raise CasectlError(f"{unsaved} but not committed: {result.commit_error}")
    return 0
