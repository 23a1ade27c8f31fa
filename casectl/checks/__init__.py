"""Every check of casectl, run file by file and across a client's files.

The families (one module each, docstrings list their codes): ``config`` (CM5xx),
``client`` (CM1xx), ``plan`` (CM2xx), ``assessment`` (CM3xx), ``log`` (CM4xx),
``links`` (CM6xx); ``schema`` maps record validation to x01..x07 in each block;
``text`` (CM011, CM128) what text may hold in any file; ``casectl.load`` owns the
rest of CM0xx. Checks never print and never raise for bad data.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from casectl import load
from casectl.checks import assessment as assessment_rules
from casectl.checks import client as client_rules
from casectl.checks import config as config_rules
from casectl.checks import links, schema
from casectl.checks import log as log_rules
from casectl.checks import plan as plan_rules
from casectl.checks import text as text_rules
from casectl.facts import ClientFacts, facts_from_records
from casectl.model import (
    CLIENT_ID_RE,
    Agency,
    Assessment,
    AssessmentFile,
    Client,
    Goal,
    LogEntry,
    Plan,
    Record,
    describe,
)
from casectl.problems import Problem

CLIENT_FILES = ("client.yaml", "assessment.yaml", "plan.yaml", "log.yaml")
BLOCKS = {"client.yaml": 1, "plan.yaml": 2, "assessment.yaml": 3, "log.yaml": 4}


@dataclass
class ClientCheck:
    """A client's records as far as they could be read, and every problem found."""

    id: str
    problems: list[Problem] = field(default_factory=list)
    client: Client | None = None
    assessments: AssessmentFile | None = None
    plan: Plan | None = None
    log: list[LogEntry] = field(default_factory=list)
    log_complete: bool = False  # every entry of log.yaml was valid
    loaded: dict[str, load.Loaded] = field(default_factory=dict)

    @property
    def facts(self) -> ClientFacts | None:
        if self.client is None:
            return None
        return facts_from_records(self.client, self.assessments, self.plan, self.log)

    def latest_event(self) -> date | None:
        """The latest 'happened on' date, for cache validity of future-date checks."""
        days: list[date] = []
        if self.client is not None:
            c = self.client
            days += [c.opened]
            days += [
                d
                for d in (
                    c.born,
                    c.closed.date if c.closed else None,
                    c.consent.signed if c.consent else None,
                )
                if d
            ]
        if self.assessments is not None:
            days += [a.date for a in self.assessments.assessments]
        if self.plan is not None:
            days += [d for d in [self.plan.created] if d]
            days += [a.done for g in self.plan.goals for a in g.actions if a.done]
        days += [e.date.date() for e in self.log]
        return max(days) if days else None


def check_config(loaded: load.Loaded) -> tuple[Agency | None, list[Problem]]:
    """Validate casectl.yaml; the Agency is None when it cannot be used."""
    if not loaded.ok:
        return None, list(loaded.problems)
    agency, problems = schema.validate(loaded, Agency, 5)
    problems = list(loaded.problems) + text_rules.check(loaded, "casectl.yaml") + problems
    if agency is not None:
        problems += config_rules.check(loaded, agency)
    return agency, problems


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def check_client(
    root: Path, folder: str, agency: Agency, today: date, zone: tzinfo | None
) -> ClientCheck:
    """Load and check one client folder (``clients/<folder>``)."""
    result = ClientCheck(folder)
    base = root / "clients" / folder
    rel = f"clients/{folder}"
    if not CLIENT_ID_RE.match(folder):
        result.problems.append(
            Problem(
                rel,
                1,
                1,
                "error",
                "CM602",
                f"{folder!r} is not a valid client id "
                "(lower-case letters, digits and '-', up to 64)",
            )
        )
        return result
    if _is_link(base):
        result.problems.append(
            Problem(
                rel,
                1,
                1,
                "error",
                "CM603",
                "client folder is a symbolic link; refusing to follow it",
            )
        )
        return result
    try:
        names = set(os.listdir(base))
    except OSError as exc:
        result.problems.append(
            Problem(rel, 1, 1, "error", "CM601", f"cannot list the folder: {exc.strerror or exc}")
        )
        return result
    for name in sorted(names - set(CLIENT_FILES)):
        if not name.startswith("."):
            result.problems.append(
                Problem(
                    f"{rel}/{name}", 1, 1, "warning", "CM604", "unexpected file in a client folder"
                )
            )
    for name in CLIENT_FILES:
        path = f"{rel}/{name}"
        if name not in names:
            result.problems.append(Problem(path, 1, 1, "error", "CM601", f"{name} is missing"))
            continue
        if _is_link(base / name):
            result.problems.append(
                Problem(path, 1, 1, "error", "CM603", "is a symbolic link; refusing to follow it")
            )
            continue
        loaded = load.load_file(base / name, path)
        if name == "log.yaml" and [p.code for p in loaded.problems] == [load.EMPTY]:
            loaded.problems.clear()  # a log with nothing but comments is an empty log
            loaded.data = []
        result.loaded[name] = loaded
        result.problems += loaded.problems
        result.problems += text_rules.check(loaded, name)
        if name == "client.yaml":
            result.problems += text_rules.check_client_name(loaded)

    _check_records(result, agency, today, zone)
    return result


def _check_records(result: ClientCheck, agency: Agency, today: date, zone: tzinfo | None) -> None:
    problems = result.problems
    lc = result.loaded.get("client.yaml")
    if lc is not None and lc.ok:
        result.client, found = schema.validate(lc, Client, 1)
        problems += found
        if result.client is not None:
            problems += client_rules.check(lc, result.client, result.id, agency, today)
    la = result.loaded.get("assessment.yaml")
    if la is not None and la.ok:
        result.assessments, found = schema.validate(la, AssessmentFile, 3)
        problems += found
        positions: list[int] | None = None
        if result.assessments is None:
            # Every problem at once: check the assessments that are valid on their own.
            result.assessments, positions = _salvage_assessments(la.data)
        if result.assessments is not None:
            problems += assessment_rules.check(
                la, result.assessments, result.client, agency, today, positions
            )
    lp = result.loaded.get("plan.yaml")
    goal_ids: set[str] = set()
    if lp is not None and lp.ok:
        result.plan, found = schema.validate(lp, Plan, 2)
        problems += found
        positions = None
        if result.plan is None:
            result.plan, positions, goal_ids = _salvage_plan(lp.data)
        if result.plan is not None:
            problems += plan_rules.check(lp, result.plan, agency, today, positions)
    ll = result.loaded.get("log.yaml")
    if ll is not None and (ll.ok or ll.data == []):
        entries = _log_entries(ll, problems)
        result.log = [e for _, e in entries]
        result.log_complete = isinstance(ll.data, list) and len(entries) == len(ll.data)
        problems += log_rules.check(ll, entries, result.client, agency, today, zone)
        problems += links.note_goals(ll, entries, result.plan, goal_ids)


def _valid(model: type[Record], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _salvage_plan(data: Any) -> tuple[Plan | None, list[int] | None, set[str]]:
    """The valid goals of a plan file that failed as a whole, with their positions.

    Their problems were reported already; the salvaged plan lets the cross-goal rules
    (duplicate ids...) and the schedule see everything that is readable.
    """
    if not isinstance(data, dict) or not isinstance(data.get("goals", []), list):
        return None, None, set()
    goals: list[Goal] = []
    positions: list[int] = []
    ids: set[str] = set()
    for i, item in enumerate(data.get("goals", [])):
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            ids.add(item["id"])
        goal = _valid(Goal, item)
        if goal is not None:
            goals.append(goal)
            positions.append(i)
    created = _valid(Plan, {"created": data.get("created")})
    plan = Plan.model_construct(created=created.created if created else None, goals=goals)
    return plan, positions, ids


def _salvage_assessments(data: Any) -> tuple[AssessmentFile | None, list[int] | None]:
    """The assessments that are valid on their own, with their positions."""
    if not isinstance(data, dict) or not isinstance(data.get("assessments"), list):
        return None, None
    kept: list[Assessment] = []
    positions: list[int] = []
    for i, item in enumerate(data["assessments"]):
        assessment = _valid(Assessment, item)
        if assessment is not None:
            kept.append(assessment)
            positions.append(i)
    return AssessmentFile.model_construct(assessments=kept), positions


def _log_entries(loaded: load.Loaded, problems: list[Problem]) -> list[tuple[int, LogEntry]]:
    data = loaded.data
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(
            loaded.problem(
                (),
                "CM402",
                f"log.yaml must be a list of entries (`- id: ...`), got {describe(data)}",
            )
        )
        return []
    entries: list[tuple[int, LogEntry]] = []
    for i, item in enumerate(data):
        entry, found = schema.validate(loaded, LogEntry, 4, data=item, prefix=(i,))
        problems += found
        if entry is not None:
            entries.append((i, entry))
    return entries
