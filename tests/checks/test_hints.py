"""A misspelt key that replaces a required one gets a hint on the missing-key problem,
in every file (issue 10, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks import CLIENT, agency_with, entry, run_validate
from tests.conftest import AGENCY_YAML

CASES = [
    (
        "client.yaml",
        {"client_yaml": CLIENT.replace("status:", "stauts:")},
        "status: required key is missing (is 'stauts' a misspelling of it?)",
    ),
    (
        "plan.yaml",
        {"plan_yaml": "goals:\n  - id: G1\n    gaol: Housing\n"},
        "goals[0].goal: required key is missing (is 'gaol' a misspelling of it?)",
    ),
    (
        "assessment.yaml",
        {"assessment_yaml": "assessments:\n  - date: 2026-01-10\n    bye: jdoe\n"},
        "assessments[0].by: required key is missing (is 'bye' a misspelling of it?)",
    ),
    (
        "log.yaml",
        {"log_yaml": entry("n1").replace("text: a", "txet: a")},
        "[0].text: required key is missing (is 'txet' a misspelling of it?)",
    ),
    (
        "casectl.yaml",
        {"agency_yaml": AGENCY_YAML.replace("agency:", "agnecy:")},
        "agency: required key is missing (is 'agnecy' a misspelling of it?)",
    ),
]


@pytest.mark.parametrize(("name", "files", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_misspelt_required_key_is_named(
    tmp_path: Path, name: str, files: dict[str, str], message: str
) -> None:
    _, problems = run_validate(agency_with(tmp_path, **files))
    missing = [p for p in problems if str(p["path"]).endswith(name) and p["code"][-2:] == "01"]
    assert [p["message"] for p in missing] == [message]


def test_no_hint_without_a_close_unknown_key(tmp_path: Path) -> None:
    # `manager` is close to nothing unknown here; `opened` is a known key, never a hint.
    text = CLIENT.replace("status: active\n", "")
    _, problems = run_validate(agency_with(tmp_path, client_yaml=text + "notes: x\n"))
    assert [p["message"] for p in problems if p["code"] == "CM101"] == [
        "status: required key is missing"
    ]
