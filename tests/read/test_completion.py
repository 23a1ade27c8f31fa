"""Shell completion (issue 17): client ids, managers, goal ids, kinds and note types
from the agency in the current folder, through a real bash's `complete` with the
script `casectl --show-completion` prints; the launcher's fast path and typer's own
completion give the same answers, and a Tab at 10,000 clients stays under 0.2 s."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import typer.main

from casectl.cli import app
from casectl.core.model import CLOSE_REASONS, NOTE_TYPES, STATUSES
from casectl.core.schedule import KINDS
from casectl.read import completion
from tests.builders import AUTHOR, REPO_ROOT, client_files, make_agency

PLAN = """\
created: 2026-01-12
goals:
  - {id: G1, goal: Move into stable housing, status: active}
  - {id: G2, goal: Steady income, status: active}
"""

LAUNCHERS = {
    # the console script's way in (casectl.launch: the fast path first)
    "fast": "-m casectl",
    # typer's completion alone (no fast path)
    "typer": "-c 'import sys; from casectl.cli import main; sys.argv[0] = \"casectl\"; main()'",
}


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("completion")
    return make_agency(
        base / "agency",
        {
            "rc-0001": client_files("rc-0001", **{"plan.yaml": PLAN}),
            "rc-0002": client_files("rc-0002"),
            "rc-0042": client_files("rc-0042"),
        },
    )


def _bin(tmp: Path, how: str) -> Path:
    folder = tmp / f"bin-{how}"
    folder.mkdir(exist_ok=True)
    script = folder / "casectl"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} {LAUNCHERS[how]} "$@"\n')
    script.chmod(0o755)
    return folder


def bash_complete(line: str, cwd: Path, bindir: Path) -> list[str]:
    """What bash offers for ``line`` (Tab at its end), through `complete -p casectl`."""
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    program = r"""
set -e
eval "$(casectl --show-completion)"
spec=$(complete -p casectl)
func=$(printf '%s\n' "$spec" | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
read -r -a COMP_WORDS <<< "$LINE"
if [ "${LINE% }" != "$LINE" ]; then COMP_WORDS+=(""); fi
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$LINE"; COMP_POINT=${#LINE}
"$func" casectl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""
    env = {
        **AUTHOR, "PATH": f"{bindir}:{os.environ['PATH']}", "PYTHONPATH": str(REPO_ROOT),
        "HOME": str(cwd), "LINE": line,
    }  # fmt: skip
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


CASES = [
    ("casectl show rc-00", ["rc-0001", "rc-0002", "rc-0042"]),
    ("casectl show rc-004", ["rc-0042"]),
    ("casectl report ", ["rc-0001", "rc-0002", "rc-0042"]),
    ("casectl note rc-0001 --goal ", ["G1", "G2"]),
    ("casectl note rc-0001 --type v", ["visit"]),
    ("casectl note rc-0002 --by ", ["jdoe", "mkim"]),
    ("casectl list --manager j", ["jdoe"]),
    ("casectl due --kind co", ["contact", "consent"]),
    ("casectl due --client rc-0001 --client rc-000", ["rc-0001", "rc-0002"]),
    ("casectl list --status o", ["on_hold"]),
    ("casectl close rc-0001 --reason goals", ["goals_met"]),
    ("casectl due --format ", ["text", "json", "md", "ics"]),
    ("casectl sh", ["show"]),
    ("casectl new rc-00", []),  # a new id: nothing existing to offer
]


@pytest.mark.parametrize("how", ["fast", "typer"])
@pytest.mark.parametrize(("line", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bash_completes_from_the_agency_here(
    agency: Path, tmp_path: Path, how: str, line: str, expected: list[str]
) -> None:
    assert bash_complete(line, agency, _bin(tmp_path, how)) == expected


@pytest.mark.parametrize("how", ["fast", "typer"])
def test_completion_follows_dash_c_from_elsewhere(agency: Path, tmp_path: Path, how: str) -> None:
    got = bash_complete(f"casectl -C {agency} show rc-004", tmp_path, _bin(tmp_path, how))
    assert got == ["rc-0042"]


def test_outside_an_agency_a_tab_offers_no_client_and_no_error(tmp_path: Path) -> None:
    assert bash_complete("casectl show rc", tmp_path, _bin(tmp_path, "fast")) == []


@pytest.mark.parametrize(
    "env",
    [
        {"_CASECTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "casectl list --manager "},
        {"_CASECTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "casectl show rc-9"},
        {"_CASECTL_COMPLETE": "complete_fish",
         "_TYPER_COMPLETE_ARGS": "casectl note rc-0001 --goal ",
         "_TYPER_COMPLETE_FISH_ACTION": "get-args"},
        {"_CASECTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "casectl show rc-00",
         "_TYPER_COMPLETE_FISH_ACTION": "is-args"},
        {"_CASECTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "casectl show rc-9",
         "_TYPER_COMPLETE_FISH_ACTION": "is-args"},
    ],
    ids=["zsh-managers", "zsh-none", "fish-goals", "fish-is-args", "fish-no-args"],
)  # fmt: skip
def test_zsh_and_fish_answers_are_typers(agency: Path, tmp_path: Path, env: dict[str, str]) -> None:
    answers = []
    for how in ("fast", "typer"):
        done = subprocess.run(
            [str(_bin(tmp_path, how) / "casectl")], cwd=agency, capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
        )  # fmt: skip
        answers.append((done.returncode, done.stdout))
    assert answers[0] == answers[1]
    assert "Traceback" not in answers[0][1]


def test_the_fixed_sets_are_the_models() -> None:
    assert completion.NOTE_TYPES == NOTE_TYPES
    assert completion.KINDS == KINDS
    assert completion.STATUSES == STATUSES
    assert completion.CLOSE_REASONS == CLOSE_REASONS


def test_the_fast_path_knows_every_command_that_takes_a_client_first() -> None:
    group = typing.cast(typing.Any, typer.main.get_command(app))
    takes_client = {
        name
        for name, command in group.commands.items()
        if command.params and command.params[0].name == "client_id"
        and (name, "client_id") not in completion.NEW_NAMES
    }  # fmt: skip
    assert set(completion.CLIENT_COMMANDS) == takes_client


def test_install_completion_says_where_it_wrote(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(REPO_ROOT),
           "PATH": f"{_bin(tmp_path, 'fast')}:{os.environ['PATH']}"}  # fmt: skip
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", "casectl --install-completion"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    script = tmp_path / ".bash_completions" / "casectl.sh"
    assert str(script) in done.stdout and script.is_file()
    assert "_CASECTL_COMPLETE" in script.read_text()


def test_a_tab_at_10000_clients_takes_under_0_2_seconds(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "big", git=False)
    clients = root / "clients"
    for i in range(10_000):
        (clients / f"rc-{i:05d}").mkdir()
    env = {
        **os.environ, "PYTHONPATH": str(REPO_ROOT), "_CASECTL_COMPLETE": "complete_bash",
        "COMP_WORDS": "casectl show rc-0", "COMP_CWORD": "2",
    }  # fmt: skip
    best = float("inf")
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [sys.executable, "-m", "casectl"], cwd=root, env=env, capture_output=True, text=True
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert done.returncode == 0 and len(done.stdout.split()) == 10_000
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = min(best, cpu)
    assert best < 0.2, f"{best:.3f} s of CPU for one Tab"
