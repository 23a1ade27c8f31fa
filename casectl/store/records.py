"""THE loader of one client: each of its four files read once and parsed once.

``read_client(root, cid)`` looks at the client's folder (what is missing, a link, or
there but unexpected), reads each file's bytes once (regular files only: no link is
followed and a FIFO never blocks) and parses them once (``load.load_text``: data,
places, load problems). Nothing is judged here: ``checks.check_client`` turns a
``ClientFiles`` into typed records and problems, layout problems (CM60x) included.

A writer builds its *candidate* the same way: ``files.replaced(name, new_bytes)``
parses the new bytes with the same function, so a change is checked exactly as
``validate`` will see the file once it is written.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from casectl.core.problems import Problem
from casectl.core.values import CLIENT_ID_RE

if TYPE_CHECKING:  # imported where files are parsed: a warm read parses none
    from casectl.store import load

CLIENT_FILES = ("client.yaml", "assessment.yaml", "plan.yaml", "log.yaml")


@dataclass(frozen=True)
class ClientFiles:
    """One client folder as found on disk.

    ``raw`` and ``loaded`` hold each file that could be opened as a regular file
    (``loaded`` also holds an unreadable one: its load problem, CM008). The other
    fields say what the layout checks (``checks.layout``) need to know: a malformed
    folder name, a folder that is a link or cannot be listed (then nothing else is
    read), files missing, files that are links, and unexpected names.
    """

    id: str
    raw: dict[str, bytes] = field(default_factory=dict)
    loaded: dict[str, load.Loaded] = field(default_factory=dict)
    bad_id: bool = False
    folder_link: bool = False
    unlistable: str | None = None  # why the folder could not be listed
    missing: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()  # unexpected names in the folder (not hidden ones)

    @property
    def rel(self) -> str:
        return f"clients/{self.id}"

    @property
    def readable(self) -> bool:
        """Whether the folder itself could be read (its files are then looked at)."""
        return not (self.bad_id or self.folder_link or self.unlistable is not None)

    def replaced(self, name: str, raw: bytes) -> ClientFiles:
        """These files with ``name`` holding ``raw`` instead: a writer's candidate,
        parsed exactly as a read of the written file would parse it."""
        return replace(
            self,
            raw={**self.raw, name: raw},
            loaded={**self.loaded, name: parse(f"{self.rel}/{name}", raw)},
            missing=tuple(m for m in self.missing if m != name),
        )


def parse(rel: str, raw: bytes) -> load.Loaded:
    """The one parse of a case file. A log holding nothing but comments is an empty
    log (a new client's log is written that way), not an empty file."""
    from casectl.store import load

    loaded = load.load_text(rel, raw)
    if rel.endswith("/log.yaml") and [p.code for p in loaded.problems] == [load.EMPTY]:
        loaded.problems.clear()
        loaded.data = []
    return loaded


def _is_link(path: str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def read_client(root: Path, cid: str) -> ClientFiles:
    """The folder ``clients/<cid>`` and its four files, each read and parsed once.
    Never raises for what is on disk: every oddity is recorded for the checks."""
    from casectl.store import load

    if not CLIENT_ID_RE.fullmatch(cid):
        return ClientFiles(cid, bad_id=True)
    base = os.path.join(root, "clients", cid)  # strings: this runs for every client
    if _is_link(base):
        return ClientFiles(cid, folder_link=True)
    try:
        names = set(os.listdir(base))
    except OSError as exc:
        return ClientFiles(cid, unlistable=str(exc.strerror or exc))
    raw: dict[str, bytes] = {}
    loaded: dict[str, load.Loaded] = {}
    missing: list[str] = []
    links: list[str] = []
    prefix = base + os.sep
    for name in CLIENT_FILES:
        rel = f"clients/{cid}/{name}"
        if name not in names:
            missing.append(name)
            continue
        if _is_link(prefix + name):
            links.append(name)
            continue
        content = load.read_regular(prefix + name)
        if isinstance(content, str):  # why it cannot be read: one problem, CM008
            unread = load.Loaded(rel)
            unread.problems.append(Problem(rel, 1, 1, "error", load.UNREADABLE, content))
            loaded[name] = unread
            continue
        raw[name] = content
        loaded[name] = parse(rel, content)
    extra = tuple(sorted(n for n in names - set(CLIENT_FILES) if not n.startswith(".")))
    return ClientFiles(cid, raw, loaded, missing=tuple(missing), links=tuple(links), extra=extra)


def from_bytes(cid: str, files: dict[str, bytes]) -> ClientFiles:
    """A client made of ``files`` (name -> bytes) that is not on disk yet (``new``)."""
    return ClientFiles(
        cid,
        raw=dict(files),
        loaded={name: parse(f"clients/{cid}/{name}", raw) for name, raw in files.items()},
        missing=tuple(n for n in CLIENT_FILES if n not in files),
    )
