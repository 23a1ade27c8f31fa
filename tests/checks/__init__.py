"""Planted-problem tests for ``casectl validate``, one module per file family.

Helpers here build a real agency on disk (``tests.conftest.make_agency``), plant a
problem in one client's files, run the real CLI with ``--format json`` and return
what it found as ``(code, path, line, column)`` tuples, so each test states exactly
which problem must be reported and where.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import AGENCY_YAML, cli, client_files, make_agency

CID = "rc-0001"
Found = tuple[str, str, int, int]

CLIENT = "id: rc-0001\nname: Test Person\nstatus: active\nopened: 2026-01-05\nmanager: jdoe\n"


def entry(
    note_id: str,
    when: str = "2026-01-10 10:00",
    kind: str = "visit",
    extra: str = "",
    by: str = "jdoe",
) -> str:
    """One log entry (5 lines, plus ``extra``) as a YAML list item."""
    return f"- id: {note_id}\n  date: {when}\n  by: {by}\n  type: {kind}\n  text: a\n{extra}"


def agency_with(
    tmp_path: Path, agency_yaml: str = AGENCY_YAML, **files: str | bytes | None
) -> Path:
    """An agency whose one client rc-0001 has ``files`` (``plan_yaml=...``) replaced."""
    override = {name.replace("_yaml", ".yaml"): text for name, text in files.items()}
    return make_agency(
        tmp_path / "agency",
        {CID: client_files(CID, **override)},  # type: ignore[arg-type]
        agency_yaml=agency_yaml,
        git=False,
    )


def run_validate(root: Path, *args: str | Path) -> tuple[int, list[dict[str, object]]]:
    result = cli("-C", root, "validate", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    problems: list[dict[str, object]] = json.loads(result.stdout)
    return result.exit_code, problems


def found(root: Path, *args: str | Path) -> list[Found]:
    """Every problem reported, as (code, path relative to the client folder or root,
    line, column)."""
    _, problems = run_validate(root, *args)
    prefix = f"clients/{CID}/"
    return [
        (
            str(p["code"]),
            str(p["path"]).removeprefix(prefix),
            int(p["line"]),  # type: ignore[call-overload]
            int(p["column"]),  # type: ignore[call-overload]
        )
        for p in problems
    ]


def messages(root: Path, *args: str | Path) -> dict[str, str]:
    """code -> message of the (last) problem with that code."""
    _, problems = run_validate(root, *args)
    return {str(p["code"]): str(p["message"]) for p in problems}
