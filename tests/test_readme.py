"""The README shows real output and real commands."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.builders import EXAMPLE, REPO_ROOT, cli, client_files, make_agency, run_git


def test_readme_due_output_is_what_casectl_prints() -> None:
    text = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"\$ casectl -C examples/agency due --as-of 2026-12-01\n(.*?)```", text, re.S)
    assert block is not None
    r = cli("-C", EXAMPLE, "due", "--as-of", "2026-12-01")
    assert r.exit_code == 0
    assert r.stdout == block.group(1)


def test_readme_starts_with_python_a_venv_and_the_two_commands() -> None:
    text = (REPO_ROOT / "README.md").read_text()
    first_block = text.split("```sh", 1)[1].split("```", 1)[0]
    before = text.split("```sh", 1)[0]
    assert "Python 3.11 or newer" in before and "pipx" in before
    commands = [ln for ln in first_block.splitlines() if ln and not ln.startswith("#")]
    assert commands == [
        "python3 -m venv .venv && . .venv/bin/activate",
        "pip install . && casectl -C examples/agency due --as-of 2026-12-01",
        "pip install -e '.[test]' && python -m pytest -q",
    ]


def test_readme_stats_output_is_what_casectl_prints() -> None:
    """The example agency's October figures in the README are casectl's real output
    (and, with --as-of, the same whenever the test runs)."""
    text = (REPO_ROOT / "README.md").read_text()
    command = (
        "casectl -C examples/agency stats --from 2026-10-01 --to 2026-10-31 --as-of 2026-12-01"
    )
    block = re.search(rf"\$ {re.escape(command)}\n(.*?)```", text, re.S)
    assert block is not None
    r = cli("-C", EXAMPLE, *command.split()[3:])
    assert r.exit_code == 0, r.stderr

    def settled(text: str) -> list[str]:  # all but the "generated <now>" line
        return [ln for ln in text.splitlines() if not ln.startswith("generated ")]

    assert settled(r.stdout) == settled(block.group(1))
    assert sum(ln.startswith("generated ") for ln in r.stdout.splitlines()) == 1
    # A few figures read off the example's files by hand: rc-0009 closed on 2026-10-30
    # (goals met); rc-0010 closed in August and rc-0008 opened in November are not open.
    assert re.search(r"^open +8$", r.stdout, re.M)
    assert re.search(r"^  reason: goals met +1$", r.stdout, re.M)


# ------------------------------------------------- the README runs as written


def _blocks(language: str) -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


def _tour() -> str:
    """The git identity block and the tour, as the README has them."""
    text = (REPO_ROOT / "README.md").read_text()
    tour = text.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", tour, re.S | re.M)[:2]
    assert "git config --global user.email" in blocks[0] and "casectl init" in blocks[1]
    return "".join(blocks)


EDIT_PLAN = """\
import pathlib, sys
plan = pathlib.Path(sys.argv[1])
plan.write_text(plan.read_text().replace(
    "goals: []",
    "goals:\\n  - {id: G1, domain: housing, goal: Move into stable housing, "
    "target: 2026-06-30, status: active}",
))
"""


def _casectl_bin(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "casectl"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} -m casectl "$@"\n')
    script.chmod(0o755)
    return folder


def test_the_tour_runs_as_written(tmp_path: Path) -> None:
    """Every line of the tour, in bash with `set -e`, in an empty folder, with a git
    that does not know who you are yet; $EDITOR adds a goal."""
    home = tmp_path / "home"
    home.mkdir()
    editor = tmp_path / "edit-plan"
    editor.write_text(f'#!/bin/sh\nexec {sys.executable} {tmp_path / "edit.py"} "$1"\n')
    editor.chmod(0o755)
    (tmp_path / "edit.py").write_text(EDIT_PLAN)
    work = tmp_path / "work"
    work.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_AUTHOR", "GIT_COMMITTER", "EMAIL"))
    }
    env.update(
        HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"), EDITOR=str(editor),
        PATH=f"{_casectl_bin(tmp_path / 'bin')}:{env['PATH']}", PYTHONPATH=str(REPO_ROOT),
        CASECTL_PAGER="",
    )  # fmt: skip
    done = subprocess.run(
        ["bash", "-e", "-c", _tour()], cwd=work, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    repo = work / "riverside"
    assert "no problems" in done.stdout
    assert (work / "maria.html").is_file()  # the report is outside the repository
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, env=env,
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert status == ""  # the hand edit was committed; nothing was left behind
    shared = subprocess.run(["git", "log", "--oneline", "--all"], cwd=work / "riverside-shared.git",
                            env=env, capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "first plan" in shared and "note: rc-0001 visit" in shared


def test_the_pre_commit_snippet_is_a_local_hook_that_stops_a_bad_commit(
    tmp_path: Path,
) -> None:
    """The README's .pre-commit-config.yaml, as pre-commit would run it: its `entry`
    on the staged files its `files` pattern selects (with the real pre-commit too,
    when it is installed)."""
    config_text = next(b for b in _blocks("yaml") if ".pre-commit-config.yaml" in b)
    config = yaml.safe_load(config_text)
    (repo,) = config["repos"]
    assert repo["repo"] == "local" and "rev" not in repo
    (hook,) = repo["hooks"]
    assert hook["language"] == "system" and hook["pass_filenames"] is True
    root = make_agency(tmp_path / "agency", {"rc-0001": client_files("rc-0001")})
    (root / ".pre-commit-config.yaml").write_text(config_text)
    bindir = _casectl_bin(tmp_path / "bin")
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "PYTHONPATH": str(REPO_ROOT)}
    plan = root / "clients" / "rc-0001" / "plan.yaml"
    staged = ["clients/rc-0001/plan.yaml", "README.txt"]
    selected = [p for p in staged if re.search(hook["files"], p)]
    assert selected == ["clients/rc-0001/plan.yaml"]
    command = hook["entry"].split()
    ok = subprocess.run([*command, *selected], cwd=root, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    plan.write_text(plan.read_text().replace("2026-12-31", "2026-13-01"))
    bad = subprocess.run([*command, *selected], cwd=root, env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "CM204" in bad.stdout
    if shutil.which("pre-commit"):
        run_git(root, "add", "-A")
        real = subprocess.run(["pre-commit", "run", "--files", *selected], cwd=root, env=env,
                              capture_output=True, text=True)  # fmt: skip
        assert real.returncode == 1 and "CM204" in real.stdout


@pytest.mark.slow
def test_the_setup_commands_run_as_written(tmp_path: Path) -> None:
    """The README's first block in a copy of this checkout: a fresh virtual environment,
    `pip install .` and the example's due list, `pip install -e '.[test]'` and the test
    suite (collected, not run: this test is part of it)."""
    if os.environ.get("CASECTL_README_SETUP"):
        pytest.skip("already inside the README's setup commands")
    copy = tmp_path / "casectl"
    shutil.copytree(
        REPO_ROOT, copy,
        ignore=shutil.ignore_patterns(".git", ".venv", "*_cache", ".hypothesis", "__pycache__",
                                      ".casectl", ".benchmarks", "*.egg-info", "build", "dist"),
    )  # fmt: skip
    block = _blocks("sh")[0]
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH",
           "VIRTUAL_ENV")}  # fmt: skip
    env.update(CASECTL_README_SETUP="1", PYTEST_ADDOPTS="--collect-only -q")
    done = subprocess.run(
        ["bash", "-e", "-c", block], cwd=copy, env=env, capture_output=True, text=True,
        timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "rc-0003  Evelyn Harper" in done.stdout  # the example's due list
    assert re.search(r"^tests/test_readme\.py: \d+$", done.stdout, re.M), done.stdout[-2000:]
