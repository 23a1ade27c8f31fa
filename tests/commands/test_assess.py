"""assess: a new assessment appended in place (earlier ones untouched), an assessment
entry, one commit; $EDITOR prefilled with the last scores."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casectl.git.audit import compare_assessments
from casectl.store.load import load_text
from tests.builders import cli, client_files, commit_count, make_agency, run_git

CID = "rc-0001"

ASSESSMENT = """\
# Assessments (synthetic)
assessments:
  - date: 2026-01-10
    by: jdoe
    domains:
      housing: {score: 2, note: Staying with a cousin}   # shelter before
      income: {score: 3}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    files = client_files(CID, **{"assessment.yaml": ASSESSMENT})
    return make_agency(tmp_path / "ag", {CID: files})


def _file(root: Path) -> str:
    return (root / "clients" / CID / "assessment.yaml").read_text()


def _entries(root: Path) -> list[dict[str, object]]:
    loaded = load_text("log.yaml", (root / "clients" / CID / "log.yaml").read_bytes())
    assert isinstance(loaded.data, list)
    return loaded.data


def test_assess_with_scores_appends(root: Path) -> None:
    before = commit_count(root)
    r = cli(
        "-C", root, "assess", CID, "--date", "2026-11-02", "--score", "housing=4",
        "--score", "income=3",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert _file(root) == ASSESSMENT + (
        "  - date: 2026-11-02\n    by: jdoe\n    domains:\n      housing:\n        score: 4\n"
        "      income:\n        score: 3\n"
    )
    last = _entries(root)[-1]
    assert last["type"] == "assessment" and last["with"] == "client"
    assert last["changes"] == ["assessment 2026-11-02 added"]
    assert last["text"] == "Assessment: housing 4, income 3.\n"
    assert last["date"] == "2026-11-02"
    assert commit_count(root) == before + 1
    changed = sorted(run_git(root, "show", "--name-only", "--format=", "HEAD").split())
    assert changed == ["casectl.yaml", f"clients/{CID}/assessment.yaml", f"clients/{CID}/log.yaml"]
    assert run_git(root, "status", "--porcelain") == ""
    assert cli("-C", root, "validate").exit_code == 0


def test_assess_in_the_editor_starts_from_the_last_scores(root: Path, tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    editor = tmp_path / "editor.sh"
    editor.write_text(
        "#!/bin/sh\n"
        f'cp "$1" {seen}\n'
        "sed -i 's/housing: 2/housing: 3/; s/^summary: $/summary: Moved into a flat./' \"$1\"\n"
    )
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    os.environ["EDITOR"] = str(editor)
    try:
        r = cli("-C", root, "assess", CID)
    finally:
        del os.environ["EDITOR"]
    assert r.exit_code == 0, r.stderr
    assert "  housing: 2\n  income: 3\n" in seen.read_text()
    loaded = load_text("assessment.yaml", _file(root))
    new = loaded.data["assessments"][-1]
    assert new["domains"] == {"housing": {"score": 3}, "income": {"score": 3}}
    assert new["summary"] == "Moved into a flat."
    assert _entries(root)[-1]["text"] == "Moved into a flat.\n"
    assert _file(root).startswith(ASSESSMENT)  # the earlier one untouched


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--score", "housing"], "is not DOMAIN=N"),
        (["--score", "luck=3"], "'luck' is not a domain"),
        (["--score", "housing=9"], "a score is 1"),
        (["--score", "housing=2", "--score", "housing=3"], "given twice"),
        (["--score", "housing=2", "--date", "2025-12-01"], "CM"),  # before opened
    ],
)
def test_assess_refusals_write_nothing(root: Path, args: list[str], message: str) -> None:
    before = (_file(root), commit_count(root))
    r = cli("-C", root, "assess", CID, *args)
    assert r.exit_code == 2 and message in r.stderr, r.stderr
    assert (_file(root), commit_count(root)) == before
    assert run_git(root, "status", "--porcelain") == ""


def test_assessment_resets_the_assessment_clock(root: Path) -> None:
    assert cli("-C", root, "assess", CID, "--score", "housing=3").exit_code == 0
    from casectl.read.agency import today_in, zone_named

    today = today_in(zone_named("America/Chicago"))
    r = cli("-C", root, "due", "--format", "json", "--within", "200 days")
    import json

    items = [i for i in json.loads(r.stdout) if i["kind"] == "assessment"]
    assert [date.fromisoformat(i["due"]) for i in items] == [
        date.fromordinal(today.toordinal() + 180)
    ]


def test_audit_flags_a_commit_that_changes_an_earlier_assessment(root: Path) -> None:
    assert cli("-C", root, "assess", CID, "--score", "housing=3").exit_code == 0
    r = cli("-C", root, "audit")
    assert r.exit_code == 0, r.stdout  # appending is what assess does: nothing to flag
    path = root / "clients" / CID / "assessment.yaml"
    path.write_text(path.read_text().replace("income: {score: 3}", "income: {score: 5}"))
    run_git(root, "commit", "-qam", "fix a score by hand")
    edited = run_git(root, "rev-parse", "HEAD").strip()
    text = path.read_text()
    first_end = text.index("  - date: 2026-", text.index("  - date: 2026-01-10") + 5)
    path.write_text(text[: text.index("  - date: 2026-01-10")] + text[first_end:])
    run_git(root, "commit", "-qam", "drop the first assessment")
    removed = run_git(root, "rev-parse", "HEAD").strip()
    r = cli("-C", root, "audit")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert any(
        ln.startswith(removed[:12]) and "clients/rc-0001/assessment.yaml" in ln
        and "assessment 2026-01-10  removed" in ln
        for ln in lines
    ), r.stdout  # fmt: skip
    assert any(
        ln.startswith(edited[:12]) and "assessment 2026-01-10  edited" in ln for ln in lines
    ), r.stdout


@given(st.lists(st.integers(1, 5), min_size=1, max_size=6), st.data())
def test_compare_assessments_appends_pass_removals_are_named(
    scores: list[int], data: st.DataObject
) -> None:
    def row(i: int, s: int) -> str:
        head = f"  - date: 2026-01-{i + 1:02d}\n    by: jdoe\n"
        return head + f"    domains: {{housing: {{score: {s}}}}}\n"

    def text(items: list[int]) -> bytes:
        rows = "".join(row(i, s) for i, s in enumerate(items))
        return ("assessments:\n" + rows if rows else "assessments: []\n").encode()

    assert compare_assessments(text(scores), text([*scores, 3])) == []
    gone = data.draw(st.integers(0, len(scores) - 1))
    kept = [(i, s) for i, s in enumerate(scores) if i != gone]
    rows = "".join(row(i, s) for i, s in kept)
    after = ("assessments:\n" + rows if rows else "assessments: []\n").encode()
    found = compare_assessments(text(scores), after)
    assert [(c.entry, c.change) for c in found] == [
        (f"assessment 2026-01-{gone + 1:02d}", "removed")
    ]
