"""Every problem at once: a schema error in one goal or assessment does not hide the
rule checks of the others."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import cli, client_files, make_agency

PLAN = """\
created: 2026-01-12
goals:
  - id: G1
    goal: Housing
    target: 2026-13-01
  - id: G2
    goal: Income
  - id: G2
    goal: Work
    domain: astrology
"""

ASSESSMENTS = """\
assessments:
  - date: 2026-03-01
    by: jdoe
    domains:
      housing: {score: 9}
  - date: 2026-02-01
    by: jdoe
    domains:
      income: {score: 2}
  - date: 2026-01-20
    by: nobody
    domains:
      income: {score: 3}
"""

LOG = """\
- id: 20260110-1000-jdoe
  date: 2026-01-10 10:00
  by: jdoe
  type: visit
  goals: [G1, G9]
  text: First visit.
"""


def test_rules_still_run_beside_schema_errors(tmp_path: Path) -> None:
    files = client_files("rc-0001")
    files.update({"plan.yaml": PLAN, "assessment.yaml": ASSESSMENTS, "log.yaml": LOG})
    root = make_agency(tmp_path / "a", {"rc-0001": files}, git=False)
    r = cli("-C", root, "validate", "--format", "json")
    assert r.exit_code == 1
    found = {(p["path"].rsplit("/", 1)[1], p["line"], p["column"], p["code"])
             for p in json.loads(r.stdout)}  # fmt: skip
    assert found == {
        ("plan.yaml", 5, 13, "CM204"),  # G1's target is not a date...
        ("plan.yaml", 8, 9, "CM220"),  # ...yet the duplicate G2 is still found,
        ("plan.yaml", 10, 13, "CM221"),  # and the unknown domain.
        ("assessment.yaml", 5, 24, "CM305"),  # score 9 is out of range...
        ("assessment.yaml", 10, 11, "CM321"),  # ...yet order is still checked,
        ("assessment.yaml", 11, 9, "CM322"),  # and the unknown manager.
        ("log.yaml", 5, 15, "CM620"),  # G9 is unknown; G1 (invalid, but there) is not.
    }
    # The readable part of the plan still feeds the schedule.
    r = cli("-C", root, "show", "rc-0001", "--format", "json", "--as-of", "2026-02-01")
    goals = [g["id"] for g in json.loads(r.stdout)["goals"]]
    assert goals == ["G2", "G2"]
