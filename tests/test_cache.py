"""The read cache in .casectl/: fast when nothing changed, never trusted when anything did."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.conftest import cli

CACHE = Path(".casectl") / "read-cache.json"


def _validate(root: Path) -> tuple[int, str]:
    r = cli("-C", root, "validate")
    return r.exit_code, r.stdout


def _due(root: Path) -> str:
    r = cli("-C", root, "due", "--as-of", "2026-06-01", "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.stdout


def test_cache_is_private_and_git_ignored(agency: Path) -> None:
    assert _validate(agency)[0] == 0
    folder = agency / ".casectl"
    for path in folder.glob("read-cache*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((agency / CACHE).stat().st_mode) == 0o600
    from tests.conftest import run_git

    assert ".casectl" not in run_git(agency, "status", "--porcelain", "--untracked-files=all")


def test_an_edited_file_is_read_again(agency: Path) -> None:
    assert _validate(agency) == (0, "no problems in 9 files\n")
    plan = agency / "clients" / "rc-0001" / "plan.yaml"
    text = plan.read_text()
    plan.write_text(text.replace("target: 2026-12-31", "target: 2026-12-32"))
    code, out = _validate(agency)
    assert code == 1 and "clients/rc-0001/plan.yaml:6:13: error CM204" in out
    # Same size, same content length: still seen (the modification time changed).
    plan.write_text(text.replace("2026-12-31", "2026-12-30"))
    os.utime(plan, ns=(1, 1))
    assert _validate(agency)[0] == 0


def test_a_stray_file_is_seen_on_a_warm_run(agency: Path) -> None:
    assert _validate(agency)[0] == 0
    (agency / "clients" / "rc-0002" / "notes.txt").write_text("scratch")
    _code, out = _validate(agency)
    assert "clients/rc-0002/notes.txt:1:1: warning CM604" in out


def test_changed_settings_throw_the_cache_away(agency: Path) -> None:
    assert _validate(agency)[0] == 0
    cfg = agency / "casectl.yaml"
    cfg.write_text(cfg.read_text().replace("  mkim: Min Kim\n", "").replace("jdoe:", "jd:"))
    code, out = _validate(agency)
    assert code == 1 and out.count("CM125") == 2


def test_a_damaged_cache_only_costs_time(agency: Path) -> None:
    expected = _due(agency)
    validated = _validate(agency)
    for damage in (b"{not json", b"[]", b'{"key": 1}', b"\x00\xff" * 10):
        (agency / CACHE).write_bytes(damage)
        assert _due(agency) == expected
        assert _validate(agency) == validated
    # Well-formed cache files whose entries are damaged: each bad entry is checked afresh.
    for section, garbage in (("facts", "garbage"), ("schedule", {"client": 1})):
        path = agency / ".casectl" / f"read-cache.{section}.json"
        data = json.loads(path.read_text())
        assert sorted(data["clients"]) == ["rc-0001", "rc-0002"]
        for item in data["clients"].values():
            item[1] = garbage
        path.write_text(json.dumps(data))
    assert _due(agency) == expected
    r = cli("-C", agency, "list", "--format", "json")
    assert [row["id"] for row in json.loads(r.stdout)] == ["rc-0001", "rc-0002"]


def test_cache_is_never_written_outside_the_repo_and_no_cache_leaves_it(agency: Path) -> None:
    r = cli("-C", agency, "validate", "--no-cache")
    assert r.exit_code == 0
    assert not (agency / ".casectl").exists()
