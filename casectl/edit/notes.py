"""Note drafts: who writes (``--by``), note ids and times, where the text comes from
(TEXT, stdin, ``$EDITOR`` in a private draft), and the options checked before the text
is asked for. Writing the note is the edit transaction's (``edit.transaction``).
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
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from types import FrameType
from typing import IO, Any

from casectl.checks import log as log_rules
from casectl.core import dates
from casectl.core.model import (
    MAX_YEAR,
    MIN_YEAR,
    MINUTES,
    MODES,
    NOTE_TYPES,
    WITH_VALUES,
    Agency,
    Plan,
)
from casectl.core.suggest import did_you_mean
from casectl.edit import logtext
from casectl.errors import CasectlError
from casectl.git import run as gitrun
from casectl.store import layout, writes

NO_TEXT_EXIT = 2
# The most text one note may hold (UTF-8 bytes, as stored). A log is read whole and
# at most load.MAX_FILE_BYTES (16 MiB) of it, so a few very long notes would fill it.
MAX_NOTE_BYTES = 1024 * 1024
# How much is read from stdin or the editor's file at most: room for trailing blank
# lines beyond MAX_NOTE_BYTES, without reading an endless pipe into memory.
_READ_LIMIT = 4 * MAX_NOTE_BYTES
_SLUG_BAD = re.compile(r"[^A-Za-z0-9._-]+")
_SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32, lower case

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
            raise CasectlError(
                f"--by: {by!r} is not a manager in casectl.yaml{did_you_mean(by, managers)} "
                f"(known: {known})"
            )
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


@dataclass(frozen=True)
class Writer:
    """Who an entry is by (``by``) and, when someone else typed it for them, who did
    (``entered_by``: the manager matching git's identity; contract 5.1)."""

    by: str
    entered_by: str | None = None


def resolve_writer(
    agency: Agency,
    explicit: str | None,
    who: Callable[[], gitrun.Identity],
    day: date,
) -> Writer:
    """:func:`resolve_by`, refused for a manager who ``left`` before ``day`` (the
    entry's date), with ``entered_by`` when ``--by`` names someone other than the
    manager matching git's identity. When the identity matches no manager (or
    several), ``entered_by`` is left out: there is no key to write."""
    by = resolve_by(agency, explicit, who)
    refuse_left(agency, by, day, "--by" if explicit is not None else "git's user")
    entered_by: str | None = None
    if explicit is not None and agency.managers:
        ident = who()
        found = matching_managers(agency, ident.name, ident.email)
        if len(found) == 1 and found[0] != by:
            entered_by = found[0]
    return Writer(by, entered_by)


def refuse_left(agency: Agency, key: str, day: date, option: str) -> None:
    """Refuse (exit 2) an entry dated after the day manager ``key`` left the agency."""
    left = agency.manager_left(key)
    if left is not None and day > left:
        raise CasectlError(
            f"{option}: {key!r} left the agency on {left.isoformat()}; an entry dated "
            f"{day.isoformat()} cannot be written by them (pass --by for whoever did the work); "
            "nothing written"
        )


# ------------------------------------------------------------------ ids and times


def now_minute(zone: tzinfo | None) -> datetime:
    """Now as a naive wall-clock time in ``zone`` (UTC when None), to the minute."""
    from datetime import UTC

    moment = datetime.now(zone or UTC)
    return moment.replace(second=0, microsecond=0, tzinfo=None)


def parse_when(
    value: str | None, zone: tzinfo | None, option: str = "--date"
) -> tuple[str | datetime, datetime]:
    """``--date`` (any form of ``dates.parse_when``) as (what to write, the agency-zone
    wall time used for the note id and the late-entry rule).

    None: now, to the minute. A day without an hour is written as the ISO date (a
    note time without an hour), except today, which is now; a time with an offset is
    written as given and
    converted for the id. A day after today (the agency's) is refused.
    """
    now = now_minute(zone)
    if value is None:
        return now, now
    when = parse_when_option(option, value, zone)
    if not isinstance(when, datetime) and when == now.date():
        return now, now  # today without a time: now (midnight would sort before today's)
    if isinstance(when, datetime):
        local = when
        if when.tzinfo is not None:
            local = when.astimezone(zone).replace(tzinfo=None) if zone else when
        return when, local.replace(tzinfo=None)
    return when.isoformat(), datetime(when.year, when.month, when.day)


def parse_when_option(option: str, value: str, zone: tzinfo | None) -> date | datetime:
    """``dates.parse_when`` with the agency's today; CasectlError (exit 2) naming the
    option when the value is not accepted."""
    today = now_minute(zone).date()
    try:
        when = dates.parse_when(value, today)
    except dates.WhenError as exc:
        raise CasectlError(f"{option}: {exc}") from None
    if not MIN_YEAR <= dates.when_day(when).year <= MAX_YEAR:
        raise CasectlError(f"{option}: {value!r} is outside the years {MIN_YEAR}..{MAX_YEAR}")
    return when


def parse_day_option(option: str, value: str, zone: tzinfo | None) -> date:
    """A ``--date`` that names a day (``close``, ``goal``, ``action --done``...): any
    form of ``dates.parse_when``, its calendar day in the agency's zone."""
    when = parse_when_option(option, value, zone)
    if isinstance(when, datetime) and when.tzinfo is not None and zone is not None:
        return when.astimezone(zone).date()
    return dates.when_day(when)


LATE_AFTER = timedelta(hours=24)


def recorded_for(local: datetime, now: datetime) -> datetime | None:
    """``recorded:`` of an entry whose agency wall time is ``local``, written at
    ``now``: ``now`` when the entry is dated more than 24 hours earlier (a late
    entry, contract 5.1), else None."""
    return now if now - local > LATE_AFTER else None


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


def local_time(when: object, zone: tzinfo | None) -> datetime:
    """The agency-zone wall time of a note time (what its id is made of): an offset is
    converted, a naive time taken as it is, a date alone is midnight."""
    parsed = dates.parse_datetime(when)
    if parsed is None:
        raise CasectlError(f"{when!r} is not a date and time")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(zone).replace(tzinfo=None) if zone else parsed
    return parsed.replace(tzinfo=None)


# ------------------------------------------------------------------ text


def normalize_text(text: str) -> str:
    """Line breaks made ``\\n``; trailing blank lines and spaces at the very end dropped;
    one final newline. Everything else is kept exactly. "" when nothing is left."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    return text + "\n" if text else ""


def strip_comments(text: str) -> str:
    """The editor's text without the lines that start with '#' (the template) and
    without the blank lines before the first line of text (where the template leaves
    room to write), so a note never starts with a blank line."""
    kept = "".join(
        line for line in text.splitlines(keepends=True) if not line.lstrip("\ufeff").startswith("#")
    )
    return _LEADING_BLANK_LINES.sub("", kept)


_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*(?:\r\n|\r|\n))+")


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
    return writes.private_folder(root / layout.CACHE_DIR)


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
    """Let the user write text in ``$EDITOR``; the template's '#' lines are dropped
    (see :func:`edit_raw`)."""
    return strip_comments(edit_raw(template, parent, name))


def edit_raw(template: str, parent: Path | None = None, name: str = "NOTE.txt") -> str:
    """Let the user edit ``template`` in ``$EDITOR``; the text saved, as it is.

    The draft is a 0600 file in a fresh 0700 folder (``tempfile.mkdtemp``, under
    ``parent``), removed with everything the editor left there (swap files) whatever
    happens: editor failure, Ctrl-C, SIGTERM, SIGHUP. A failing editor aborts.
    """
    command = editor_command()
    folder = Path(tempfile.mkdtemp(prefix="note-", dir=parent))
    try:
        with _signals_raise():
            path = folder / name
            writes.create_private(path, template.encode("utf-8"))
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
                return writes.read_bytes(path).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise CasectlError(f"the {name} is not UTF-8 text; nothing written") from None
    except _Stopped as exc:
        raise CasectlError(
            f"stopped by signal {exc.signum}; nothing written", exit_code=128 + exc.signum
        ) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def note_template(client_id: str, note_type: str, by: str, when: str) -> str:
    return (
        f"# Progress note for {client_id}: type {note_type}, by {by}, {when}.\n"
        "# Write the note below. Lines starting with '#' are left out.\n"
        "# Save an empty note to cancel: nothing is written.\n"
        "\n"
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


# ------------------------------------------------------------------ drafts


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
    entered_by: str | None = None
    with_: str | None = None  # format 2: who the contact was with (default client)
    mode: str | None = None  # format 2: in_person, phone, video, text, email
    changes: tuple[str, ...] = ()  # format 2: what a plan_change (etc.) changed

    def entry(self, note_id: str | None = None) -> dict[str, object]:
        """The log entry (keys of ``logtext.ENTRY_KEYS``; None values are left out);
        without ``note_id`` the transaction chooses it."""
        return {
            "id": note_id,
            "date": self.when,
            "by": self.by,
            "type": self.type,
            "minutes": self.minutes,
            "goals": list(self.goals) or None,
            "to": self.to,
            "amends": self.amends,
            "entered_by": self.entered_by,
            "with": self.with_,
            "mode": self.mode,
            "changes": list(self.changes) or None,
            "text": self.text,
        }


def check_draft(draft: Draft, plan: Plan | None, rel: str) -> None:
    """Refuse what is wrong with the options themselves, before anything is asked or
    locked; ``plan`` is the client's plan as first read (``--goal`` is checked
    against it), ``rel`` the client folder."""
    if draft.type not in NOTE_TYPES:
        raise CasectlError(
            f"--type: {draft.type!r} is not a note type{did_you_mean(draft.type, NOTE_TYPES)} "
            f"(one of: {', '.join(NOTE_TYPES)})"
        )
    # The rules of which type an entry key belongs to are log_rules' (CM425..CM427);
    # here they refuse an option before the text is asked for.
    if log_rules.REQUIRED_ON.get(draft.type) == "amends" and draft.amends is None:
        raise CasectlError("an amendment names the note it corrects: use --amends NOTE_ID")
    if draft.to is not None and draft.type not in log_rules.ONLY_ON["to"]:
        raise CasectlError("--to is for referral and transfer notes: add --type referral")
    if draft.with_ is not None and draft.with_ not in WITH_VALUES:
        raise CasectlError(f"--with: {draft.with_!r} is not one of {', '.join(WITH_VALUES)}")
    if draft.mode is not None and draft.mode not in MODES:
        raise CasectlError(f"--mode: {draft.mode!r} is not one of {', '.join(MODES)}")
    if draft.minutes is not None and not MINUTES[0] <= draft.minutes <= MINUTES[1]:
        raise CasectlError(f"--minutes: give a number of minutes from {MINUTES[0]} to {MINUTES[1]}")
    if draft.goals:
        if plan is None:
            raise CasectlError(
                f"--goal: {rel}/plan.yaml cannot be read, so goals cannot be checked; "
                "fix it first (casectl validate)"
            )
        known = [g.id for g in plan.goals]
        unknown = [g for g in draft.goals if g not in known]
        if unknown:
            raise CasectlError(
                f"--goal: {', '.join(map(repr, unknown))} not in {rel}/plan.yaml "
                f"(goals: {', '.join(known) or 'none'})"
            )
    reason = logtext.entry_text_safe(draft.text)
    if reason is not None:
        raise CasectlError(reason)
    check_text_size(draft.text)
