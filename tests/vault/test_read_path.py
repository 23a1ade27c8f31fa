"""Restricted clients in the read path (contract 5.6): a clone without the group's key
counts them as locked in list, due, digest and caseload, never parses or flags their
files (validate is clean), refuses to show, report or write them, and caches nothing of
them; a clone with the key reads, checks and edits them as any other client, and keeps
no plain copy of them in its read cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import CLIENT, MAGIC, all_objects, cli, client_files, make_agency, run_git

pytestmark = pytest.mark.usefixtures("git_crypt")

SECRET = ("rc-0001", "rc-0003")
NAME = "Zelda Quorum"  # the restricted clients' name: must never show where locked
PHONE = "+1 555 0177"
TWO = "2 restricted clients are locked here"


def _restricted_client(cid: str) -> dict[str, str | None]:
    text = CLIENT.format(id=cid).replace("Test Person", NAME) + f'phone: "{PHONE}"\n'
    return client_files(cid, **{"client.yaml": text})


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(keyed clone, clone without the key, bare remote): rc-0001 and rc-0003 restricted
    to group dv, rc-0002 not."""
    maker = make_agency(
        tmp_path / "maker",
        {
            "rc-0001": _restricted_client("rc-0001"),
            "rc-0002": client_files("rc-0002"),
            "rc-0003": _restricted_client("rc-0003"),
        },
    )
    remote = tmp_path / "remote.git"
    run_git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    run_git(maker, "remote", "add", "origin", str(remote))
    for cid in SECRET:
        done = cli("-C", maker, "restrict", cid, "--group", "dv")
        assert done.exit_code == 0, done.stderr
    run_git(maker, "push", "-q", "-u", "origin", "main")
    outsider = tmp_path / "outsider"
    run_git(tmp_path, "clone", "-q", str(remote), str(outsider))
    return maker, outsider, remote


def _cache_bytes(root: Path) -> bytes:
    folder = root / ".casectl"
    if not folder.exists():
        return b""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_a_clone_without_the_key_counts_locked_clients_and_never_reads_them(
    clones: tuple[Path, Path, Path],
) -> None:
    _maker, outsider, _remote = clones
    assert (outsider / "clients" / "rc-0001" / "client.yaml").read_bytes().startswith(MAGIC)

    checked = cli("-C", outsider, "validate")
    assert checked.exit_code == 0, checked.stdout
    assert "rc-0001" not in checked.stdout and "rc-0003" not in checked.stdout
    assert checked.stdout.endswith("no problems in 5 files\n")  # casectl.yaml + rc-0002's four
    assert TWO in checked.stderr
    as_json = cli("-C", outsider, "validate", "--format", "json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == []

    listed = cli("-C", outsider, "list")
    assert listed.exit_code == 0, listed.stderr
    assert "rc-0002" in listed.stdout and "rc-0001" not in listed.stdout
    assert TWO in listed.stdout
    rows = cli("-C", outsider, "list", "--format", "json")
    assert [r["id"] for r in json.loads(rows.stdout)] == ["rc-0002"]
    assert TWO in rows.stderr

    due = cli("-C", outsider, "due", "--as-of", "2026-12-01")
    assert due.exit_code == 0 and TWO in due.stdout and "rc-0002" in due.stdout
    for fmt in ("json", "ics"):
        machine = cli("-C", outsider, "due", "--as-of", "2026-12-01", "--format", fmt)
        assert machine.exit_code == 0 and TWO in machine.stderr and TWO not in machine.stdout
        assert "rc-0001" not in machine.stdout
    md = cli("-C", outsider, "due", "--as-of", "2026-12-01", "--format", "md")
    assert TWO in md.stdout

    digest = cli("-C", outsider, "digest", "--as-of", "2026-12-01")
    assert digest.exit_code == 0 and TWO in digest.stdout and "rc-0001" not in digest.stdout
    # before rc-0002 was opened: nothing is due (its initial assessment counts from then)
    quiet = cli("-C", outsider, "digest", "--as-of", "2026-01-04")
    assert quiet.exit_code == 0 and quiet.stdout == "" and TWO in quiet.stderr

    for fmt in ("md", "html"):
        caseload = cli("-C", outsider, "caseload", "--format", fmt)
        assert caseload.exit_code == 0, caseload.stderr
        assert TWO in caseload.stdout and "rc-0001" not in caseload.stdout

    for args in (
        ("stats", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "json"),
        ("export", "notes"),
        ("search", "visit"),
    ):
        figures = cli("-C", outsider, *args)
        assert figures.exit_code == 0, (args, figures.stderr)
        assert TWO in figures.stderr and "client.yaml has errors" not in figures.stderr, args
        assert "rc-0001" not in figures.stdout and "rc-0003" not in figures.stdout, args

    for args in (
        ("show", "rc-0001"),
        ("report", "rc-0001"),
        ("note", "rc-0001", "A visit"),
        ("review", "rc-0003", "Reviewed"),
        ("close", "rc-0001", "--reason", "moved"),
        ("history", "rc-0001"),
        ("due", "--client", "rc-0001"),
    ):
        refused = cli("-C", outsider, *args)
        assert refused.exit_code == 2, (args, refused.stdout, refused.stderr)
        assert "locked here" in refused.stderr, args
        assert "Traceback" not in refused.stderr
    assert run_git(outsider, "status", "--porcelain") == ""

    cache = _cache_bytes(outsider)
    assert b"rc-0002" in cache  # the cache works for the others
    assert b"rc-0001" not in cache and b"rc-0003" not in cache
    for cid in SECRET:
        assert (outsider / "clients" / cid / "log.yaml").read_bytes().startswith(MAGIC)


def test_a_clone_with_the_key_reads_checks_and_edits_them_and_caches_none_of_it(
    clones: tuple[Path, Path, Path],
) -> None:
    maker, outsider, remote = clones
    listed = cli("-C", maker, "list")
    assert listed.exit_code == 0 and "rc-0001" in listed.stdout and NAME in listed.stdout
    assert "locked here" not in listed.stdout + listed.stderr
    shown = cli("-C", maker, "show", "rc-0001")
    assert shown.exit_code == 0 and NAME in shown.stdout
    assert cli("-C", maker, "validate").exit_code == 0
    secret_note = "PLANTED-AFTER-RESTRICT-7731"
    noted = cli("-C", maker, "note", "rc-0001", secret_note)
    assert noted.exit_code == 0, noted.stderr
    assert run_git(maker, "status", "--porcelain") == ""

    # An error in a restricted client's files is found where the key is...
    log = maker / "clients" / "rc-0003" / "log.yaml"
    log.write_text(log.read_text() + "- id: broken\n  date: not a date\n")
    run_git(maker, "commit", "-q", "-am", "a broken entry")
    found = cli("-C", maker, "validate")
    assert found.exit_code == 1 and "clients/rc-0003/log.yaml" in found.stdout
    assert cli("-C", maker, "due", "--as-of", "2026-12-01").exit_code == 0
    # ...and the read cache holds nothing of the restricted clients, in plain text or not.
    cache = _cache_bytes(maker)
    assert b"rc-0002" in cache and NAME.encode() not in cache and PHONE.encode() not in cache
    assert b"rc-0001" not in cache and b"rc-0003" not in cache

    run_git(maker, "push", "-q", "origin", "main")
    run_git(outsider, "pull", "-q", "--ff-only")
    assert cli("-C", outsider, "validate").exit_code == 0  # the broken file is not its business
    objects = all_objects(remote)
    assert secret_note.encode() not in objects
    assert NAME.encode() in objects  # written before restricting: the documented limit
