"""THE edit transaction: how every command that changes a client's records changes them.

    opened = open_client(ctx, "rc-0001", commit=not no_commit)  # refuses early
    ...                                                          # ask for text, etc.
    with opened.transaction(message=lambda r: f"goal: rc-0001 G2 met ({by})") as tx:
        plan = tx.doc("plan.yaml")             # read once under the lock; round trip
        plan["goals"][1]["status"] = "met"     # change it in place
        tx.append_entry({"date": ..., "by": by, "type": "plan_change", "text": ...})
        tx.set_format(2, "a goal's status_date")   # casectl.yaml too, same commit
    result = tx.result                         # note id, commit, warnings, files

In this order, all here:

1. ``open_client`` (before anything is asked of the user): git ready for a write
   (``guards.check_can_write``: no operation in progress, not detached, an identity,
   no stale index.lock), the client id and folder (no link, every file regular), and
   a first read of the client to check options against (``opened.checked``).
2. ``transaction``: the client folder's lock (``writes.locked``) for everything that
   follows, and ``git status`` of the folder started in the background.
3. The client read once (``store.records.read_client``) and checked once: problems
   already there never block (only new ones do).
4. The caller's change: ``doc(name)`` (``yamledit``: comments and layout kept),
   ``append_entry`` (the log's text append, id chosen here), ``create`` (``new``),
   ``set_format`` (the one automatic format change of contract section 5).
5. The candidate: each changed file's new bytes (rendered and verified), the log's
   append checked to keep every earlier entry exact (``logtext.check_append``), the
   whole candidate client checked by ``checks.check_client`` exactly as validate
   would. A new error refuses (exit 2) listing only the new problems; new warnings
   are said. Changes casectl did not make in the folder refuse too (``--no-commit``
   leftovers, hand edits): they are never mixed into casectl's commit.
6. Every changed file written atomically (the log first), then ONE commit of exactly
   those files (casectl.yaml too when its format changed), still under the lock, so
   concurrent writers make one commit each. ``commit=False`` leaves them uncommitted
   (and the next write refuses until they are committed). A commit that fails after
   the writes is reported ("written but not committed"), the files stay.

Nothing is written when anything before step 6 fails. Messages never quote record text.
"""

from __future__ import annotations

import contextlib
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from casectl.checks import CheckedClient, check_client, check_config
from casectl.core.context import RunContext
from casectl.core.model import FORMAT2_NOTE_TYPES
from casectl.core.problems import Problem
from casectl.edit import logtext, notes
from casectl.edit.yamledit import Document, EditRefused, plain
from casectl.errors import CasectlError
from casectl.git import commit as gitcommit
from casectl.git import guards
from casectl.git.run import NOTHING_WRITTEN
from casectl.present.problems import problem_line
from casectl.store import layout, load, records, restricted, writes

EDITABLE = ("client.yaml", "plan.yaml", "assessment.yaml")
# Entry keys only a format 2 repository may hold (writing one upgrades the format).
FORMAT2_ENTRY_KEYS = (
    "with",
    "mode",
    "recorded",
    "entered_by",
    "from",
    "what",
    "object",
    "decision",
    "changes",
)


@dataclass
class Result:
    """What a transaction did: the new entry's id, the commit (None: not committed),
    what to tell the user, the files written (relative to the repository root)."""

    note_id: str | None = None
    commit: str | None = None
    commit_error: str | None = None  # set when the files were written but not committed
    warnings: list[str] = field(default_factory=list)  # new warnings, as problem lines
    said: list[str] = field(default_factory=list)  # e.g. the format change, said aloud
    changed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Opened:
    """A client checked for writing (step 1); ``transaction`` makes the change."""

    ctx: RunContext
    client_id: str
    folder: Path
    git: guards.WriteCheck
    commit: bool
    checked: CheckedClient | None  # the first read (None for a client being created)

    @property
    def rel(self) -> str:
        return f"clients/{self.client_id}"

    def transaction(
        self, message: str | Callable[[Result], str]
    ) -> contextlib.AbstractContextManager[Transaction]:
        return _transaction(self, message)


def open_client(ctx: RunContext, client_id: str, *, commit: bool = True) -> Opened:
    """Step 1 for an existing client: refuse (CasectlError, exit 2) before anything is
    asked or written when git is not ready, the id is not a plain id, the folder is
    missing or a link, or a case file is a link or not a regular file, or the client is
    restricted and locked here (its files are ciphertext: no key in this clone)."""
    git = guards.check_can_write(ctx.root, commit=commit)
    folder = layout.client_dir(ctx.root, client_id)
    restricted.refuse_locked(ctx.root, client_id)
    rel = f"clients/{client_id}"
    for name in records.CLIENT_FILES:
        layout.ensure_inside(ctx.root, folder / name)
        writes.refuse_odd_file(folder / name, f"{rel}/{name}")
    checked = check_client(records.read_client(ctx.root, client_id), ctx.env)
    return Opened(ctx, client_id, folder, git, commit, checked)


def open_new(ctx: RunContext, client_id: str, *, commit: bool = True) -> Opened:
    """Step 1 for a client to create: as ``open_client``, but its folder must not exist."""
    layout.check_client_id(client_id)
    git = guards.check_can_write(ctx.root, commit=commit)
    rel = f"clients/{client_id}"
    folder = ctx.root / rel
    if folder.exists() or folder.is_symlink():
        raise CasectlError(f"client {client_id!r} already exists ({rel})")
    layout.ensure_inside(ctx.root, ctx.root / "clients")
    return Opened(ctx, client_id, folder, git, commit, None)


def transaction(
    ctx: RunContext,
    client_id: str,
    message: str | Callable[[Result], str],
    *,
    commit: bool = True,
) -> contextlib.AbstractContextManager[Transaction]:
    """``open_client`` and ``transaction`` in one step (nothing to ask in between)."""
    return open_client(ctx, client_id, commit=commit).transaction(message)


class Transaction:
    """One change of one client, inside ``with ... as tx`` (see the module docstring)."""

    def __init__(self, opened: Opened, files: records.ClientFiles) -> None:
        self.opened = opened
        self.ctx = opened.ctx
        self.client_id = opened.client_id
        self.rel = opened.rel
        self.files = files  # as read under the lock
        self.result = Result()
        self._docs: dict[str, Document] = {}
        self._created: dict[str, bytes] = {}
        self._replaced: dict[str, bytes] = {}
        self._entries: list[tuple[str, str]] = []  # (id, entry text)
        self._config: Document | None = None
        self._format: tuple[int, int] | None = None  # (from, to)
        self._checked: CheckedClient | None = None

    # -- reading -------------------------------------------------------------

    @property
    def checked(self) -> CheckedClient:
        """The client as read under the lock, checked (typed records and problems)."""
        if self._checked is None:
            self._checked = check_client(self.files, self.ctx.env)
        return self._checked

    def data(self, name: str) -> Any:
        """A file's plain data as read (None when missing or unreadable)."""
        loaded = self.files.loaded.get(name)
        return loaded.data if loaded is not None else None

    def entry_ids(self) -> list[str]:
        """The ``id`` of every entry of the log (what can be read of a damaged one)."""
        data = self.data("log.yaml")
        if not isinstance(data, list):
            return []
        return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]

    # -- changing ------------------------------------------------------------

    def doc(self, name: str) -> Any:
        """``name`` (client.yaml, plan.yaml or assessment.yaml) as a round-trip tree to
        change in place; opened once. EditRefused (exit 2) when it cannot be edited."""
        if name not in EDITABLE:
            raise ValueError(f"not an editable file: {name}")  # a programming error
        if name not in self._docs:
            raw = self.files.raw.get(name)
            if raw is None:
                raise CasectlError(f"{self.rel}/{name} cannot be read; fix it first")
            try:
                self._docs[name] = Document(f"{self.rel}/{name}", raw)
            except EditRefused as exc:
                raise CasectlError(f"cannot edit {exc.name}: {exc}") from None
        return self._docs[name].root

    def rewrite(self, name: str, text: str) -> None:
        """Start ``name`` over from ``text`` (a whole-file step such as a format
        conversion, made before any other change to it); checked like every change."""
        if name not in EDITABLE:
            raise ValueError(f"not an editable file: {name}")  # a programming error
        try:
            self._docs[name] = Document(f"{self.rel}/{name}", text.encode("utf-8"))
        except EditRefused as exc:
            raise CasectlError(f"cannot edit {exc.name}: {exc}") from None

    def document(self, name: str) -> Document:
        """The ``Document`` behind :meth:`doc` (flow style, original text)."""
        self.doc(name)
        return self._docs[name]

    def append_entry(self, entry: Mapping[str, object], local: datetime | None = None) -> str:
        """Append one log entry (keys of ``logtext.ENTRY_KEYS``; ``id`` is chosen here
        from ``local``, the entry's wall time in the agency's zone, and ``by``).
        Returns the id. The entry is text appended to the log, never a rewrite."""
        when = local if local is not None else notes.local_time(entry.get("date"), self.ctx.zone)
        taken = [*self.entry_ids(), *(nid for nid, _ in self._entries)]
        nid = str(entry.get("id") or notes.note_id(when, str(entry.get("by", "")), taken))
        entry = {**entry, "id": nid}
        if entry.get("recorded") is None:  # a late entry says when it was written
            entry["recorded"] = notes.recorded_for(when, notes.now_minute(self.ctx.zone))
        uses = [k for k in logtext.FORMAT2_KEYS if entry.get(k) is not None]
        if entry.get("type") in FORMAT2_NOTE_TYPES or uses:
            self.set_format(2, FORMAT2_WHY)
        try:
            text = logtext.format_entry(entry)
        except logtext.EntryError as exc:
            raise CasectlError(f"cannot write the note: {exc}") from None
        self._entries.append((nid, text))
        if entry.get("type") in FORMAT2_NOTE_TYPES or any(
            entry.get(key) is not None for key in FORMAT2_ENTRY_KEYS
        ):
            self.require_format(2)
        if self.result.note_id is None:
            self.result.note_id = nid
        return nid

    def replace(self, name: str, raw: bytes) -> None:
        """``name`` (an editable file) replaced by ``raw`` as a whole: the user's own
        edit of it (``casectl edit``), checked like any other change."""
        if name not in EDITABLE or name in self._docs:
            raise ValueError(f"cannot replace {name}")  # a programming error
        self._replaced[name] = raw

    def create(self, name: str, text: str) -> None:
        """A file of a client being created (``open_new``)."""
        self._created[name] = text.encode("utf-8")

    def set_format(self, version: int, why: str) -> None:
        """Raise casectl.yaml's ``format`` to ``version`` in this same commit, and say so
        (contract section 5: the one automatic format change). Nothing when it is
        there already."""
        current = self.ctx.agency.format
        if current >= version or (self._format is not None and self._format[1] >= version):
            return
        if self._config is None:
            raw = load.read_regular(self.ctx.root / layout.CONFIG_NAME)
            if isinstance(raw, str):
                raise CasectlError(f"cannot read {layout.CONFIG_NAME}: {raw}")
            try:
                self._config = Document(layout.CONFIG_NAME, raw)
            except EditRefused as exc:
                raise CasectlError(f"cannot edit {layout.CONFIG_NAME}: {exc}") from None
        written = self._config.root.get("format", 1)
        if isinstance(written, int) and written >= version:
            return  # raised meanwhile (an earlier client of the same command)
        self._config.root["format"] = version
        self._format = (current, version)
        self.result.said.append(f"{layout.CONFIG_NAME}: format {current} -> {version} ({why})")

    def require_format(self, version: int = 2) -> None:
        """:meth:`set_format` with CASEWORK's wording: what is written needs ``version``."""
        self.set_format(version, f"this change uses format {version} fields")

    # -- the end of the with block ------------------------------------------------

    def _finish(self, changes: Callable[[], list[guards.TreeChange]], message: Any) -> None:
        new: dict[str, bytes] = {}
        for name, document in self._docs.items():
            if uses_format2(name, plain(document.root)):
                self.set_format(2, FORMAT2_WHY)
            try:
                rendered = document.render()
            except EditRefused as exc:
                raise CasectlError(f"cannot edit {self.rel}/{name}: {exc}") from None
            if rendered != self.files.raw.get(name):
                new[name] = rendered
        for name, raw in self._replaced.items():
            if uses_format2(name, load.load_text(name, raw).data):
                self.set_format(2, FORMAT2_WHY)
            if raw != self.files.raw.get(name):
                new[name] = raw
        new.update(self._created)
        if self._entries:
            old = self.files.raw.get("log.yaml", b"")
            log = old
            for _, text in self._entries:
                log = logtext.append_plan(log, text)
            new["log.yaml"] = log
        agency = self.ctx.agency
        config_bytes: bytes | None = None
        if self._config is not None and self._format is not None:
            config_bytes = self._render_config()
            agency = agency.model_copy(update={"format": self._format[1]})
        for name, raw in new.items():
            _refuse_too_large(f"{self.rel}/{name}", raw)
            if name not in self._created:
                _refuse_unwritable(self.rel, self.files, name)
        candidate = self.files
        for name, raw in new.items():
            candidate = candidate.replaced(name, raw)
        if self._entries:
            log_message = logtext.check_append(
                "log.yaml",
                self.files.raw.get("log.yaml", b""),
                new["log.yaml"],
                [text for _, text in self._entries],
                before=self.files.loaded.get("log.yaml"),
                after=candidate.loaded["log.yaml"],
            )
            if log_message:
                raise _not_writing(f"{self.rel}/log.yaml", log_message)
        before = [] if self._created else self.checked.problems
        env = replace(self.ctx.env, agency=agency)
        after = check_client(candidate, env)
        added = new_problems(before, after.problems)
        self.result.warnings += [problem_line(p) for p in added if p.severity != "error"]
        _refuse_new_errors(self.rel, added, created=bool(self._created))
        if not self._created:  # (a new folder's status was looked at before)
            # Last of the checks, so the folder's `git status` ran meanwhile.
            refuse_changes(self.rel, changes())
        if config_bytes is not None:
            config_changes = guards.path_changes(self.ctx.root, layout.CONFIG_NAME, self.opened.git)
            refuse_changes(layout.CONFIG_NAME, config_changes)
        self._write(new, config_bytes, message)

    def _render_config(self) -> bytes:
        assert self._config is not None
        try:
            rendered = self._config.render()
        except EditRefused as exc:
            raise CasectlError(f"cannot edit {layout.CONFIG_NAME}: {exc}") from None
        settings = check_config(load.load_text(layout.CONFIG_NAME, rendered))
        if settings.errors and not self.ctx.settings_errors:
            lines = [problem_line(p) for p in settings.errors]
            raise _not_writing(
                layout.CONFIG_NAME, [f"{layout.CONFIG_NAME} would not validate:", *lines]
            )
        return rendered

    def _write(self, new: dict[str, bytes], config: bytes | None, message: Any) -> None:
        ctx = self.ctx
        folder = self.opened.folder
        modes = writes.case_modes(ctx.agency.shared_group)
        creating = bool(self._created)
        # An edit writes the log first (the record of what happened), then the rest.
        first = () if creating else ("log.yaml",)
        order = [n for n in dict.fromkeys((*first, *records.CLIENT_FILES)) if n in new]
        paths: list[Path] = []
        try:
            if creating:
                (ctx.root / "clients").mkdir(exist_ok=True)
                writes.make_folder(folder, modes.folder)
            for name in order:
                path = layout.ensure_inside(ctx.root, folder / name)
                writes.replace_file(path, new[name], modes.file)
                paths.append(path)
            if config is not None:
                path = ctx.root / layout.CONFIG_NAME
                with writes.locked(ctx.root):
                    writes.replace_file(path, config, None)
                paths.append(path)
            for path in paths:
                writes.cleanup_stale_temps(path.parent)
            self.result.changed = [p.relative_to(ctx.root).as_posix() for p in paths]
            if self.opened.commit:
                text = message(self.result) if callable(message) else message
                try:
                    self.result.commit = gitcommit.commit_paths(ctx.root, paths, text)
                except CasectlError as exc:
                    if creating:
                        raise
                    self.result.commit_error = str(exc)
        except BaseException:
            if creating:
                # No trace of a client that could not be made: the folder goes, and git's
                # index forgets whatever was staged of it.
                with contextlib.suppress(OSError):
                    shutil.rmtree(folder)
                if self.opened.commit:
                    with contextlib.suppress(CasectlError):
                        gitcommit.unstage(ctx.root, [self.rel])
            raise


@contextlib.contextmanager
def _transaction(opened: Opened, message: str | Callable[[Result], str]) -> Iterator[Transaction]:
    ctx = opened.ctx
    creating = opened.checked is None
    lock = ctx.root / "clients" if creating else opened.folder
    if creating:
        (ctx.root / "clients").mkdir(exist_ok=True)
    with writes.locked(lock), guards.client_changes(ctx.root, opened.rel, opened.git) as changes:
        if creating:
            refuse_changes(opened.rel, changes())
            if opened.folder.exists() or opened.folder.is_symlink():
                raise CasectlError(f"client {opened.client_id!r} already exists ({opened.rel})")
            files = records.ClientFiles(opened.client_id, missing=records.CLIENT_FILES)
        else:
            files = records.read_client(ctx.root, opened.client_id)
        tx = Transaction(opened, files)
        try:
            yield tx
        except EditRefused as exc:  # a change step that cannot be made in place
            raise CasectlError(f"cannot edit {exc.name}: {exc}") from None
        tx._finish(changes, message)


# ------------------------------------------------------------------ format 2

FORMAT2_WHY = "this change uses format 2 fields"
# Fields of contract 5.1 by file: writing one into a format 1 repository is the one
# automatic format change (the log's keys and types: ``logtext.FORMAT2_KEYS``,
# ``model.FORMAT2_NOTE_TYPES``).
_FORMAT2_CLIENT = ("consents", "contacts", "flags")
_FORMAT2_PLAN = ("tasks", "referrals")


def uses_format2(name: str, data: Any) -> bool:
    """Whether ``data`` (a client, plan or assessment file as plain data) holds a
    field of format 2."""
    if not isinstance(data, dict):
        return False
    if name == "client.yaml":
        return any(key in data for key in _FORMAT2_CLIENT)
    if name == "plan.yaml":
        if any(key in data for key in _FORMAT2_PLAN):
            return True
        goals = data.get("goals")
        return isinstance(goals, list) and any(
            isinstance(g, dict) and "status_date" in g for g in goals
        )
    return False


# ------------------------------------------------------------------ refusals


def refuse_changes(rel: str, changes: Sequence[guards.TreeChange]) -> None:
    """Refuse a write to ``rel`` (a client folder, or casectl.yaml) that has changes
    casectl did not make (a note written with --no-commit, a writer killed before its
    commit, a hand edit, an untracked file), so they are never mixed into casectl's
    commit. Temporary files of an interrupted write (``writes.is_temp_name``) do not
    count."""
    foreign = [c for c in changes if not writes.is_temp_name(c.path.rpartition("/")[2])]
    if not foreign:
        return
    shown = [f"  {c.path} ({guards.describe_change(c)})" for c in foreign[:20]]
    if len(foreign) > 20:
        shown.append(f"  ... and {len(foreign) - 20} more")
    raise CasectlError(
        f"refusing to write {rel}: it has changes that are not committed, and casectl "
        "commits only what it writes itself:\n"
        + "\n".join(shown)
        + f"\ncommit them (git add {rel} && git commit) or discard them (git restore "
        f"--source=HEAD --staged --worktree -- {rel}; untracked files: git clean -i -- {rel}), "
        + NOTHING_WRITTEN
    )


def _refuse_unwritable(rel: str, files: records.ClientFiles, name: str) -> None:
    """A case file that is a link or cannot be read is never written over."""
    if name in files.links:
        raise CasectlError(f"refusing to write {rel}/{name}: it is a symbolic link")
    loaded = files.loaded.get(name)
    if loaded is not None and name not in files.raw:
        message = loaded.problems[0].message if loaded.problems else "cannot be read"
        raise CasectlError(f"refusing to write {rel}/{name}: {message}; nothing was written")


def new_problems(before: Sequence[Problem], after: Sequence[Problem]) -> list[Problem]:
    """Problems of ``after`` that ``before`` did not have. Compared by file, severity,
    code and message (the field path leads the message), not by line: an edit in place
    moves the lines after it, and a problem that only moved is not new."""
    old = Counter((p.path, p.severity, p.code, p.message) for p in before)
    added = []
    for p in sorted(after):
        key = (p.path, p.severity, p.code, p.message)
        if old[key]:
            old[key] -= 1
        else:
            added.append(p)
    return added


def _not_writing(shown: str, messages: Sequence[str]) -> CasectlError:
    return CasectlError(f"not writing {shown}:\n" + "\n".join(f"  {m}" for m in messages))


def _refuse_new_errors(rel: str, added: Sequence[Problem], created: bool) -> None:
    """Exit 2 listing the new errors, client.yaml's first (then the other files, then
    the log, whose entry is what a note adds)."""
    errors = [p for p in added if p.severity == "error"]
    if not errors:
        return
    if created:
        raise CasectlError(
            "the new client would not validate:\n" + "\n".join(problem_line(p) for p in errors)
        )
    by_file: dict[str, list[Problem]] = {}
    for p in errors:
        by_file.setdefault(p.path.rpartition("/")[2], []).append(p)
    for name in ("client.yaml", "plan.yaml", "assessment.yaml", "log.yaml"):
        found = by_file.pop(name, None)
        if found:
            what = "the note" if name == "log.yaml" else name
            shown = f"{rel}/log.yaml" if name == "log.yaml" else name
            raise _not_writing(shown, [f"{what} would not validate:", *map(problem_line, found)])
    rest = [p for ps in by_file.values() for p in ps]
    raise _not_writing(rel, ["the change would not validate:", *map(problem_line, rest)])


def _refuse_too_large(shown: str, raw: bytes) -> None:
    """casectl reads no case file over load.MAX_FILE_BYTES, so it never writes one."""
    if len(raw) > load.MAX_FILE_BYTES:
        limit = load.MAX_FILE_BYTES // (1024 * 1024)
        raise CasectlError(
            f"not writing {shown}: it would grow to {len(raw) / (1024 * 1024):.1f} MiB, over "
            f"the {limit} MiB limit for one case file; nothing was written"
        )
