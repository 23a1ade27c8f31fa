"""Writing progress notes: who writes, note ids and times, the text, the checked append.

A note is written in one locked step per client (``writes.locked`` on the client
folder): read log.yaml, pick a unique id, format the entry (``logtext``), check the
*candidate* new log with the same rules ``casectl validate`` uses, append it
atomically and commit exactly the files changed. Holding the lock through the commit
means eight concurrent writers on one client make eight commits of one note each.

Only the one client's files and casectl.yaml are read: the agency is never scanned,
so writing a note costs the same in an agency of ten clients or ten thousand.

``close`` and ``reopen`` use the same step, editing client.yaml in place
(``changes``) beside the appended note, and commit both files together.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from types import FrameType
from typing import IO, Any

from casectl.checks import check_client
from casectl.checks import log as log_rules
from casectl.core import dates
from casectl.core.context import Env
from casectl.core.model import MINUTES, NOTE_TYPES, Agency, Client, Plan
from casectl.core.problems import Problem
from casectl.edit import logtext
from casectl.errors import CasectlError
from casectl.git import commit as gitcommit
from casectl.git import guards
from casectl.git import run as gitrun
from casectl.present.problems import problem_line
from casectl.store import layout, records, writes

NO_TEXT_EXIT = 2
# The most text one note may hold (UTF-8 bytes, as stored). A log is read whole and
# at most load.MAX_FILE_BYTES (16 MiB) of it, so a few very long notes would fill it.
MAX_NOTE_BYTES = 1024 * 1024
# How much is read from stdin or the editor's file at most: room for trailing blank
# lines beyond MAX_NOTE_BYTES, without reading an endless pipe into memory.
_READ_LIMIT = 4 * MAX_NOTE_BYTES
_SLUG_BAD = re.compile(r"[^A-Za-z0-9._-]+")
_SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32, lower case
_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")

# ------------------------------------------------------------------ who writes


def matching_managers(agency: Agency, name: str | None, email: str | None) -> list[str]:
    """Manager keys whose key, display name or email equals git's user.name or user.email.

    Emails compare without regard to case; keys and names exactly (after trimming).
    """
    wanted = {v.strip() for v in (name, email) if v and v.strip()}
    wanted_mail = {v.strip().lower() for v in (name, email) if v and "@" in v}
    found: list[str] = []
    for key in agency.managers or {}:
        mail = agency.manager_email(key)
        if (
            key in wanted
            or agency.manager_name(key).strip() in wanted
            or (mail is not None and mail.strip().lower() in wanted_mail)
        ):
            found.append(key)
    return found


def resolve_by(agency: Agency, explicit: str | None, who: Callable[[], gitrun.Identity]) -> str:
    """The manager key a note is written by (contract: "Who writes").

    ``explicit`` (``--by``) must be a manager key when casectl.yaml lists managers.
    Otherwise the one manager matching git's identity (``who()``, called only when
    needed); no match or several matches is an error asking for ``--by``.
    """
    managers = agency.managers
    if explicit is not None:
        by = explicit.strip()
        if not by:
            raise CasectlError("--by: give a manager key")
        if managers is not None and by not in managers:
            known = ", ".join(sorted(managers)) or "none"
            raise CasectlError(f"--by: {by!r} is not a manager in casectl.yaml (known: {known})")
        return by
    ident = who()
    shown = " / ".join(v for v in (ident.name, ident.email) if v) or "not set"
    if not managers:
        raise CasectlError(
            "--by is required: casectl.yaml lists no managers to match git's identity "
            f"({shown}) against"
        )
    found = matching_managers(agency, ident.name, ident.email)
    if len(found) == 1:
        return found[0]
    if not found:
        raise CasectlError(
            f"--by is required: no manager in casectl.yaml has the key, name or email of "
            f"git's user ({shown}); pass --by KEY or set git's user.name / user.email"
        )
    raise CasectlError(
        f"--by is required: git's user ({shown}) matches several managers "
        f"({', '.join(found)}); pass --by KEY"
    )


# ------------------------------------------------------------------ ids and times


def now_minute(zone: tzinfo | None) -> datetime:
    """Now as a naive wall-clock time in ``zone`` (UTC when None), to the minute."""
    from datetime import UTC

    moment = datetime.now(zone or UTC)
    return moment.replace(second=0, microsecond=0, tzinfo=None)


def parse_when(value: str | None, zone: tzinfo | None) -> tuple[str | datetime, datetime]:
    """``--date`` as (what to write, the agency-zone wall time used for the note id).

    None: now, to the minute. A date alone is written as it is (a note time without
    an hour); a time with an offset is written as given and converted for the id.
    """
    if value is None:
        now = now_minute(zone)
        return now, now
    parsed = dates.parse_datetime(value)
    if parsed is None:
        raise CasectlError(
            f"--date: {value!r} is not a date and time (use 'YYYY-MM-DD HH:MM' or YYYY-MM-DD)"
        )
    local = parsed
    if parsed.tzinfo is not None:
        local = parsed.astimezone(zone).replace(tzinfo=None) if zone else parsed
    if _DATE_ONLY.match(value):
        return value.strip(), local
    return parsed, local.replace(tzinfo=None)


def note_id(local: datetime, by: str, taken: Collection[str]) -> str:
    """``YYYYMMDD-HHMM-<by>-<suffix>``: the readable prefix and 4 random characters.

    The suffix makes ids unique across clones without any coordination: the same
    person writing on the same client in the same minute in two clones gets two ids
    (one in 32**4, about a million, collides; the merge driver refuses such a pair
    rather than losing a note). A suffix already ``taken`` in this log is drawn again.
    """
    slug = _SLUG_BAD.sub("-", by).strip("-") or "x"
    base = f"{local:%Y%m%d-%H%M}-{slug}"
    while True:
        candidate = f"{base}-{''.join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(4))}"
        if candidate not in taken:
            return candidate


def log_ids(files: records.ClientFiles) -> list[str]:
    """The ``id`` of every entry of the log (an unreadable log gives what can be read)."""
    loaded = files.loaded.get("log.yaml")
    data = loaded.data if loaded is not None else None
    if not isinstance(data, list):
        return []
    return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]


# ------------------------------------------------------------------ text


def normalize_text(text: str) -> str:
    """Line breaks made ``\\n``; trailing blank lines and spaces at the very end dropped;
    one final newline. Everything else is kept exactly. "" when nothing is left."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    return text + "\n" if text else ""


def strip_comments(text: str) -> str:
    """The editor's text without the lines that start with '#' (the template)."""
    return "".join(
        line for line in text.splitlines(keepends=True) if not line.lstrip("\ufeff").startswith("#")
    )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def text_too_long(size: int, more: bool = False) -> CasectlError:
    """The refusal of a note text of ``size`` bytes (``more``: and more not read)."""
    shown = f"more than {_mib(size)}" if more else _mib(size)
    return CasectlError(
        f"the note text is {shown}; one note may hold at most {_mib(MAX_NOTE_BYTES)} "
        f"({MAX_NOTE_BYTES} bytes): split it into several notes or keep the document "
        "elsewhere and refer to it; nothing was written"
    )


def check_text_size(text: str) -> None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_NOTE_BYTES:
        raise text_too_long(size)


def read_stdin(stream: IO[bytes]) -> str:
    raw = stream.read(_READ_LIMIT)
    if len(raw) >= _READ_LIMIT and stream.read(1):
        raise text_too_long(len(raw), more=True)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CasectlError(f"the note text on stdin is not UTF-8 ({exc.reason})") from None


def editor_command() -> list[str]:
    """The user's editor: ``$EDITOR``, else ``$VISUAL``, split like a shell would."""
    for var in ("EDITOR", "VISUAL"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise CasectlError(f"${var} cannot be read ({exc}): {value!r}") from None
            if words:
                return words
    raise CasectlError(
        "no note text: give TEXT, '-' to read stdin, or set $EDITOR to write it in an editor"
    )


def private_parent(root: Path) -> Path | None:
    """``.casectl/`` at the root (0700, git-ignored) to hold the editor's folder.

    Keeps the draft inside the repository (nothing casectl writes goes elsewhere);
    None (the system temp folder) when it cannot be used safely.
    """
    folder = root / layout.CACHE_DIR
    try:
        if folder.is_symlink():
            return None
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
    except OSError:
        return None
    return folder


class _Stopped(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception so ``finally`` blocks still run."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Stopped(signum)

    saved: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            saved[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for number, old in saved.items():
            signal.signal(number, old)


def edit_text(template: str, parent: Path | None = None, name: str = "NOTE.txt") -> str:
    """Let the user write text in ``$EDITOR``; the template's '#' lines are dropped.

    The draft is a 0600 file in a fresh 0700 folder (``tempfile.mkdtemp``, under
    ``parent``), removed with everything the editor left there (swap files) whatever
    happens: editor failure, Ctrl-C, SIGTERM, SIGHUP. A failing editor aborts.
    """
    command = editor_command()
    folder = Path(tempfile.mkdtemp(prefix="note-", dir=parent))
    try:
        with _signals_raise():
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(template)
            try:
                done = subprocess.run([*command, str(path)], check=False)
            except OSError as exc:
                raise CasectlError(
                    f"cannot run the editor {command[0]!r}: {exc.strerror or exc}"
                ) from None
            if done.returncode != 0:
                raise CasectlError(
                    f"the editor exited with status {done.returncode}; nothing written"
                )
            size = path.stat().st_size if path.exists() else 0
            if size > _READ_LIMIT:
                raise text_too_long(size)
            try:
                text = writes.read_bytes(path).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise CasectlError("the note is not UTF-8 text; nothing written") from None
            return strip_comments(text)
    except _Stopped as exc:
        raise CasectlError(
            f"stopped by signal {exc.signum}; nothing written", exit_code=128 + exc.signum
        ) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def note_template(client_id: str, note_type: str, by: str, when: str) -> str:
    return (
        "\n"
        f"# Progress note for {client_id}: type {note_type}, by {by}, {when}.\n"
        "# Write the note above. Lines starting with '#' are left out.\n"
        "# Save an empty note to cancel: nothing is written.\n"
    )


def get_text(
    text: str | None,
    stdin: IO[bytes] | None,
    stdin_is_tty: bool,
    edit: Callable[[], str],
) -> str:
    """The note text from TEXT, stdin (``-``, or piped when there is no TEXT) or the
    editor; normalized (:func:`normalize_text`). Empty: CasectlError, exit 2."""
    if text == "-" or (text is None and not stdin_is_tty and stdin is not None):
        if stdin is None:
            raise CasectlError("cannot read the note text: there is no stdin")
        source, raw = "stdin", read_stdin(stdin)
    elif text is None:
        source, raw = "the editor", edit()
    else:
        source, raw = "TEXT", text
    result = normalize_text(raw)
    if not result:
        raise CasectlError(f"empty note (from {source}): nothing written", NO_TEXT_EXIT)
    check_text_size(result)
    return result


def stdin_source() -> tuple[IO[bytes] | None, bool]:
    """stdin's byte stream (None when closed) and whether it is a terminal."""
    stream = sys.stdin
    if stream is None:
        return None, False
    try:
        tty = stream.isatty()
    except (ValueError, OSError):
        tty = False
    return getattr(stream, "buffer", None), tty


def side_text(text: str | None, default: str) -> str:
    """The note text of close / reopen: TEXT, stdin for '-', else ``default``."""
    if text is None:
        return normalize_text(default)
    stdin, _ = stdin_source()
    return get_text(text, stdin, True, lambda: "")


# ------------------------------------------------------------------ checks


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


def _refusal(what: str, problems: Sequence[Problem]) -> list[str]:
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return []
    return [f"{what} would not validate:"] + [problem_line(p) for p in errors]


# ------------------------------------------------------------------ one client


@dataclass
class ClientSession:
    """What writing to one client needs: the agency settings and that client's records."""

    root: Path
    agency: Agency
    zone: tzinfo | None
    today: date
    client_id: str
    folder: Path
    git: guards.WriteCheck
    commit: bool = True
    client: Client | None = None
    plan: Plan | None = None

    @property
    def rel(self) -> str:
        return f"clients/{self.client_id}"

    @property
    def log_path(self) -> Path:
        return self.folder / "log.yaml"

    @property
    def client_path(self) -> Path:
        return self.folder / "client.yaml"


def open_client(
    root: Path,
    agency: Agency,
    zone: tzinfo | None,
    today: date,
    client_id: str,
    *,
    commit: bool = True,
) -> ClientSession:
    """Check that git is ready for a write (:func:`guards.check_can_write`; ``commit``:
    the write will be committed, so git's identity must be set), then the id and folder
    (bad ids, missing folders, symlinks and files that are not regular files refused,
    nothing touched), and read the client (``store.records``) to check the options
    against. Nothing else of the agency is read."""
    git = guards.check_can_write(root, commit=commit)
    folder = layout.client_dir(root, client_id)
    session = ClientSession(root, agency, zone, today, client_id, folder, git, commit)
    rel = session.rel
    for name in ("client.yaml", "plan.yaml", "log.yaml"):  # what a write reads
        layout.ensure_inside(root, folder / name)
        writes.refuse_odd_file(folder / name, f"{rel}/{name}")
    checked = check_client(records.read_client(root, client_id), Env(agency, today, zone))
    session.client, session.plan = checked.client, checked.plan
    return session


def refuse_changes(rel: str, changes: Sequence[guards.TreeChange]) -> None:
    """Refuse a write to the folder ``rel`` that has changes casectl did not make (a
    note written with --no-commit, a writer killed before its commit, a hand edit,
    an untracked file), so they are never mixed into casectl's commit. Temporary
    files of an interrupted write (``writes.is_temp_name``) do not count."""
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
        + gitrun.NOTHING_WRITTEN
    )


@dataclass(frozen=True)
class Draft:
    """A note to write; the id is chosen under the lock."""

    type: str
    text: str
    by: str
    when: str | datetime
    local: datetime
    minutes: int | None = None
    goals: tuple[str, ...] = ()
    to: str | None = None
    amends: str | None = None

    def entry(self, note_id: str) -> dict[str, object]:
        return {
            "id": note_id,
            "date": self.when,
            "by": self.by,
            "type": self.type,
            "minutes": self.minutes,
            "goals": list(self.goals) or None,
            "to": self.to,
            "amends": self.amends,
            "text": self.text,
        }


def check_draft(session: ClientSession, draft: Draft) -> None:
    """Refuse what is wrong with the options themselves, before anything is locked."""
    if draft.type not in NOTE_TYPES:
        raise CasectlError(
            f"--type: {draft.type!r} is not a note type (one of: {', '.join(NOTE_TYPES)})"
        )
    # The rules of which type an entry key belongs to are log_rules' (CM425..CM427);
    # here they refuse an option before the text is asked for.
    if log_rules.REQUIRED_ON.get(draft.type) == "amends" and draft.amends is None:
        raise CasectlError("an amendment names the note it corrects: use --amends NOTE_ID")
    if draft.to is not None and draft.type not in log_rules.ONLY_ON["to"]:
        raise CasectlError("--to is for referral and transfer notes: add --type referral")
    if draft.minutes is not None and not MINUTES[0] <= draft.minutes <= MINUTES[1]:
        raise CasectlError(f"--minutes: give a number of minutes from {MINUTES[0]} to {MINUTES[1]}")
    if draft.goals:
        if session.plan is None:
            raise CasectlError(
                f"--goal: {session.rel}/plan.yaml cannot be read, so goals cannot be checked; "
                "fix it first (casectl validate)"
            )
        known = [g.id for g in session.plan.goals]
        unknown = [g for g in draft.goals if g not in known]
        if unknown:
            raise CasectlError(
                f"--goal: {', '.join(map(repr, unknown))} not in {session.rel}/plan.yaml "
                f"(goals: {', '.join(known) or 'none'})"
            )
    reason = logtext.entry_text_safe(draft.text)
    if reason is not None:
        raise CasectlError(reason)
    check_text_size(draft.text)


@dataclass
class Written:
    """What a write did: the new note's id, the commit (None: not committed) and any
    warning, such as a commit that failed after the files were written."""

    note_id: str
    commit: str | None = None
    warnings: list[str] = field(default_factory=list)
    commit_error: str | None = None


def write(
    session: ClientSession,
    draft: Draft,
    message: Callable[[str], str],
    client_edit: Callable[[str], str] | None = None,
) -> Written:
    """Append ``draft`` (and apply ``client_edit`` to client.yaml), under the lock.

    Everything is checked before the first byte is written: the client's folder must
    have no uncommitted changes (:func:`refuse_changes`), and the candidate files (the
    client as read under the lock, with the new log and client.yaml) must not add any
    validation error (``checks.check_client``, as validate). Then the log is appended,
    then client.yaml replaced, each atomically, and when ``session.commit`` exactly
    those files are committed with ``message(note_id)`` while the lock is still held
    (so concurrent writers make one commit each). A failed commit leaves the files
    written (and git's index as it was) and is reported in ``commit_error``.
    """
    check_draft(session, draft)
    log_path = session.log_path
    env = Env(session.agency, session.today, session.zone)
    with (
        writes.locked(session.folder),
        guards.client_changes(session.root, session.rel, session.git) as changes,
    ):
        files = records.read_client(session.root, session.client_id)
        taken = log_ids(files)
        if draft.amends is not None and draft.amends not in taken:
            raise CasectlError(
                f"--amends: there is no note {draft.amends!r} in {session.rel}/log.yaml"
            )
        nid = note_id(draft.local, draft.by, taken)
        try:
            entry_text = logtext.format_entry(draft.entry(nid))
        except ValueError as exc:
            raise CasectlError(f"cannot write the note: {exc}") from None
        before = check_client(files, env)
        candidate = files
        new_client: bytes | None = None
        if client_edit is not None:
            new_client = _edited_client(session, files, client_edit)
            candidate = files.replaced("client.yaml", new_client)
            added = new_problems(before.problems, check_client(candidate, env).problems)
            refused = _refusal("client.yaml", [p for p in added if p.path.endswith("/client.yaml")])
            if refused:
                raise CasectlError(
                    "not writing client.yaml:\n" + "\n".join(f"  {m}" for m in refused)
                )
        result = Written(nid)

        def validate(new: bytes) -> list[str]:
            after = check_client(candidate.replaced("log.yaml", new), env)
            added = new_problems(before.problems, after.problems)
            result.warnings.extend(problem_line(p) for p in added if p.severity != "error")
            messages = _refusal("the note", added)
            if not messages:
                # Last of the checks, so the client folder's `git status` runs meanwhile.
                refuse_changes(session.rel, changes())
            return messages

        mode = writes.case_modes(session.agency.shared_group).file
        logtext.append_entry(
            log_path,
            entry_text,
            validate,
            root=session.root,
            lock=False,
            new_mode=mode,
        )
        paths = [log_path]
        if new_client is not None:
            writes.edit_file(
                session.client_path,
                lambda _old: new_client,
                root=session.root,
                lock=False,
                new_mode=mode,
            )
            paths.append(session.client_path)
        if session.commit:
            try:
                result.commit = gitcommit.commit_paths(session.root, paths, message(nid))
            except CasectlError as exc:
                result.commit_error = str(exc)
    return result


def _edited_client(
    session: ClientSession, files: records.ClientFiles, edit: Callable[[str], str]
) -> bytes:
    """client.yaml after ``edit`` (refusing what it refuses)."""
    raw = files.raw.get("client.yaml", b"")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CasectlError(f"{session.rel}/client.yaml is not UTF-8 text; fix it first") from None
    try:
        new_text = edit(text)
    except ValueError as exc:
        raise CasectlError(f"cannot edit {session.rel}/client.yaml: {exc}") from None
    return new_text.encode("utf-8")
