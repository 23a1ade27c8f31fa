"""``casectl restrict`` / ``unrestrict`` in one repository: what the commit holds, and
every refusal (nothing written). The two-clone story is in test_two_clones.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from casectl.vault import crypt
from tests.builders import (
    FILES,
    MAGIC,
    blob,
    changed_paths,
    cli,
    commits_since,
    git_bytes,
    head,
    run_git,
    settle,
    stop_in_git_operation,
    trailer,
)

pytestmark = pytest.mark.usefixtures("git_crypt")

CID = "rc-0001"
LINE = "clients/rc-0001/** filter=git-crypt-dv diff=git-crypt-dv"


def _state(root: Path) -> tuple[str, str, str, bytes]:
    """Everything a refused command must leave as it was."""
    return (
        head(root),
        run_git(root, "status", "--porcelain", "--untracked-files=all"),
        run_git(root, "ls-files", "-s"),
        (root / ".gitattributes").read_bytes() if (root / ".gitattributes").exists() else b"",
    )


def _with_attributes(agency: Path) -> Path:
    """The agency as `casectl init` makes it: a .gitattributes with the merge line."""
    (agency / ".gitattributes").write_text("clients/*/log.yaml merge=casectl-log\n")
    run_git(agency, "add", ".gitattributes")
    run_git(agency, "commit", "-q", "-m", "attributes")
    return agency


def test_restrict_stores_the_client_encrypted_in_one_commit(agency: Path) -> None:
    root = _with_attributes(agency)
    settle(root)
    before = head(root)
    plain = {name: (root / "clients" / CID / name).read_bytes() for name in FILES}
    done = cli("-C", root, "restrict", CID, "--group", "dv")
    assert done.exit_code == 0, done.stderr
    assert commits_since(root, before) == 1
    assert trailer(root, "Casectl-Restrict") == CID
    assert changed_paths(root) == [".gitattributes", *sorted(f"clients/{CID}/{n}" for n in FILES)]
    attributes = (root / ".gitattributes").read_text().splitlines()
    assert attributes == ["clients/*/log.yaml merge=casectl-log", LINE]
    for name in FILES:
        stored = blob(root, f"HEAD:clients/{CID}/{name}")
        assert stored.startswith(MAGIC), name
        assert b"Test Person" not in stored and b"First visit" not in stored
        assert (root / "clients" / CID / name).read_bytes() == plain[name]  # readable here
    assert blob(root, "HEAD:clients/rc-0002/client.yaml").startswith(b"id: rc-0002")
    assert run_git(root, "status", "--porcelain") == ""
    assert "restricted to group dv" in done.stdout
    assert "git-crypt export-key -k dv FILE" in done.stdout  # a new key: say how to share it
    assert "earlier commits still hold rc-0001's files in plain text" in done.stderr
    assert "casectl purge" in done.stderr and "docs/security.md" in done.stderr
    assert crypt.restricted_clients(root) == {CID: "dv"}
    assert crypt.locked_clients(root) == []


def test_a_restricted_client_is_written_as_usual_and_stays_encrypted(agency: Path) -> None:
    assert cli("-C", agency, "restrict", CID, "--group", "dv").exit_code == 0
    note = cli("-C", agency, "note", CID, "Written after restricting: MARKER-7431")
    assert note.exit_code == 0, note.stderr
    assert run_git(agency, "status", "--porcelain") == ""
    stored = blob(agency, f"HEAD:clients/{CID}/log.yaml")
    assert stored.startswith(MAGIC) and b"MARKER-7431" not in stored
    assert b"MARKER-7431" in crypt.decrypt(agency, stored)  # type: ignore[operator]
    assert b"MARKER-7431" in (agency / "clients" / CID / "log.yaml").read_bytes()
    assert cli("-C", agency, "validate").exit_code == 0


def test_a_group_with_a_key_reuses_it(agency: Path) -> None:
    assert cli("-C", agency, "restrict", CID, "--group", "dv").exit_code == 0
    key = agency / ".git" / "git-crypt" / "keys" / "dv"
    first = key.read_bytes()
    second = cli("-C", agency, "restrict", "rc-0002", "--group", "dv")
    assert second.exit_code == 0, second.stderr
    assert key.read_bytes() == first
    assert "export-key" not in second.stdout  # no new key to hand out
    assert crypt.restricted_clients(agency) == {CID: "dv", "rc-0002": "dv"}
    stored = blob(agency, "HEAD:clients/rc-0002/client.yaml")
    assert (
        crypt.decrypt(agency, stored, ["dv"])
        == (agency / "clients" / "rc-0002" / "client.yaml").read_bytes()
    )


def test_groups_have_keys_of_their_own(agency: Path) -> None:
    assert cli("-C", agency, "restrict", CID, "--group", "dv").exit_code == 0
    assert cli("-C", agency, "restrict", "rc-0002", "--group", "youth").exit_code == 0
    assert crypt.key_names(agency) == ["dv", "youth"]
    stored = blob(agency, "HEAD:clients/rc-0002/client.yaml")
    assert crypt.decrypt(agency, stored, ["dv"]) is None  # the wrong key opens nothing
    assert crypt.decrypt(agency, stored, ["youth"]) is not None


def test_without_git_crypt_restrict_says_how_to_install_it(
    agency: Path, no_git_crypt_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state(agency)
    monkeypatch.setenv("PATH", no_git_crypt_path)
    for args in (["restrict", CID, "--group", "dv"], ["unrestrict", CID]):
        done = cli("-C", agency, *args)
        assert done.exit_code == 2
        assert "git-crypt is not installed" in done.stderr
        assert "apt-get install git-crypt" in done.stderr
        assert "Traceback" not in done.stderr
    assert _state(agency) == before


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["restrict", "rc-0404", "--group", "dv"], "no client 'rc-0404'"),
        (["restrict", "../x", "--group", "dv"], "is not a valid client id"),
        (["restrict", CID, "--group", "default"], "--group: 'default' is not a group name"),
        (["restrict", CID, "--group", "a/b"], "--group: 'a/b' is not a group name"),
        (["restrict", CID, "--group", "-k"], "is not a group name"),
        (["unrestrict", CID], "rc-0001 is not restricted"),
        (["unrestrict", "rc-0404"], "no client 'rc-0404'"),
    ],
)
def test_bad_requests_are_refused(agency: Path, args: list[str], said: str) -> None:
    before = _state(agency)
    done = cli("-C", agency, *args)
    assert done.exit_code == 2
    assert said in done.stderr
    assert _state(agency) == before
    assert not (agency / ".git" / "git-crypt").exists()  # no key made either


def test_an_already_restricted_client_is_refused(agency: Path) -> None:
    assert cli("-C", agency, "restrict", CID, "--group", "dv").exit_code == 0
    before = _state(agency)
    done = cli("-C", agency, "restrict", CID, "--group", "other")
    assert done.exit_code == 2
    assert "rc-0001 is already restricted (group dv" in done.stderr
    assert _state(agency) == before
    assert crypt.key_names(agency) == ["dv"]


@pytest.mark.parametrize("operation", ["merge", "rebase", "detached"])
def test_restrict_and_unrestrict_refuse_during_a_git_operation(
    agency: Path, operation: str
) -> None:
    assert cli("-C", agency, "restrict", "rc-0002", "--group", "dv").exit_code == 0
    stop_in_git_operation(agency, operation)
    before = _state(agency)
    for args in (["restrict", CID, "--group", "dv"], ["unrestrict", "rc-0002"]):
        done = cli("-C", agency, *args)
        assert done.exit_code == 2
        assert "nothing was written" in done.stderr
        assert _state(agency) == before


@pytest.mark.parametrize("change", ["modified", "staged", "untracked", "attributes"])
def test_uncommitted_changes_are_refused(agency: Path, change: str) -> None:
    folder = agency / "clients" / CID
    if change == "modified":
        with (folder / "log.yaml").open("a") as fh:
            fh.write("# a hand edit\n")
    elif change == "staged":
        with (folder / "plan.yaml").open("a") as fh:
            fh.write("# staged\n")
        run_git(agency, "add", f"clients/{CID}/plan.yaml")
    elif change == "untracked":
        (folder / "scan.pdf").write_bytes(b"%PDF")
    else:
        (agency / ".gitattributes").write_text("*.pdf binary\n")
    before = _state(agency)
    done = cli("-C", agency, "restrict", CID, "--group", "dv")
    assert done.exit_code == 2
    assert "not committed" in done.stderr
    assert _state(agency) == before


def test_a_group_in_use_needs_its_key_here(agency: Path, tmp_path: Path) -> None:
    """Another clone restricted a client to dv; this clone has no key for dv. Making a
    second, different key named dv would leave the group's clients under two keys."""
    assert cli("-C", agency, "restrict", CID, "--group", "dv").exit_code == 0
    other = tmp_path / "other"
    run_git(tmp_path, "clone", "-q", str(agency), str(other))
    before = _state(other)
    done = cli("-C", other, "restrict", "rc-0002", "--group", "dv")
    assert done.exit_code == 2
    assert "no key for it" in done.stderr and "git-crypt unlock" in done.stderr
    assert _state(other) == before
    assert crypt.key_names(other) == []


def test_unrestrict_stores_the_files_plain_again(agency: Path) -> None:
    root = _with_attributes(agency)
    assert cli("-C", root, "restrict", CID, "--group", "dv").exit_code == 0
    assert cli("-C", root, "restrict", "rc-0002", "--group", "dv").exit_code == 0
    assert cli("-C", root, "note", CID, "Still private here").exit_code == 0
    settle(root)
    before = head(root)
    done = cli("-C", root, "unrestrict", CID)
    assert done.exit_code == 0, done.stderr
    assert "no longer restricted" in done.stdout and "plain text" in done.stdout
    assert commits_since(root, before) == 1
    assert trailer(root, "Casectl-Unrestrict") == CID
    assert changed_paths(root) == [".gitattributes", *sorted(f"clients/{CID}/{n}" for n in FILES)]
    for name in FILES:
        assert (
            blob(root, f"HEAD:clients/{CID}/{name}") == (root / "clients" / CID / name).read_bytes()
        )
    assert b"Still private here" in blob(root, f"HEAD:clients/{CID}/log.yaml")
    assert (root / ".gitattributes").read_text().splitlines() == [
        "clients/*/log.yaml merge=casectl-log",
        "clients/rc-0002/** filter=git-crypt-dv diff=git-crypt-dv",
    ]
    assert run_git(root, "status", "--porcelain") == ""
    assert crypt.restricted_clients(root) == {"rc-0002": "dv"}


def test_unrestrict_without_the_key_is_refused(agency: Path, tmp_path: Path) -> None:
    assert cli("-C", agency, "restrict", CID, "--group", "dv").exit_code == 0
    other = tmp_path / "other"
    run_git(tmp_path, "clone", "-q", str(agency), str(other))
    before = _state(other)
    done = cli("-C", other, "unrestrict", CID)
    assert done.exit_code == 2
    assert "unrestrict needs the key" in done.stderr
    assert _state(other) == before


def _hook(root: Path, code: int) -> None:
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nexit {code}\n")
    hook.chmod(0o755)


def test_a_refused_commit_leaves_attributes_and_index_as_they_were(agency: Path) -> None:
    root = _with_attributes(agency)
    _hook(root, 1)
    settle(root)
    before = _state(root)
    done = cli("-C", root, "restrict", CID, "--group", "dv")
    assert done.exit_code == 2
    assert "git commit failed" in done.stderr
    assert _state(root) == before


def test_with_commit_hooks_the_commit_is_encrypted_too(agency: Path) -> None:
    """Hooks make casectl commit with `git commit` itself (another code path)."""
    _hook(agency, 0)
    settle(agency)
    done = cli("-C", agency, "restrict", CID, "--group", "dv")
    assert done.exit_code == 0, done.stderr
    assert trailer(agency, "Casectl-Restrict") == CID
    for name in FILES:
        assert blob(agency, f"HEAD:clients/{CID}/{name}").startswith(MAGIC)
    assert run_git(agency, "status", "--porcelain") == ""
    # and the index holds the encrypted blobs, so nothing is left staged
    assert git_bytes(agency, "diff", "--cached", "--name-only") == b""


def test_encrypt_gives_the_blob_git_stores(agency: Path) -> None:
    """What the log merge driver needs where the key is present: decrypt the three
    versions, merge, encrypt the result as git itself would have stored it."""
    assert cli("-C", agency, "restrict", CID, "--group", "dv").exit_code == 0
    stored = blob(agency, f"HEAD:clients/{CID}/log.yaml")
    plain = (agency / "clients" / CID / "log.yaml").read_bytes()
    assert crypt.decrypt(agency, stored) == plain
    assert crypt.encrypt(agency, plain, "dv") == stored
    assert crypt.decrypt(agency, plain) == plain  # plain text passes through
