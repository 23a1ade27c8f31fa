"""A symbolic link where casectl.yaml or clients/ belongs is refused, never followed
(issue 11, item 12): validate reports it (CM603, exit 1), every other command that
reads or writes the agency refuses to run (exit 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.builders import cli, client_files, make_agency

READERS = [
    ["list"],
    ["due", "--as-of", "2026-06-01"],
    ["digest", "--as-of", "2026-06-01"],
    ["caseload"],
    ["show", "rc-0001"],
    ["report", "rc-0001"],
]


@pytest.fixture
def linked_clients(tmp_path: Path) -> Path:
    """An agency whose clients/ is a link to a folder of real clients elsewhere."""
    elsewhere = make_agency(tmp_path / "elsewhere", {"rc-0001": client_files("rc-0001")})
    root = make_agency(tmp_path / "agency", {})
    shutil.rmtree(root / "clients")
    (root / "clients").symlink_to(elsewhere / "clients")
    return root


@pytest.fixture
def linked_config(tmp_path: Path) -> Path:
    root = make_agency(tmp_path / "agency", {"rc-0001": client_files("rc-0001")})
    real = tmp_path / "settings.yaml"
    (root / "casectl.yaml").rename(real)
    (root / "casectl.yaml").symlink_to(real)
    return root


def test_validate_reports_a_linked_clients_folder(linked_clients: Path) -> None:
    r = cli("-C", linked_clients, "validate", "--format", "json")
    assert r.exit_code == 1, r.stderr
    problems = json.loads(r.stdout)
    assert [(p["path"], p["code"], p["severity"]) for p in problems] == [
        ("clients", "CM603", "error")
    ]
    assert "symbolic link" in problems[0]["message"]


@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_commands_refuse_a_linked_clients_folder(linked_clients: Path, args: list[str]) -> None:
    r = cli("-C", linked_clients, *args)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert "clients" in r.stderr and "symbolic link" in r.stderr
    assert "Test Person" not in r.stdout


def test_validate_reports_a_linked_settings_file(linked_config: Path) -> None:
    r = cli("-C", linked_config, "validate")
    assert r.exit_code == 1, r.stderr
    assert "casectl.yaml:1:1: error CM603 is a symbolic link; refusing to follow it" in r.stdout


@pytest.mark.parametrize("args", [*READERS, ["note", "rc-0001", "hello", "--by", "jdoe"]])
def test_commands_refuse_a_linked_settings_file(linked_config: Path, args: list[str]) -> None:
    r = cli("-C", linked_config, *args)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert "casectl.yaml" in r.stderr and "symbolic link" in r.stderr
