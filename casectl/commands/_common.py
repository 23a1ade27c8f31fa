"""Small helpers shared by command modules: finding the agency, parsing option values."""

from __future__ import annotations

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


def agency_context(
    directory: Path | None, as_of: str | None = None, *, validating: bool = False
) -> AgencyContext:
    """The agency named by ``-C`` or found above the current folder (``validating``:
    for validate, which reports a linked casectl.yaml or clients/ instead of refusing)."""
    root = repo.find_root(directory, explicit=directory is not None)
    ctx = open_agency(root, validating=validating)
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


def report_written(out: Output, result: Written, unsaved: str) -> int:
    """Print what a writing command did (warnings, the new note id) and fail loudly when
    the change was written but could not be committed; ``unsaved`` leads that message."""
    for warning in result.warnings:
        out.warn(f"warning: {warning}")
    out.line(result.note_id)
    if result.commit_error is not None:
        raise CasectlError(f"{unsaved} but not committed: {result.commit_error}")
    return 0
