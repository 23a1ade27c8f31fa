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

from casectl.core.model import Agency, AssessmentFile, Client, describe
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
