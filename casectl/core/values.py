"""The allowed values, ids and limits of the records, without pydantic.

``core.model`` builds the pydantic records from these (and re-exports them); the
modules a warm read runs (``store.layout``, ``core.schedule``, the ``list`` and
``due`` commands) import them from here, so a command that checks no record never
imports pydantic.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal, get_args

from casectl.core import dates

# Ids are checked with fullmatch against the whole string: with ``re.match``, ``$``
# would also match before a final newline and let "x-1\n" through as a client id.
CLIENT_ID_PATTERN = "^[a-z0-9][a-z0-9-]{0,63}$"  # as JSON Schema spells it
CLIENT_ID_RE = re.compile(r"\A[a-z0-9][a-z0-9-]{0,63}\Z")

Status = Literal["active", "on_hold", "closed"]
CloseReason = Literal[
    "goals_met", "moved", "declined", "transferred", "deceased", "lost_contact", "other"
]
GoalStatus = Literal["active", "met", "partly_met", "not_met", "dropped"]
NoteType = Literal[
    "contact",
    "visit",
    "phone",
    "email",
    "meeting",
    "referral",
    "review",
    "assessment",
    "crisis",
    "note",
    "closure",
    "amendment",
    # format 2 (contract section 5.1)
    "transfer",
    "plan_change",
    "submitted",
    "approval",
    "consent",
    "flag",
    "task",
]
# Entry types that only a format 2 repository may hold (writing one upgrades the format).
FORMAT2_NOTE_TYPES = frozenset(
    {"transfer", "plan_change", "submitted", "approval", "consent", "flag", "task"}
)
Role = Literal["manager", "supervisor"]
With = Literal["client", "family", "provider", "other"]
Mode = Literal["in_person", "phone", "video", "text", "email"]
ReferralStatus = Literal["sent", "accepted", "started", "declined", "delivered", "closed_unmet"]
SignOffKind = Literal["plan", "closure"]
Decision = Literal["approved", "rejected"]

# The allowed values, derived from the record types so the two never drift apart.
STATUSES: tuple[str, ...] = get_args(Status)
CLOSE_REASONS: tuple[str, ...] = get_args(CloseReason)
GOAL_STATUSES: tuple[str, ...] = get_args(GoalStatus)
NOTE_TYPES: tuple[str, ...] = get_args(NoteType)
ROLES: tuple[str, ...] = get_args(Role)
WITH_VALUES: tuple[str, ...] = get_args(With)
MODES: tuple[str, ...] = get_args(Mode)
REFERRAL_STATUSES: tuple[str, ...] = get_args(ReferralStatus)
OPEN_REFERRAL_STATUSES: tuple[str, ...] = ("sent", "accepted", "started")
FINAL_REFERRAL_STATUSES: tuple[str, ...] = ("declined", "delivered", "closed_unmet")
FINAL_GOAL_STATUSES: tuple[str, ...] = ("met", "partly_met", "not_met", "dropped")
SIGN_OFF_KINDS: tuple[str, ...] = get_args(SignOffKind)
DECISIONS: tuple[str, ...] = get_args(Decision)
# Format 1 (contract section 2): entries of these types reset the contact clock.
CONTACT_TYPES = frozenset({"contact", "visit", "phone", "email", "meeting", "crisis"})
# Format 2 default of casectl.yaml `contact_types` (contract section 5.1).
CONTACT_TYPES_V2: tuple[str, ...] = (
    "contact",
    "visit",
    "phone",
    "email",
    "meeting",
    "crisis",
    "assessment",
)
DEFAULT_FLAG_KINDS: tuple[str, ...] = (
    "suicide_risk",
    "violence_risk",
    "safeguarding",
    "medical",
    "other",
)
DEFAULT_DOMAINS = (
    "housing",
    "income",
    "employment",
    "food",
    "health",
    "mental_health",
    "substance_use",
    "legal",
    "education",
    "transportation",
    "family",
    "safety",
)
# Every cadence key (casectl.yaml's `cadence` and a client's override alike): the
# fields of ``model.Cadence``, in its order (tests/commands/test_launch.py holds them equal).
CADENCE_KEYS: tuple[str, ...] = (
    "plan_review",
    "reassessment",
    "initial_assessment",
    "contact",
    "due_soon",
    "initial_plan",
    "referral",
)
FORMAT_VERSION = 2  # the newest format this casectl reads and writes
MINUTES = (0, 24 * 60)  # the range of a log entry's `minutes`


# Dates outside these years are typing mistakes (2062 for 2026 is still allowed);
# refusing them also keeps every "date + cadence" computation far from year 9999.
MIN_YEAR = 1800
MAX_YEAR = 2999
# The longest cadence or window accepted, so the same sums stay in range.
MAX_DURATION_DAYS = 100 * 366
_UNIT_DAYS = {"days": 1, "weeks": 7, "months": 31, "years": 366}


def too_long(duration: dates.Duration) -> bool:
    """Longer than 100 years: a typing mistake, and beyond safe date arithmetic."""
    return duration.count * _UNIT_DAYS[duration.unit] > MAX_DURATION_DAYS


def describe(value: Any) -> str:
    """A value as a problem message shows it: `'text'`, `a list`, `true`, `nothing`."""
    if isinstance(value, bool):
        return "true" if value else "false"  # as YAML spells it
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, date | datetime):
        return repr(value.isoformat())
    return repr(value)
