"""Every test builder in one place: real agencies on disk, real git, the real CLI.

``make_agency(tmp_path, clients={...})`` writes casectl.yaml and client files from
inline YAML and (optionally) commits them in a fresh git repository;
``client_files(cid, **override)`` gives the four files of a valid client;
``cli(...)`` runs the typer app in-process, ``cli_subprocess(...)`` a true
``python -m casectl`` process; ``run_git`` and ``commit_count`` look at the repository.

The planted-problem helpers of the checks tests (``agency_with``, ``entry``,
``found``, ``messages``, ``run_validate``) build one client ``rc-0001`` (``CID``),
plant a problem in its files, run ``validate --format json`` and return what was
found as ``(code, path, line, column)`` tuples.

The fixtures (an isolated HOME and git configuration for every test, the ``agency``
of two clients, the slow marker) are in tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner

from casectl.cli import app

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "agency"

AUTHOR = {
    "GIT_AUTHOR_NAME": "Jane Doe",
    "GIT_AUTHOR_EMAIL": "jane.doe@example.org",
    "GIT_COMMITTER_NAME": "Jane Doe",
    "GIT_COMMITTER_EMAIL": "jane.doe@example.org",
}

AGENCY_YAML = """\
format: 1
agency: Test Agency
timezone: America/Chicago
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
  mkim: Min Kim
"""

CLIENT = """\
id: {id}
name: Test Person
status: active
opened: 2026-01-05
manager: jdoe
"""

ASSESSMENT = """\
assessments:
  - date: 2026-01-10
    by: jdoe
    domains:
      housing: {score: 2, note: Staying with a cousin}
      income: {score: 3}
"""

PLAN = """\
created: 2026-01-12
goals:
  - id: G1
    domain: housing
    goal: Move into stable housing
    target: 2026-12-31
    status: active
    actions:
      - action: Apply for a housing voucher
        who: client
        due: 2026-02-01
        done: 2026-01-30
"""

LOG = """\
- id: 20260110-1000-jdoe
  date: 2026-01-10 10:00
  by: jdoe
  type: visit
  goals: [G1]
  text: |
    First visit.
"""


def client_files(cid: str, **override: str | None) -> dict[str, str | None]:
    """The four files of a valid client; override any by name (None: leave out)."""
    files: dict[str, str | None] = {
        "client.yaml": CLIENT.format(id=cid),
        "assessment.yaml": ASSESSMENT,
        "plan.yaml": PLAN,
        "log.yaml": LOG,
    }
    files.update(override)
    return files


def make_agency(
    root: Path,
    clients: Mapping[str, Mapping[str, str | bytes | None]] | None = None,
    agency_yaml: str = AGENCY_YAML,
    git: bool = True,
) -> Path:
    """Write an agency at ``root``; each client maps file name -> YAML text."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "casectl.yaml").write_text(textwrap.dedent(agency_yaml))
    (root / "clients").mkdir(exist_ok=True)
    for cid, files in (clients or {}).items():
        folder = root / "clients" / cid
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            if text is None:
                continue
            if isinstance(text, bytes):
                (folder / name).write_bytes(text)
            else:
                (folder / name).write_text(text)
    (root / ".gitignore").write_text(".casectl/\n")
    if git:
        run_git(root, "init", "-q", "-b", "main")
        run_git(root, "add", "-A")
        run_git(root, "commit", "-q", "-m", "test agency")
    return root


def run_git(root: Path, *args: str) -> str:
    env = {**os.environ, **AUTHOR}
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


class Result:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


def cli(*args: str | Path, input: str | None = None) -> Result:
    """Run the real typer app in-process (fast); stdout and stderr kept apart."""
    runner = CliRunner()
    result = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def cli_subprocess(
    *args: str | Path,
    cwd: Path | None = None,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m casectl`` as a real process."""
    full_env = {**os.environ, **AUTHOR, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "casectl", *map(str, args)],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def commit_count(root: Path) -> int:
    """How many commits HEAD has (a write adds exactly one)."""
    return int(run_git(root, "rev-list", "--count", "HEAD").strip())


# ------------------------------------------------------------ planted problems (checks)

CID = "rc-0001"
Found = tuple[str, str, int, int]

CLIENT_1 = "id: rc-0001\nname: Test Person\nstatus: active\nopened: 2026-01-05\nmanager: jdoe\n"


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
