"""Builders for the figures tests: typed records made in memory with the models'
own validation (``Client.model_validate({...})``), so every record a test uses is
one that casectl could have read from a file.
"""

from __future__ import annotations

from typing import Any

from casectl.core.model import Agency, AssessmentFile, Client, LogEntry, Plan
from casectl.figures import ClientRecords

AGENCY = Agency.model_validate(
    {
        "format": 2,
        "agency": "Test Agency",
        "timezone": "America/Chicago",
        "managers": {"jdoe": "Jane Doe", "mkim": "Min Kim"},
    }
)


def client(cid: str = "rc-0001", **fields: Any) -> Client:
    data: dict[str, Any] = {
        "id": cid,
        "name": "Maria Lopez",
        "status": "active",
        "opened": "2026-01-05",
        "manager": "jdoe",
    }
    data.update(fields)
    return Client.model_validate(data)


def note(
    nid: str,
    when: str,
    kind: str = "visit",
    text: str = "Met at the office.",
    **fields: Any,
) -> LogEntry:
    data: dict[str, Any] = {"id": nid, "date": when, "by": "jdoe", "type": kind, "text": text}
    data.update(fields)
    return LogEntry.model_validate(data)


def plan(**fields: Any) -> Plan:
    return Plan.model_validate(fields)


def assessments(*items: tuple[str, dict[str, int]]) -> AssessmentFile:
    return AssessmentFile.model_validate(
        {
            "assessments": [
                {"date": day, "by": "jdoe", "domains": {k: {"score": v} for k, v in scores.items()}}
                for day, scores in items
            ]
        }
    )


def records(
    c: Client,
    *log: LogEntry,
    plan_: Plan | None = None,
    assessed: AssessmentFile | None = None,
) -> ClientRecords:
    return ClientRecords(
        client=c,
        assessments=assessed or AssessmentFile(),
        plan=plan_ or Plan(),
        log=tuple(log),
    )
