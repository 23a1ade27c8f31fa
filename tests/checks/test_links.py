"""The repository layout and the links between files (CM6xx), and that one broken
file never stops the others from being checked."""

from __future__ import annotations

import os
from pathlib import Path

from tests.builders import (
    CID,
    agency_with,
    cli,
    client_files,
    entry,
    found,
    make_agency,
    run_validate,
)


def test_missing_file(tmp_path: Path) -> None:
    root = agency_with(tmp_path, log_yaml=None)
    assert found(root) == [("CM601", "log.yaml", 1, 1)]


def test_invalid_folder_names(tmp_path: Path) -> None:
    root = make_agency(
        tmp_path / "a",
        {"Bad_Name": client_files("bad-name"), "-lead": client_files("lead")},
        git=False,
    )
    assert found(root) == [
        ("CM602", "clients/-lead", 1, 1),
        ("CM602", "clients/Bad_Name", 1, 1),
    ]


def test_symlinked_client_folder_is_refused_not_followed(tmp_path: Path) -> None:
    root = agency_with(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name, text in client_files("rc-0002", **{"client.yaml": "id: [broken\n"}).items():
        (elsewhere / name).write_text(str(text))
    os.symlink(elsewhere, root / "clients" / "rc-0002")
    # the linked folder's own broken client.yaml is never read
    assert found(root) == [("CM603", "clients/rc-0002", 1, 1)]


def test_symlinked_client_file_is_refused_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: [not, yaml\n")
    root = agency_with(tmp_path, client_yaml=None)
    os.symlink(secret, root / "clients" / CID / "client.yaml")
    assert found(root) == [("CM603", "client.yaml", 1, 1)]


def test_folder_and_fifo_in_place_of_a_file(tmp_path: Path) -> None:
    root = agency_with(tmp_path, plan_yaml=None, log_yaml=None)
    (root / "clients" / CID / "plan.yaml").mkdir()
    os.mkfifo(root / "clients" / CID / "log.yaml")  # reading it would block forever
    assert found(root) == [("CM008", "log.yaml", 1, 1), ("CM008", "plan.yaml", 1, 1)]


def test_unexpected_files(tmp_path: Path) -> None:
    root = agency_with(tmp_path)
    (root / "clients" / CID / "notes.txt").write_text("x")
    (root / "clients" / CID / ".hidden").write_text("x")
    (root / "clients" / "README").write_text("x")
    code, problems = run_validate(root)
    assert code == 0
    assert [(p["code"], p["path"], p["severity"]) for p in problems] == [
        ("CM605", "clients/README", "warning"),
        ("CM604", f"clients/{CID}/notes.txt", "warning"),
    ]


def test_note_goal_link(tmp_path: Path) -> None:
    root = agency_with(tmp_path, log_yaml=entry("n1", extra="  goals: [G1, G2]\n"))
    assert found(root) == [("CM620", "log.yaml", 6, 15)]


def test_one_broken_file_never_stops_the_others(tmp_path: Path) -> None:
    root = make_agency(
        tmp_path / "a",
        {
            "rc-0001": client_files("rc-0001", **{"plan.yaml": "goals: [\n"}),
            "rc-0002": client_files(
                "rc-0002",
                **{
                    "client.yaml": "id: rc-0002\nname: X\nstatus: bad\nopened: 2026-01-05\n"
                    "manager: jdoe\n",
                    "log.yaml": entry("n1", "2999-01-01 10:00"),
                },
            ),
        },
        git=False,
    )
    (root / "clients" / "rc-0001" / "assessment.yaml").write_bytes(b"\xff\xfe")
    assert found(root) == [
        ("CM002", "assessment.yaml", 1, 1),
        ("CM001", "plan.yaml", 2, 1),
        ("CM103", "clients/rc-0002/client.yaml", 3, 9),
        ("CM422", "clients/rc-0002/log.yaml", 2, 9),
    ]


def test_paths_limit_the_check_to_their_clients(tmp_path: Path) -> None:
    root = make_agency(
        tmp_path / "a",
        {
            "rc-0001": client_files("rc-0001", **{"plan.yaml": "goals: [\n"}),
            "rc-0002": client_files("rc-0002"),
        },
        git=False,
    )
    assert found(root, root / "clients" / "rc-0002" / "log.yaml") == []
    assert found(root, root / "clients" / "rc-0001" / "log.yaml") == [("CM001", "plan.yaml", 2, 1)]
    r = cli("-C", root, "validate", tmp_path / "nowhere.yaml")
    assert r.exit_code == 2 and "no such file" in r.stderr
