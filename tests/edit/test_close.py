"""casectl close / reopen: client.yaml edited in place (comments kept), a note, one commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from casectl.store.load import load_text
from tests.builders import cli, client_files, commit_count, make_agency, run_git

CID = "rc-0001"

CLIENT = """\
# Client record (synthetic)
id: rc-0001      # folder name
name: Test Person
status: active   # active | on_hold | closed
opened: 2026-01-05
manager: jdoe

# Consent on file
consent:
  signed: 2026-01-05
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_agency(tmp_path / "ag", {CID: client_files(CID, **{"client.yaml": CLIENT})})


def _client(root: Path) -> Path:
    return root / "clients" / CID / "client.yaml"


def _log_items(root: Path) -> list[dict[str, object]]:
    loaded = load_text("log.yaml", (root / "clients" / CID / "log.yaml").read_bytes())
    assert loaded.problems == []
    assert isinstance(loaded.data, list)
    return loaded.data


def test_close_edits_in_place_appends_a_closure_note_and_commits_both(root: Path) -> None:
    before = commit_count(root)
    r = cli("-C", root, "close", CID, "--reason", "moved", "--date", "2026-02-01")
    assert r.exit_code == 0, r.stderr
    text = _client(root).read_text()
    assert (
        text
        == CLIENT.replace("status: active   # active", "status: closed   # active")
        + "closed:\n  date: 2026-02-01\n  reason: moved\n"
    )
    last = _log_items(root)[-1]
    assert last["type"] == "closure" and last["by"] == "jdoe"
    assert last["text"] == "Case closed on 2026-02-01: moved.\n"
    # --date dates the closure entry too: a late entry, with when it was written.
    assert last["date"] == "2026-02-01" and "recorded" in last
    assert str(last["id"]).startswith("20260201-0000-jdoe-")
    assert r.stdout.strip() == last["id"]
    assert commit_count(root) == before + 1
    assert run_git(root, "log", "-1", "--format=%s").strip() == f"close: {CID} moved (jdoe)"
    changed = sorted(run_git(root, "show", "--name-only", "--format=", "HEAD").split())
    # `recorded:` is a format 2 key: the format bump is in the same commit, said aloud.
    assert changed == ["casectl.yaml", f"clients/{CID}/client.yaml", f"clients/{CID}/log.yaml"]
    assert "casectl.yaml: format 1 -> 2 (this change uses format 2 fields)" in r.stderr
    assert "format: 2" in (root / "casectl.yaml").read_text()
    assert run_git(root, "status", "--porcelain") == ""
    assert cli("-C", root, "validate").exit_code == 0


def test_close_with_text_and_reopen_restores_the_file(root: Path) -> None:
    r = cli(
        "-C", root, "close", CID, "Goals met; case closed with the client.", "--reason", "goals_met"
    )
    assert r.exit_code == 0, r.stderr
    assert _log_items(root)[-1]["text"] == "Goals met; case closed with the client.\n"
    r = cli("-C", root, "reopen", CID)
    assert r.exit_code == 0, r.stderr
    assert _client(root).read_text() == CLIENT  # byte for byte, comments and all
    last = _log_items(root)[-1]
    assert last["type"] == "note" and last["text"] == "Case reopened.\n"
    assert run_git(root, "log", "-1", "--format=%s").strip() == f"reopen: {CID} (jdoe)"
    assert cli("-C", root, "validate").exit_code == 0


def test_reopen_text_from_stdin(root: Path) -> None:
    assert cli("-C", root, "close", CID, "--reason", "other").exit_code == 0
    r = cli("-C", root, "reopen", CID, "-", input="Client came back.\n")
    assert r.exit_code == 0, r.stderr
    assert _log_items(root)[-1]["text"] == "Client came back.\n"


def _unchanged(root: Path, run: list[str]) -> str:
    client, log = _client(root).read_bytes(), (root / "clients" / CID / "log.yaml").read_bytes()
    commits = commit_count(root)
    r = cli("-C", root, *run)
    assert r.exit_code == 2
    assert "Traceback" not in r.stderr
    assert _client(root).read_bytes() == client
    assert (root / "clients" / CID / "log.yaml").read_bytes() == log
    assert commit_count(root) == commits
    return r.stderr


def test_refusals_touch_nothing(root: Path) -> None:
    assert "not a closing reason" in _unchanged(root, ["close", CID, "--reason", "bored"])
    assert "is not closed" in _unchanged(root, ["reopen", CID])
    assert "in the future" in _unchanged(
        root, ["close", CID, "--reason", "moved", "--date", "2099-01-01"]
    )
    # A closure before the case was opened would not validate (CM124): nothing written.
    assert "CM124" in _unchanged(root, ["close", CID, "--reason", "moved", "--date", "2026-01-01"])
    assert "not a date" in _unchanged(root, ["close", CID, "--reason", "moved", "--date", "soon"])
    assert "not a valid client id" in _unchanged(root, ["close", "../x", "--reason", "moved"])
    assert "no client" in _unchanged(root, ["close", "rc-9999", "--reason", "moved"])
    assert cli("-C", root, "close", CID, "--reason", "moved").exit_code == 0
    assert "already closed" in _unchanged(root, ["close", CID, "--reason", "moved"])


def test_close_refuses_a_flow_style_client_file(tmp_path: Path) -> None:
    flow = "{id: rc-0001, name: T, status: active, opened: 2026-01-05, manager: jdoe}\n"
    root = make_agency(tmp_path / "ag", {CID: client_files(CID, **{"client.yaml": flow})})
    assert "flow style" in _unchanged(root, ["close", CID, "--reason", "moved"])


def test_close_no_commit(root: Path) -> None:
    commits = commit_count(root)
    assert cli("-C", root, "close", CID, "--reason", "moved", "--no-commit").exit_code == 0
    assert commit_count(root) == commits
    assert sorted(run_git(root, "status", "--porcelain").splitlines()) == [
        f" M clients/{CID}/client.yaml",
        f" M clients/{CID}/log.yaml",
    ]


def test_close_refuses_symlinked_client_yaml(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(CLIENT)
    _client(root).unlink()
    _client(root).symlink_to(outside)
    r = cli("-C", root, "close", CID, "--reason", "moved")
    assert r.exit_code == 2 and "symbolic link" in r.stderr
    assert outside.read_text() == CLIENT
