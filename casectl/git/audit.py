"""The audit trail: which commits changed a progress note that already existed.

A log is append-only: a correction is a new ``amendment`` entry, never an edit. So
every commit that edited, removed or reordered an existing entry of a
``clients/<id>/log.yaml`` is worth a person's attention, and :func:`audit` lists them.

Speed comes from doing as little as possible: ``git diff-tree --stdin`` (one process
per core) names the commits that touched a log and the blobs before and after; one
``git cat-file --batch`` process reads those blobs; and almost every change is recognised as a
pure append by comparing bytes (:func:`is_pure_append`), without parsing YAML. Only
the rest (hand edits, merges that slotted a note in by date, the first note replacing
``[]``) are parsed and compared entry by entry, by id.

Restricted logs (git-crypt, contract 5.6) are read through git-crypt where this clone
holds the key, and judged as any other. Where it does not, a change to a log stored
encrypted is *not checkable* here: it is counted in ``AuditResult.unchecked`` (by
client), never reported as a rewrite. The commits of restrict, unrestrict and purge
are judged by their trailers (:mod:`casectl.vault.trailers`): what a trailer
explains is not a finding; what is wrong with such a commit is one (``change`` =
restrict | unrestrict | purge), and purges are listed in ``AuditResult.purges``.

Everything but :func:`audit` is pure: bytes in, findings out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casectl.core.data import same_data
from casectl.errors import CasectlError
from casectl.git import history as githistory
from casectl.git import run as gitrun
from casectl.git.mergedriver import moved_entries
from casectl.store.load import EMPTY, load_text
from casectl.store.restricted import MAGIC

if TYPE_CHECKING:
    from casectl.vault.trailers import CommitVerdicts

_LOG_PATH = re.compile(r"clients/([^/]+)/log\.yaml")

# The start of a top-level sequence item at column 0: a dash, then a blank or line end.
_ITEM_AT_START = re.compile(rb"-(?:[ \t]|\r?\n|\Z)")
# Lines that may come before the first item: blank, comment, directive, document start.
_HEADER_LINE = re.compile(rb"[ \t]*(?:#.*)?|%.*|---(?:[ \t].*)?")

# git's %G? letters that mean "good signature" (U: good, key validity unknown).
GOOD_SIGNATURES = frozenset({"G", "U"})
_SIGNATURE_MEANING = {
    "N": "not signed",
    "B": "bad signature",
    "X": "good signature that has expired",
    "Y": "good signature made by an expired key",
    "R": "good signature made by a revoked key",
    "E": "signature cannot be checked (missing key?)",
}


@dataclass(frozen=True)
class EntryChange:
    """What one commit did to one existing entry (``entry`` None: to the whole log)."""

    entry: str | None
    change: str  # edited | removed | moved | deleted | unreadable
    detail: str


@dataclass(frozen=True)
class Finding:
    """One line of the audit: a commit that changed an existing entry, or is unsigned."""

    commit: str
    author: str
    email: str
    date: str
    client: str | None
    entry: str | None
    change: str  # edited | removed | moved | deleted | unreadable | unsigned
    detail: str
    merge: bool = False
    file: str = "log.yaml"  # the client's file: log.yaml, or assessment.yaml

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AuditResult:
    findings: list[Finding]
    commits: int  # commits that touched a log (or, with signatures, all commits)
    log_changes: int  # (commit, log file) pairs compared
    # clients whose restricted log changed in a way this clone cannot read (no key)
    unchecked: list[str] = field(default_factory=list)
    # the commits carrying a Casectl-Purge trailer, judged (newest first)
    purges: list[CommitVerdicts] = field(default_factory=list)

    @property
    def changed_commits(self) -> int:
        return len({f.commit for f in self.findings if f.change != "unsigned"})

    @property
    def unsigned_commits(self) -> int:
        return len({f.commit for f in self.findings if f.change == "unsigned"})


# ------------------------------------------------------------------ comparing


def is_pure_append(old: bytes, new: bytes) -> bool:
    """True when ``new`` is ``old`` plus new top-level items, so no old entry changed.

    Cheap (no YAML parsing) and conservative: ``old`` must end with a line break and
    have its items at column 0, and the added text must start right away with a new
    item at column 0. Then YAML reads the old items exactly as before, because a
    block sequence item ends where the next one begins. False means "look closer",
    never "something changed".
    """
    if not old.endswith(b"\n") or len(new) <= len(old) or not new.startswith(old):
        return False
    if _ITEM_AT_START.match(new, len(old)) is None:
        return False
    return _items_at_column_zero(old)


def _items_at_column_zero(text: bytes) -> bool:
    start = 3 if text.startswith(b"\xef\xbb\xbf") else 0
    while start < len(text):
        end = text.find(b"\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end].rstrip(b"\r")
        if _ITEM_AT_START.match(line + b"\n"):
            return True
        if not _HEADER_LINE.fullmatch(line):
            return False
        start = end + 1
    return False


Entries = list[tuple[str, Any]]


def read_entries(raw: bytes) -> Entries | None:
    """A log's entries as ``(key, data)`` in file order; None when it does not read
    as a list. The key is the entry's id (a repeated id gets ``#2``, ``#3``...); an
    item without a text id is keyed by its content."""
    loaded = load_text("log.yaml", raw)
    data = loaded.data
    blocking = [p for p in loaded.problems if p.code != EMPTY]
    if data is None and not blocking:  # empty, comments only, or a bare `---`
        return []
    if loaded.root is None or not isinstance(data, list):
        return None
    entries: Entries = []
    seen: dict[str, int] = {}
    for item in data:
        entry_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(entry_id, str) and entry_id.strip():
            key = entry_id
        else:
            key = "(no id) " + json.dumps(item, sort_keys=True, default=str)
        seen[key] = seen.get(key, 0) + 1
        entries.append((key if seen[key] == 1 else f"{key}#{seen[key]}", item))
    return entries


def compare_logs(old: bytes | None, new: bytes | None) -> list[EntryChange]:
    """How ``new`` changed the entries of ``old`` (None: the file did not exist).

    Additions anywhere (appends, back-dated notes slotted in by a merge, amendments)
    are never reported. Reported: an entry whose data changed (comments and layout
    do not count), an entry that is gone, entries whose order changed, a deleted log,
    and a log that no longer reads at all (then nothing more can be said).
    """
    return _compare(old, new)[0]


def diff_entries(before: Entries, after: Entries) -> list[EntryChange]:
    """Edited, removed and moved entries between two readable versions of a log."""
    now = dict(after)
    changes: list[EntryChange] = []
    for key, data in before:
        if key not in now:
            changes.append(EntryChange(_shown(key), "removed", "the entry is gone"))
        elif not same_data(data, now[key]):
            changes.append(EntryChange(_shown(key), "edited", _edit_detail(data, now[key])))
    old_keys = [key for key, _ in before]
    new_keys = [key for key, _ in after]
    old_at = {key: i for i, key in enumerate(old_keys, start=1)}
    new_at = {key: i for i, key in enumerate(new_keys, start=1)}
    changes += [
        EntryChange(
            _shown(key), "moved", f"reordered: entry {old_at[key]} is now entry {new_at[key]}"
        )
        for key in moved_entries(old_keys, new_keys)
    ]
    return changes


def _edit_detail(old: Any, new: Any) -> str:
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return "the entry was replaced"
    fields = sorted(
        str(k) for k in old.keys() | new.keys() if k not in old or k not in new
        or not same_data(old[k], new[k])
    )  # fmt: skip
    return "changed: " + ", ".join(fields)


def _shown(key: str) -> str:
    return "(entry without an id)" if key.startswith("(no id) ") else key


def _count(entries: Entries) -> str:
    return f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"


def signature_finding(sig: githistory.Signature) -> Finding | None:
    """A finding for a commit without a good signature (None when it is fine)."""
    if sig.status in GOOD_SIGNATURES:
        return None
    meaning = _SIGNATURE_MEANING.get(sig.status, f"signature status {sig.status}")
    return Finding(sig.commit, sig.author, sig.email, sig.date, None, None, "unsigned", meaning)


def client_of(path: str) -> str | None:
    """``rc-0042`` for ``clients/rc-0042/log.yaml``; None for any other path."""
    match = _LOG_PATH.fullmatch(path)
    return match.group(1) if match else None


# ---------------------------------------------------------------- the walk


def revisions(root: Path, since: str | None) -> list[str]:
    """``HEAD``, or ``<since>..HEAD``: the commits the audit covers."""
    if since is None:
        return ["HEAD"]
    start = gitrun.resolve_commit(root, since)
    if start is None:
        raise CasectlError(f"--since: {since!r} is not a commit in this repository")
    return ["HEAD", f"^{start}"]


def audit(root: Path, since: str | None = None, require_signed: bool = False) -> AuditResult:
    """Every commit reachable from HEAD (after ``since``) that changed an existing log
    entry, newest first; with ``require_signed`` also every commit without a good
    signature. An empty result for a repository without commits."""
    if gitrun.resolve_commit(root, "HEAD") is None:
        return AuditResult([], 0, 0)
    revs = revisions(root, since)
    result = audit_revisions(root, revs)
    if require_signed:
        signed = githistory.signatures(root, revs)
        unsigned = [f for sig in signed if (f := signature_finding(sig)) is not None]
        findings = _merge_in_order([s.commit for s in signed], result.findings, unsigned)
        return AuditResult(
            findings, len(signed), result.log_changes, result.unchecked, result.purges
        )
    return result


def audit_revisions(root: Path, revs: Sequence[str]) -> AuditResult:
    """The findings of the commits ``revs`` selects (git revision arguments, such as
    ``["HEAD", "^origin/main"]``), newest first."""
    commits = githistory.history_diffs(
        root,
        revs,
        lambda path: client_of(path) is not None or _ASSESSMENT_PATH.fullmatch(path) is not None,
    )
    logs = [_only(c, lambda path: client_of(path) is not None) for c in commits]
    walk = _Walk(root, logs)
    found = walk.findings()
    assessed, locked = assessment_findings(
        root,
        [_only(c, lambda path: _ASSESSMENT_PATH.fullmatch(path) is not None) for c in commits],
        walk.plain,
    )
    if assessed:
        found = _merge_in_order([c.commit for c in commits], found, assessed)
    unchecked = set(walk.unchecked) | locked
    purges: list[CommitVerdicts] = []
    if _has_vault_commits(root, revs):
        from casectl.vault.trailers import vault_commits

        judged = vault_commits(root, revs)
        excused = {(c.commit, path) for c in judged for v in c.verdicts for path in v.excused}
        found = [
            f
            for f in found
            if f.client is None or (f.commit, f"clients/{f.client}/log.yaml") not in excused
        ]
        for c in judged:
            for v in c.verdicts:
                found += [
                    Finding(c.commit, c.author, c.email, c.date, v.client, None, v.kind, problem)
                    for problem in v.problems
                ]
                if v.unchecked:
                    unchecked.add(v.client)
        purges = [c for c in judged if any(v.kind == "purge" for v in c.verdicts)]
        order = {c.commit: n for n, c in enumerate(commits)}
        order.update({c.commit: n for n, c in enumerate(judged) if c.commit not in order})
        found.sort(key=lambda f: order.get(f.commit, len(order)))
    return AuditResult(found, len(commits), walk.compared, sorted(unchecked), purges)


def _has_vault_commits(root: Path, revs: Sequence[str]) -> bool:
    """Whether any commit of ``revs`` may carry a restrict, unrestrict or purge trailer
    (one ``git log``; the judging, rarely needed, is in :mod:`casectl.vault.trailers`)."""
    done = gitrun.run_git(
        root, "log", "-1", "-i", "-E", "--format=%H",
        "--grep=^casectl-(restrict|unrestrict|purge):", *revs, "--",
        check=False,
    )  # fmt: skip
    return done.returncode == 0 and bool(done.stdout.strip())


def _only(commit: githistory.CommitDiff, wanted: Any) -> githistory.CommitDiff:
    diffs = tuple(tuple(f for f in files if wanted(f.path)) for files in commit.diffs)
    return replace(commit, diffs=diffs)


# ------------------------------------------------------- assessments (issue 13)

_ASSESSMENT_PATH = re.compile(r"clients/([^/]+)/assessment\.yaml")


def _assessments(raw: bytes | None) -> list[Any] | None:
    """The items of an assessment.yaml (None: not a readable one)."""
    if raw is None:
        return None
    data = load_text("assessment.yaml", raw).data
    items = data.get("assessments") if isinstance(data, dict) else None
    return items if isinstance(items, list) else None


def compare_assessments(old: bytes | None, new: bytes | None) -> list[EntryChange]:
    """What a change of assessment.yaml did to the assessments it held: each earlier
    one must stay exactly as it was (new ones are appended)."""
    before = _assessments(old)
    if not before:
        return []
    after = _assessments(new) if new is not None else []
    if after is None:
        detail = f"assessment.yaml no longer reads (it held {len(before)} assessments)"
        return [EntryChange(None, "unreadable", detail)]
    out: list[EntryChange] = []
    j = 0  # the item of ``after`` that stands where ``before[i]`` stood
    for i, item in enumerate(before):
        day = item.get("date") if isinstance(item, dict) else None
        name = f"assessment {day}" if day is not None else f"assessment [{i}]"
        if j < len(after) and same_data(item, after[j]):
            j += 1
        elif len(before) - i > len(after) - j:  # fewer left than there were: one went
            out.append(EntryChange(name, "removed", "an earlier assessment was removed"))
        else:
            out.append(EntryChange(name, "edited", _edit_detail(item, after[j])))
            j += 1
    return out


def assessment_findings(
    root: Path,
    commits: list[githistory.CommitDiff],
    plain: Callable[[str, bytes | None], bytes | None],
) -> tuple[list[Finding], set[str]]:
    """Every commit that changed or removed an earlier assessment, and the clients whose
    assessment changes could not be checked here (a restricted client's encrypted
    assessment.yaml that no key of this clone opens). ``plain`` turns a blob into what
    audit compares (a git-crypt blob decrypted; None when no key here opens it). A
    merge is listed only for what it changed against every parent (its own resolution)."""
    pairs = [(c, i, f) for c in commits for i, files in enumerate(c.diffs) for f in files]
    if not pairs:
        return [], set()
    wanted = [blob for _, _, f in pairs for blob in (f.old, f.new) if blob]
    blobs = githistory.read_blobs(root, wanted)
    found: dict[tuple[str, str], list[list[EntryChange]]] = {}
    locked: set[str] = set()
    try:
        for commit, _, f in pairs:
            raw_old = next(blobs) if f.old else None
            raw_new = next(blobs) if f.new else None
            old = plain(f.old, raw_old) if f.old else None
            new = plain(f.new, raw_new) if f.new else None
            if (raw_old is not None and old is None) or (raw_new is not None and new is None):
                match = _ASSESSMENT_PATH.fullmatch(f.path)
                if match:
                    locked.add(match.group(1))
                found.setdefault((commit.commit, f.path), []).append([])
                continue
            changes = compare_assessments(old, new)
            found.setdefault((commit.commit, f.path), []).append(changes)
    finally:
        blobs.close()
    out: list[Finding] = []
    for commit in commits:
        for path in dict.fromkeys(f.path for f in commit.files):
            per_parent = found.get((commit.commit, path), [])
            merge = len(commit.parents) > 1
            if merge and (len(per_parent) < len(commit.parents) or not all(per_parent)):
                continue
            match = _ASSESSMENT_PATH.fullmatch(path)
            for change in per_parent[0] if per_parent else []:
                out.append(
                    Finding(
                        commit.commit,
                        commit.author,
                        commit.email,
                        commit.date,
                        match.group(1) if match else None,
                        change.entry,
                        change.change,
                        change.detail,
                        merge,
                        "assessment.yaml",
                    )
                )
    return out, locked


class _Removed:
    """The state of an entry that a commit took out of its log."""

    def __repr__(self) -> str:
        return "REMOVED"


REMOVED = _Removed()
State = Any  # an entry's data, or REMOVED


class _Walk:
    """The audit of one list of commits (children before parents).

    A commit is judged against each of its parents. An ordinary commit's findings are
    what it changed in entries its parent held (:func:`compare_logs`; almost always a
    pure append, recognised without parsing). A merge is judged only for what it
    brings that none of its parents had: for each entry it changed against some
    parent, the states that entry had anywhere in each parent's history are gathered
    (every version, and "removed"), and the merge is a finding when its own state
    stands beside an earlier one that no single parent's history already held
    together with it. So an edit made on a side branch is listed once, for its own
    commit, while a merge that joins an unrelated history holding another version of
    an entry is listed. An entry re-added after it was removed is judged the same way
    (a finding when its data differs from every version its history held), and a
    second root commit that brings entries the rest of the history already held is a
    finding of its own. Those slower paths only run for the few logs that need them.
    """

    def __init__(self, root: Path, commits: list[githistory.CommitDiff]) -> None:
        self.root = root
        self.commits = commits
        self.by_id = {c.commit: c for c in commits}
        self.compared = 0
        # pass 1: what each commit changed against each parent, for logs that changed
        self.changes: dict[tuple[str, int, str], list[EntryChange]] = {}
        self.touches: dict[str, list[tuple[githistory.CommitDiff, int, githistory.FileDiff]]] = {}
        self.removed: dict[str, set[str]] = {}  # log path -> keys some commit removed
        self.removed_at: dict[str, int] = {}  # log path -> place of its oldest removal
        self.place = {c.commit: n for n, c in enumerate(commits)}
        self._ancestry: dict[str, tuple[set[str], set[str]]] = {}
        self._parsed: dict[str, Entries | None] = {}
        self._states: dict[tuple[str, str], dict[str, list[State]]] = {}
        self.locked_blobs: set[str] = set()  # encrypted, and no key here opens them
        self.unchecked: set[str] = set()  # clients with a log change not checkable here
        self._keys: list[str] | None = None  # this clone's git-crypt keys, once needed

    # -------------------------------------------------------------- pass 1

    def _compare_all(self) -> None:
        pairs = [
            (commit, i, change)
            for commit in self.commits
            for i, files in enumerate(commit.diffs)
            for change in files
        ]
        self.compared = len(pairs)
        wanted = [blob for _, _, change in pairs for blob in (change.old, change.new) if blob]
        blobs = githistory.read_blobs(self.root, wanted)
        try:
            for commit, i, change in pairs:
                old = self.plain(change.old, next(blobs)) if change.old else None
                new = self.plain(change.new, next(blobs)) if change.new else None
                self.touches.setdefault(change.path, []).append((commit, i, change))
                if {change.old, change.new} & self.locked_blobs:
                    client = client_of(change.path)
                    if client is not None:
                        self.unchecked.add(client)
                    continue  # ciphertext without a key: not checkable here
                found, before, after = _compare(old, new)
                if found:
                    self.changes[(commit.commit, i, change.path)] = found
                if before:  # parsed: not a pure append
                    gone = {key for key, _ in before} - {key for key, _ in after or ()}
                    if gone and (after is not None or new is None):
                        self.removed.setdefault(change.path, set()).update(gone)
                        at = self.place[commit.commit]
                        self.removed_at[change.path] = max(at, self.removed_at.get(change.path, 0))
        finally:
            blobs.close()

    # -------------------------------------------------------------- findings

    def findings(self) -> list[Finding]:
        self._compare_all()
        readded = self._readded()
        roots = self._second_roots()
        found: list[Finding] = []
        for commit in self.commits:
            if commit.commit in roots:
                found.append(roots[commit.commit])
            paths = dict.fromkeys(change.path for change in commit.files)
            for path in paths:
                if self._locked_in(commit, path):
                    continue  # not checkable here (counted in pass 1)
                if len(commit.parents) > 1:
                    # Additions only, against every parent: nothing to judge.
                    back = readded.get((commit.commit, path))
                    if back or any(
                        (commit.commit, i, path) in self.changes for i in range(len(commit.parents))
                    ):
                        found += self._judge_merge(commit, path, back)
                    continue
                for change in self.changes.get((commit.commit, 0, path), []):
                    found.append(_finding(commit, path, change))
                found += self._judge_readded(commit, path, readded.get((commit.commit, path)))
        return found

    def _readded(self) -> dict[tuple[str, str], set[str]]:
        """Entries that a commit adds to a log (against one of its parents) under a key
        that some commit removed from that log: they need a closer look."""
        wanted: dict[tuple[str, str], set[str]] = {}
        for path, keys in self.removed.items():
            # Only commits listed before the oldest removal can descend from one.
            touching = [
                (c, change)
                for c, _, change in self.touches[path]
                if c.parents and self.place[c.commit] < self.removed_at[path]
            ]
            self._parse([b for _, change in touching for b in (change.old, change.new) if b])
            for commit, change in touching:
                if change.new is None:
                    continue
                new = self._parsed[change.new] or []
                old = self._parsed[change.old] or [] if change.old else []
                back = ({key for key, _ in new} - {key for key, _ in old}) & keys
                if back:
                    wanted.setdefault((commit.commit, path), set()).update(back)
        return wanted

    def _judge_readded(
        self, commit: githistory.CommitDiff, path: str, keys: set[str] | None
    ) -> list[Finding]:
        if not keys or not commit.parents:
            return []
        change = next(c for c in commit.files if c.path == path)
        entries = dict(self._parsed[change.new] or []) if change.new else {}
        history = self._history(commit.parents[0], path)
        found = []
        for key in sorted(keys):
            earlier = history.get(key, [])
            versions = [x for x in earlier if x is not REMOVED]
            if key in entries and earlier and not _holds(earlier, entries[key]):
                detail = "re-added after it was removed, with other data" + (
                    f" ({_edit_detail(versions[-1], entries[key])})" if versions else ""
                )
                found.append(_finding(commit, path, EntryChange(_shown(key), "edited", detail)))
        return found

    def _judge_merge(
        self, commit: githistory.CommitDiff, path: str, readded: set[str] | None
    ) -> list[Finding]:
        """What a merge brings to one log that none of its parents had."""
        mine_blob = next(c.new for c in commit.files if c.path == path)
        parent_blobs = [
            next((c.old for c in files if c.path == path), mine_blob) for files in commit.diffs
        ]
        self._parse([b for b in (mine_blob, *parent_blobs) if b])
        mine = self._parsed[mine_blob] if mine_blob else []
        if mine is None:  # no longer reads as a list
            if mine_blob in parent_blobs:
                return []
            change = EntryChange(None, "unreadable", "log.yaml no longer reads as a list of notes")
            return [_finding(commit, path, change, merge=True)]
        now = dict(mine)
        parents = [dict(self._parsed[b] or []) if b else {} for b in parent_blobs]
        keys = set(readded or ())
        for held in parents:
            keys.update(k for k, v in held.items() if k not in now or not same_data(v, now[k]))
        order = [key for key, _ in mine] + sorted(keys - now.keys())
        found: list[Finding] = []
        gone = 0
        for key in (k for k in order if k in keys):
            state = now.get(key, REMOVED)
            histories = [self._history(p, path).get(key, []) for p in commit.parents]
            if not _brings_new(state, histories):
                continue
            if mine_blob is None:
                gone += 1
            elif state is REMOVED:
                found.append(
                    _finding(commit, path, EntryChange(_shown(key), "removed", "the entry is gone"),
                             merge=True)
                )  # fmt: skip
            else:
                found.append(
                    _finding(commit, path, _merge_edit(key, state, parents, histories), merge=True)
                )
        if gone:
            detail = f"log.yaml deleted with {gone} entr{'y' if gone == 1 else 'ies'}"
            found.append(_finding(commit, path, EntryChange(None, "deleted", detail), merge=True))
        found += self._merge_moves(commit, path, mine, parents)
        return found

    def _merge_moves(
        self, commit: githistory.CommitDiff, path: str, mine: Entries, parents: list[dict[str, Any]]
    ) -> list[Finding]:
        """Entries reordered against every parent that holds them."""
        keys = [key for key, _ in mine]
        orders = [[key for key in held] for held in parents]
        moved = [set(moved_entries(order, keys)) for order in orders]
        found = []
        for key in keys:
            holders = [i for i, held in enumerate(parents) if key in held]
            if holders and all(key in moved[i] for i in holders):
                first = orders[holders[0]]
                detail = (
                    f"reordered: entry {first.index(key) + 1} is now entry {keys.index(key) + 1}"
                )
                found.append(
                    _finding(commit, path, EntryChange(_shown(key), "moved", detail), merge=True)
                )
        return found

    # -------------------------------------------------------------- history

    def _history(self, commit: str, path: str) -> dict[str, list[State]]:
        """Every state each entry of ``path`` had in ``commit``'s history (itself
        included): the versions of its data, and REMOVED where a commit took it out."""
        cached = self._states.get((commit, path))
        if cached is not None:
            return cached
        ancestors, boundary = self._ancestors(commit)
        touching = [
            (c, change) for c, _, change in self.touches.get(path, []) if c.commit in ancestors
        ]
        outside = {f"{b}:./{path}": b for b in boundary}
        extra = dict(zip(outside, self._read(list(outside)), strict=True))
        blobs = {b for _, change in touching for b in (change.old, change.new) if b}
        self._parse(list(blobs))
        states: dict[str, list[State]] = {}

        def add(key: str, state: State) -> None:
            held = states.setdefault(key, [])
            if not _holds(held, state):
                held.append(state)

        versions = [self._parsed[c.new] for _, c in touching if c.new]
        versions += [read_entries(raw) for raw in extra.values() if raw is not None]
        for entries in versions:
            for key, data in entries or []:
                add(key, data)
        for _, change in touching:
            if change.old is None:
                continue
            before = self._parsed[change.old]
            after = self._parsed[change.new] if change.new else []
            if before is not None and after is not None:
                for key in {k for k, _ in before} - {k for k, _ in after}:
                    add(key, REMOVED)
        self._states[(commit, path)] = states
        return states

    def _ancestors(self, commit: str) -> tuple[set[str], set[str]]:
        """``commit`` and its ancestors among the walked commits, and the commits just
        outside the walk (with ``--since``) where that history continues."""
        cached = self._ancestry.get(commit)
        if cached is not None:
            return cached
        seen: set[str] = set()
        boundary: set[str] = set()
        stack = [commit]
        while stack:
            current = stack.pop()
            if current in seen or current in boundary:
                continue
            node = self.by_id.get(current)
            if node is None:
                boundary.add(current)
                continue
            seen.add(current)
            stack.extend(node.parents)
        self._ancestry[commit] = (seen, boundary)
        return seen, boundary

    # ---------------------------------------------------------- second roots

    def _second_roots(self) -> dict[str, Finding]:
        """Root commits that start a separate history holding entries that the history
        it was joined to (by a merge) already held: an orphan branch rewritten and
        merged in with ``--allow-unrelated-histories``."""
        roots = [c for c in self.commits if not c.parents]
        if not roots:
            return {}
        bits = {r.commit: 1 << n for n, r in enumerate(roots)}
        reach: dict[str, int] = {}
        for commit in reversed(self.commits):  # parents before children
            mask = bits.get(commit.commit, 0)
            for parent in commit.parents:
                mask |= reach.get(parent, 0)
            reach[commit.commit] = mask
        found: dict[str, Finding] = {}
        for r in roots:
            bit = bits[r.commit]
            join = next(
                (
                    (c, parent)
                    for c in reversed(self.commits)
                    if len(c.parents) > 1 and reach[c.commit] & bit
                    for parent in c.parents
                    if not reach.get(parent, 0) & bit
                ),
                None,
            )
            if join is not None:
                finding = self._second_root(r, *join)
                if finding is not None:
                    found[r.commit] = finding
        return found

    def _second_root(
        self, first: githistory.CommitDiff, merge: githistory.CommitDiff, other: str
    ) -> Finding | None:
        older = [
            h for h, when in githistory.root_commits(self.root, other)
            if h != first.commit and when <= first.committed  # a tie: both are second
        ]  # fmt: skip
        if not older:  # this root is the older history: the other one is the second
            return None
        theirs = githistory.tree_blobs(self.root, other, "clients")
        mine = {c.path: c.new for c in first.diffs[0] if c.new and c.path in theirs}
        same = [path for path, blob in mine.items() if theirs[path] == blob]
        differ = [path for path in mine if theirs[path] != mine[path]]
        self._parse([b for path in differ for b in (mine[path], theirs[path])])
        shared = [
            path
            for path in differ
            if {key for key, _ in self._parsed[mine[path]] or []}
            & {key for key, _ in self._parsed[theirs[path]] or []}
        ]
        if not shared:  # the same file in both holds notes in both, unless it is empty
            for path in same:
                self._parse([mine[path]])
                if self._parsed[mine[path]]:
                    break
            else:
                return None
        shared += same
        detail = (
            f"a second root commit: a separate history holding notes that {other[:12]} "
            f"already held ({_n_logs(sorted(shared))}), joined to it by merge "
            f"{merge.commit[:12]}"
        )
        return Finding(
            first.commit, first.author, first.email, first.date, None, None, "second-root", detail
        )

    # ------------------------------------------------------------ reading

    def _read(self, names: list[str]) -> list[bytes | None]:
        if not names:
            return []
        blobs = githistory.read_blobs(self.root, names)
        try:
            return [self.plain(name, raw) for name, raw in zip(names, blobs, strict=True)]
        finally:
            blobs.close()

    def plain(self, name: str, raw: bytes | None) -> bytes | None:
        """A blob as audit compares it: a git-crypt blob decrypted with this clone's
        keys; one that no key here opens is None, and remembered in ``locked_blobs``."""
        if raw is None or not raw.startswith(MAGIC):
            return raw
        from casectl.vault import crypt  # only for restricted logs

        if self._keys is None:
            self._keys = crypt.key_names(self.root)
        plain = crypt.decrypt(self.root, raw, self._keys)
        if plain is None:
            self.locked_blobs.add(name)
            if ":" in name:  # `<commit>:./<path>`, read beyond the walk
                client = client_of(name.partition(":./")[2])
                if client is not None:
                    self.unchecked.add(client)
        return plain

    def _locked_in(self, commit: githistory.CommitDiff, path: str) -> bool:
        return any(
            change.path == path and {change.old, change.new} & self.locked_blobs
            for files in commit.diffs
            for change in files
        )

    def _parse(self, blobs: list[str]) -> None:
        missing = list(dict.fromkeys(b for b in blobs if b not in self._parsed))
        for blob, raw in zip(missing, self._read(missing), strict=True):
            self._parsed[blob] = read_entries(raw) if raw is not None else None


def _n_logs(paths: list[str]) -> str:
    more = len(paths) - 1
    return paths[0] + (f" and {more:,} more log{'s' if more != 1 else ''}" if more else "")


def _compare(
    old: bytes | None, new: bytes | None
) -> tuple[list[EntryChange], Entries | None, Entries | None]:
    """:func:`compare_logs`, also giving the entries it parsed (None: not parsed)."""
    if old is None or (new is not None and is_pure_append(old, new)):
        return [], None, None
    before = read_entries(old)
    if not before:
        return [], None, None
    if new is None:
        return (
            [EntryChange(None, "deleted", f"log.yaml deleted with {_count(before)}")],
            before,
            None,
        )
    after = read_entries(new)
    if after is None:
        detail = f"log.yaml no longer reads as a list of notes (it held {_count(before)})"
        return [EntryChange(None, "unreadable", detail)], before, None
    return diff_entries(before, after), before, after


def _same_state(a: State, b: State) -> bool:
    if a is REMOVED or b is REMOVED:
        return a is b
    return same_data(a, b)


def _holds(history: list[State], state: State) -> bool:
    return any(_same_state(x, state) for x in history)


def _brings_new(state: State, histories: list[list[State]]) -> bool:
    """True when ``state`` (a merge's) stands beside an earlier state of the entry that
    no single parent's history already held together with it."""
    return any(
        not any(_holds(h, state) and _holds(h, earlier) for h in histories)
        for history in histories
        for earlier in history
        if not _same_state(earlier, state)
    )


def _merge_edit(
    key: str, state: Any, parents: list[dict[str, Any]], histories: list[list[State]]
) -> EntryChange:
    before = next(
        (held[key] for held in parents if key in held and not same_data(held[key], state)), None
    )
    if before is None:
        before = next(
            (x for h in histories for x in h if x is not REMOVED and not same_data(x, state)), state
        )
    detail = _edit_detail(before, state)
    if any(_holds(h, state) for h in histories):
        detail += " (the merge joins histories holding different versions)"
    return EntryChange(_shown(key), "edited", detail)


def _finding(
    commit: githistory.CommitDiff, path: str, change: EntryChange, merge: bool = False
) -> Finding:
    return Finding(
        commit.commit,
        commit.author,
        commit.email,
        commit.date,
        client_of(path),
        change.entry,
        change.change,
        change.detail,
        merge,
    )


def _merge_in_order(
    order: Sequence[str], changed: list[Finding], unsigned: list[Finding]
) -> list[Finding]:
    """Both kinds of findings in history order (newest first), a commit's together."""
    rank = {commit: i for i, commit in enumerate(order)}
    both = [*unsigned, *changed]
    return sorted(both, key=lambda f: rank.get(f.commit, len(rank)))
