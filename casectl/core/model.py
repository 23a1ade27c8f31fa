"""Records: typed, immutable objects for the five file kinds.

These pydantic models are the one source of truth for field types, allowed values
and descriptions: ``checks`` validates data with them and ``casectl schema`` emits
their JSON Schemas. Unknown keys are kept (``model_extra``) so a typo such as
``stauts`` becomes a warning, not a lost value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from casectl.core import dates

# isort: off
# the allowed values and limits, defined without pydantic (core.values)
from casectl.core.values import (
    CLIENT_ID_PATTERN as CLIENT_ID_PATTERN,
    CLIENT_ID_RE as CLIENT_ID_RE,
    CLOSE_REASONS as CLOSE_REASONS,
    CONTACT_TYPES as CONTACT_TYPES,
    CONTACT_TYPES_V2 as CONTACT_TYPES_V2,
    DECISIONS as DECISIONS,
    DEFAULT_DOMAINS as DEFAULT_DOMAINS,
    DEFAULT_FLAG_KINDS as DEFAULT_FLAG_KINDS,
    FINAL_GOAL_STATUSES as FINAL_GOAL_STATUSES,
    FINAL_REFERRAL_STATUSES as FINAL_REFERRAL_STATUSES,
    FORMAT2_NOTE_TYPES as FORMAT2_NOTE_TYPES,
    FORMAT_VERSION as FORMAT_VERSION,
    GOAL_STATUSES as GOAL_STATUSES,
    MAX_DURATION_DAYS as MAX_DURATION_DAYS,
    MAX_YEAR as MAX_YEAR,
    MIN_YEAR as MIN_YEAR,
    MINUTES as MINUTES,
    MODES as MODES,
    NOTE_TYPES as NOTE_TYPES,
    OPEN_REFERRAL_STATUSES as OPEN_REFERRAL_STATUSES,
    REFERRAL_STATUSES as REFERRAL_STATUSES,
    ROLES as ROLES,
    SIGN_OFF_KINDS as SIGN_OFF_KINDS,
    STATUSES as STATUSES,
    WITH_VALUES as WITH_VALUES,
    CloseReason as CloseReason,
    Decision as Decision,
    GoalStatus as GoalStatus,
    Mode as Mode,
    NoteType as NoteType,
    ReferralStatus as ReferralStatus,
    Role as Role,
    SignOffKind as SignOffKind,
    Status as Status,
    With as With,
    describe as describe,
    too_long as too_long,
)

# isort: on


def _in_range(day: date, value: Any, kind: str) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise PydanticCustomError(
            kind,
            "{value} is outside the years {low} to {high}",
            {"value": describe(value), "low": MIN_YEAR, "high": MAX_YEAR},
        )


def _to_date(value: Any) -> date:
    parsed = dates.parse_date(value)
    if parsed is None:
        raise PydanticCustomError(
            "cm_date", "{value} is not a date (use YYYY-MM-DD)", {"value": describe(value)}
        )
    _in_range(parsed, value, "cm_date")
    return parsed


# A note time as casectl writes it (ASCII digits): datetime.fromisoformat reads it as
# dates.parse_datetime does, for a tenth of the cost (40 per client on a cold validate).
_WRITTEN_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", re.ASCII)


def _to_datetime(value: Any) -> datetime:
    if type(value) is str and _WRITTEN_TIME.fullmatch(value):
        try:
            quick = datetime.fromisoformat(value)
        except ValueError:  # no such day or hour: said below
            pass
        else:
            if MIN_YEAR <= quick.year <= MAX_YEAR:
                return quick
    parsed = dates.parse_datetime(value)
    if parsed is None:
        raise PydanticCustomError(
            "cm_datetime",
            "{value} is not a date and time (use YYYY-MM-DD HH:MM)",
            {"value": describe(value)},
        )
    _in_range(parsed.date(), value, "cm_datetime")
    return parsed


def _to_duration(value: Any) -> dates.Duration:
    if isinstance(value, dates.Duration):
        return value
    parsed = dates.parse_duration(value)
    if parsed is None:
        raise PydanticCustomError(
            "cm_duration",
            "{value} is not a duration (use e.g. '90 days', '6 months')",
            {"value": describe(value)},
        )
    if too_long(parsed):
        raise PydanticCustomError(
            "cm_duration", "{value} is longer than 100 years", {"value": describe(value)}
        )
    return parsed


def _to_int(value: Any) -> int:
    """A whole number. ``true`` and quoted ``"3"`` are refused rather than guessed at."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError(
            "cm_int", "expected a whole number, got {value}", {"value": describe(value)}
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError(
                "cm_int", "expected a whole number, got {value}", {"value": describe(value)}
            )
        return int(value)
    return value


def _to_client_id(value: Any) -> str:
    if not isinstance(value, str) or not CLIENT_ID_RE.fullmatch(value):
        raise PydanticCustomError(
            "cm_id",
            "{value} is not a valid client id (lower-case letters, digits and '-')",
            {"value": describe(value)},
        )
    return value


def _to_text(value: Any) -> str:
    """Plain text. Numbers are refused rather than guessed at (quote them)."""
    if isinstance(value, str):
        return value
    raise PydanticCustomError("cm_text", "expected text, got {value}", {"value": describe(value)})


# Length limits of the values that must be short (docs/format.md, docs/checks.md CM013).
# Free text (note text, summaries, goals, actions) is bounded by the file size alone.
MAX_NAME = 256  # a client's, a manager's or the agency's name
MAX_LINE = 1000  # single-line fields: program, phone, email, address, domain, to, who...
MAX_ID = 256  # note ids, goal ids and the references to them
MAX_MANAGER_KEY = 64  # manager keys, and `manager` / `by` that name one


SHORT_TEXT_LIMITS: dict[Callable[[Any], str], int] = {}  # each _short_text check: its limit


def _short_text(limit: int) -> Callable[[Any], str]:
    """A validator: text of at most ``limit`` characters. A longer value is refused
    without quoting it, and its length is said."""

    def check(value: Any) -> str:
        text = _to_text(value)
        if len(text) > limit:
            raise PydanticCustomError(
                "cm_too_long",
                "too long ({length} characters; the limit is {limit})",
                {"length": f"{len(text):,}", "limit": limit},
            )
        return text

    SHORT_TEXT_LIMITS[check] = limit
    return check


def _to_bool(value: Any) -> bool:
    """``true`` or ``false`` only: ``yes``, ``1`` or ``"true"`` are refused, not guessed at."""
    if isinstance(value, bool):
        return value
    raise PydanticCustomError(
        "cm_bool", "expected true or false, got {value}", {"value": describe(value)}
    )


_iso = PlainSerializer(lambda v: v.isoformat(), return_type=str)
Date = Annotated[
    date,
    BeforeValidator(_to_date),
    _iso,
    WithJsonSchema({"type": "string", "format": "date", "description": "ISO date, YYYY-MM-DD"}),
]
NoteTime = Annotated[
    datetime,
    BeforeValidator(_to_datetime),
    _iso,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?.*)?$",
            "description": "YYYY-MM-DD HH:MM, or ISO 8601 with offset",
        }
    ),
]
DurationField = Annotated[
    dates.Duration,
    BeforeValidator(_to_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*\d+\s*(day|week|month|year)s?\s*$",
            "description": "'<n> days|weeks|months|years'",
        }
    ),
]
Text = Annotated[str, BeforeValidator(_to_text), WithJsonSchema({"type": "string"})]

Name = Annotated[
    str,
    BeforeValidator(_short_text(MAX_NAME)),
    WithJsonSchema({"type": "string", "maxLength": MAX_NAME}),
]
Line = Annotated[
    str,
    BeforeValidator(_short_text(MAX_LINE)),
    WithJsonSchema({"type": "string", "maxLength": MAX_LINE}),
]
Id = Annotated[
    str,
    BeforeValidator(_short_text(MAX_ID)),
    WithJsonSchema({"type": "string", "maxLength": MAX_ID}),
]
ManagerKey = Annotated[
    str,
    BeforeValidator(_short_text(MAX_MANAGER_KEY)),
    WithJsonSchema({"type": "string", "maxLength": MAX_MANAGER_KEY}),
]
Int = Annotated[int, BeforeValidator(_to_int)]
Bool = Annotated[bool, BeforeValidator(_to_bool), WithJsonSchema({"type": "boolean"})]
ClientId = Annotated[
    str,
    BeforeValidator(_to_client_id),
    WithJsonSchema({"type": "string", "pattern": CLIENT_ID_PATTERN}),
]


class Record(BaseModel):
    """Base: immutable, unknown keys kept aside for a warning."""

    model_config = ConfigDict(
        frozen=True, extra="allow", arbitrary_types_allowed=True, defer_build=True
    )


# ---------------------------------------------------------------- casectl.yaml


class Cadence(Record):
    """How often things are due. Every key optional; defaults below."""

    plan_review: DurationField = Field(
        dates.Duration(90, "days"), description="a plan is reviewed at least this often"
    )
    reassessment: DurationField = Field(
        dates.Duration(180, "days"), description="a new assessment at least this often"
    )
    initial_assessment: DurationField = Field(
        dates.Duration(14, "days"), description="first assessment due this long after `opened`"
    )
    contact: DurationField = Field(
        dates.Duration(30, "days"), description="longest allowed gap between contacts"
    )
    due_soon: DurationField = Field(dates.Duration(14, "days"), description='window for "due soon"')
    initial_plan: DurationField = Field(
        dates.Duration(14, "days"),
        description="a plan with goals is due this long after the first assessment",
    )
    referral: DurationField = Field(
        dates.Duration(14, "days"), description="default expect_by of a referral"
    )


class CadenceOverride(Record):
    """Per-client override of any cadence key."""

    plan_review: DurationField | None = None
    reassessment: DurationField | None = None
    initial_assessment: DurationField | None = None
    contact: DurationField | None = None
    due_soon: DurationField | None = None
    initial_plan: DurationField | None = None
    referral: DurationField | None = None


class Manager(Record):
    name: Name
    email: Line | None = None
    role: Role = Field("manager", description="manager (default) or supervisor")
    left: Date | None = Field(
        None,
        description="left the agency on this day: older entries stay valid; later entries, "
        "new clients and transfers to them are refused",
    )


class Retention(Record):
    closed: DurationField | None = Field(None, description="how long closed cases are kept")


class Agency(Record):
    """casectl.yaml: agency settings; marks the repository root."""

    format: Int = Field(1, description="version of the file format (1 when absent)", ge=1)
    agency: Name = Field(description="the agency's name")
    timezone: Line = Field("UTC", description="IANA time zone; 'today' is taken in it")
    cadence: Cadence = Field(default_factory=Cadence)
    managers: dict[str, Name | Manager] | None = Field(
        None, description="when present, every manager/by must be a key here"
    )
    domains: list[Line] = Field(default_factory=lambda: list(DEFAULT_DOMAINS))
    contact_types: list[NoteType] | None = Field(
        None,
        description="entries of these types with the client reset the contact clock "
        "(format 2 default: contact, visit, phone, email, meeting, crisis, assessment)",
    )
    approvals: list[SignOffKind] = Field(
        default_factory=list, description="what needs a supervisor's sign-off"
    )
    flag_kinds: list[Line] = Field(
        default_factory=lambda: list(DEFAULT_FLAG_KINDS), description="allowed flag kinds"
    )
    retention: Retention | None = Field(None, description="how long closed cases are kept")

    def effective_contact_types(self) -> frozenset[str]:
        """The entry types that reset the contact clock, per this file's format."""
        if self.contact_types is not None:
            return frozenset(self.contact_types)
        return CONTACT_TYPES if self.format < 2 else frozenset(CONTACT_TYPES_V2)

    def manager_role(self, key: str) -> str:
        entry = (self.managers or {}).get(key)
        return entry.role if isinstance(entry, Manager) else "manager"

    def supervisors(self) -> tuple[str, ...]:
        """Keys of the managers with ``role: supervisor`` who have not left, sorted."""
        return tuple(
            sorted(
                key
                for key, entry in (self.managers or {}).items()
                if isinstance(entry, Manager) and entry.role == "supervisor" and entry.left is None
            )
        )

    def manager_left(self, key: str) -> date | None:
        entry = (self.managers or {}).get(key)
        return entry.left if isinstance(entry, Manager) else None

    shared_group: StrictBool = Field(
        False,
        description="client folders and case files casectl creates are 0770/0660 "
        "(shared with the group) instead of 0700/0600",
    )

    def manager_name(self, key: str) -> str:
        entry = (self.managers or {}).get(key)
        if entry is None:
            return key
        return entry if isinstance(entry, str) else entry.name

    def manager_email(self, key: str) -> str | None:
        entry = (self.managers or {}).get(key)
        return entry.email if isinstance(entry, Manager) else None


# ---------------------------------------------------------------- client.yaml


class Consent(Record):
    """One consent (format 1: the single `consent:` block; format 2: an item of
    `consents:`, oldest first; a renewal is a new item, never an edit)."""

    signed: Date | None = None
    expires: Date | None = Field(None, description="records may not be shared after it")
    parties: list[Line] | None = Field(None, description="who records may be shared with")
    document: Line | None = Field(None, description="hash of the signed form (sha256:...)")


class Contact(Record):
    """A person around the client."""

    name: Name
    relation: Line | None = None
    phone: Line | None = None
    email: Line | None = None
    address: Line | None = None
    org: Line | None = None
    emergency: Bool = False


class Flag(Record):
    """A risk or care flag; cleared by setting `cleared`, never removed."""

    kind: Line
    since: Date
    review_by: Date | None = None
    cleared: Date | None = None
    note: Text | None = None


class Closure(Record):
    date: Date
    reason: CloseReason
    note: Text | None = None


class Client(Record):
    """client.yaml: who the client is."""

    id: ClientId
    name: Name
    born: Date | None = None
    status: Status
    opened: Date
    manager: ManagerKey
    program: Line | None = None
    phone: Line | None = None
    email: Line | None = None
    address: Line | None = None
    consent: Consent | None = Field(None, description="format 1; read as a one-item `consents`")
    consents: list[Consent] | None = Field(None, description="oldest first; renewals append")
    contacts: list[Contact] | None = None
    flags: list[Flag] | None = None
    cadence: CadenceOverride | None = None
    closed: Closure | None = Field(None, description="required when status is closed")

    def all_consents(self) -> list[Consent]:
        """Every consent, oldest first (a format 1 `consent:` block is a one-item list)."""
        if self.consents is not None:
            return list(self.consents)
        return [self.consent] if self.consent is not None else []

    def latest_consent(self) -> Consent | None:
        items = self.all_consents()
        return items[-1] if items else None


# ------------------------------------------------------------ assessment.yaml


class DomainScore(Record):
    score: Int = Field(ge=1, le=5, description="1 in crisis .. 5 thriving")
    note: Text | None = None


class Assessment(Record):
    date: Date
    by: ManagerKey
    domains: dict[str, DomainScore] = Field(default_factory=dict)
    strengths: list[Line] | None = None
    summary: Text | None = None


class AssessmentFile(Record):
    """assessment.yaml: assessments over time, oldest first."""

    assessments: list[Assessment] = Field(default_factory=list)


# ------------------------------------------------------------------- plan.yaml


class Action(Record):
    action: Text
    who: Line | None = None
    due: Date | None = None
    done: Date | None = None


class Goal(Record):
    id: Id
    domain: Line | None = None
    goal: Text
    target: Date | None = None
    status: GoalStatus = "active"
    status_date: Date | None = Field(
        None, description="when the goal reached met, partly_met, not_met or dropped"
    )
    actions: list[Action] = Field(default_factory=list)


class Task(Record):
    """A reminder outside the goals; still due after the case is closed."""

    id: Id
    task: Text
    due: Date | None = None
    who: Line | None = None
    done: Date | None = None


class Referral(Record):
    """A referral to an outside service, tracked to its outcome."""

    id: Id
    to: Line
    service: Line | None = None
    goal: Id | None = None
    sent: Date
    expect_by: Date | None = None
    status: ReferralStatus = "sent"
    status_date: Date | None = None
    outcome: Text | None = None


class Plan(Record):
    """plan.yaml: the care plan."""

    created: Date | None = None
    goals: list[Goal] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    referrals: list[Referral] = Field(default_factory=list)


# -------------------------------------------------------------------- log.yaml


class LogEntry(Record):
    """One progress note. Never edited once written."""

    id: Id
    date: NoteTime
    by: ManagerKey
    type: NoteType
    minutes: Int | None = Field(None, ge=MINUTES[0], le=MINUTES[1])
    goals: list[Id] | None = None
    text: Text
    amends: Id | None = None
    to: Line | None = None
    # format 2 (contract section 5.1)
    with_: With | None = Field(
        None, alias="with", description="who the contact was with (default: client)"
    )
    mode: Mode | None = None
    recorded: NoteTime | None = Field(
        None, description="when a late entry was written (dated over 24 hours before it)"
    )
    entered_by: ManagerKey | None = Field(None, description="who typed an entry written for --by")
    from_: ManagerKey | None = Field(
        None, alias="from", description="transfer: the previous manager"
    )
    what: SignOffKind | None = Field(None, description="submitted/approval: plan or closure")
    object: Line | None = Field(None, description="submitted/approval: git blob id signed off")
    decision: Decision | None = None
    changes: list[Text] | None = Field(None, description="plan_change: what changed")

    @property
    def contact_with(self) -> str:
        return self.with_ or "client"

    @property
    def order_time(self) -> datetime:
        """What the order check compares: `recorded` where present, else `date`."""
        return self.recorded if self.recorded is not None else self.date


FILE_MODELS: dict[str, type[Record]] = {
    "casectl.yaml": Agency,
    "client.yaml": Client,
    "assessment.yaml": AssessmentFile,
    "plan.yaml": Plan,
    "log.yaml": LogEntry,  # the file is a list of these
}
