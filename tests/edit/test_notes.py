"""casectl note / review: append-only, exact, checked, committed, safe with many writers."""

from __future__ import annotations

import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from casectl.core.model import Agency
from casectl.edit import notes
from casectl.errors import CasectlError
from casectl.git import run as gitrun
from casectl.store.load import load_text
from tests.builders import (
    AUTHOR,
    REPO_ROOT,
    cli,
    cli_subprocess,
    client_files,
    commit_count,
    make_agency,
    run_git,
)

CID = "rc-0001"


def _log(agency: Path, cid: str = CID) -> Path:
    return agency / "clients" / cid / "log.yaml"


def _items(raw: bytes) -> list[dict[str, object]]:
    loaded = load_text("log.yaml", raw)
    assert loaded.problems == [], loaded.problems
    assert isinstance(loaded.data, list)
    return loaded.data


def _status(agency: Path) -> str:
    return run_git(agency, "status", "--porcelain")


# ------------------------------------------------------------------ basics


def test_note_appends_commits_and_prints_the_id(agency: Path) -> None:
    before = commit_count(agency)
    r = cli(
        "-C",
        agency,
        "note",
        CID,
        "Called about the lease.",
        "--type",
        "phone",
        "--minutes",
        "15",
        "--goal",
        "G1",
    )
    assert r.exit_code == 0, r.stderr
    nid = r.stdout.strip()
    items = _items(_log(agency).read_bytes())
    last = items[-1]
    assert last["id"] == nid
    assert last["type"] == "phone" and last["by"] == "jdoe" and last["minutes"] == 15
    assert last["goals"] == ["G1"]
    assert last["text"] == "Called about the lease.\n"
    assert commit_count(agency) == before + 1
    assert run_git(agency, "log", "-1", "--format=%s|%an|%ae").strip() == (
        f"note: {CID} phone (jdoe)|Jane Doe|jane.doe@example.org"
    )
    changed = run_git(agency, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == [f"clients/{CID}/log.yaml"]
    assert _status(agency) == ""  # the index knows the committed file
    assert cli("-C", agency, "validate").exit_code == 0


def test_default_time_is_now_in_the_agency_zone_to_the_minute(agency: Path) -> None:
    r = cli("-C", agency, "note", CID, "x")
    assert r.exit_code == 0, r.stderr
    written = str(_items(_log(agency).read_bytes())[-1]["date"])
    when = datetime.strptime(written, "%Y-%m-%d %H:%M")
    now = datetime.now(ZoneInfo("America/Chicago")).replace(tzinfo=None)
    assert abs((now - when).total_seconds()) < 120
    assert re.fullmatch(rf"{when:%Y%m%d-%H%M}-jdoe-[a-z2-7]{{4}}", r.stdout.strip())


def test_same_minute_same_person_gets_unique_ids(agency: Path) -> None:
    ids = [
        cli("-C", agency, "note", CID, f"n{i}", "--date", "2026-03-01 10:00").stdout.strip()
        for i in range(3)
    ]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"20260301-1000-jdoe-[a-z2-7]{4}", i) for i in ids)
    assert [e["id"] for e in _items(_log(agency).read_bytes())][-3:] == ids


def test_note_id_helper() -> None:
    t = datetime(2026, 3, 1, 9, 5)
    first = notes.note_id(t, "jdoe", [])
    assert re.fullmatch(r"20260301-0905-jdoe-[a-z2-7]{4}", first)
    assert re.fullmatch(r"20260301-0905-Jane-Doe-[a-z2-7]{4}", notes.note_id(t, "Jane Doe", []))
    # ids from two clones (no shared state) differ; one log never repeats an id
    drawn = {notes.note_id(t, "jdoe", []) for _ in range(200)}
    assert len(drawn) > 190
    taken: list[str] = []
    for _ in range(300):
        taken.append(notes.note_id(t, "jdoe", taken))
    assert len(set(taken)) == 300


def test_an_id_already_in_the_log_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # The first two draws give a suffix the log already holds; the third is free.
    letters = iter("aaaaaaaabbbb")
    monkeypatch.setattr(notes.secrets, "choice", lambda _alphabet: next(letters))
    t = datetime(2026, 3, 1, 9, 5)
    assert notes.note_id(t, "jdoe", ["20260301-0905-jdoe-aaaa"]) == "20260301-0905-jdoe-bbbb"


def test_review_is_a_note_of_type_review(agency: Path) -> None:
    r = cli("-C", agency, "review", CID, "Plan reviewed; goals unchanged.")
    assert r.exit_code == 0, r.stderr
    assert _items(_log(agency).read_bytes())[-1]["type"] == "review"
    assert run_git(agency, "log", "-1", "--format=%s").strip() == f"note: {CID} review (jdoe)"


def test_no_commit_leaves_the_change_in_the_work_tree(agency: Path) -> None:
    before = commit_count(agency)
    r = cli("-C", agency, "note", CID, "draft", "--no-commit")
    assert r.exit_code == 0, r.stderr
    assert commit_count(agency) == before
    assert _status(agency).strip() == f"M clients/{CID}/log.yaml"


def test_referral_and_to(agency: Path) -> None:
    r = cli(
        "-C",
        agency,
        "note",
        CID,
        "Referred.",
        "--type",
        "referral",
        "--to",
        "Springfield Legal Aid: housing desk",
    )
    assert r.exit_code == 0, r.stderr
    assert _items(_log(agency).read_bytes())[-1]["to"] == "Springfield Legal Aid: housing desk"
    r = cli("-C", agency, "note", CID, "x", "--to", "Someone")
    assert r.exit_code == 2 and "referral" in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "chat"], "not a note type"),
        (["--goal", "G9"], "'G9' not in"),
        (["--by", "nobody"], "not a manager"),
        (["--date", "2026-02-30 10:00"], "is not a date or time casectl reads"),
        (["--date", "03/04"], "today, yesterday"),  # ambiguous: the forms are listed
        (["--date", "2099-01-01 09:00"], "is in the future"),
        (["--minutes", "2000"], "--minutes"),
        (["--type", "amendment"], "--amends"),
    ],
)
def test_bad_options_are_refused_with_nothing_written(
    agency: Path, args: list[str], message: str
) -> None:
    before = _log(agency).read_bytes()
    commits = commit_count(agency)
    r = cli("-C", agency, "note", CID, "text", *args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert _log(agency).read_bytes() == before
    assert commit_count(agency) == commits
    assert _status(agency) == ""


def test_invalid_note_lists_the_problems(tmp_path: Path) -> None:
    # The last entry is dated in the future (CM422, there already): a note written now
    # would come before it (CM421, new), so it is refused with the problem listed.
    ahead = LOG_AHEAD
    root = make_agency(tmp_path / "ag", {CID: client_files(CID, **{"log.yaml": ahead})})
    r = cli("-C", root, "note", CID, "x")
    assert r.exit_code == 2
    assert f"clients/{CID}/log.yaml:" in r.stderr and "error CM421" in r.stderr


LOG_AHEAD = "- id: a\n  date: 2099-01-10 10:00\n  by: jdoe\n  type: note\n  text: ahead\n"


def test_old_problems_do_not_block_new_notes(tmp_path: Path) -> None:
    # An old entry by someone not in managers (CM423) stays; new notes still go in.
    bad = "- id: a\n  date: 2026-01-10 10:00\n  by: stranger\n  type: note\n  text: old\n"
    root = make_agency(tmp_path / "ag", {CID: client_files(CID, **{"log.yaml": bad})})
    before = cli("-C", root, "validate")
    assert before.exit_code == 1 and before.stdout.count(" CM423 ") == 1
    r = cli("-C", root, "note", CID, "new")
    assert r.exit_code == 0, r.stderr
    # the note is in the log, after the old entry (kept byte for byte), and committed
    raw = _log(root).read_bytes()
    assert raw.startswith(bad.encode())
    items = _items(raw)
    assert [i["text"] for i in items] == ["old", "new\n"]  # a literal block keeps its newline
    assert items[1]["by"] == "jdoe" and items[1]["id"] == r.stdout.strip()
    assert run_git(root, "status", "--porcelain").strip() == ""
    assert run_git(root, "log", "-1", "--format=%s").strip() == f"note: {CID} note (jdoe)"
    # the old problem is still there and reported, and the note added none
    after = cli("-C", root, "validate")
    assert (after.exit_code, after.stdout) == (1, before.stdout)


# ------------------------------------------------------------------ amendments


def test_amendment_names_an_existing_note(agency: Path) -> None:
    r = cli(
        "-C",
        agency,
        "note",
        CID,
        "It was a phone call, not a visit.",
        "--amends",
        "20260110-1000-jdoe",
    )
    assert r.exit_code == 0, r.stderr
    last = _items(_log(agency).read_bytes())[-1]
    assert last["type"] == "amendment" and last["amends"] == "20260110-1000-jdoe"
    assert run_git(agency, "log", "-1", "--format=%s").strip() == f"note: {CID} amendment (jdoe)"
    assert cli("-C", agency, "validate").exit_code == 0


def test_amendment_of_a_missing_note_is_refused(agency: Path) -> None:
    before = _log(agency).read_bytes()
    r = cli("-C", agency, "note", CID, "x", "--amends", "nope")
    assert r.exit_code == 2 and "no note 'nope'" in r.stderr
    r = cli("-C", agency, "note", CID, "x", "--amends", "20260110-1000-jdoe", "--type", "phone")
    assert r.exit_code == 2 and "--amends" in r.stderr
    assert _log(agency).read_bytes() == before


# ------------------------------------------------------------------ exact bytes and text


SEED = (
    b"# Progress notes (synthetic)   \n"
    b"- id: 20260110-1000-jdoe   # first\n"
    b"  date: 2026-01-10 10:00\n"
    b"  by: jdoe\n"
    b"  type: visit\n"
    b"  text: >\n"
    b"    Folded   text\n"
    b"    kept.\n"
    b"\n"
    b"# a comment between notes\n"
    b"-   id: 20260111-0900-jdoe\n"
    b"    date: '2026-01-11 09:00'\n"
    b"    by: jdoe\n"
    b"    type: phone\n"
    b'    text: "no newline at end"'
)


def test_existing_bytes_are_kept_exactly_through_the_cli(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag", {CID: client_files(CID, **{"log.yaml": SEED})})
    r = cli("-C", root, "note", CID, "first")
    assert r.exit_code == 0, r.stderr
    after_one = _log(root).read_bytes()
    assert after_one.startswith(SEED + b"\n")
    r = cli("-C", root, "note", CID, "second")
    assert r.exit_code == 0, r.stderr
    after_two = _log(root).read_bytes()
    assert after_two.startswith(after_one)
    assert [e["text"] for e in _items(after_two)][-2:] == ["first\n", "second\n"]
    committed = subprocess.run(
        ["git", "show", f"HEAD:clients/{CID}/log.yaml"], cwd=root, capture_output=True, check=True
    ).stdout
    assert committed == after_two


NASTY = [
    "key: value # not a comment\n'quotes' and \"doubles\"",
    "   leading spaces\n\ttab line\n",
    "---\n- not a list\n...\n",
    "- \n-\n? x\n: y",
    "unicode: café, 東京, emoji 🎉, rtl שלום",
    "trailing spaces   \nmiddle\n",
    "null",
    "!!python/object:os.system 'rm -rf /'",
    "line\n\n\nwith blank lines inside\n",
    "#hash at start\n  # indented hash",
    "%YAML 1.1\n&anchor *alias |",
    "back\\slash and \x07 bell and \x1b escape",
]


@pytest.mark.parametrize("text", NASTY)
def test_nasty_text_reads_back_exactly_through_the_cli(agency: Path, text: str) -> None:
    r = cli("-C", agency, "note", CID, "-", input=text)
    assert r.exit_code == 0, r.stderr
    assert _items(_log(agency).read_bytes())[-1]["text"] == notes.normalize_text(text)
    r = cli("-C", agency, "note", CID, "--", text)  # '--': text may start with '-''
    assert r.exit_code == 0, r.stderr
    assert _items(_log(agency).read_bytes())[-1]["text"] == notes.normalize_text(text)
    assert cli("-C", agency, "validate").exit_code == 0


def test_normalize_text() -> None:
    assert notes.normalize_text("a\r\nb\r\n\n\n  ") == "a\nb\n"
    assert notes.normalize_text("  indented\n") == "  indented\n"
    assert notes.normalize_text(" \n\t\n") == ""


# ------------------------------------------------------------------ stdin and $EDITOR


def test_text_from_stdin_dash_and_piped(agency: Path) -> None:
    r = cli("-C", agency, "note", CID, "-", input="From a pipe.\nSecond line.\n")
    assert r.exit_code == 0, r.stderr
    r = cli("-C", agency, "note", CID, input="Piped without a dash.\n")
    assert r.exit_code == 0, r.stderr
    texts = [e["text"] for e in _items(_log(agency).read_bytes())][-2:]
    assert texts == ["From a pipe.\nSecond line.\n", "Piped without a dash.\n"]


@pytest.mark.parametrize("given", ["", "  \n\n", None])
def test_empty_text_aborts_with_nothing_written(agency: Path, given: str | None) -> None:
    before = _log(agency).read_bytes()
    commits = commit_count(agency)
    args = ["-C", agency, "note", CID] + ([given] if given is not None else [])
    r = cli(*args, input="" if given is None else None)
    assert r.exit_code == 2 and "empty note" in r.stderr
    assert _log(agency).read_bytes() == before and commit_count(agency) == commits


def _editor(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "editor.sh"
    record = tmp_path / "record.txt"
    script.write_text(
        "#!/bin/sh\n"
        f'stat -c "%a" "$1" > {record}\n'
        f'stat -c "%a" "$(dirname "$1")" >> {record}\n'
        f'printf "%s\\n" "$1" >> {record}\n'
        f'cat "$1" >> {record}\n' + body
    )
    script.chmod(0o755)
    return script


def _run_with_tty(
    args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run casectl with stdin on a pseudo-terminal (the $EDITOR path)."""
    master, slave = os.openpty()
    try:
        return subprocess.run(
            [sys.executable, "-m", "casectl", *args],
            stdin=slave,
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=60,
            env={**os.environ, **AUTHOR, "PYTHONPATH": str(REPO_ROOT), **env},
        )
    finally:
        os.close(slave)
        os.close(master)


def _record(tmp_path: Path) -> tuple[str, str, Path, str]:
    lines = (tmp_path / "record.txt").read_text().split("\n", 3)
    return lines[0], lines[1], Path(lines[2]), lines[3]


def test_editor_text_is_written_and_the_draft_removed(agency: Path, tmp_path: Path) -> None:
    editor = _editor(
        tmp_path, 'printf "Written in the editor.\\n# a comment line\\nEnd.\\n" > "$1"\n'
    )
    r = _run_with_tty(
        ["-C", str(agency), "note", CID, "--type", "visit"], {"EDITOR": str(editor)}, agency
    )
    assert r.returncode == 0, r.stderr
    file_mode, dir_mode, draft, template = _record(tmp_path)
    assert (file_mode, dir_mode) == ("600", "700")
    assert "# Progress note for rc-0001: type visit, by jdoe" in template
    assert not draft.exists() and not draft.parent.exists()
    assert draft.parent.parent == agency / ".casectl"  # nothing written outside the repo
    assert _items(_log(agency).read_bytes())[-1]["text"] == "Written in the editor.\nEnd.\n"
    assert _status(agency) == ""


def test_the_template_and_the_note_do_not_start_with_a_blank_line(
    agency: Path, tmp_path: Path
) -> None:
    """The user types below the template's comments (or on blank lines above them):
    the note starts at its first line of text."""
    editor = _editor(tmp_path, 'printf "\\n  \\nTyped below.\\n" >> "$1"\n')
    r = _run_with_tty(["-C", str(agency), "note", CID], {"EDITOR": str(editor)}, agency)
    assert r.returncode == 0, r.stderr
    _, _, _, template = _record(tmp_path)
    assert template.startswith("# Progress note for rc-0001")
    assert _items(_log(agency).read_bytes())[-1]["text"] == "Typed below.\n"


@pytest.mark.parametrize(
    "body",
    [
        ': > "$1"\n',  # emptied the file
        "true\n",  # left only the commented template
        "exit 3\n",  # the editor failed
        'rm "$1"\n',  # removed the file
    ],
)
def test_editor_empty_or_failing_aborts(agency: Path, tmp_path: Path, body: str) -> None:
    before = _log(agency).read_bytes()
    commits = commit_count(agency)
    editor = _editor(tmp_path, body)
    r = _run_with_tty(["-C", str(agency), "note", CID], {"EDITOR": str(editor)}, agency)
    assert r.returncode == 2, r.stderr
    assert "nothing written" in r.stderr
    _, _, draft, _ = _record(tmp_path)
    assert not draft.parent.exists()
    assert _log(agency).read_bytes() == before and commit_count(agency) == commits


def test_no_editor_set_is_a_clear_error(agency: Path) -> None:
    r = _run_with_tty(["-C", str(agency), "note", CID], {}, agency)
    assert r.returncode == 2 and "$EDITOR" in r.stderr


def test_edit_text_removes_the_draft_even_on_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "private"
    parent.mkdir()
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    with pytest.raises(CasectlError):
        notes.edit_text("# template\n", parent)
    assert list(parent.iterdir()) == []
    editor = tmp_path / "ed.sh"
    # $EDITOR is split like a shell would: the draft comes after the editor's own flag.
    editor.write_text('#!/bin/sh\n[ "$1" = --flag ] || exit 9\nprintf "keep\\n#drop\\n" >> "$2"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", f"{editor} --flag")
    assert notes.edit_text("# template\n", parent) == "keep\n"
    assert list(parent.iterdir()) == []


# ------------------------------------------------------------------ who writes


def _identity(
    monkeypatch: pytest.MonkeyPatch, root: Path, name: str | None, email: str | None
) -> None:
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in (("user.name", name), ("user.email", email)):
        run_git(root, "config", key, value or "")


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("Jane Doe", "someone@else.org", "jdoe"),  # display name
        ("jdoe", None, "jdoe"),  # key
        ("J. Doe", "JANE.DOE@example.org", "jdoe"),  # email, any case
        ("Min Kim", "min@example.org", "mkim"),  # plain-string manager entry
    ],
)
def test_by_defaults_to_the_manager_matching_git_identity(
    agency: Path, monkeypatch: pytest.MonkeyPatch, name: str, email: str | None, expected: str
) -> None:
    _identity(monkeypatch, agency, name, email)
    assert gitrun.config_identity(agency) == gitrun.Identity(name, email)
    r = cli("-C", agency, "note", CID, "x")
    assert r.exit_code == 0, r.stderr
    assert _items(_log(agency).read_bytes())[-1]["by"] == expected


def test_no_matching_manager_requires_by(agency: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _identity(monkeypatch, agency, "Pat Smith", "pat@example.org")
    before = _log(agency).read_bytes()
    r = cli("-C", agency, "note", CID, "x")
    assert r.exit_code == 2
    assert "--by is required" in r.stderr and "Pat Smith" in r.stderr
    assert _log(agency).read_bytes() == before
    r = cli("-C", agency, "note", CID, "x", "--by", "mkim")
    assert r.exit_code == 0, r.stderr
    assert _items(_log(agency).read_bytes())[-1]["by"] == "mkim"


def test_resolve_by_cases() -> None:
    agency = Agency.model_validate(
        {
            "agency": "A",
            "managers": {"amy": "Amy Lee", "al": {"name": "Amy Lee", "email": "al@x.org"}},
        }
    )
    none = gitrun.Identity(None, None)
    assert notes.resolve_by(agency, "amy", lambda: none) == "amy"
    assert notes.resolve_by(agency, None, lambda: gitrun.Identity("x", "AL@x.org")) == "al"
    with pytest.raises(CasectlError, match="several managers"):
        notes.resolve_by(agency, None, lambda: gitrun.Identity("Amy Lee", None))
    with pytest.raises(CasectlError, match="--by is required"):
        notes.resolve_by(agency, None, lambda: none)
    open_agency = Agency.model_validate({"agency": "A"})
    assert notes.resolve_by(open_agency, "anyone", lambda: none) == "anyone"
    with pytest.raises(CasectlError, match="lists no managers"):
        notes.resolve_by(open_agency, None, lambda: gitrun.Identity("Jane", None))


# ------------------------------------------------------------------ safety


@pytest.mark.parametrize("bad", ["../rc-0001", "RC-0001", "rc 0001", "-x", "nope", ".", ""])
def test_bad_or_unknown_ids_touch_nothing(agency: Path, bad: str) -> None:
    r = cli("-C", agency, "note", bad, "x")
    assert r.exit_code == 2
    assert "Traceback" not in r.stderr
    assert _status(agency) == ""
    assert sorted(p.name for p in (agency / "clients").iterdir()) == ["rc-0001", "rc-0002"]


def test_symlinked_client_folder_is_refused(agency: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    for name, text in client_files("rc-0009").items():
        assert text is not None
        (outside / name).write_text(text)
    (agency / "clients" / "rc-0009").symlink_to(outside, target_is_directory=True)
    r = cli("-C", agency, "note", "rc-0009", "x")
    assert r.exit_code == 2 and "symbolic link" in r.stderr
    assert (outside / "log.yaml").read_text() == client_files("rc-0009")["log.yaml"]


def test_symlinked_log_is_refused(agency: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_bytes(_log(agency).read_bytes())
    _log(agency).unlink()
    _log(agency).symlink_to(outside)
    r = cli("-C", agency, "note", CID, "x")
    assert r.exit_code == 2 and "symbolic link" in r.stderr
    assert outside.read_bytes() == _log(agency, "rc-0002").read_bytes()


def test_unrelated_changes_are_never_committed(agency: Path) -> None:
    """Changes outside the client's folder stay as they are (changes inside it refuse
    the note: test_write_guard.py)."""
    other = _log(agency, "rc-0002")
    other.write_text(other.read_text() + "# hand edit in progress\n")
    (agency / "notes.txt").write_text("untracked\n")
    plan = agency / "clients" / "rc-0002" / "plan.yaml"
    plan.write_text(plan.read_text() + "# staged edit\n")
    run_git(agency, "add", str(plan))
    r = cli("-C", agency, "note", CID, "x")
    assert r.exit_code == 0, r.stderr
    changed = run_git(agency, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == [f"clients/{CID}/log.yaml"]
    status = set(_status(agency).splitlines())
    assert status == {"?? notes.txt", "M  clients/rc-0002/plan.yaml", " M clients/rc-0002/log.yaml"}


def test_commit_hooks_run(agency: Path) -> None:
    hook = agency / ".git" / "hooks" / "commit-msg"
    marker = agency.parent / "hook-ran"
    hook.write_text(f'#!/bin/sh\ncat "$1" > {marker}\n')
    hook.chmod(0o755)
    r = cli("-C", agency, "note", CID, "x")
    assert r.exit_code == 0, r.stderr
    assert marker.read_text().startswith(f"note: {CID} note (jdoe)")
    hook.write_text("#!/bin/sh\necho 'rejected by policy' >&2\nexit 1\n")
    r = cli("-C", agency, "note", CID, "second")
    assert r.exit_code == 2
    nid = r.stdout.strip()
    assert "not committed" in r.stderr and nid in r.stderr
    assert _items(_log(agency).read_bytes())[-1]["id"] == nid  # the note itself is safe


# ------------------------------------------------------------------ many writers, kills


def _popen_note(agency: Path, text: str) -> subprocess.Popen[str]:
    env = {**os.environ, **AUTHOR, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "casectl",
            "-C",
            str(agency),
            "note",
            CID,
            text,
            "--date",
            "2026-11-01 10:00",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_eight_parallel_note_processes_lose_nothing(agency: Path) -> None:
    before = commit_count(agency)
    procs = [_popen_note(agency, f"Parallel note {i}.") for i in range(8)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in results]
    ids = sorted(out.strip() for out, _ in results)
    assert len(set(ids)) == 8
    items = _items(_log(agency).read_bytes())
    assert sorted(str(e["text"]) for e in items[1:]) == [f"Parallel note {i}.\n" for i in range(8)]
    assert sorted(str(e["id"]) for e in items[1:]) == ids
    assert commit_count(agency) == before + 8
    assert _status(agency) == ""
    assert cli("-C", agency, "validate").exit_code == 0
    for n in range(8):  # every commit holds exactly one more note
        raw = run_git(agency, "show", f"HEAD~{n}:clients/{CID}/log.yaml").encode()
        assert len(_items(raw)) == 9 - n


def test_sigkill_during_note_leaves_a_whole_log(agency: Path) -> None:
    """A `casectl note` killed at a random moment: the old log or the old one plus the
    whole note, never anything else; git stays usable. (50 more trials at the writes
    level in test_writes.py.)"""
    rng = random.Random(5)
    text = "Killed writer note.\n" * 200
    start = time.monotonic()
    assert _popen_note(agency, "timing run").wait(timeout=120) == 0
    duration = time.monotonic() - start  # most of it is start-up; the write is at the end
    trials, landed, uncommitted = 8, 0, 0
    for trial in range(trials):
        old = _log(agency).read_bytes()
        proc = _popen_note(agency, text)
        time.sleep(rng.uniform(0.5, 1.05) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        raw = _log(agency).read_bytes()
        assert raw.startswith(old), trial
        items, old_items = _items(raw), _items(old)
        assert items[: len(old_items)] == old_items
        assert len(items) - len(old_items) in (0, 1), trial
        if len(items) > len(old_items):
            landed += 1
            assert items[-1]["text"] == text
        # A note written but not committed (killed between the two) is never mixed into
        # the next note's commit: that note is refused, naming the file, until the
        # user commits it. Git's index never runs ahead of or behind HEAD.
        left = [ln for ln in _status(agency).splitlines() if not ln.endswith(".tmp")]
        # (" M": killed before its commit; "M ": between staging it and moving the branch.)
        assert left in ([], [f" M clients/{CID}/log.yaml"], [f"M  clients/{CID}/log.yaml"]), left
        if left:
            uncommitted += 1
            refused = cli("-C", agency, "note", CID, "refused", "--date", "2026-11-01 10:00")
            assert refused.exit_code == 2 and f"clients/{CID}/log.yaml" in refused.stderr
            assert _log(agency).read_bytes() == raw
            run_git(agency, "commit", "-q", "-am", "the killed writer's note")
        ok = cli("-C", agency, "note", CID, f"after kill {trial}", "--date", "2026-11-01 10:00")
        assert ok.exit_code == 0, ok.stderr
        left = [ln for ln in _status(agency).splitlines() if not ln.endswith(".tmp")]
        assert left == [], left
    folder = _log(agency).parent
    assert all(
        p.name in {"client.yaml", "assessment.yaml", "plan.yaml", "log.yaml"}
        or p.name.endswith(".tmp")
        for p in folder.iterdir()
    )
    assert stat.S_ISREG(os.lstat(_log(agency)).st_mode)
    print(f"{landed}/{trials} killed writers had written their note, {uncommitted} uncommitted")


def test_cli_subprocess_smoke(agency: Path) -> None:
    done = cli_subprocess("-C", agency, "note", CID, "-", input="via a real process\n")
    assert done.returncode == 0, done.stderr
    assert _items(_log(agency).read_bytes())[-1]["text"] == "via a real process\n"


# ------------------------------------------------------------------ odd files, sizes


@pytest.mark.parametrize(
    ("command", "fifo"),
    [
        (["note", CID, "-"], "log.yaml"),
        (["note", CID, "-"], "client.yaml"),
        (["close", CID, "--reason", "moved"], "client.yaml"),
        (["close", CID, "--reason", "moved"], "log.yaml"),
        (["reopen", CID], "client.yaml"),
    ],
)
def test_a_fifo_case_file_is_refused_without_hanging(
    agency: Path, command: list[str], fifo: str
) -> None:
    """A named pipe where a case file should be: opening it to read would wait for a
    writer forever. A real process, so a hang shows as a timeout."""
    path = agency / "clients" / CID / fifo
    path.unlink()
    os.mkfifo(path)
    head = run_git(agency, "rev-parse", "HEAD")
    done = subprocess.run(
        [sys.executable, "-m", "casectl", "-C", str(agency), *command],
        input="A note.\n",
        capture_output=True,
        text=True,
        env={**os.environ, **AUTHOR, "PYTHONPATH": str(REPO_ROOT)},
        timeout=30,
    )
    assert done.returncode == 2, done.stderr
    assert f"clients/{CID}/{fifo}" in done.stderr
    assert "FIFO" in done.stderr and "not a regular file" in done.stderr
    assert stat.S_ISFIFO(os.lstat(path).st_mode)
    assert run_git(agency, "rev-parse", "HEAD") == head


def test_read_bytes_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    import threading

    from casectl.store import writes

    fifo = tmp_path / "log.yaml"
    os.mkfifo(fifo)
    raised: list[BaseException] = []

    def read() -> None:
        try:
            writes.read_bytes(fifo)
        except BaseException as exc:
            raised.append(exc)

    reader = threading.Thread(target=read, daemon=True)  # a blocked open() cannot be undone
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert len(raised) == 1 and isinstance(raised[0], CasectlError)
    assert "FIFO" in str(raised[0])


def test_a_huge_note_is_refused_stating_the_limit_and_never_echoed(agency: Path) -> None:
    """17 MB of note text used to end in an error that printed all of it."""
    secret = "Confidential detail of the client's history. "
    text = secret * (17_000_000 // len(secret))
    old = _log(agency).read_bytes()
    done = cli_subprocess("-C", agency, "note", CID, "-", input=text)
    assert done.returncode == 2, done.stderr[:500]
    assert "1.0 MiB" in done.stderr and "one note may hold at most" in done.stderr
    assert secret not in done.stderr and secret not in done.stdout
    assert len(done.stderr) < 500
    assert "internal error" not in done.stderr
    assert _log(agency).read_bytes() == old


def test_the_note_limit_is_one_mib(agency: Path) -> None:
    line = "x" * 99 + "\n"
    at_limit = line * (notes.MAX_NOTE_BYTES // len(line))
    r = cli("-C", agency, "note", CID, "-", input=at_limit)
    assert r.exit_code == 0, r.stderr[:300]
    assert _items(_log(agency).read_bytes())[-1]["text"] == at_limit
    r = cli("-C", agency, "note", CID, "-", input=at_limit + "y" * 200)
    assert r.exit_code == 2
    assert "one note may hold at most 1.0 MiB" in r.stderr and "x" * 100 not in r.stderr


def test_a_log_is_never_grown_past_the_file_limit(tmp_path: Path) -> None:
    from casectl.store.load import MAX_FILE_BYTES

    body = "".join(f"    line {i} of a long report\n" for i in range(30_000))
    entries = "".join(
        f"- id: 2026010{1 + i // 10}-0{i % 10}00-jdoe\n  date: 2026-01-0{1 + i // 10} "
        f"0{i % 10}:00\n  by: jdoe\n  type: note\n  text: |\n{body}"
        for i in range((MAX_FILE_BYTES - 600_000) // (len(body) + 80))
    )
    root = make_agency(tmp_path / "ag", {CID: client_files(CID, **{"log.yaml": entries})})
    assert MAX_FILE_BYTES - 900_000 < len(entries) < MAX_FILE_BYTES
    r = cli("-C", root, "note", CID, "-", input="line 1 of a note\n" * 60_000)
    assert r.exit_code == 2
    assert "16 MiB limit for one case file" in r.stderr and "line 1 of" not in r.stderr
    assert len(r.stderr) < 500
    assert _log(root).read_text() == entries
