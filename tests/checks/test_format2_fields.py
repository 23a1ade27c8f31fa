"""Format 2 fields (contract section 5.1) are read: valid ones give no problem, wrong
values are reported at their place with the schema codes, and the aliases ``with`` and
``from`` behave as keys (an unknown-key hint names them, not their Python names)."""

from __future__ import annotations

from pathlib import Path

from tests.builders import CLIENT_1, agency_with, entry, found, run_validate

AGENCY2 = """\
format: 2
agency: Test Agency
timezone: America/Chicago
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
  mkim: Min Kim
  dana: {name: Dana Ruiz, email: dana@example.org, role: supervisor}
  cara: {name: Cara Li, left: 2026-10-16}
contact_types: [contact, visit, phone, email, meeting, crisis, assessment]
approvals: [plan, closure]
flag_kinds: [suicide_risk, violence_risk, safeguarding, medical, other]
retention: {closed: 7 years}
cadence:
  initial_plan: 14 days
  referral: 14 days
"""

CLIENT2 = (
    CLIENT_1
    + """\
consents:
  - signed: 2026-02-03
    expires: 2027-02-03
    parties: [Springfield Legal Aid]
    document: sha256:9f2c
contacts:
  - {name: Rosa Lopez, relation: sister, phone: "+1 555 0199", emergency: true}
  - {name: Dr. Adams, relation: psychiatrist, org: Eastside Clinic}
flags:
  - {kind: safeguarding, since: 2026-10-16, review_by: 2026-11-16, note: Ex-partner released}
  - {kind: medical, since: 2026-03-01, cleared: 2026-06-01}
"""
)

PLAN2 = """\
created: 2026-01-12
goals:
  - id: G1
    goal: Move into stable housing
    status: met
    status_date: 2026-10-19
tasks:
  - {id: T1, task: Call Grace two weeks after discharge, due: 2026-11-30, who: jdoe}
referrals:
  - id: R1
    to: Senior Meals Program
    service: home-delivered meals
    goal: G1
    sent: 2026-10-05
    expect_by: 2026-10-19
    status: delivered
    status_date: 2026-10-22
    outcome: First delivery received
"""

LOG2 = (
    entry("a1", "2026-01-10 10:00", extra="  with: family\n  mode: phone\n")
    + entry(
        "a2",
        "2026-01-11 10:00",
        kind="transfer",
        extra="  from: mkim\n  to: jdoe\n  recorded: 2026-01-13 09:12\n  entered_by: mkim\n",
    )
    + entry(
        "a3",
        "2026-01-14 10:00",
        kind="approval",
        extra="  what: plan\n  object: 3b18e512\n  decision: approved\n",
    )
    + entry("a4", "2026-01-15 10:00", kind="plan_change", extra="  changes: [G1 status]\n")
)


def test_format2_fields_validate_clean(tmp_path: Path) -> None:
    root = agency_with(
        tmp_path, agency_yaml=AGENCY2, client_yaml=CLIENT2, plan_yaml=PLAN2, log_yaml=LOG2
    )
    assert found(root) == []


def test_format2_values_are_checked_at_their_place(tmp_path: Path) -> None:
    client = CLIENT_1 + "contacts:\n  - {name: Rosa, emergency: 'true'}\n"
    plan = "goals: []\nreferrals:\n  - {id: R1, to: X, sent: 2026-01-20, status: lost}\n"
    log = entry("a1", extra="  with: landlord\n  mode: pigeon\n")
    root = agency_with(tmp_path, client_yaml=client, plan_yaml=plan, log_yaml=log)
    assert sorted(found(root)) == [
        ("CM102", "client.yaml", 7, 29),
        ("CM203", "plan.yaml", 3, 47),
        ("CM403", "log.yaml", 6, 9),
        ("CM403", "log.yaml", 7, 9),
    ]


def test_unknown_key_hint_names_the_yaml_key_not_the_python_name(tmp_path: Path) -> None:
    root = agency_with(tmp_path, log_yaml=entry("a1", extra="  wiht: family\n"))
    _, problems = run_validate(root)
    [problem] = problems
    assert problem["code"] == "CM407"
    assert "did you mean 'with'?" in str(problem["message"])
