"""casectl audit: entry-level comparison of log versions, and a real planted history."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casectl.git.audit import REMOVED, _brings_new, compare_logs, is_pure_append
from tests.builders import AUTHOR, cli, client_files, make_agency, run_git, ssh_signing

HEADER = "# Progress notes, oldest first. Append with `casectl note`; never edit.\n"


def entry(entry_id: str, when: str, text: str = "A note.", **extra: str) -> str:
    lines = [f"- id: {entry_id}", f"  date: {when}", "  by: jdoe"]
    lines.append(f"  type: {extra.pop('type', 'note')}")
    lines += [f"  {key}: {value}" for key, value in extra.items()]
    lines += ["  text: |", f"    {text}"]
    return "\n".join(lines) + "\n"


A = entry("a", "2026-02-01 10:00", "First visit.")
B = entry("b", "2026-02-02 10:00", "Phone call.")
C = entry("c", "2026-02-03 10:00", "Home visit.")
BASE = (HEADER + A + B + C).encode()


def changes(old: str | bytes | None, new: str | bytes | None) -> list[tuple[str | None, str]]:
    def raw(text: str | bytes | None) -> bytes | None:
        return text.encode() if isinstance(text, str) else text

    return [(c.entry, c.change) for c in compare_logs(raw(old), raw(new))]


# ------------------------------------------------------------- pure comparison


def test_an_append_is_recognised_without_parsing() -> None:
    new = BASE + entry("d", "2026-02-04 10:00").encode()
    assert is_pure_append(BASE, new)
    assert changes(BASE, new) == []


@pytest.mark.parametrize(
    "tail",
    [
        "    more text of entry c\n",  # continues the last entry's block scalar
        "  minutes: 30\n",  # adds a field to the last entry
        "\n- id: d\n",  # a blank line first: looked at closely, not trusted blindly
        "  - id: d\n",  # not at column 0
    ],
)
def test_anything_but_a_new_item_is_not_a_pure_append(tail: str) -> None:
    assert not is_pure_append(BASE, BASE + tail.encode())


def test_pure_append_needs_a_terminated_old_file_with_items_at_column_zero() -> None:
    assert not is_pure_append(BASE.rstrip(b"\n"), BASE + b"- id: d\n")
    indented = b"  - id: a\n    date: 2026-02-01 10:00\n"
    assert not is_pure_append(indented, indented + b"- id: d\n")
    assert is_pure_append(b"---\n# c\n" + A.encode(), b"---\n# c\n" + A.encode() + B.encode())


def test_extending_the_last_entry_is_an_edit() -> None:
    assert changes(BASE, BASE + b"    more text of entry c\n") == [("c", "edited")]
    assert changes(BASE, BASE + b"  minutes: 30\n") == [("c", "edited")]


def test_edit_names_the_changed_fields() -> None:
    new = HEADER + A + B.replace("Phone call.", "Phone call, no answer.").replace(
        "2026-02-02 10:00", "2026-02-02 11:00"
    ) + C  # fmt: skip
    found = compare_logs(BASE, new.encode())
    assert [(c.entry, c.change, c.detail) for c in found] == [
        ("b", "edited", "changed: date, text")
    ]


def test_removed_and_moved_entries() -> None:
    assert changes(BASE, HEADER + A + C) == [("b", "removed")]
    assert changes(BASE, HEADER + B + A + C) == [("b", "moved")]
    assert changes(BASE, HEADER + C + A) == [("b", "removed"), ("c", "moved")]


def test_additions_anywhere_and_amendments_are_never_flagged() -> None:
    back_dated = entry("a2", "2026-02-01 12:00", "Entered late.")
    amendment = entry("d", "2026-02-05 09:00", "Correction.", type="amendment", amends="b")
    assert changes(BASE, HEADER + A + back_dated + B + C + amendment) == []
    # the first notes of a scaffolded log replace its `[]`
    assert changes(HEADER + "[]\n", HEADER + A) == []
    assert changes(None, HEADER + A) == []  # a new log


def test_comments_and_layout_are_not_edits() -> None:
    relaid = BASE.decode().replace("  text: |\n    Phone call.\n", '  text: "Phone call.\\n"\n')
    assert changes(BASE, relaid + "# reviewed\n") == []
    assert changes(BASE, BASE.replace(b"  by: jdoe\n", b"  by: jdoe  # ok\n")) == []


def test_deleted_and_unreadable_logs() -> None:
    assert changes(BASE, None) == [(None, "deleted")]
    assert changes(BASE, HEADER + A + "  text: [unclosed\n") == [(None, "unreadable")]
    assert changes(HEADER + "[]\n", None) == []  # nothing was there to lose
    assert changes(b"- id: [broken\n", HEADER + A) == []  # unreadable before: nothing known


def test_repeated_ids_and_entries_without_id_are_still_compared() -> None:
    twice = HEADER + A + A.replace("First visit.", "Copy.")
    assert changes(twice, HEADER + A + A) == [("a#2", "edited")]
    no_id = "- date: 2026-02-01 10:00\n  text: x\n"
    assert changes(no_id + B, no_id + B + C) == []
    assert changes(no_id + B, B) == [("(entry without an id)", "removed")]


STATES = st.sampled_from(["v1", "v2", "v3", REMOVED])


@given(state=STATES, history=st.lists(STATES, unique=True, max_size=4))
def test_one_parent_brings_new_exactly_when_its_history_lacks_the_state(
    state: object, history: list[object]
) -> None:
    assert _brings_new(state, [history]) == (bool(history) and state not in history)


@given(state=STATES, histories=st.lists(st.lists(STATES, unique=True, max_size=4), max_size=3))
def test_a_merge_brings_nothing_new_when_one_parent_held_everything(
    state: object, histories: list[list[object]]
) -> None:
    # A parent whose history already holds the merge's state and every other state
    # seen on any side: the merge adds nothing that was not judged there.
    everything = list(dict.fromkeys([state, *(x for h in histories for x in h)]))
    assert not _brings_new(state, [*histories, everything])
    # Adding a parent that never had the entry changes nothing.
    assert _brings_new(state, [*histories, []]) == _brings_new(state, histories)


# ---------------------------------------------------------- a planted history


@dataclass
class Planted:
    """A history built with git fast-import, and what audit must find in it."""

    stream: list[bytes] = field(default_factory=list)
    logs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    expected: set[tuple[str, str | None, str | None, str]] = field(default_factory=set)
    mark: int = 0
    clock: int = 1_767_225_600  # 2026-01-01 00:00 UTC
    commits: int = 0

    def text(self, client: str) -> str:
        return HEADER + "".join(chunk for _, chunk in self.logs[client])

    def commit(
        self,
        message: str,
        files: dict[str, str | None],
        ref: str = "refs/heads/main",
        parents: tuple[int, ...] = (),
    ) -> int:
        self.mark += 1
        self.clock += 60
        self.commits += 1
        person = f"{AUTHOR['GIT_AUTHOR_NAME']} <{AUTHOR['GIT_AUTHOR_EMAIL']}> {self.clock} +0000"
        body = [f"commit {ref}", f"mark :{self.mark}", f"author {person}", f"committer {person}"]
        msg = message.encode()
        out = "\n".join(body).encode() + f"\ndata {len(msg)}\n".encode() + msg + b"\n"
        if parents:
            out += f"from :{parents[0]}\n".encode()
            out += b"".join(f"merge :{p}\n".encode() for p in parents[1:])
        for path, content in files.items():
            if content is None:
                out += f"D {path}\n".encode()
            else:
                data = content.encode()
                out += f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
        self.stream.append(out + b"\n")
        return self.mark

    def log_files(self, *clients: str) -> dict[str, str | None]:
        return {f"clients/{c}/log.yaml": self.text(c) for c in clients}

    def expect(self, message: str, client: str | None, entry_id: str | None, change: str) -> None:
        self.expected.add((message, client, entry_id, change))


def build_history(seed: int = 7) -> Planted:
    rng = random.Random(seed)
    h = Planted()
    clients = [f"rc-{i:04d}" for i in range(1, 13)]
    minute = 0

    def new_entry(client: str, kind: str = "note", **extra: str) -> tuple[str, str]:
        nonlocal minute
        minute += 7
        day, rest = divmod(minute, 24 * 60)
        when = f"2026-03-{1 + day % 28:02d} {rest // 60:02d}:{rest % 60:02d}"
        entry_id = f"{client}-{minute:06d}"
        return entry_id, entry(entry_id, when, f"Note {minute} for {client}.", type=kind, **extra)

    files: dict[str, str | None] = {"casectl.yaml": "format: 1\nagency: Planted\n"}
    for c in clients:
        h.logs[c] = [new_entry(c), new_entry(c)]
    files |= h.log_files(*clients)
    files["clients/rc-0012/log.yaml"] = HEADER + "[]\n"
    h.logs["rc-0012"] = []
    first = h.commit("initial", files)
    last = first

    def append(n: int) -> None:
        nonlocal last
        for _ in range(n):
            c = rng.choice(clients[:-1])
            if h.logs[c] and rng.random() < 0.15:
                amended = rng.choice(h.logs[c])[0]
                h.logs[c].append(new_entry(c, "amendment", amends=amended))
            else:
                h.logs[c].append(new_entry(c))
            last = h.commit(f"append {h.commits}", h.log_files(c), parents=(last,))

    def planted(message: str, client: str, log: list[tuple[str, str]], raw: str | None = None):
        nonlocal last
        h.logs[client] = log
        content = raw if raw is not None else h.text(client)
        last = h.commit(message, {f"clients/{client}/log.yaml": content}, parents=(last,))

    append(40)
    # 1. an edit of an old note's text
    c = "rc-0001"
    victim, chunk = h.logs[c][0]
    log = [(victim, chunk.replace("Note", "Edited note")), *h.logs[c][1:]]
    planted("plant: edit", c, log)
    h.expect("plant: edit", c, victim, "edited")
    append(30)
    # 2. a deletion
    c = "rc-0002"
    victim = h.logs[c][1][0]
    planted("plant: delete", c, [e for e in h.logs[c] if e[0] != victim])
    h.expect("plant: delete", c, victim, "removed")
    append(30)
    # 3. a reorder of two existing notes, hidden in a commit that also appends
    c = "rc-0003"
    log = list(h.logs[c])
    log[0], log[1] = log[1], log[0]
    log.append(new_entry(c))
    planted("plant: reorder", c, log)
    h.expect("plant: reorder", c, log[0][0], "moved")
    append(30)
    # 4. legitimate: a back-dated note slotted in the middle, and a comment-only change
    c = "rc-0004"
    early_id, early = new_entry(c)
    early = early.replace("2026-03-", "2026-02-")
    planted("legit: back-dated insert", c, [h.logs[c][0], (early_id, early), *h.logs[c][1:]])
    planted("legit: comment", c, h.logs[c], raw="# checked by the supervisor\n" + h.text(c))
    append(20)
    # 5. a side branch that edits one note and appends to another log, merged back;
    #    the merge carries the edit into main, but brings nothing its parents lacked
    fork = last
    c5, c6 = "rc-0005", "rc-0006"
    old_id, old_chunk = h.logs[c5][0]
    main_log6 = list(h.logs[c6])
    side5 = [(old_id, old_chunk.replace("for", "about")), *h.logs[c5][1:]]
    side_commit = h.commit(
        "plant: edit on a side branch",
        {f"clients/{c5}/log.yaml": HEADER + "".join(x for _, x in side5)},
        ref="refs/heads/side",
        parents=(fork,),
    )
    h.expect("plant: edit on a side branch", c5, old_id, "edited")
    side6 = [*main_log6, new_entry(c6)]
    side_commit = h.commit(
        "side: append",
        {f"clients/{c6}/log.yaml": HEADER + "".join(x for _, x in side6)},
        ref="refs/heads/side",
        parents=(side_commit,),
    )
    h.logs[c6] = [*main_log6, new_entry(c6)]  # main appends to the same log meanwhile
    last = h.commit("main: append", h.log_files(c6), parents=(last,))
    h.logs[c5] = side5
    h.logs[c6] = sorted({*h.logs[c6], *side6}, key=lambda e: e[0])  # the driver's union
    last = h.commit("merge side", h.log_files(c5, c6), parents=(last, side_commit))
    # not expected for "merge side": the edit is listed once, for its own commit
    append(20)
    # 6. the first notes of an empty log, then a whole log deleted
    h.logs["rc-0012"] = [new_entry("rc-0012")]
    planted("legit: first note", "rc-0012", h.logs["rc-0012"])
    append(20)
    last = h.commit("plant: delete log", {"clients/rc-0007/log.yaml": None}, parents=(last,))
    h.expect("plant: delete log", "rc-0007", None, "deleted")
    clients.remove("rc-0007")
    append(max(0, 205 - h.commits))
    return h


@pytest.fixture(scope="module")
def planted_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Planted]:
    root = tmp_path_factory.mktemp("planted")
    run_git(root, "init", "-q", "-b", "main")
    h = build_history()
    stream = b"".join(h.stream) + b"done\n"
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=root, input=stream, check=True)
    run_git(root, "checkout", "-q", "-f", "main")
    return root, h


def findings(root: Path, *args: str) -> tuple[int, list[dict[str, object]]]:
    result = cli("-C", root, "audit", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_audit_finds_every_planted_rewrite_and_nothing_else(
    planted_repo: tuple[Path, Planted],
) -> None:
    root, h = planted_repo
    assert h.commits >= 200
    assert int(run_git(root, "rev-list", "--count", "HEAD").strip()) >= 200
    subjects = dict(
        line.split(" ", 1) for line in run_git(root, "log", "--format=%H %s").splitlines()
    )
    code, found = findings(root)
    assert code == 1
    got = {(subjects[str(f["commit"])], f["client"], f["entry"], f["change"]) for f in found}
    assert got == h.expected
    assert not [f for f in found if f["merge"]]
    for f in found:
        assert f["author"] == AUTHOR["GIT_AUTHOR_NAME"]
        assert f["email"] == AUTHOR["GIT_AUTHOR_EMAIL"]
        assert str(f["date"]).startswith("2026-01-")


def test_audit_text_output_and_since(planted_repo: tuple[Path, Planted]) -> None:
    root, _ = planted_repo
    result = cli("-C", root, "audit")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    edit = next(line for line in lines if "rc-0001" in line)
    assert "Jane Doe <jane.doe@example.org>" in edit
    assert "clients/rc-0001/log.yaml  rc-0001-" in edit
    assert "edited: changed: text" in edit
    assert "5 changes to existing notes in 5 commits" in result.stderr
    # only what came after the planted deletion of a whole log: clean
    since = run_git(root, "log", "--format=%H", "--grep=plant: delete log").strip()
    code, found = findings(root, "--since", since)
    assert (code, found) == (0, [])
    bad = cli("-C", root, "audit", "--since", "no-such-rev")
    assert bad.exit_code == 2
    assert "--since" in bad.stderr


def test_audit_of_a_clean_agency_and_of_hand_edits(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "agency", {"rc-0001": client_files("rc-0001")})
    result = cli("-C", root, "audit")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no existing note was changed" in result.stderr
    log = root / "clients" / "rc-0001" / "log.yaml"
    log.write_text(log.read_text().replace("First visit.", "First visit (edited)."))
    run_git(root, "commit", "-q", "-am", "fix a typo in an old note")
    code, found = findings(root)
    assert code == 1
    assert [(f["client"], f["entry"], f["change"], f["detail"]) for f in found] == [
        ("rc-0001", "20260110-1000-jdoe", "edited", "changed: text")
    ]


# ------------------------------------------------- merges and separate histories


def git_at(root: Path, when: str, *args: str) -> str:
    """git with both dates pinned (``when``: ISO 8601), so the order of roots is known."""
    env = {**os.environ, **AUTHOR, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def edit_old_note(root: Path, new_text: str = "First visit, rewritten.") -> None:
    log = root / "clients" / "rc-0001" / "log.yaml"
    log.write_text(log.read_text().replace("First visit.", new_text))


def summary_of(found: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(f["commit"], f["client"], f["entry"], f["change"], f["merge"]) for f in found]


@pytest.fixture
def shared_history(tmp_path: Path) -> Path:
    root = make_agency(
        tmp_path / "agency",
        {"rc-0001": client_files("rc-0001"), "rc-0002": client_files("rc-0002")},
    )
    for minute, cid in ((1, "rc-0002"), (2, "rc-0001")):
        done = cli("-C", root, "note", cid, f"Note {minute}.", "--by", "jdoe",
                   "--date", f"2026-02-01 09:0{minute}")  # fmt: skip
        assert done.exit_code == 0, done.stderr
    return root


def test_an_edit_on_a_side_branch_is_listed_once(shared_history: Path) -> None:
    root = shared_history
    run_git(root, "checkout", "-q", "-b", "side")
    edit_old_note(root)
    run_git(root, "commit", "-q", "-am", "side: rewrite an old note")
    edit = run_git(root, "rev-parse", "HEAD").strip()
    run_git(root, "checkout", "-q", "main")
    done = cli("-C", root, "note", "rc-0002", "Meanwhile.", "--by", "jdoe",
               "--date", "2026-02-01 09:05")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    run_git(root, "merge", "-q", "--no-ff", "--no-edit", "side")
    code, found = findings(root)
    assert code == 1
    assert summary_of(found) == [(edit, "rc-0001", "20260110-1000-jdoe", "edited", False)]


def test_an_orphan_history_rewriting_a_note_and_merged_in_is_found(shared_history: Path) -> None:
    # The evasion: a root commit of its own holding a rewritten note, joined with
    # `merge -s ours --allow-unrelated-histories` (first parent: the orphan) and
    # fast-forwarded. Compared with first parents only, nothing changed anywhere.
    root = shared_history
    main = run_git(root, "rev-parse", "HEAD").strip()
    run_git(root, "checkout", "-q", "--orphan", "evil")
    edit_old_note(root)
    run_git(root, "add", "-A")
    git_at(root, "2027-01-01T10:00:00+00:00", "commit", "-q", "-m", "a fresh start")
    orphan = run_git(root, "rev-parse", "HEAD").strip()
    git_at(root, "2027-01-01T10:01:00+00:00", "merge", "-q", "-s", "ours",
           "--allow-unrelated-histories", "-m", "join", "main")  # fmt: skip
    joined = run_git(root, "rev-parse", "HEAD").strip()
    run_git(root, "checkout", "-q", "main")
    run_git(root, "merge", "-q", "--ff-only", "evil")
    code, found = findings(root)
    assert code == 1
    assert summary_of(found) == [
        (joined, "rc-0001", "20260110-1000-jdoe", "edited", True),
        (orphan, None, None, "second-root", False),
    ]
    assert found[0]["detail"] == (
        "changed: text (the merge joins histories holding different versions)"
    )
    assert str(found[1]["detail"]).startswith("a second root commit: a separate history")
    assert f"joined to it by merge {joined[:12]}" in str(found[1]["detail"])
    text = cli("-C", root, "audit")
    assert f"{orphan[:12]}  2027-01-01  Jane Doe <jane.doe@example.org>  second-root: " in (
        text.stdout
    )
    # --since the last clean commit: the orphan root is still judged as a second root
    code, found = findings(root, "--since", main)
    assert summary_of(found) == [
        (joined, "rc-0001", "20260110-1000-jdoe", "edited", True),
        (orphan, None, None, "second-root", False),
    ]


def test_an_orphan_copy_with_every_note_unchanged_is_still_a_second_root(
    shared_history: Path,
) -> None:
    root = shared_history
    run_git(root, "checkout", "-q", "--orphan", "copy")
    git_at(root, "2027-01-01T10:00:00+00:00", "commit", "-q", "-m", "a fresh start")
    orphan = run_git(root, "rev-parse", "HEAD").strip()
    git_at(root, "2027-01-01T10:01:00+00:00", "merge", "-q", "-s", "ours",
           "--allow-unrelated-histories", "-m", "join", "main")  # fmt: skip
    code, found = findings(root)
    assert code == 1
    assert summary_of(found) == [(orphan, None, None, "second-root", False)]


def test_an_unrelated_history_of_other_clients_is_not_a_finding(tmp_path: Path) -> None:
    # Two agencies joining their repositories: no note is in both, nothing to flag.
    root = make_agency(tmp_path / "a", {"rc-0001": client_files("rc-0001")})
    other = make_agency(tmp_path / "b", {"rc-0900": client_files("rc-0900")})
    run_git(root, "fetch", "-q", str(other), "main:other")
    run_git(root, "merge", "-q", "--allow-unrelated-histories", "--no-edit", "other")
    assert findings(root) == (0, [])


def test_a_merge_that_drops_a_note_of_its_other_parent_is_found(shared_history: Path) -> None:
    root = shared_history
    run_git(root, "checkout", "-q", "-b", "old", "HEAD~1")  # before the note of rc-0001
    git_at(root, "2027-01-01T10:01:00+00:00", "merge", "-q", "-s", "ours", "-m", "join", "main")
    joined = run_git(root, "rev-parse", "HEAD").strip()
    run_git(root, "checkout", "-q", "main")
    run_git(root, "merge", "-q", "--ff-only", "old")
    code, found = findings(root)
    assert code == 1
    dropped = log_ids_at(root, f"{joined}^2", "rc-0001")[-1]
    assert summary_of(found) == [(joined, "rc-0001", dropped, "removed", True)]


def log_ids_at(root: Path, rev: str, cid: str) -> list[str]:
    text = run_git(root, "show", f"{rev}:clients/{cid}/log.yaml")
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("- id:")]


def test_a_note_removed_then_written_back_differently_is_found(shared_history: Path) -> None:
    root = shared_history
    log = root / "clients" / "rc-0001" / "log.yaml"
    original = log.read_text()
    first, rest = original.split("- id: 20260110-1000-jdoe\n", 1)
    old_entry, later = rest.split("\n- id:", 1)
    log.write_text(first + "- id:" + later)
    run_git(root, "commit", "-q", "-am", "remove the first note")
    removed = run_git(root, "rev-parse", "HEAD").strip()
    rewritten = old_entry.replace("First visit.", "First visit, rewritten.")
    log.write_text(first + "- id:" + later + "- id: 20260110-1000-jdoe\n" + rewritten + "\n")
    run_git(root, "commit", "-q", "-am", "write it back, differently")
    back = run_git(root, "rev-parse", "HEAD").strip()
    code, found = findings(root)
    assert code == 1
    assert summary_of(found) == [
        (back, "rc-0001", "20260110-1000-jdoe", "edited", False),
        (removed, "rc-0001", "20260110-1000-jdoe", "removed", False),
    ]
    assert found[0]["detail"] == "re-added after it was removed, with other data (changed: text)"
    # written back exactly as it was instead: the removal stays listed, the return is not
    run_git(root, "reset", "-q", "--hard", removed)
    log.write_text(original)
    run_git(root, "commit", "-q", "-am", "restore the original")
    assert summary_of(findings(root)[1]) == [
        (removed, "rc-0001", "20260110-1000-jdoe", "removed", False)
    ]


# ----------------------------------------------------------------- signatures


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen to sign")
def test_casectl_commits_are_signed_and_unsigned_ones_are_flagged(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "agency", {"rc-0001": client_files("rc-0001")})
    first = run_git(root, "rev-parse", "HEAD").strip()
    ssh_signing(root, tmp_path)
    noted = cli("-C", root, "note", "rc-0001", "Signed note.", "--by", "jdoe",
                "--date", "2026-02-01 10:00")  # fmt: skip
    assert noted.exit_code == 0, noted.stderr
    signed = run_git(root, "rev-parse", "HEAD").strip()
    assert run_git(root, "log", "-1", "--format=%G?").strip() == "G"
    code, found = findings(root, "--require-signed", "--since", first)
    assert (code, found) == (0, [])
    (root / "README.md").write_text("unsigned\n")
    run_git(root, "add", "README.md")
    run_git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "unsigned change")
    unsigned = run_git(root, "rev-parse", "HEAD").strip()
    code, found = findings(root, "--require-signed")
    assert code == 1
    assert [(f["commit"], f["change"], f["detail"]) for f in found] == [
        (unsigned, "unsigned", "not signed"),
        (first, "unsigned", "not signed"),
    ]
    assert signed not in {f["commit"] for f in found}
    code, found = findings(root)  # without --require-signed signatures do not matter
    assert (code, found) == (0, [])
