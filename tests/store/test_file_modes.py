"""Case files hold personal data: casectl creates them private to their owner (client
folders 0700, files 0600) whatever the umask, or shared with the group (0770 / 0660)
with ``shared_group: true``; a file that exists keeps its mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import AGENCY_YAML, cli, client_files, make_agency

CID = "rc-0001"


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _new_client(root: Path) -> Path:
    r = cli("-C", root, "new", "rc-0009", "--name", "New Person", "--manager", "jdoe")
    assert r.exit_code == 0, r.stderr
    return root / "clients" / "rc-0009"


def test_new_client_folders_and_files_are_private(agency: Path) -> None:
    folder = _new_client(agency)
    assert _mode(folder) == 0o700
    assert {f.name: _mode(f) for f in folder.iterdir()} == {
        "client.yaml": 0o600,
        "assessment.yaml": 0o600,
        "plan.yaml": 0o600,
        "log.yaml": 0o600,
    }
    # Written again by note and close, they keep the mode.
    assert cli("-C", agency, "note", "rc-0009", "x").exit_code == 0
    assert cli("-C", agency, "close", "rc-0009", "--reason", "moved").exit_code == 0
    assert {_mode(f) for f in folder.iterdir()} == {0o600}


def test_a_log_created_by_note_is_private(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag", {CID: client_files(CID, **{"log.yaml": None})})
    assert cli("-C", root, "note", CID, "First note.").exit_code == 0
    assert _mode(root / "clients" / CID / "log.yaml") == 0o600


def test_existing_files_keep_their_mode(agency: Path) -> None:
    log = agency / "clients" / CID / "log.yaml"
    log.chmod(0o640)
    assert cli("-C", agency, "note", CID, "x").exit_code == 0
    assert _mode(log) == 0o640


def test_shared_group_gives_the_group_access(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag", agency_yaml=AGENCY_YAML + "shared_group: true\n")
    folder = _new_client(root)
    assert _mode(folder) == 0o770
    assert {_mode(f) for f in folder.iterdir()} == {0o660}
    assert cli("-C", root, "validate").exit_code == 0  # a known key, no warning
    assert "shared_group" in cli("schema").stdout


def test_shared_group_must_be_true_or_false(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag", agency_yaml=AGENCY_YAML + "shared_group: yes please\n")
    r = cli("-C", root, "validate")
    assert r.exit_code == 1 and "shared_group" in r.stdout and "true or false" in r.stdout
