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

Everything but :func:`audit` is pure: bytes in, findings out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from casectl import repo
from casectl.errors import CasectlError
from casectl.load import EMPTY, load_text
from casectl.logformat import same_data
from casectl.mergedriver import moved_entries

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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AuditResult:
    findings: list[Finding]
    commits: int  # commits that touched a log (or, with signatures, all commits)
    log_changes: int  # (commit, log file) pairs compared

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
    if old is None or (new is not None and is_pure_append(old, new)):
        return []
    before = read_entries(old)
    if not before:  # nothing was there (or nothing readable): nothing to rewrite
        return []
    if new is None:
        return [EntryChange(None, "deleted", f"log.yaml deleted with {_count(before)}")]
    after = read_entries(new)
    if after is None:
        return [
            EntryChange(
                None,
                "unreadable",
                f"log.yaml no longer reads as a list of notes (it held {_count(before)})",
            )
        ]
    return diff_entries(before, after)


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


def signature_finding(sig: repo.Signature) -> Finding | None:
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
    start = repo.resolve_commit(root, since)
    if start is None:
        raise CasectlError(f"--since: {since!r} is not a commit in this repository")
    return ["HEAD", f"^{start}"]


def audit(root: Path, since: str | None = None, require_signed: bool = False) -> AuditResult:
    """Every commit reachable from HEAD (after ``since``) that changed an existing log
    entry, newest first; with ``require_signed`` also every commit without a good
    signature. An empty result for a repository without commits."""
    if repo.resolve_commit(root, "HEAD") is None:
        return AuditResult([], 0, 0)
    revs = revisions(root, since)
    commits = repo.history_diffs(root, revs, lambda path: client_of(path) is not None)
    pairs = [
        (commit, change, client)
        for commit in commits
        for change in commit.files
        if (client := client_of(change.path)) is not None
    ]
    wanted = [blob for _, change, _ in pairs for blob in (change.old, change.new) if blob]
    blobs = repo.read_blobs(root, wanted)
    findings: list[Finding] = []
    try:
        for commit, change, client in pairs:
            old = next(blobs) if change.old else None
            new = next(blobs) if change.new else None
            merge = len(commit.parents) > 1
            findings += [
                Finding(
                    commit.commit,
                    commit.author,
                    commit.email,
                    commit.date,
                    client,
                    found.entry,
                    found.change,
                    found.detail,
                    merge,
                )
                for found in compare_logs(old, new)
            ]
    finally:
        blobs.close()
    checked = len(commits)
    if require_signed:
        signed = repo.signatures(root, revs)
        checked = len(signed)
        unsigned = [f for sig in signed if (f := signature_finding(sig)) is not None]
        findings = _merge_in_order([s.commit for s in signed], findings, unsigned)
    return AuditResult(findings, checked, len(pairs))


def _merge_in_order(
    order: Sequence[str], changed: list[Finding], unsigned: list[Finding]
) -> list[Finding]:
    """Both kinds of findings in history order (newest first), a commit's together."""
    rank = {commit: i for i, commit in enumerate(order)}
    both = [*unsigned, *changed]
    return sorted(both, key=lambda f: rank.get(f.commit, len(rank)))
