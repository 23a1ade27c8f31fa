"""Who writes (contract 5.1, 5.3): `entered_by` when --by names someone else, managers
who `left:`, and `role: supervisor`; through the real CLI on a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.builders import cli, client_files, commit_count, make_agency, run_git

AGENCY = """\
format: 1
agency: Test Agency
timezone: America/Chicago
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
  mkim: Min Kim
  cara: {name: Cara Li, left: 2026-10-16}
  dana: {name: Dana Ruiz, email: dana@example.org, role: supervisor}
"""


def _agency(tmp_path: Path) -> Path:
    client = client_files("rc-0001")
    client["client.yaml"] = client["client.yaml"].replace("manager: jdoe", "manager: cara")
    return make_agency(
        tmp_path / "a", {"rc-0001": client, "rc-0002": client_files("rc-0002")}, AGENCY
    )


def _log(root: Path, cid: str) -> list[dict[str, object]]:
    data = yaml.safe_load((root / "clients" / cid / "log.yaml").read_text())
    assert isinstance(data, list)
    return data


def test_by_someone_else_records_entered_by(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    before = (root / "clients/rc-0002/log.yaml").read_bytes()
    r = cli(
        "-C",
        root,
        "note",
        "rc-0002",
        "Phoned for Min.",
        "--by",
        "mkim",
        "--date",
        "2026-11-02 10:00",
    )
    assert r.exit_code == 0, r.stderr
    entry = _log(root, "rc-0002")[-1]
    assert entry["by"] == "mkim"
    assert entry["entered_by"] == "jdoe"
    # The log is appended to, never rewritten; casectl.yaml says format 2 (said aloud).
    assert (root / "clients/rc-0002/log.yaml").read_bytes().startswith(before)
    assert "casectl.yaml: format 1 -> 2 (this change uses format 2 fields)" in r.stderr
    assert yaml.safe_load((root / "casectl.yaml").read_text())["format"] == 2
    assert run_git(root, "status", "--porcelain") == ""
    assert commit_count(root) == 2


def test_own_notes_have_no_entered_by(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    assert cli("-C", root, "note", "rc-0002", "Visit.").exit_code == 0
    assert cli("-C", root, "note", "rc-0002", "Again.", "--by", "jdoe").exit_code == 0
    assert all("entered_by" not in e for e in _log(root, "rc-0002"))
    assert yaml.safe_load((root / "casectl.yaml").read_text())["format"] == 1
    # A late entry (dated over 24 hours back) is recorded: format 2, but no entered_by.
    late = cli("-C", root, "note", "rc-0002", "Visit.", "--date", "-3d")
    assert late.exit_code == 0, late.stderr
    assert all("entered_by" not in e for e in _log(root, "rc-0002"))
    assert "recorded" in _log(root, "rc-0002")[-1]


def test_identity_matching_no_manager_leaves_entered_by_out(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    run_git(root, "config", "user.email", "temp@example.org")
    run_git(root, "config", "user.name", "A Temp")
    import os

    env = {"GIT_AUTHOR_NAME": "A Temp", "GIT_AUTHOR_EMAIL": "temp@example.org"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        r = cli("-C", root, "note", "rc-0002", "Typed.", "--by", "mkim")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert r.exit_code == 0, r.stderr
    assert "entered_by" not in _log(root, "rc-0002")[-1]


def test_left_manager_entries_after_left_refused(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    head = run_git(root, "rev-parse", "HEAD")
    r = cli("-C", root, "note", "rc-0001", "Late.", "--by", "cara", "--date", "2026-10-20 09:00")
    assert r.exit_code == 2
    assert "left the agency on 2026-10-16" in r.stderr
    assert run_git(root, "rev-parse", "HEAD") == head
    assert run_git(root, "status", "--porcelain") == ""
    # Before the day she left: fine (written by someone else for her).
    r = cli("-C", root, "note", "rc-0001", "Old.", "--by", "cara", "--date", "2026-10-15 09:00")
    assert r.exit_code == 0, r.stderr
    # Past entries by her stay valid.
    assert cli("-C", root, "validate").exit_code == 0


def test_new_client_for_left_manager_refused(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    r = cli("-C", root, "new", "rc-0003", "--name", "A B", "--manager", "cara")
    assert r.exit_code == 2
    assert "left the agency on 2026-10-16" in r.stderr
    assert not (root / "clients/rc-0003").exists()


def test_clients_of_left_manager_listed_and_flagged(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    r = cli("-C", root, "list")
    assert r.exit_code == 0
    line = next(ln for ln in r.stdout.splitlines() if "rc-0001" in ln)
    assert "manager left" in line
    other = next(ln for ln in r.stdout.splitlines() if "rc-0002" in ln)
    assert "manager left" not in other
    rows = json.loads(cli("-C", root, "list", "--format", "json").stdout)
    assert {r["id"]: r["manager_left"] for r in rows} == {"rc-0001": True, "rc-0002": False}
    assert cli("-C", root, "list", "--manager", "cara").exit_code == 0
    shown = cli("-C", root, "show", "rc-0001").stdout
    assert "manager left 2026-10-16" in shown


def test_roles_read(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    assert cli("-C", root, "validate").exit_code == 0
    bad = AGENCY.replace("role: supervisor", "role: boss")
    other = make_agency(tmp_path / "b", {"rc-0001": client_files("rc-0001")}, bad)
    r = cli("-C", other, "validate")
    assert r.exit_code == 1
    assert "role" in r.stdout
