"""The foundation commands end to end: init, new, validate, list, show, schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import cli, cli_subprocess, client_files, make_agency, run_git


def test_version_and_help() -> None:
    r = cli("--version")
    assert r.exit_code == 0 and r.stdout.startswith("casectl ")
    assert cli("--help").exit_code == 0


def test_init_new_validate_list_show(tmp_path: Path) -> None:
    root = tmp_path / "ag"
    r = cli(
        "init", root, "--agency", "Riverside", "--timezone", "America/Chicago", "--manager", "jdoe"
    )
    assert r.exit_code == 0, r.stderr
    assert (root / "casectl.yaml").is_file()
    assert ".casectl/" in (root / ".gitignore").read_text()
    assert "merge=casectl-log" in (root / ".gitattributes").read_text()
    assert "casectl" in run_git(root, "config", "merge.casectl-log.driver")
    assert run_git(root, "status", "--porcelain") == ""
    r = cli(
        "-C",
        root,
        "new",
        "rc-0001",
        "--name",
        'Maria O\'Brien: "Jr"',
        "--manager",
        "jdoe",
        "--opened",
        "2026-02-03",
    )
    assert r.exit_code == 0, r.stderr
    log = run_git(root, "log", "--format=%s|%an")
    assert log.splitlines()[0] == "new: rc-0001 (jdoe)|Jane Doe"
    assert run_git(root, "status", "--porcelain") == ""
    r = cli("-C", root, "validate")
    assert r.exit_code == 0, r.stdout
    assert r.stdout == "no problems in 5 files\n"
    r = cli("-C", root, "list", "--format", "json")
    rows = json.loads(r.stdout)
    assert rows[0]["id"] == "rc-0001" and rows[0]["name"] == 'Maria O\'Brien: "Jr"'
    r = cli("-C", root, "show", "rc-0001", "--as-of", "2026-02-10")
    assert r.exit_code == 0
    assert "Maria O'Brien" in r.stdout and "initial assessment" in r.stdout


def test_new_refuses_bad_ids_before_touching_files(agency: Path) -> None:
    before = sorted(p.name for p in (agency / "clients").iterdir())
    for bad in ("../x", "UPPER", "a b", "", "-lead", "a/b", "x" * 65):
        r = cli("-C", agency, "new", "--name", "N", "--manager", "jdoe", "--", bad)
        assert r.exit_code == 2, bad
        assert "not a valid client id" in r.stderr
        assert "Traceback" not in r.stderr
    assert sorted(p.name for p in (agency / "clients").iterdir()) == before


def test_new_refuses_unknown_manager_and_existing_client(agency: Path) -> None:
    r = cli("-C", agency, "new", "rc-0009", "--name", "N", "--manager", "nobody")
    assert r.exit_code == 2 and "not a manager" in r.stderr
    r = cli("-C", agency, "new", "rc-0001", "--name", "N", "--manager", "jdoe")
    assert r.exit_code == 2 and "already exists" in r.stderr
    assert not (agency / "clients" / "rc-0009").exists()


def test_validate_clean_and_exit_codes(agency: Path) -> None:
    r = cli("-C", agency, "validate")
    assert (r.exit_code, r.stdout) == (0, "no problems in 9 files\n")
    r = cli("-C", agency / "clients", "validate")
    assert r.exit_code == 2 and "no casectl.yaml" in r.stderr


def test_validate_finds_agency_by_walking_up(
    agency: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a folder deep inside the agency, validate finds the casectl.yaml above it,
    checks the whole agency and names files from its root (not from the cwd)."""
    deep = agency / "clients" / "rc-0002" / "scans" / "2026"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    r = cli("validate")
    assert r.exit_code == 0
    assert r.stdout == (
        "clients/rc-0002/scans:1:1: warning CM604 unexpected file in a client folder\n"
        "0 errors, 1 warning in 9 files\n"
    )
    # the same from the root with -C: walking up found this very agency
    assert cli("-C", agency, "validate").stdout == r.stdout
    # and above every agency there is none to find: refused, not another folder's
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    none = cli("validate")
    assert none.exit_code == 2 and "no casectl.yaml" in none.stderr


def test_validate_reports_problem_lines_sorted_with_summary(tmp_path: Path) -> None:
    root = make_agency(
        tmp_path / "a",
        {
            "rc-0001": client_files(
                "rc-0001",
                **{
                    "plan.yaml": (
                        "created: 2026-01-12\n"
                        "goals:\n"
                        "  - id: G1\n"
                        "    goal: A\n"
                        "  - id: G2\n"
                        "    goal: B\n"
                        "    target: 2026-13-01\n"
                    )
                },
            ),
            "rc-0002": client_files(
                "rc-0002",
                **{
                    "client.yaml": (
                        "id: rc-0002\nname: X\nstauts: active\nstatus: active\nopened: 2026-01-05\n"
                        "manager: jdoe\n"
                    )
                },
            ),
        },
    )
    r = cli("-C", root, "validate")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        "clients/rc-0001/plan.yaml:7:13: error CM204 goals[1].target: '2026-13-01' is not a date "
        "(use YYYY-MM-DD)",
        "clients/rc-0002/client.yaml:3:1: warning CM107 stauts: unknown key (ignored); "
        "did you mean 'status'?",
        "1 error, 1 warning in 9 files",
    ]
    r = cli("-C", root, "validate", "--format", "json")
    data = json.loads(r.stdout)
    assert [d["code"] for d in data] == ["CM204", "CM107"]
    assert set(data[0]) == {"path", "line", "column", "severity", "code", "message"}
    r = cli("-C", root, "validate", "--format", "github")
    assert r.stdout.splitlines()[0].startswith(
        "::error file=clients/rc-0001/plan.yaml,line=7,col=13,title=CM204::CM204 goals[1].target"
    )
    # --strict turns the warning into an error; paths limit the check to their clients
    r = cli("-C", root, "validate", "--strict", root / "clients" / "rc-0002")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        "clients/rc-0002/client.yaml:3:1: error CM107 stauts: unknown key (ignored); "
        "did you mean 'status'?",
        "1 error in 5 files",
    ]
    assert cli("-C", root, "validate", root / "clients" / "rc-0002").exit_code == 0


def test_schema_writes_valid_json(tmp_path: Path) -> None:
    r = cli("schema", "-o", tmp_path / "s")
    assert r.exit_code == 0
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == [
        "assessment.schema.json",
        "casectl.schema.json",
        "client.schema.json",
        "log.schema.json",
        "plan.schema.json",
    ]
    log = json.loads((tmp_path / "s" / "log.schema.json").read_text())
    assert log["type"] == "array"
    client = json.loads((tmp_path / "s" / "client.schema.json").read_text())
    assert "status" in client["properties"]


def test_real_process_exit_codes(agency: Path, tmp_path: Path) -> None:
    done = cli_subprocess("-C", agency, "validate")
    assert done.returncode == 0 and done.stdout == "no problems in 9 files\n"
    assert "\x1b[" not in done.stdout
    done = cli_subprocess("-C", tmp_path, "validate")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = cli_subprocess("validate", "--format", "nope", cwd=agency)
    assert done.returncode == 2


def test_absurd_option_values_are_refused(agency: Path) -> None:
    for args in (
        ("due", "--as-of", "9999-12-31"),
        ("due", "--within", "99999 years"),
        ("due", "--as-of", "2026-02-30"),
        ("due", "--within", "soon"),
    ):
        r = cli("-C", agency, *args)
        assert r.exit_code == 2, args
        assert r.stderr.startswith("casectl: error: --"), r.stderr


def test_validate_of_casectl_yaml_checks_every_client(agency: Path) -> None:
    # Dropping a manager from the settings breaks clients whose files did not change.
    text = (
        (agency / "casectl.yaml")
        .read_text()
        .replace("  jdoe: {name: Jane Doe, email: jane.doe@example.org}\n", "")
    )
    (agency / "casectl.yaml").write_text(text)
    r = cli("-C", agency, "validate", agency / "casectl.yaml")
    assert r.exit_code == 1
    assert "clients/rc-0001/client.yaml:5:10: error CM125" in r.stdout
    assert "clients/rc-0002/client.yaml" in r.stdout


def test_an_internal_error_is_one_line_and_exit_3(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import casectl.commands.list as list_command

    def broken(**_: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(list_command, "run", broken)
    result = cli("-C", agency, "list")
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" in lines[0] and "CASECTL_DEBUG" in lines[0]
