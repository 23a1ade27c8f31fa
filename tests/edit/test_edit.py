"""casectl edit: $EDITOR on a private copy, validated on save, reopened with the problems
as comments, nothing changed on abort, a plan_change entry listing the changes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from casectl.store.load import load_text
from tests.builders import cli, client_files, commit_count, make_agency, run_git

CID = "rc-0001"

PLAN = """\
# Care plan (synthetic)
created: 2026-01-12
goals:
  - id: G1            # housing first
    domain: housing
    goal: Move into stable housing
    target: 2026-12-31   # end of year
    status: active
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_agency(tmp_path / "ag", {CID: client_files(CID, **{"plan.yaml": PLAN})})


def _editor(tmp_path: Path, *rounds: str) -> None:
    """$EDITOR: a script whose Nth run runs the Nth shell snippet on the file ($1);
    each run's input is kept as seen-N."""
    script = tmp_path / "editor.sh"
    lines = ["#!/bin/sh", f'n=$(cat {tmp_path}/count 2>/dev/null || echo 0)', "n=$((n+1))",
             f"echo $n > {tmp_path}/count", f'cp "$1" {tmp_path}/seen-$n']  # fmt: skip
    for i, snippet in enumerate(rounds, 1):
        lines.append(f'if [ "$n" = {i} ]; then {snippet}; fi')
    script.write_text("\n".join(lines) + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    os.environ["EDITOR"] = str(script)


@pytest.fixture(autouse=True)
def _no_editor_after() -> object:
    yield None
    os.environ.pop("EDITOR", None)


def _entries(root: Path) -> list[dict[str, object]]:
    loaded = load_text("log.yaml", (root / "clients" / CID / "log.yaml").read_bytes())
    assert isinstance(loaded.data, list)
    return loaded.data


def test_edit_writes_what_was_saved_and_lists_the_changes(root: Path, tmp_path: Path) -> None:
    _editor(tmp_path, "sed -i 's/2026-12-31/2027-01-31/' \"$1\"")
    before = commit_count(root)
    r = cli("-C", root, "edit", CID)
    assert r.exit_code == 0, r.stderr
    plan = root / "clients" / CID / "plan.yaml"
    assert plan.read_text() == PLAN.replace("2026-12-31", "2027-01-31")
    last = _entries(root)[-1]
    assert last["type"] == "plan_change" and last["text"] == "Edited plan.yaml.\n"
    assert last["changes"] == ["goals[0].target 2026-12-31 -> 2027-01-31"]
    assert commit_count(root) == before + 1
    assert run_git(root, "status", "--porcelain") == ""
    assert (tmp_path / "seen-1").read_text() == PLAN


def test_invalid_save_reopens_with_the_problems(root: Path, tmp_path: Path) -> None:
    _editor(
        tmp_path,
        "sed -i 's/status: active/status: finished/' \"$1\"",
        "sed -i 's/status: finished/status: met/' \"$1\"",
    )
    r = cli("-C", root, "edit", CID)
    assert r.exit_code == 0, r.stderr
    second = (tmp_path / "seen-2").read_text()
    assert second.startswith("#! casectl: clients/rc-0001/plan.yaml was not saved")
    assert "goals[0].status" in second
    text = (root / "clients" / CID / "plan.yaml").read_text()
    assert "#! casectl" not in text and "    status: met\n" in text
    assert _entries(root)[-1]["changes"] == ["goals[0].status active -> met"]


@pytest.mark.parametrize(
    "snippet", [': > "$1"', "true", "exit 1"], ids=["emptied", "unchanged", "editor-failed"]
)
def test_abort_changes_nothing(root: Path, tmp_path: Path, snippet: str) -> None:
    _editor(tmp_path, snippet)
    before = commit_count(root)
    r = cli("-C", root, "edit", CID)
    assert r.exit_code in (0, 2)
    assert (root / "clients" / CID / "plan.yaml").read_text() == PLAN
    assert commit_count(root) == before
    assert run_git(root, "status", "--porcelain") == ""
    assert not any((root / ".casectl").glob("note-*"))  # the private copy is gone


def test_edit_client_adds_contacts_but_not_status(root: Path, tmp_path: Path) -> None:
    add = "printf 'contacts:\\n  - {name: Rosa Lopez, relation: sister}\\n' >> \"$1\""
    _editor(tmp_path, "sed -i 's/status: active/status: closed/' \"$1\"", ': > "$1"')
    r = cli("-C", root, "edit", CID, "client")
    assert "use casectl close" in (tmp_path / "seen-2").read_text()
    assert r.exit_code == 0 and "nothing written" in r.stderr
    (tmp_path / "count").unlink()
    _editor(tmp_path, add)
    r = cli("-C", root, "edit", CID, "client")
    assert r.exit_code == 0, r.stderr
    assert _entries(root)[-1]["changes"] == ["contacts added: Rosa Lopez"]
    assert "format: 2" in (root / "casectl.yaml").read_text()


def test_edit_refuses_changing_an_earlier_assessment(root: Path, tmp_path: Path) -> None:
    _editor(tmp_path, "sed -i 's/score: 2/score: 4/' \"$1\"", ': > "$1"')
    r = cli("-C", root, "edit", CID, "assessment")
    assert r.exit_code == 0
    assert "earlier assessments cannot be changed" in (tmp_path / "seen-2").read_text()
    assert run_git(root, "status", "--porcelain") == ""
