"""How audit judges the commits of restrict, unrestrict and purge (contract 5.6, 5.7).

Those commits change a client's files wholesale: restrict stores the same log
encrypted (to the log comparison of :mod:`casectl.audit`, an unreadable log),
unrestrict the reverse, purge deletes the folder. Each carries a trailer naming the
client (``Casectl-Restrict: ID``, ``Casectl-Unrestrict: ID``, ``Casectl-Purge: ID``).
:func:`judge` is the pure rule: given a commit's trailers, the paths it changed and the
status each purged client had in the parent commit, which changed paths the trailer
explains (audit must not report them as edited notes) and what is wrong with the
commit (a finding). :func:`vault_commits` gathers those inputs from git for every
commit of a revision range that carries such a trailer.

The rule:

- restrict / unrestrict of ID excuse the changed, not removed, files under
  ``clients/ID/`` of that commit only, and only when the commit also changes
  ``.gitattributes`` (where the restriction is recorded). Files of other clients in
  the same commit are judged as usual. Flagged: no ``.gitattributes`` change, no file
  of the client stored again (unless the client has no file at all in that commit:
  what is left of a restrict after a purge's history rewrite, which excuses nothing),
  a file of the client removed.
- purge of ID is always listed (audit shows purges in a section of their own); its
  removals under ``clients/ID/`` are excused. Flagged: the client was not closed in
  the parent commit (or its client.yaml could not be read there; encrypted with no
  key here opening it, the status is *not checkable* in this clone, said as such and
  not flagged, like the restricted logs audit cannot read), the commit touches
  anything outside ``clients/ID/``, changes a file of the client instead of removing it,
  or removes nothing.
- a trailer whose value is not a client id is flagged and excuses nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from casectl.core.model import CLIENT_ID_RE
from casectl.git import run as gitrun
from casectl.vault import crypt
from casectl.vault.purge import PURGE_TRAILER, closure

KINDS = {
    crypt.RESTRICT_TRAILER.lower(): "restrict",
    crypt.UNRESTRICT_TRAILER.lower(): "unrestrict",
    PURGE_TRAILER.lower(): "purge",
}

# Parent statuses that are not a client.yaml's own value.
LOCKED = "(locked)"  # encrypted, and no key here opens it
UNREADABLE = "(unreadable)"  # present, but no status can be read from it

_SHOWN = 5  # paths named in one finding


@dataclass(frozen=True)
class Touched:
    """A file a commit changed against its (first) parent: path relative to the agency
    root; ``removed`` when the commit deleted it."""

    path: str
    removed: bool = False


@dataclass(frozen=True)
class Verdict:
    """What audit makes of one trailer of one commit."""

    kind: str  # restrict | unrestrict | purge
    client: str
    excused: frozenset[str]  # changed paths audit must not report as note changes
    problems: tuple[str, ...]  # each one an audit finding; empty: accepted
    unchecked: tuple[str, ...] = ()  # what this clone cannot check (no key): not findings

    @property
    def ok(self) -> bool:
        return not self.problems


def judge(
    trailers: Sequence[tuple[str, str]],
    changes: Sequence[Touched],
    parent_status: Mapping[str, str | None],
    absent: Collection[str] = (),
) -> list[Verdict]:
    """The verdicts on one commit: one per distinct (kind, client) trailer, in order.

    ``trailers``: the commit's trailers as ``(key, value)`` (keys in any letter case;
    others than the three are ignored). ``changes``: every file the commit changed
    against its first parent. ``parent_status``: for each purged client, ``status`` of
    its client.yaml in the parent commit (None: no client.yaml there; :data:`LOCKED`,
    :data:`UNREADABLE`). ``absent``: restricted or unrestricted clients that have no
    file in the commit's tree (purged from history since).
    """
    seen: set[tuple[str, str]] = set()
    verdicts: list[Verdict] = []
    for key, value in trailers:
        kind = KINDS.get(key.strip().lower())
        client = value.strip()
        if kind is None or (kind, client) in seen:
            continue
        seen.add((kind, client))
        if not CLIENT_ID_RE.fullmatch(client):
            problem = f"{_key(kind)}: {client!r} is not a client id"
            verdicts.append(Verdict(kind, client, frozenset(), (problem,)))
        elif kind == "purge":
            verdicts.append(_purge(client, changes, parent_status.get(client)))
        else:
            verdicts.append(_restriction(kind, client, changes, client in absent))
    return verdicts


def _key(kind: str) -> str:
    return next(k for k, v in KINDS.items() if v == kind).title()


def _inside(client: str, changes: Sequence[Touched]) -> tuple[list[Touched], list[Touched]]:
    prefix = f"clients/{client}/"
    inside = [c for c in changes if c.path.startswith(prefix)]
    outside = [c for c in changes if not c.path.startswith(prefix)]
    return inside, outside


def _named(changes: Sequence[Touched]) -> str:
    paths = [c.path for c in changes]
    more = f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else ""
    return ", ".join(paths[:_SHOWN]) + more


def _restriction(kind: str, client: str, changes: Sequence[Touched], absent: bool) -> Verdict:
    inside, outside = _inside(client, changes)
    kept = [c for c in inside if not c.removed]
    removed = [c for c in inside if c.removed]
    attributes = any(c.path == crypt.ATTRIBUTES for c in outside)
    problems: list[str] = []
    if not attributes:
        problems.append(
            f"{kind} of {client} does not change {crypt.ATTRIBUTES}, where a restriction is "
            f"recorded: the change to clients/{client}/ is not explained"
        )
    if not kept and not absent:
        problems.append(f"{kind} of {client} stores none of clients/{client}/'s files again")
    if removed:
        problems.append(f"{kind} of {client} removes {_named(removed)}")
    excused = frozenset(c.path for c in kept) if attributes else frozenset()
    return Verdict(kind, client, excused, tuple(problems))


def _purge(client: str, changes: Sequence[Touched], status: str | None) -> Verdict:
    inside, outside = _inside(client, changes)
    removed = [c for c in inside if c.removed]
    changed = [c for c in inside if not c.removed]
    problems: list[str] = []
    unchecked: list[str] = []
    if status == LOCKED:
        unchecked.append(
            f"purge of {client}: whether the client was closed in the parent commit is not "
            "checkable here (its client.yaml is encrypted and no key here opens it)"
        )
    elif status != "closed":
        if status is None:
            shown = f"there is no clients/{client}/client.yaml"
        elif status == UNREADABLE:
            shown = "its client.yaml has no readable status"
        else:
            shown = f"status: {status}"
        problems.append(
            f"purge of {client}: the client was not closed in the parent commit ({shown})"
        )
    if outside:
        problems.append(
            f"purge of {client} also changes {_named(outside)}, outside clients/{client}/"
        )
    if changed:
        problems.append(f"purge of {client} changes {_named(changed)} instead of removing it")
    if not removed:
        problems.append(f"purge of {client} removes nothing under clients/{client}/")
    excused = frozenset(c.path for c in removed)
    return Verdict("purge", client, excused, tuple(problems), tuple(unchecked))


# ---------------------------------------------------------------- from git


@dataclass(frozen=True)
class CommitVerdicts:
    """A commit carrying at least one of the three trailers, and the verdicts on it."""

    commit: str
    parent: str | None  # the first parent (None: a root commit)
    author: str
    email: str
    date: str  # author date, ISO 8601
    subject: str
    verdicts: tuple[Verdict, ...]


_FIELD = "\x1f"
_TRAILERS = ",".join(
    f"key={k}" for k in (crypt.RESTRICT_TRAILER, crypt.UNRESTRICT_TRAILER, PURGE_TRAILER)
)


def vault_commits(root: Path, revisions: Sequence[str]) -> list[CommitVerdicts]:
    """Every commit of ``revisions`` (git revision arguments, e.g. ``["HEAD"]``) that
    carries a restrict, unrestrict or purge trailer, newest first, judged.

    One ``git log`` over the range picks them (``--grep``, then git's own trailer
    parser); then a few git calls per such commit, which are rare: its changed paths,
    and for a purge the parent's client.yaml, decrypted with this clone's keys when it
    is encrypted.
    """
    out = gitrun.run_git(
        root, "log", "-z", "-i", "-E", "--grep=^casectl-(restrict|unrestrict|purge):",
        f"--format=%H{_FIELD}%P{_FIELD}%an{_FIELD}%ae{_FIELD}%aI{_FIELD}%s{_FIELD}"
        f"%(trailers:{_TRAILERS},separator=%x1e)",
        *revisions, "--",
    ).stdout.decode("utf-8", "surrogateescape")  # fmt: skip
    found: list[CommitVerdicts] = []
    for record in out.split("\0"):
        fields = record.strip("\n").split(_FIELD)
        if len(fields) != 7:
            continue
        commit, parents, author, email, when, subject, block = fields
        trailers = [
            (key.strip(), value.strip())
            for item in block.split("\x1e")
            for key, sep, value in [item.partition(":")]
            if sep
        ]
        if not trailers:
            continue
        parent = parents.split()[0] if parents.split() else None
        changes = _changes(root, commit, parent)
        purged = [v.strip() for k, v in trailers if KINDS.get(k.lower()) == "purge"]
        statuses = {
            cid: _parent_status(root, parent, cid) for cid in purged if CLIENT_ID_RE.fullmatch(cid)
        }
        named = {
            v.strip()
            for k, v in trailers
            if KINDS.get(k.lower()) in ("restrict", "unrestrict")
            and CLIENT_ID_RE.fullmatch(v.strip())
        }
        absent = {cid for cid in named if not _has_files(root, commit, cid)}
        verdicts = tuple(judge(trailers, changes, statuses, absent))
        found.append(CommitVerdicts(commit, parent, author, email, when, subject, verdicts))
    return found


def _changes(root: Path, commit: str, parent: str | None) -> list[Touched]:
    if parent is None:
        out = gitrun.run_git(root, "ls-tree", "-r", "-z", "--name-only", commit).stdout
        return [Touched(p) for p in out.decode("utf-8", "surrogateescape").split("\0") if p]
    listed = gitrun.run_git(
        root, "diff-tree", "-r", "-z", "--no-renames", "--name-status", "--relative",
        parent, commit,
    ).stdout.decode("utf-8", "surrogateescape")  # fmt: skip
    fields = listed.split("\0")
    return [
        Touched(fields[i + 1], fields[i].startswith("D"))
        for i in range(0, len(fields) - 1, 2)
        if fields[i]
    ]


def _has_files(root: Path, commit: str, client: str) -> bool:
    """Whether ``commit``'s tree holds anything under ``clients/ID/``."""
    out = gitrun.run_git(
        root, "ls-tree", "-r", "--name-only", commit, "--", f"./clients/{client}/", check=False
    ).stdout
    return bool(out.strip())


def _parent_status(root: Path, parent: str | None, client: str) -> str | None:
    if parent is None:
        return None
    done = gitrun.run_git(
        root, "cat-file", "blob", f"{parent}:./clients/{client}/client.yaml", check=False
    )
    if done.returncode != 0:
        return None
    raw = crypt.decrypt(root, done.stdout)
    if raw is None:
        return LOCKED
    status, _ = closure(raw)
    return status if status is not None else UNREADABLE
