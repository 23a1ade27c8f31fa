"""`casectl migrate` (contract 4, 5): format 1 -> 2 in one reviewed commit; format 1
repositories still read unchanged; a newer format is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.builders import EXAMPLE, cli, client_files, make_agency, run_git


def _example(tmp_path: Path) -> Path:
    root = tmp_path / "agency"
    shutil.copytree(EXAMPLE, root)
    # The example as it stood before its first format 2 write: `format: 1` (format 1
    # reads the format 2 fields it already holds leniently, as validate shows below).
    config = root / "casectl.yaml"
    lines = config.read_text().splitlines(keepends=True)
    config.write_text("".join("format: 1\n" if ln.startswith("format:") else ln for ln in lines))
    (root / ".gitignore").write_text(".casectl/\n")
    run_git(root, "init", "-q", "-b", "main")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-qm", "example")
    return root


def _consent_clients(root: Path) -> list[str]:
    return sorted(
        p.parent.name
        for p in (root / "clients").glob("*/client.yaml")
        if "consent" in (yaml.safe_load(p.read_text()) or {})
    )


def test_migrate_the_example_agency(tmp_path: Path) -> None:
    root = _example(tmp_path)
    with_block = _consent_clients(root)
    assert with_block, "the example has consent blocks to migrate"
    due_before = cli("-C", root, "due", "--as-of", "2026-12-01", "--format", "json").stdout
    before = {p: p.read_text() for p in (root / "clients").glob("*/client.yaml")}
    head = run_git(root, "rev-parse", "HEAD").strip()
    r = cli("-C", root, "migrate", "--yes")
    assert r.exit_code == 0, r.stderr
    # The diff is shown: casectl.yaml and each converted client.yaml.
    assert "--- a/casectl.yaml\n+++ b/casectl.yaml\n" in r.stdout
    assert "-format: 1\n+format: 2\n" in r.stdout
    for cid in with_block:
        assert f"+++ b/clients/{cid}/client.yaml" in r.stdout
        assert "+consents:" in r.stdout
    assert len(run_git(root, "rev-list", f"{head}..HEAD").split()) == 1
    assert run_git(root, "status", "--porcelain") == ""
    config = yaml.safe_load((root / "casectl.yaml").read_text())
    assert config["format"] == 2
    assert config["contact_types"] == ["contact", "visit", "phone", "email", "meeting", "crisis"]
    for path, text in before.items():
        data = yaml.safe_load(path.read_text())
        assert "consent" not in data
        old = yaml.safe_load(text)
        if "consent" in old:
            assert data["consents"] == [old["consent"]]
            # Only the consent lines changed; every comment stays.
            comments = [ln for ln in text.splitlines() if "#" in ln]
            assert all(c.strip() in path.read_text() for c in comments)
        else:
            assert path.read_text() == text
    assert cli("-C", root, "validate").exit_code == 0
    due_after = cli("-C", root, "due", "--as-of", "2026-12-01", "--format", "json").stdout
    assert due_after == due_before
    again = cli("-C", root, "migrate", "--yes")
    assert again.exit_code == 0 and "nothing to migrate" in again.stdout


def test_migrate_asks_first(tmp_path: Path) -> None:
    root = _example(tmp_path)
    head = run_git(root, "rev-parse", "HEAD")
    r = cli("-C", root, "migrate", input="n\n")
    assert r.exit_code == 2
    assert "Commit this change? [y/N]" in r.stderr
    assert "+format: 2" in r.stdout
    assert run_git(root, "rev-parse", "HEAD") == head
    assert run_git(root, "status", "--porcelain") == ""
    r = cli("-C", root, "migrate", input="y\n")
    assert r.exit_code == 0, r.stderr
    assert yaml.safe_load((root / "casectl.yaml").read_text())["format"] == 2


def test_format_1_still_read_and_newer_refused(tmp_path: Path) -> None:
    client = client_files("rc-0001")
    client["client.yaml"] += "consent:\n  signed: 2026-01-05\n  expires: 2026-12-10\n"
    root = make_agency(tmp_path / "a", {"rc-0001": client})
    r = cli("-C", root, "due", "--as-of", "2026-12-01", "--kind", "consent")
    assert "consent expires" in r.stdout
    (root / "casectl.yaml").write_text(
        (root / "casectl.yaml").read_text().replace("format: 1", "format: 3")
    )
    for args in (("validate",), ("list",), ("migrate", "--yes"), ("note", "rc-0001", "x")):
        r = cli("-C", root, *args)
        assert r.exit_code == 2, args
        assert "format" in r.stderr
