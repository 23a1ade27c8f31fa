"""The agency on disk: its root, client ids and folders, and the one path guard.

``find_root`` walks up to casectl.yaml; ``check_client_id`` refuses anything but a
plain id before a file is touched; ``ensure_inside`` is the one check that a path
stays inside the repository without passing through a symbolic link.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from casectl.core.suggest import did_you_mean
from casectl.core.values import CLIENT_ID_RE
from casectl.errors import CasectlError, NoAgencyError, UnknownClientError

CONFIG_NAME = "casectl.yaml"


CACHE_DIR = ".casectl"
MAX_FILE_BYTES = 16 * 1024 * 1024  # casectl reads no file larger (store.load)


def find_root(start: Path | None = None, explicit: bool = False) -> Path:
    """The agency root: ``start`` itself when ``explicit`` (``-C``), else the nearest
    folder at or above ``start`` holding casectl.yaml."""
    here = (start or Path.cwd()).resolve()
    if explicit:
        if not (here / CONFIG_NAME).is_file():
            raise NoAgencyError(
                f"{here}: no {CONFIG_NAME} here; is this an agency repository? "
                "(create one with `casectl init`)"
            )
        return here
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise NoAgencyError(
        f"no {CONFIG_NAME} in {here} or any folder above it; "
        "run casectl inside an agency repository, or name one with -C PATH"
    )


def check_client_id(client_id: str) -> str:
    """Refuse anything that is not a plain client id, before any file is touched."""
    if not CLIENT_ID_RE.fullmatch(client_id):
        raise UnknownClientError(
            f"{client_id!r} is not a valid client id: use lower-case letters, digits and '-', "
            "starting with a letter or digit, at most 64 characters"
        )
    return client_id


def client_dir(root: Path, client_id: str, must_exist: bool = True) -> Path:
    """The folder of a client, refusing bad ids and folders that leave the repository."""
    check_client_id(client_id)
    path = root / "clients" / client_id
    if must_exist and not path.is_dir():
        raise UnknownClientError(
            f"no client {client_id!r} (no folder clients/{client_id})"
            + did_you_mean(client_id, client_ids(root))
        )
    ensure_inside(root, path)
    return path


def ensure_inside(root: Path, path: Path) -> Path:
    """``path`` made absolute, after checking it is safely inside ``root``.

    Refused (CasectlError): a ``..`` component, a path outside ``root``, or any
    symlink between ``root`` and ``path`` (the final component included). ``root``
    itself may be reached through symlinks. ``path`` need not exist yet.
    """
    root_real = Path(os.path.realpath(root))
    candidate = path if path.is_absolute() else Path(root) / path
    if ".." in candidate.parts:
        raise CasectlError(f"refusing to write {path}: the path contains '..'")
    candidate = Path(os.path.abspath(candidate))
    rel: Path | None = None
    for base in (Path(os.path.abspath(root)), root_real):
        try:
            rel = candidate.relative_to(base)
            break
        except ValueError:
            continue
    if rel is None:
        raise CasectlError(f"refusing to write {path}: it is outside {root}")
    current = root_real
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            raise CasectlError(f"refusing to write {path}: {current} is a symbolic link")
    final = Path(os.path.realpath(current))
    if final != root_real and root_real not in final.parents:
        raise CasectlError(f"refusing to write {path}: it resolves outside {root}")
    return current


def client_ids(root: Path) -> list[str]:
    """Names of the folders under clients/ (unchecked: validate reports bad ones);
    none when clients/ is a symbolic link: it is never listed through."""
    base = root / "clients"
    if base.is_symlink():
        return []
    try:
        with os.scandir(base) as it:
            return sorted(e.name for e in it if not e.name.startswith("."))
    except FileNotFoundError:
        return []


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)  # a link swapped in after the caller's check
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO planted as a case file must not hang us
    | getattr(os, "O_CLOEXEC", 0)
)


def read_regular(abspath: str | os.PathLike[str]) -> bytes | str:
    """The file's bytes, or a message saying why it cannot be read."""
    try:
        fd = os.open(abspath, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link; refusing to follow it"
        return f"cannot read: {exc.strerror or exc}"
    except ValueError as exc:  # e.g. a NUL in the path
        return f"cannot read: {exc}"
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            return "is a folder, not a file"
        if not stat.S_ISREG(mode):
            return "is not a regular file"
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)
