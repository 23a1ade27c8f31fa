"""Ids and keys match as a whole: ``$`` in a pattern also matches before a final newline,
so ``re.match(r"^[a-z0-9-]+$", "x-1\\n")`` succeeds. One test per place a value is
checked against a pattern (issue: a folder ``clients/x-1\\n`` validated clean)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casectl.errors import CasectlError
from casectl.store import layout, writes
from tests.builders import CLIENT, agency_with, cli, client_files, found, make_agency

NEWLINE_ID = "x-1\n"


def test_a_client_folder_with_a_final_newline_is_not_a_client_id(tmp_path: Path) -> None:
    root = make_agency(
        tmp_path / "ag",
        {"x-1": client_files("x-1"), NEWLINE_ID: client_files("x-1")},
        git=False,
    )
    r = cli("-C", root, "validate", "--format", "json")
    assert r.exit_code == 1, r.stdout
    codes = {(p["code"], p["path"]) for p in json.loads(r.stdout)}
    assert ("CM602", f"clients/{NEWLINE_ID}") in codes


def test_a_client_yaml_id_with_a_final_newline_is_refused(tmp_path: Path) -> None:
    client = CLIENT.format(id="rc-0001").replace("id: rc-0001", 'id: "rc-0001\\n"')
    root = agency_with(tmp_path, client_yaml=client)
    # Not a valid id (CM103), and a control character in an id (CM011).
    assert sorted(found(root)) == [("CM011", "client.yaml", 1, 5), ("CM103", "client.yaml", 1, 5)]


def test_command_line_client_ids_with_a_final_newline_are_refused(agency: Path) -> None:
    with pytest.raises(CasectlError, match="not a valid client id"):
        layout.check_client_id(NEWLINE_ID)
    for args in (
        ["note", NEWLINE_ID, "x"],
        ["new", NEWLINE_ID, "--name", "N", "--manager", "jdoe"],
        ["show", NEWLINE_ID],
    ):
        r = cli("-C", agency, *args)
        assert r.exit_code == 2 and "not a valid client id" in r.stderr, args
    assert sorted(p.name for p in (agency / "clients").iterdir()) == ["rc-0001", "rc-0002"]


def test_a_manager_key_with_a_final_newline_is_flagged(tmp_path: Path) -> None:
    text = 'agency: A\nmanagers:\n  jdoe: Jane Doe\n  "mkim\\n": Min Kim\n'
    root = agency_with(tmp_path, agency_yaml=text)
    assert ("CM522", "casectl.yaml", 4, 3) in found(root)


def test_init_manager_key_must_match_whole(tmp_path: Path) -> None:
    r = cli("init", tmp_path / "ag", "--agency", "A", "--manager", "jdoe\n")
    assert r.exit_code == 2 and "not a manager key" in r.stderr
    assert not (tmp_path / "ag").exists()


def test_temp_file_names_match_whole() -> None:
    assert writes.is_temp_name(".log.yaml.0123456789abcdef.tmp")
    assert not writes.is_temp_name(".log.yaml.0123456789abcdef.tmp\n")
