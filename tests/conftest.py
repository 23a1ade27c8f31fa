"""Shared test builders: real agencies on disk, real git, pinned identity.

``make_agency(tmp_path, clients={...})`` writes casectl.yaml and client files from
inline YAML and (optionally) commits them in a fresh git repository. An autouse
fixture points HOME and git's global config at the test's own folder, so no test
can read or change the developer's real git identity or configuration, and
``casectl`` run without ``-C`` can never find an agency outside ``tmp_path``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
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


# ------------------------------------------------------------------ the slow marker
#
# `pytest -m "not slow"` is the quick loop (under a minute); CI runs everything. A test
# is slow when it starts processes by the dozen (several real casectl processes, git
# clones, a browser), kills writers mid-write, or runs a big hypothesis search: mark
# it `@pytest.mark.slow`, or list it in tests/slow.txt (the tests measured at 2 s and
# more with `--durations=0` on the shared 2-core machine).
SLOW_LIST = Path(__file__).with_name("slow.txt")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    listed = {line.partition("#")[0].strip() for line in SLOW_LIST.read_text().splitlines()}
    for item in items:
        if item.nodeid.partition("[")[0] in listed:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Jane Doe\n\temail = jane.doe@example.org\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key, value in AUTHOR.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    # Root discovery must never escape the test's folder.
    monkeypatch.chdir(home)
    yield


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


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    """A small valid agency with two clients, committed."""
    return make_agency(
        tmp_path / "agency",
        {"rc-0001": client_files("rc-0001"), "rc-0002": client_files("rc-0002")},
    )


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
