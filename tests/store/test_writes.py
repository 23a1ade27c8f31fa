"""writes: atomic, locked, checked writes that survive concurrency and SIGKILL."""

from __future__ import annotations

import ast
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import casectl
from casectl.edit.logtext import append_entry, format_entry
from casectl.errors import CasectlError
from casectl.store.layout import ensure_inside
from casectl.store.load import load_text
from casectl.store.writes import (
    add_missing_text,
    atomic_write,
    cleanup_stale_temps,
    edit_file,
    is_temp_name,
    locked,
    private_folder,
    write_text_files,
)

REPO = Path(__file__).resolve().parents[2]

SEED = (
    b"# progress notes (synthetic)\n"
    b"- id: seed-1   # first\n"
    b"  date: 2026-01-05 09:00\n"
    b"  by: jdoe\n"
    b"  type: visit\n"
    b"  text: |\n"
    b"    First visit.\n"
    b"\n"
    b"-   id: seed-2\n"
    b"    by: jdoe\n"
    b"    text: 'odd   spacing kept'"
)


def _client(tmp_path: Path) -> Path:
    folder = tmp_path / "clients" / "rc-0001"
    folder.mkdir(parents=True)
    log = folder / "log.yaml"
    log.write_bytes(SEED)
    return log


def _items(raw: bytes) -> list[dict[str, object]]:
    loaded = load_text("log.yaml", raw)
    assert loaded.problems == []
    assert isinstance(loaded.data, list)
    return loaded.data


def _note(i: int, size: int = 0) -> dict[str, object]:
    body = f"Note {i}: talked about housing # not a comment\n"
    body += "".join(f"  detail line {j} of note {i}\n" for j in range(size))
    return {"id": f"n{i}", "date": "2026-11-22 14:30", "by": "jdoe", "type": "note", "text": body}


# ------------------------------------------------------------------ atomic_write


def test_atomic_write_keeps_the_original_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "client.yaml"
    target.write_bytes(b"old\n")
    target.chmod(0o600)
    atomic_write(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client.yaml"]


def test_atomic_write_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    (tmp_path / "plain").write_bytes(b"")  # made the ordinary way: 0666 less umask
    atomic_write(tmp_path / "new.yaml", b"x\n")
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == stat.S_IMODE(
        (tmp_path / "plain").stat().st_mode
    )


def test_atomic_write_failure_removes_temp_and_keeps_target(tmp_path: Path) -> None:
    target = tmp_path / "log.yaml"
    target.mkdir()  # os.replace of a file onto a folder fails
    with pytest.raises(OSError):
        atomic_write(target, b"data\n")
    assert target.is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["log.yaml"]


# ------------------------------------------------------------------ append_entry


def test_append_keeps_existing_bytes_exactly(tmp_path: Path) -> None:
    log = _client(tmp_path)
    append_entry(log, format_entry(_note(1)))
    first = log.read_bytes()
    assert first.startswith(SEED + b"\n")
    append_entry(log, format_entry(_note(2)))
    second = log.read_bytes()
    assert second.startswith(first)
    items = _items(second)
    assert [item["id"] for item in items] == ["seed-1", "seed-2", "n1", "n2"]
    assert items[2:] == [_note(1), _note(2)]


def test_append_creates_a_missing_log_and_replaces_empty_list(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    append_entry(folder / "log.yaml", format_entry(_note(1)))
    assert _items((folder / "log.yaml").read_bytes()) == [_note(1)]
    (folder / "log.yaml").write_bytes(b"# none yet\n[]\n")
    append_entry(folder / "log.yaml", format_entry(_note(2)))
    raw = (folder / "log.yaml").read_bytes()
    assert raw.startswith(b"# none yet\n- id: n2\n")
    assert _items(raw) == [_note(2)]


def test_validate_messages_stop_the_write(tmp_path: Path) -> None:
    log = _client(tmp_path)
    before = log.stat()
    seen: list[bytes] = []

    def validate(new: bytes) -> list[str]:
        seen.append(new)
        return ["log.yaml:14:3: error CM401 by: 'nobody' is not a manager"]

    with pytest.raises(CasectlError, match="CM401"):
        append_entry(log, format_entry(_note(1)), validate)
    assert seen and seen[0].startswith(SEED)
    assert log.read_bytes() == SEED
    assert log.stat().st_ino == before.st_ino
    assert [p.name for p in log.parent.iterdir()] == ["log.yaml"]


def test_unreadable_log_is_not_appended_to(tmp_path: Path) -> None:
    log = _client(tmp_path)
    log.write_bytes(b"- id: a\n  text: [unclosed\n")
    with pytest.raises(CasectlError, match="fix it before adding notes"):
        append_entry(log, format_entry(_note(1)))
    assert log.read_bytes() == b"- id: a\n  text: [unclosed\n"


def test_symlinks_are_refused(tmp_path: Path) -> None:
    log = _client(tmp_path)
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_bytes(b"[]\n")
    link = log.parent / "linked.yaml"
    link.symlink_to(elsewhere)
    with pytest.raises(CasectlError, match="symbolic link"):
        append_entry(link, format_entry(_note(1)))
    linked_folder = tmp_path / "clients" / "rc-0002"
    linked_folder.symlink_to(log.parent)
    with pytest.raises(CasectlError, match="symbolic link"):
        append_entry(linked_folder / "log.yaml", format_entry(_note(1)))
    assert elsewhere.read_bytes() == b"[]\n"
    assert log.read_bytes() == SEED


def test_ensure_inside(tmp_path: Path) -> None:
    root = tmp_path / "agency"
    (root / "clients" / "rc-1").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (root / "clients" / "rc-2").symlink_to(tmp_path / "outside")
    good = ensure_inside(root, Path("clients/rc-1/log.yaml"))
    assert good == root.resolve() / "clients" / "rc-1" / "log.yaml"
    assert ensure_inside(root, root / "clients" / "rc-1" / "log.yaml") == good
    for bad in ["clients/rc-2/log.yaml", "../outside/log.yaml", str(tmp_path / "x.yaml")]:
        with pytest.raises(CasectlError, match="refusing"):
            ensure_inside(root, Path(bad))
    # The root itself may be reached through a symlink.
    (tmp_path / "via").symlink_to(root)
    assert ensure_inside(tmp_path / "via", Path("clients/rc-1/log.yaml")) == good
    log = good
    log.write_bytes(b"[]\n")
    append_entry(Path("clients/rc-1/log.yaml"), format_entry(_note(1)), root=tmp_path / "via")
    assert _items(log.read_bytes()) == [_note(1)]


def test_edit_file_replaces_under_lock(tmp_path: Path) -> None:
    path = tmp_path / "client.yaml"
    path.write_bytes(b"status: active  # keep\n")
    new = edit_file(path, lambda old: old.replace(b"active", b"closed"))
    assert new == path.read_bytes() == b"status: closed  # keep\n"

    def refuse(old: bytes) -> bytes:
        raise CasectlError("status is in flow style")

    with pytest.raises(CasectlError, match="flow style"):
        edit_file(path, refuse)
    with pytest.raises(CasectlError, match="nope"):
        edit_file(path, lambda old: b"", lambda new: ["nope"])
    assert path.read_bytes() == b"status: closed  # keep\n"


# ------------------------------------------------------------------ locking

WRITER = """
import sys, time
from pathlib import Path
from casectl.edit.logtext import format_entry
from casectl.edit.logtext import append_entry
log, who, count, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
while not go.exists():
    time.sleep(0.001)
for i in range(count):
    text = f"writer {who} note {i}\\n" + "filler line of a long note\\n" * 2000
    entry = {"id": f"w{who}-{i}", "by": "jdoe", "type": "note", "text": text}
    append_entry(log, format_entry(entry))
"""


def _spawn(log: Path, who: str, count: int, go: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [sys.executable, "-c", WRITER, str(log), who, str(count), str(go)]
    return subprocess.Popen(args, env=env, stderr=subprocess.PIPE)


def test_eight_parallel_writer_processes_lose_nothing(tmp_path: Path) -> None:
    log = _client(tmp_path)
    go = tmp_path / "go"
    procs = [_spawn(log, str(k), 4, go) for k in range(8)]
    time.sleep(0.3)  # let them all start and wait at the gate
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    raw = log.read_bytes()
    assert raw.startswith(SEED)
    items = _items(raw)
    ids = [str(item["id"]) for item in items[2:]]
    assert sorted(ids) == sorted(f"w{k}-{i}" for k in range(8) for i in range(4))
    for k in range(8):  # each writer's notes in its own order
        mine = [i for i in ids if i.startswith(f"w{k}-")]
        assert mine == [f"w{k}-{i}" for i in range(4)]
    for item in items[2:]:
        who, i = str(item["id"])[1:].split("-")
        assert item["text"] == f"writer {who} note {i}\n" + "filler line of a long note\n" * 2000


def test_lock_excludes_other_holders(tmp_path: Path) -> None:
    holder = locked(tmp_path)
    holder.__enter__()
    try:
        with pytest.raises(CasectlError, match="another casectl"), locked(tmp_path, timeout=0.1):
            pass
    finally:
        holder.__exit__(None, None, None)
    with locked(tmp_path, timeout=0.1):  # released afterwards
        pass


def test_writer_in_another_process_waits_for_the_lock(tmp_path: Path) -> None:
    log = _client(tmp_path)
    go = tmp_path / "go"
    go.touch()
    with locked(log.parent):
        proc = _spawn(log, "x", 1, go)
        time.sleep(1.0)
        assert log.read_bytes() == SEED  # blocked while we hold the lock
        assert proc.poll() is None
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    assert [item["id"] for item in _items(log.read_bytes())][-1] == "wx-0"


def test_lock_on_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CasectlError, match="cannot lock"), locked(tmp_path / "nope"):
        pass


# ------------------------------------------------------------------ SIGKILL


def _child_loop(log: Path, entries: list[str], report_fd: int) -> None:
    """Runs in a forked child: append forever, reporting each finished note."""
    try:
        for i, entry in enumerate(entries):
            append_entry(log, entry)
            os.write(report_fd, f"{i}\n".encode())
    finally:
        os._exit(0)


def test_sigkill_at_any_moment_leaves_whole_notes(tmp_path: Path) -> None:
    """50 writers killed at random moments: the log always parses, notes are whole.

    Leftover ``.log.yaml.<hex>.tmp`` files are allowed (they are ignorable and removed
    by cleanup_stale_temps); the log itself must only ever hold complete notes.
    """
    rng = random.Random(20261122)
    notes = [_note(i, size=3000) for i in range(12)]  # ~100 kB each: a wide write window
    entries = [format_entry(n) for n in notes]
    seed_items = _items(SEED)
    leftovers = 0
    finished_total = 0
    for trial in range(50):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        log = folder / "log.yaml"
        log.write_bytes(SEED)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            os.close(read_fd)
            _child_loop(log, entries, write_fd)
        os.close(write_fd)
        time.sleep(rng.uniform(0.0, 0.08))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        with os.fdopen(read_fd, "rb") as fh:
            finished = len(fh.read().splitlines())
        raw = log.read_bytes()
        assert raw.startswith(SEED), trial
        items = _items(raw)
        assert items[:2] == seed_items
        written = items[2:]
        # Every reported note is there; at most one more (killed after the rename).
        assert finished <= len(written) <= finished + 1, trial
        assert written == notes[: len(written)], trial
        temps = [p for p in folder.iterdir() if p.name != "log.yaml"]
        assert all(is_temp_name(p.name) for p in temps), temps
        leftovers += len(temps)
        assert cleanup_stale_temps(folder, min_age=0) == temps
        assert [p.name for p in folder.iterdir()] == ["log.yaml"]
        finished_total += finished
    assert finished_total > 0  # the children did get writes done between kills
    print(f"{leftovers} temp files were left by killed writers")


def test_cleanup_stale_temps_only_touches_old_temps(tmp_path: Path) -> None:
    old = tmp_path / ".log.yaml.0123456789abcdef.tmp"
    fresh = tmp_path / ".client.yaml.fedcba9876543210.tmp"
    other = tmp_path / ".notes.tmp"
    for p in (old, fresh, other):
        p.write_bytes(b"partial")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert cleanup_stale_temps(tmp_path) == [old]
    assert fresh.exists() and other.exists()
    assert not is_temp_name("log.yaml") and is_temp_name(fresh.name)


# ------------------------------------------------------------------ the other files


def test_add_missing_text_adds_once_and_keeps_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "info" / "attributes"
    has = lambda text: "x merge=y" in text.splitlines()  # noqa: E731
    assert add_missing_text(path, has, "x merge=y\n") is True
    assert add_missing_text(path, has, "x merge=y\n") is False
    assert path.read_text() == "x merge=y\n"
    other = tmp_path / ".gitignore"
    other.write_text("build/")  # no final newline
    assert add_missing_text(other, lambda t: ".casectl/" in t.split(), ".casectl/\n")
    assert other.read_text() == "build/\n.casectl/\n"


def test_add_missing_text_refuses_a_link_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("mine\n")
    link = tmp_path / ".gitattributes"
    link.symlink_to(target)
    with pytest.raises(CasectlError, match="symbolic link"):
        add_missing_text(link, lambda text: False, "x\n")
    assert target.read_text() == "mine\n"


def test_write_text_files_makes_the_folder_and_replaces_each_file(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "schemas"
    assert write_text_files(folder, {"one.json": "{}\n", "two.json": "[]\n"}) == [
        folder / "one.json",
        folder / "two.json",
    ]
    write_text_files(folder, {"one.json": '{"x": 1}\n'})
    assert (folder / "one.json").read_text() == '{"x": 1}\n'
    assert sorted(p.name for p in folder.iterdir()) == ["one.json", "two.json"]


def test_private_folder_is_owner_only_and_ignored_and_never_a_link(tmp_path: Path) -> None:
    folder = private_folder(tmp_path / ".casectl")
    assert folder == tmp_path / ".casectl"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / ".gitignore").read_text() == "*\n"
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    assert private_folder(tmp_path / "linked") is None
    assert list((tmp_path / "real").iterdir()) == []


# Files casectl writes outside store/writes.py, each for a reason of its own.
OTHER_WRITERS = {
    "git/commit.py",  # blobs for `git hash-object` in a private temporary folder
    "git/mergedriver.py",  # git's own %A file, which git hands the driver to overwrite
}


def _writes_a_file(node: ast.Call) -> bool:
    func = node.func
    name = getattr(func, "attr", getattr(func, "id", ""))
    first = node.args[0] if node.args else None
    if name in ("write_text", "write_bytes", "touch"):
        # present's formatters are write_text(out, ...): they write to the Output
        return not (isinstance(first, ast.Name) and first.id == "out")
    if name in ("replace", "rename", "mkstemp"):
        return ast.unparse(func) in ("os.replace", "os.rename", "tempfile.mkstemp")
    if name == "open":
        text = ast.unparse(node)
        if "os.devnull" in text:
            return False
        return "O_WRONLY" in text or any(m in text for m in ("'w", "'a", "'x", "'r+"))
    return False


def test_every_write_goes_through_the_writer_module() -> None:
    """No module but store/writes.py writes a file (write_text, write_bytes, touch,
    open for writing, os.replace, os.open with O_WRONLY)."""
    package = Path(casectl.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if rel == "store/writes.py" or rel in OTHER_WRITERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _writes_a_file(node):
                found.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:60]}")
    assert found == []
