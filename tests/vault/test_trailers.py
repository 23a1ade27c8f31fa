"""How audit is to judge restrict, unrestrict and purge commits: the pure rule
(:func:`judge`), and the same inputs gathered from real commits (:func:`vault_commits`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casectl.git import audit
from casectl.vault.trailers import LOCKED, UNREADABLE, Touched, judge, vault_commits
from tests.builders import RETENTION_YAML, cli, client_files, make_agency, run_git

CID = "rc-0001"
FILES = [f"clients/{CID}/{n}" for n in ("assessment.yaml", "client.yaml", "log.yaml", "plan.yaml")]
RESTRICTED = [Touched(".gitattributes"), *(Touched(p) for p in FILES)]
PURGED = [Touched(p, removed=True) for p in FILES]


def test_a_restrict_commit_excuses_that_clients_files() -> None:
    [verdict] = judge([("Casectl-Restrict", CID)], RESTRICTED, {})
    assert (verdict.kind, verdict.client, verdict.ok) == ("restrict", CID, True)
    assert verdict.excused == frozenset(FILES)


def test_unrestrict_is_judged_the_same_way() -> None:
    [verdict] = judge([("casectl-unrestrict", f" {CID} ")], RESTRICTED, {})
    assert (verdict.kind, verdict.client, verdict.ok) == ("unrestrict", CID, True)
    assert verdict.excused == frozenset(FILES)


def test_a_restrict_commit_excuses_nothing_of_other_clients() -> None:
    other = Touched("clients/rc-0002/log.yaml")
    [verdict] = judge([("Casectl-Restrict", CID)], [*RESTRICTED, other], {})
    assert verdict.ok  # judged as usual by the log comparison, not flagged here
    assert other.path not in verdict.excused


def test_a_restrict_commit_without_its_attributes_explains_nothing() -> None:
    [verdict] = judge([("Casectl-Restrict", CID)], RESTRICTED[1:], {})
    assert verdict.excused == frozenset()
    assert verdict.problems == (
        "restrict of rc-0001 does not change .gitattributes, where a restriction is "
        "recorded: the change to clients/rc-0001/ is not explained",
    )


def test_a_restrict_commit_that_removes_or_stores_nothing_is_flagged() -> None:
    [removes] = judge(
        [("Casectl-Restrict", CID)], [Touched(".gitattributes"), *PURGED[:1], *RESTRICTED[2:]], {}
    )
    assert removes.problems == (f"restrict of {CID} removes {FILES[0]}",)
    assert FILES[0] not in removes.excused
    [empty] = judge([("Casectl-Restrict", CID)], [Touched(".gitattributes")], {})
    assert empty.problems == (f"restrict of {CID} stores none of clients/{CID}/'s files again",)
    # what a purge's rewrite leaves of a restrict: the client is nowhere in the commit
    [left] = judge([("Casectl-Restrict", CID)], [Touched(".gitattributes")], {}, absent={CID})
    assert left.ok and left.excused == frozenset()


def test_a_purge_of_a_closed_client_that_only_removes_its_folder_is_accepted() -> None:
    [verdict] = judge([("Casectl-Purge", CID)], PURGED, {CID: "closed"})
    assert (verdict.kind, verdict.ok) == ("purge", True)
    assert verdict.excused == frozenset(FILES)


@pytest.mark.parametrize(
    ("status", "said"),
    [
        ("active", "(status: active)"),
        ("on_hold", "(status: on_hold)"),
        (None, f"(there is no clients/{CID}/client.yaml)"),
        (UNREADABLE, "(its client.yaml has no readable status)"),
    ],
)
def test_a_purge_of_a_client_not_closed_in_the_parent_is_flagged(
    status: str | None, said: str
) -> None:
    [verdict] = judge([("Casectl-Purge", CID)], PURGED, {CID: status})
    assert verdict.problems == (
        f"purge of {CID}: the client was not closed in the parent commit {said}",
    )
    assert verdict.excused == frozenset(FILES)  # the purge finding covers the commit


def test_a_purge_whose_parent_status_is_locked_here_is_not_checkable_not_flagged() -> None:
    [verdict] = judge([("Casectl-Purge", CID)], PURGED, {CID: LOCKED})
    assert verdict.ok and verdict.excused == frozenset(FILES)
    assert verdict.unchecked == (
        f"purge of {CID}: whether the client was closed in the parent commit is not "
        "checkable here (its client.yaml is encrypted and no key here opens it)",
    )


def test_a_purge_touching_anything_else_is_flagged() -> None:
    extra = [Touched("clients/rc-0002/log.yaml"), Touched(".gitattributes")]
    [verdict] = judge([("Casectl-Purge", CID)], [*PURGED, *extra], {CID: "closed"})
    assert verdict.problems == (
        f"purge of {CID} also changes clients/rc-0002/log.yaml, .gitattributes, "
        f"outside clients/{CID}/",
    )
    assert verdict.excused == frozenset(FILES)


def test_a_purge_that_edits_instead_of_removing_is_flagged_and_not_excused() -> None:
    changes = [Touched(FILES[2]), *PURGED[:2], PURGED[3]]
    [verdict] = judge([("Casectl-Purge", CID)], changes, {CID: "closed"})
    assert verdict.problems == (f"purge of {CID} changes {FILES[2]} instead of removing it",)
    assert FILES[2] not in verdict.excused
    [nothing] = judge([("Casectl-Purge", CID)], [], {CID: "closed"})
    assert nothing.problems == (f"purge of {CID} removes nothing under clients/{CID}/",)


def test_bad_values_other_keys_and_repeats() -> None:
    verdicts = judge(
        [
            ("Signed-off-by", "Jane Doe <jane@example.org>"),
            ("Casectl-Purge", "../etc"),
            ("Casectl-Restrict", CID),
            ("CASECTL-RESTRICT", CID),
        ],
        RESTRICTED,
        {},
    )
    assert [(v.kind, v.client) for v in verdicts] == [("purge", "../etc"), ("restrict", CID)]
    assert verdicts[0].problems == ("Casectl-Purge: '../etc' is not a client id",)
    assert verdicts[0].excused == frozenset()


paths = st.lists(
    st.builds(
        Touched,
        st.sampled_from(
            [
                *FILES,
                ".gitattributes",
                "casectl.yaml",
                "clients/rc-0002/log.yaml",
                "clients/rc-00011/x",
            ]
        ),
        st.booleans(),
    ),
    max_size=8,
)
keys = st.sampled_from(["Casectl-Restrict", "Casectl-Unrestrict", "Casectl-Purge"])
statuses = st.sampled_from(["closed", "active", None, LOCKED, UNREADABLE])


@given(keys, paths, statuses)
def test_only_the_named_clients_files_are_ever_excused(
    key: str, changes: list[Touched], status: str | None
) -> None:
    [verdict] = judge([(key, CID)], changes, {CID: status})
    assert all(p.startswith(f"clients/{CID}/") for p in verdict.excused)
    assert verdict.excused <= {c.path for c in changes}


@given(paths, statuses)
def test_a_purge_is_accepted_exactly_when_the_contract_allows_it(
    changes: list[Touched], status: str | None
) -> None:
    [verdict] = judge([("Casectl-Purge", CID)], changes, {CID: status})
    allowed = (
        status in ("closed", LOCKED)  # locked here: not checkable, said, not flagged
        and bool(changes)
        and all(c.path.startswith(f"clients/{CID}/") and c.removed for c in changes)
    )
    assert verdict.ok == allowed


# ------------------------------------------------------------------ from real commits


@pytest.mark.usefixtures("git_crypt")
def test_real_commits_are_judged_and_excuse_exactly_what_audit_reports(tmp_path: Path) -> None:
    closed = (
        "id: rc-0003\nname: Old Case\nstatus: closed\nopened: 2015-01-05\nmanager: jdoe\n"
        "closed:\n  date: 2018-03-01\n  reason: moved\n"
    )
    root = make_agency(
        tmp_path / "agency",
        {
            CID: client_files(CID),
            "rc-0002": client_files("rc-0002"),
            "rc-0003": client_files("rc-0003", **{"client.yaml": closed}),
        },
        agency_yaml=RETENTION_YAML,
    )
    assert cli("-C", root, "restrict", CID, "--group", "dv").exit_code == 0
    assert cli("-C", root, "note", CID, "Encrypted from now on").exit_code == 0
    assert cli("-C", root, "restrict", "rc-0003", "--group", "dv").exit_code == 0
    assert cli("-C", root, "purge", "rc-0003").exit_code == 0  # restricted, decrypted here
    # by hand: a "purge" of an open client that also edits another client's log
    run_git(root, "rm", "-q", "-r", "clients/rc-0002")
    (root / "memo.txt").write_text("x\n")
    run_git(root, "add", "memo.txt")
    run_git(root, "commit", "-q", "-m", "tidy\n\nCasectl-Purge: rc-0002")

    found = vault_commits(root, ["HEAD"])
    summary = [(v.kind, v.client, v.ok) for c in found for v in c.verdicts]
    assert summary == [
        ("purge", "rc-0002", False),
        ("purge", "rc-0003", True),
        ("restrict", "rc-0003", True),
        ("restrict", CID, True),
    ]
    bad = found[0].verdicts[0]
    assert bad.problems == (
        "purge of rc-0002: the client was not closed in the parent commit (status: active)",
        "purge of rc-0002 also changes memo.txt, outside clients/rc-0002/",
    )
    assert found[0].subject == "tidy" and found[0].author == "Jane Doe"

    # What audit reports today (the log comparison alone) is exactly what the verdicts
    # explain, plus the bad purge's deletion, which its own finding covers: wiring the
    # verdicts into audit leaves one finding, the bad purge.
    excused = {(c.commit, path) for c in found for v in c.verdicts for path in v.excused}
    findings = audit.audit(root).findings
    assert findings, "audit reports the restrict and purge commits until it is wired"
    left = [f for f in findings if (f.commit, f"clients/{f.client}/log.yaml") not in excused]
    assert left == []
    flagged = [(c.commit, v.problems) for c in found for v in c.verdicts if not v.ok]
    assert [commit for commit, _ in flagged] == [found[0].commit]


@pytest.mark.usefixtures("git_crypt")
def test_a_purge_of_a_restricted_client_is_not_checkable_without_the_key(
    tmp_path: Path,
) -> None:
    closed = (
        "id: rc-0003\nname: Old Case\nstatus: closed\nopened: 2015-01-05\nmanager: jdoe\n"
        "closed:\n  date: 2018-03-01\n  reason: moved\n"
    )
    root = make_agency(
        tmp_path / "agency",
        {"rc-0003": client_files("rc-0003", **{"client.yaml": closed})},
        agency_yaml=RETENTION_YAML,
    )
    assert cli("-C", root, "restrict", "rc-0003", "--group", "dv").exit_code == 0
    assert cli("-C", root, "purge", "rc-0003").exit_code == 0
    other = tmp_path / "other"
    run_git(tmp_path, "clone", "-q", str(root), str(other))
    [purge, _restrict] = vault_commits(other, ["HEAD"])
    assert purge.verdicts[0].ok  # not flagged: said as not checkable here
    assert purge.verdicts[0].unchecked == (
        "purge of rc-0003: whether the client was closed in the parent commit is not "
        "checkable here (its client.yaml is encrypted and no key here opens it)",
    )
    audited = cli("-C", other, "audit")
    assert audited.exit_code == 0, audited.stdout + audited.stderr
    [purge_here, _] = vault_commits(root, ["HEAD"])
    assert purge_here.verdicts[0].ok
