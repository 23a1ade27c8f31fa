"""Every write casectl makes: atomic replaces of case files under a per-client lock,
and the few other files it keeps (settings, .gitignore/.gitattributes lines, JSON
Schemas, the private ``.casectl/`` folder with the read cache and editor drafts).

Every write goes the same way: take the client folder's lock, read the current
bytes, compute the new content, check it, write it to a temporary file beside the
target, ``fsync`` it, ``os.replace`` it onto the target and ``fsync`` the folder. A
crash (even SIGKILL or power loss after the folder sync) leaves either the old file or
the new one, never a mix.

The lock is ``flock`` on the client *folder* itself: it survives the renames that
atomic replaces do, leaves no lock file behind, and is released by the kernel when a
writer dies. Concurrent ``casectl`` processes writing the same client therefore take
turns; they re-read the file after getting the lock, so no write is lost.

A writer killed mid-write can leave a temporary file named ``.<name>.<hex>.tmp`` (see
:func:`is_temp_name`). It is never read by casectl, it is harmless, and
:func:`cleanup_stale_temps` removes old ones; git should ignore ``.*.tmp``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from casectl.errors import CasectlError
from casectl.store.layout import MAX_FILE_BYTES, ensure_inside

Validate = Callable[[bytes], list[str]]

LOCK_TIMEOUT = 30.0
_TEMP_RE = re.compile(r"\..+\.[0-9a-f]{16}\.tmp")  # fullmatch: no final newline


# ------------------------------------------------------------------ paths


def is_temp_name(name: str) -> bool:
    """True for the names of atomic_write's temporary files (``.log.yaml.<hex>.tmp``)."""
    return bool(_TEMP_RE.fullmatch(name))


def _refuse_symlinks(path: Path) -> None:
    for what in (path, path.parent):
        if what.is_symlink():
            raise CasectlError(f"refusing to write {path}: {what} is a symbolic link")


# ------------------------------------------------------------------ modes


class Modes(NamedTuple):
    folder: int
    file: int


def case_modes(shared_group: bool) -> Modes:
    """Permission bits of the client folders and case files casectl creates: private to
    their owner (0700 / 0600), like the cache, since they hold personal data; with
    ``shared_group: true`` in casectl.yaml, open to the group too (0770 / 0660) for
    agencies that share one machine through a group. Existing files keep theirs."""
    return Modes(0o770, 0o660) if shared_group else Modes(0o700, 0o600)


def make_folder(path: Path, mode: int) -> None:
    """Create the folder ``path`` (its parent must exist) with exactly ``mode``."""
    os.mkdir(path, mode)
    os.chmod(path, mode)  # the umask may have taken bits away


# ------------------------------------------------------------------ lock


@contextlib.contextmanager
def locked(dir_path: Path, timeout: float | None = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder ``dir_path`` for the ``with`` block.

    Waits up to ``timeout`` seconds (None: forever) for another writer, then raises
    CasectlError. The kernel drops the lock if the process dies.
    """
    try:
        fd = os.open(dir_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise CasectlError(f"cannot lock {dir_path}: {exc.strerror or exc}") from exc
    try:
        _acquire(fd, dir_path, timeout)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, dir_path: Path, timeout: float | None) -> None:
    if timeout is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise CasectlError(f"cannot lock {dir_path}: {exc.strerror}") from exc
        if time.monotonic() >= deadline:
            raise CasectlError(f"{dir_path} is being written by another casectl process; try again")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


# ------------------------------------------------------------------ atomic write


def _fsync_dir(dir_path: Path) -> None:
    fd = os.open(dir_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write(path: Path, data: bytes, new_mode: int | None = None) -> None:
    """Replace ``path`` by ``data`` atomically and durably (:func:`atomic_open`)."""
    with atomic_open(path, new_mode) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_open(path: Path, new_mode: int | None = None) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content into, piece by piece (``export``
    streams through it); on leaving the block it replaces ``path`` atomically and
    durably.

    The temporary file ``.<name>.<hex>.tmp`` is made in the same folder (so the
    rename stays on one file system), takes the original file's permission bits, is
    fsynced, renamed over ``path``, and the folder is fsynced. On any error (in the
    block too) the temporary file is removed and the original is untouched. OSError
    propagates; callers turn it into a message. A file that did not exist yet gets
    exactly ``new_mode``, or with None the usual 0666 less the umask.
    """
    folder = path.parent
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = new_mode
    temp = folder / f".{path.name}.{os.urandom(8).hex()}.tmp"
    # 0600 while the final mode is applied, so private text is never readable by
    # others even briefly; a new file without new_mode gets 0666 less the umask.
    fd = os.open(
        temp,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW,
        0o600 if mode is not None else 0o666,
    )
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            with os.fdopen(fd, "wb", closefd=False) as fh:
                yield fh
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(folder)


def replace_file(path: Path, data: bytes, new_mode: int | None = None) -> None:
    """:func:`atomic_write`, with a failure as a CasectlError naming the file (the
    transaction writes every changed case file this way)."""
    try:
        atomic_write(path, data, new_mode)
    except OSError as exc:
        raise CasectlError(f"cannot write {path}: {exc.strerror or exc}") from exc


def cleanup_stale_temps(folder: Path, min_age: float = 3600.0) -> list[Path]:
    """Remove atomic_write temporaries in ``folder`` older than ``min_age`` seconds.

    They are left only by writers that died mid-write; the age guard keeps a
    writer that is alive (and does not hold the folder lock) safe. Returns what was
    removed. Errors are ignored: a leftover temporary file is harmless.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not is_temp_name(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime < min_age:
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


# ------------------------------------------------------------------ read-check-write


def read_bytes(path: Path) -> bytes:
    """The file's bytes (b"" when missing), refusing symlinks and anything that is not a
    regular file (a FIFO is opened without blocking, then refused)."""
    return _read(path)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def _odd(shown: object, mode: int) -> CasectlError:
    return CasectlError(
        f"{shown} is {_kind(mode)}, not a regular file; casectl reads and writes only "
        f"regular files (put the file back, e.g. `git checkout -- {shown}`); nothing was written"
    )


def refuse_odd_file(path: Path, shown: object) -> None:
    """Refuse ``path`` when it exists and is not a regular file (symlinks are refused by
    :func:`ensure_inside`); ``shown`` names it in the message."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CasectlError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):
        raise _odd(shown, mode)


def _read(path: Path) -> bytes:
    try:
        with open(path, "rb", opener=_nofollow_opener) as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise _odd(path, mode)
            return fh.read()
    except FileNotFoundError:
        return b""
    except IsADirectoryError as exc:
        raise CasectlError(f"refusing to write {path}: it is a folder") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CasectlError(f"refusing to write {path}: it is a symbolic link") from None
        raise CasectlError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _nofollow_opener(file: str, flags: int) -> int:
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever;
    # it changes nothing for the regular files that are then read.
    return os.open(file, flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)


def _refuse_too_large(path: Path, new: bytes, root: Path | None) -> None:
    """casectl reads no case file over load.MAX_FILE_BYTES, so it never writes one."""
    if len(new) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        shown = os.path.relpath(path, os.path.realpath(root)) if root is not None else path
        raise CasectlError(
            f"not writing {shown}: it would grow to {len(new) / (1024 * 1024):.1f} MiB, over "
            f"the {limit} MiB limit for one case file; nothing was written"
        )


def _checked_write(
    path: Path, old: bytes, new: bytes, messages: list[str], new_mode: int | None
) -> None:
    if messages:
        raise CasectlError(f"not writing {path}:\n" + "\n".join(f"  {m}" for m in messages))
    if new == old:
        return
    try:
        atomic_write(path, new, new_mode)
    except OSError as exc:
        raise CasectlError(f"cannot write {path}: {exc.strerror or exc}") from exc


def edit_file(
    path: Path,
    edit: Callable[[bytes], bytes],
    validate: Validate | None = None,
    *,
    root: Path | None = None,
    lock: bool = True,
    new_mode: int | None = None,
) -> bytes:
    """Replace ``path``'s content by ``edit(current)`` under the folder lock.

    ``edit`` may raise CasectlError to refuse; ``validate(new)`` messages refuse the
    write too, and nothing is written.
    Symlinked files or folders are refused, and with ``root`` the path must be inside
    it (:func:`ensure_inside`). ``lock=False``: the caller already holds
    ``locked(path.parent)`` (to do more under the same lock, such as a commit); a second
    ``flock`` on the same folder from the same process would wait forever. ``new_mode``:
    the mode of a file created here (see :func:`atomic_write`). A file that would grow
    past load.MAX_FILE_BYTES is refused. Old temporaries of dead writers are cleaned
    up afterwards (:func:`cleanup_stale_temps`). Returns the new bytes.
    """
    if root is not None:
        path = ensure_inside(root, path)
    _refuse_symlinks(path)
    with locked(path.parent) if lock else contextlib.nullcontext():
        old = _read(path)
        new = edit(old)
        _refuse_too_large(path, new, root)
        messages = validate(new) if validate is not None else []
        _checked_write(path, old, new, messages, new_mode)
        cleanup_stale_temps(path.parent)
        return new


# ------------------------------------------------------------------ other files


def add_missing_text(path: Path, present: Callable[[str], bool], addition: str) -> bool:
    """Append ``addition`` (whole lines) to the text file ``path`` unless ``present``
    says the file has it already; a missing file (and its folder) is made. Atomic; a
    link or a file that is not regular is refused. True when something was added."""
    text = read_bytes(path).decode("utf-8", "replace")
    if present(text):
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    _refuse_symlinks(path)
    atomic_write(path, (text + addition).encode("utf-8"))
    return True


def ensure_file(path: Path) -> None:
    """Make an empty ``path`` unless something is there already (``clients/.gitkeep``)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666))


def write_text_files(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write each ``name: text`` into ``folder`` (made when missing), each atomically;
    the paths written, in order. OSError propagates (the caller names the folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = folder / name
        atomic_write(path, text.encode("utf-8"))
        written.append(path)
    return written


def create_private(path: Path, data: bytes) -> None:
    """A new file only its owner can read (0600), never through a link and never over
    an existing file (an editor's draft)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


# ------------------------------------------------------------------ the private folder
#
# ``.casectl/`` at the root holds personal data (the read cache, editor drafts): 0700,
# git-ignored by a ``.gitignore`` of its own, never used through a link.

_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
PRIVATE_IGNORE = b"*\n"


def open_private_folder(folder: Path, create: bool = True) -> int:
    """A descriptor of the private folder itself (made 0700 with its ``.gitignore``
    when ``create``), never of where a link points: OSError when it is a link."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, 0o700)
    fd = os.open(folder, os.O_RDONLY | _DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    if create:
        try:
            os.fchmod(fd, 0o700)
            with contextlib.suppress(FileExistsError):
                write_private_at(fd, ".gitignore", PRIVATE_IGNORE, exclusive=True)
        except BaseException:
            os.close(fd)
            raise
    return fd


def write_private_at(
    folder: int, name: str, payload: bytes | Iterable[bytes], exclusive: bool = False
) -> None:
    """``name`` in the folder open as ``folder``, 0600, atomically (a new file renamed
    over it) or, ``exclusive``, only when it does not exist; never through a link.
    ``payload``: the bytes, or pieces of them written as they come (a large file is
    never held whole)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    tmp = name if exclusive else f".cache-{os.urandom(8).hex()}"
    fd = os.open(tmp, flags, 0o600, dir_fd=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            if isinstance(payload, bytes):
                fh.write(payload)
            else:
                for piece in payload:
                    fh.write(piece)
        if not exclusive:
            os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise


def private_spool(folder: int) -> BinaryIO:
    """A scratch file in the folder open as ``folder`` (0600, removed at once: it
    vanishes when closed or when the process dies), for bytes a run sets aside."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    tmp = f".cache-{os.urandom(8).hex()}"
    fd = os.open(tmp, flags, 0o600, dir_fd=folder)
    with contextlib.suppress(OSError):
        os.unlink(tmp, dir_fd=folder)
    return os.fdopen(fd, "w+b")


def private_folder(folder: Path) -> Path | None:
    """The private folder, made if needed (see :func:`open_private_folder`); None when
    it cannot be used safely (a link, not a folder, not writable)."""
    try:
        os.close(open_private_folder(folder))
    except OSError:
        return None
    return folder
