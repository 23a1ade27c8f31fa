"""assessment.yaml rules (CM3xx).

| code | rule |
|---|---|
| CM320 | every scored domain is one of the agency's domains |
| CM321 | assessments are oldest first |
| CM322 | `by` is a key of casectl.yaml `managers` (when that list exists) |
| CM323 | an assessment is not dated in the future |
| CM324 | an assessment is not dated before the case was opened (warning) |
"""

from __future__ import annotations

from datetime import date
from typing import Any

from casectl.checks import schema
from casectl.checks.result import CheckedClient
from casectl.core.context import Env
from casectl.core.model import Agency, Assessment, AssessmentFile, Client, describe
from casectl.core.problems import Problem
from casectl.store.load import Loaded


def check(
    loaded: Loaded,
    records: AssessmentFile,
    client: Client | None,
    agency: Agency,
    today: date,
    positions: list[int] | None = None,
) -> list[Problem]:
    """``positions[k]``: the index in the file of ``records.assessments[k]`` (salvage)."""
    out: list[Problem] = []
    known = set(agency.domains)
    previous: date | None = None
    for k, a in enumerate(records.assessments):
        i = positions[k] if positions is not None else k
        at = ("assessments", i)
        for domain in a.domains:
            if domain not in known:
                out.append(
                    loaded.problem(
                        (*at, "domains", domain),
                        "CM320",
                        f"{describe(domain)} is not one of the agency's domains",
                        key=True,
                    )
                )
        if previous is not None and a.date < previous:
            out.append(
                loaded.problem(
                    (*at, "date"),
                    "CM321",
                    f"{a.date} is before the previous assessment ({previous}); "
                    "keep assessments oldest first",
                )
            )
        previous = a.date if previous is None else max(previous, a.date)
        if agency.managers is not None and a.by not in agency.managers:
            out.append(
                loaded.problem(
                    (*at, "by"), "CM322", f"{describe(a.by)} is not a manager in casectl.yaml"
                )
            )
        if a.date > today:
            out.append(loaded.problem((*at, "date"), "CM323", f"{a.date} is in the future"))
        if client is not None and a.date < client.opened:
            out.append(
                loaded.problem(
                    (*at, "date"),
                    "CM324",
                    f"{a.date} is before the case was opened ({client.opened})",
                    severity="warning",
                )
            )
    return out


def run(c: CheckedClient, env: Env) -> list[Problem]:
    """The record of assessment.yaml (CM301..CM307) and its rules; when the file fails
    as a whole, the assessments valid on their own are checked (every problem at once)."""
    la = c.loaded.get("assessment.yaml")
    if la is None or not la.ok:
        return []
    parts: schema.Parts = {}
    c.assessments, out = schema.validate(la, AssessmentFile, 3, parts=parts)
    if c.assessments is None:
        c.assessments, c.assessment_positions = salvage(la.data, parts)
    if c.assessments is not None:
        out += check(la, c.assessments, c.client, env.agency, env.today, c.assessment_positions)
    return out


def salvage(data: Any, parts: schema.Parts) -> tuple[AssessmentFile | None, list[int] | None]:
    """The assessments that are valid on their own, with their positions (``parts``:
    as schema.validate found them already)."""
    if not isinstance(data, dict) or not isinstance(data.get("assessments"), list):
        return None, None
    found = parts.get("assessments")
    kept, positions = found if found else schema.valid_items_of(Assessment, data["assessments"])
    return AssessmentFile.model_construct(assessments=kept), positions
