"""The contact clock counts entries of contact_types with the client only (contract 5.2)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import AGENCY_YAML, cli, client_files, make_agency

CID = "rc-0001"


def _contact_due(root: Path) -> list[str]:
    items = json.loads(cli("-C", root, "due", "--format", "json").stdout)
    return [i["due"] for i in items if i["kind"] == "contact" and i["client"] == CID]


def test_a_call_to_the_landlord_does_not_reset_the_clock(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag", {CID: client_files(CID)})
    assert _contact_due(root) == ["2026-02-09"]  # last visit 2026-01-10 + 30 days
    r = cli("-C", root, "note", CID, "Called the landlord.", "--type", "phone", "--with", "other")
    assert r.exit_code == 0, r.stderr
    assert _contact_due(root) == ["2026-02-09"]
    r = cli("-C", root, "note", CID, "Called the client.", "--type", "phone", "--mode", "phone")
    assert r.exit_code == 0, r.stderr
    assert _contact_due(root) == []  # 30 days from today: not due soon


def test_format_1_reads_as_before_and_format_2_counts_assessments(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag", {CID: client_files(CID)})
    assert cli("-C", root, "note", CID, "Home assessment.", "--type", "assessment").exit_code == 0
    assert _contact_due(root) == ["2026-02-09"]  # format 1: section 2's list
    v2 = AGENCY_YAML.replace("format: 1", "format: 2")
    root2 = make_agency(tmp_path / "ag2", {CID: client_files(CID)}, agency_yaml=v2)
    assert cli("-C", root2, "note", CID, "Home assessment.", "--type", "assessment").exit_code == 0
    assert _contact_due(root2) == []


def test_contact_types_from_casectl_yaml(tmp_path: Path) -> None:
    agency = AGENCY_YAML.replace("format: 1", "format: 2") + "contact_types: [visit]\n"
    root = make_agency(tmp_path / "ag", {CID: client_files(CID)}, agency_yaml=agency)
    assert cli("-C", root, "note", CID, "Phoned.", "--type", "phone").exit_code == 0
    assert _contact_due(root) == ["2026-02-09"]
    r = cli("-C", root, "note", CID, "Visited the family.", "--type", "visit", "--with", "family")
    assert r.exit_code == 0
    assert _contact_due(root) == ["2026-02-09"]
    assert cli("-C", root, "note", CID, "Visited.", "--type", "visit").exit_code == 0
    assert _contact_due(root) == []
