"""audit with restricted clients and purges (contract 5.6, 5.7): where the key is,
restricted logs are decrypted and judged as any other; where it is not, a change to
one is reported as not checkable, never as a rewrite; the commits of restrict,
unrestrict and purge are judged by their trailers, and purges are listed apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import CLIENT, RETENTION_YAML, cli, client_files, make_agency, run_git

pytestmark = pytest.mark.usefixtures("git_crypt")

CID = "rc-0001"
CLOSED = CLIENT.format(id="rc-0003").replace("status: active", "status: closed") + (
    "closed:\n  date: 2018-03-01\n  reason: moved\n"
)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """(the clone that restricted rc-0001 and holds the key, a clone without it)."""
    keyed = make_agency(
        tmp_path / "keyed",
        {
            CID: client_files(CID),
            "rc-0002": client_files("rc-0002"),
            "rc-0003": client_files("rc-0003", **{"client.yaml": CLOSED}),
        },
        agency_yaml=RETENTION_YAML,
    )
    assert cli("-C", keyed, "note", CID, "Before restricting").exit_code == 0
    assert cli("-C", keyed, "restrict", CID, "--group", "dv").exit_code == 0
    assert cli("-C", keyed, "note", CID, "After restricting").exit_code == 0
    assert cli("-C", keyed, "unrestrict", CID).exit_code == 0
    assert cli("-C", keyed, "restrict", CID, "--group", "dv").exit_code == 0
    assert cli("-C", keyed, "note", CID, "Restricted again").exit_code == 0
    bare = tmp_path / "bare"
    run_git(tmp_path, "clone", "-q", str(keyed), str(bare))
    return keyed, bare


def test_restrict_unrestrict_and_notes_audit_clean_in_both_clones(pair: tuple[Path, Path]) -> None:
    keyed, bare = pair
    here = cli("-C", keyed, "audit")
    assert here.exit_code == 0, here.stdout + here.stderr
    assert here.stdout == "" and "not checkable" not in here.stderr
    there = cli("-C", bare, "audit")
    assert there.exit_code == 0, there.stdout + there.stderr
    assert there.stdout == ""
    assert f"not checkable here: the restricted log of {CID}" in there.stderr
    assert there.stderr.startswith("audit: no existing note was changed")
    assert "unreadable" not in there.stderr


def test_an_edit_of_a_restricted_note_is_found_where_the_key_is(pair: tuple[Path, Path]) -> None:
    keyed, _ = pair
    log = keyed / "clients" / CID / "log.yaml"
    log.write_text(log.read_text().replace("First visit.", "A different first visit."))
    run_git(keyed, "commit", "-q", "-am", "tidy the log")
    here = cli("-C", keyed, "audit", "--format", "json")
    assert here.exit_code == 1
    [finding] = json.loads(here.stdout)
    assert (finding["client"], finding["entry"], finding["change"]) == (
        CID,
        "20260110-1000-jdoe",
        "edited",
    )
    other = keyed.parent / "later"
    run_git(keyed.parent, "clone", "-q", str(keyed), str(other))
    there = cli("-C", other, "audit")
    assert there.exit_code == 0 and there.stdout == ""  # cannot read it: not a finding
    assert f"not checkable here: the restricted log of {CID}" in there.stderr


def test_purges_are_listed_apart_and_a_wrong_one_is_flagged(pair: tuple[Path, Path]) -> None:
    keyed, _ = pair
    done = cli("-C", keyed, "purge", "rc-0003")
    assert done.exit_code == 0, done.stderr
    clean = cli("-C", keyed, "audit")
    assert clean.exit_code == 0, clean.stdout + clean.stderr
    lines = clean.stdout.splitlines()
    assert lines[0] == "purges:"
    assert "rc-0003" in lines[1] and lines[1].endswith("accepted")
    assert "1 purge" in clean.stderr
    # a purge of a client that was not closed, made by hand
    run_git(keyed, "rm", "-q", "-r", "clients/rc-0002")
    run_git(keyed, "commit", "-q", "-m", "purge: rc-0002\n\nCasectl-Purge: rc-0002")
    flagged = cli("-C", keyed, "audit")
    assert flagged.exit_code == 1
    assert "purge of rc-0002: the client was not closed in the parent commit" in flagged.stdout
    assert "deleted" not in flagged.stdout  # the purge explains the removal itself
    purges = flagged.stdout[flagged.stdout.index("purges:") :].splitlines()
    assert "rc-0002" in purges[1] and purges[1].endswith("flagged")
    assert "rc-0003" in purges[2] and purges[2].endswith("accepted")


def test_an_edit_of_a_restricted_assessment_is_found_where_the_key_is(
    pair: tuple[Path, Path],
) -> None:
    """A restricted client's assessment.yaml is encrypted in git: audit decrypts it as it
    does the log, so an earlier assessment changed afterwards is a finding; a clone
    without the key says it could not check it, never that it no longer reads."""
    keyed, _ = pair
    assessment = keyed / "clients" / CID / "assessment.yaml"
    assessment.write_text(assessment.read_text().replace("score: 2", "score: 4"))
    run_git(keyed, "commit", "-q", "-am", "better scores")
    here = cli("-C", keyed, "audit", "--format", "json")
    assert here.exit_code == 1, here.stdout + here.stderr
    [finding] = json.loads(here.stdout)
    assert (finding["client"], finding["entry"], finding["change"]) == (
        CID,
        "assessment 2026-01-10",
        "edited",
    )
    other = keyed.parent / "later-assessment"
    run_git(keyed.parent, "clone", "-q", str(keyed), str(other))
    there = cli("-C", other, "audit")
    assert there.exit_code == 0 and there.stdout == "", there.stdout
    assert f"not checkable here: the restricted log of {CID}" in there.stderr
