"""The story of issue 16: one bare remote, a clone that holds the group's key and one
that does not. The first sees and edits the restricted client; the second holds only
ciphertext and says which client is locked; the remote holds no plain text of what was
written after restricting."""

from __future__ import annotations

from pathlib import Path

import pytest

from casectl.vault import crypt
from tests.builders import FILES, MAGIC, all_objects, cli, client_files, head, make_agency, run_git

pytestmark = pytest.mark.usefixtures("git_crypt")

CID = "rc-0001"
BEFORE = "PLANTED-BEFORE-RESTRICT-5521"
AFTER_A = "PLANTED-AFTER-RESTRICT-A-8812"
AFTER_B = "PLANTED-AFTER-RESTRICT-B-3307"


def _clone(remote: Path, target: Path) -> Path:
    run_git(target.parent, "clone", "-q", str(remote), str(target))
    return target


@pytest.fixture
def remote_and_maker(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A bare remote, the clone that restricts rc-0001 to group dv, and the key file
    it exported."""
    maker = make_agency(
        tmp_path / "maker", {CID: client_files(CID), "rc-0002": client_files("rc-0002")}
    )
    remote = tmp_path / "remote.git"
    run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    run_git(maker, "remote", "add", "origin", str(remote))
    assert cli("-C", maker, "note", CID, f"Before restricting: {BEFORE}").exit_code == 0
    restricted = cli("-C", maker, "restrict", CID, "--group", "dv")
    assert restricted.exit_code == 0, restricted.stderr
    key = tmp_path / "keys" / "dv.key"
    key.parent.mkdir()
    run_git(maker, "crypt", "export-key", "-k", "dv", str(key))  # `git crypt` = git-crypt
    assert cli("-C", maker, "note", CID, f"After restricting: {AFTER_A}").exit_code == 0
    run_git(maker, "push", "-q", "-u", "origin", "main")
    return remote, maker, key


def test_a_clone_with_the_key_reads_and_writes_and_one_without_sees_it_locked(
    remote_and_maker: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    remote, maker, key = remote_and_maker

    # A colleague of the group: clone, unlock with the key file, work as usual.
    member = _clone(remote, tmp_path / "member")
    run_git(member, "crypt", "unlock", str(key))
    folder = member / "clients" / CID
    assert (folder / "client.yaml").read_text().startswith(f"id: {CID}\n")
    assert AFTER_A in (folder / "log.yaml").read_text()
    assert crypt.locked_clients(member) == []
    shown = cli("-C", member, "show", CID)
    assert shown.exit_code == 0 and "Test Person" in shown.stdout
    assert cli("-C", member, "validate").exit_code == 0
    note = cli("-C", member, "note", CID, f"From the member: {AFTER_B}")
    assert note.exit_code == 0, note.stderr
    assert run_git(member, "status", "--porcelain") == ""
    run_git(member, "push", "-q", "origin", "main")

    # Someone outside the group: a plain clone, no key.
    outsider = _clone(remote, tmp_path / "outsider")
    for name in FILES:
        raw = (outsider / "clients" / CID / name).read_bytes()
        assert raw.startswith(MAGIC), name
        assert b"Test Person" not in raw and AFTER_B.encode() not in raw
    assert (outsider / "clients" / "rc-0002" / "client.yaml").read_text().startswith("id: ")
    assert crypt.restricted_clients(outsider) == {CID: "dv"}
    assert crypt.locked_clients(outsider) == [CID]
    assert crypt.locked_message(1).startswith("1 restricted client is locked here")
    assert run_git(outsider, "status", "--porcelain") == ""
    # the outsider's own work on other clients goes on and reaches the group's clones
    assert cli("-C", outsider, "note", "rc-0002", "Unrelated visit").exit_code == 0
    run_git(outsider, "push", "-q", "origin", "main")
    # nor can the outsider write into the locked client
    refused = cli("-C", outsider, "unrestrict", CID)
    assert refused.exit_code == 2 and "needs the key" in refused.stderr

    # The key holders pull everything and read every note in plain text.
    run_git(maker, "pull", "-q", "--ff-only", "origin", "main")
    log = (maker / "clients" / CID / "log.yaml").read_text()
    assert BEFORE in log and AFTER_A in log and AFTER_B in log
    assert run_git(maker, "status", "--porcelain") == ""
    assert head(maker) == run_git(remote, "rev-parse", "main").strip()

    # The remote: the note written before restricting is there in plain text (the
    # limit restrict warns about); nothing written after it is.
    objects = all_objects(remote)
    assert BEFORE.encode() in objects
    assert AFTER_A.encode() not in objects
    assert AFTER_B.encode() not in objects


def test_sync_in_an_unlocked_clone_keeps_git_crypt_working(
    remote_and_maker: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    remote, _maker, key = remote_and_maker
    member = _clone(remote, tmp_path / "member")
    run_git(member, "crypt", "unlock", str(key))  # as docs/security.md says, then sync
    clean = run_git(member, "config", "--get", "filter.git-crypt-dv.clean")
    done = cli("-C", member, "sync")
    assert done.exit_code == 0, done.stderr
    assert run_git(member, "config", "--get", "filter.git-crypt-dv.clean") == clean
    assert cli("-C", member, "note", CID, "After the first sync").exit_code == 0
    assert run_git(member, "status", "--porcelain") == ""
