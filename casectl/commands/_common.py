"""Small helpers shared by command modules: finding the agency, parsing option values."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from casectl.core import dates, schedule
from casectl.core.context import RunContext
from casectl.core.schedule import DueItem
from casectl.core.suggest import close_matches, did_you_mean
from casectl.core.values import CLIENT_ID_RE, MAX_YEAR, MIN_YEAR, too_long
from casectl.errors import CasectlError, UnknownClientError
from casectl.present.problems import problem_line
from casectl.read.agency import open_agency
from casectl.read.scan import due_of, gc_paused, scan
from casectl.store import layout, restricted, writes

if TYPE_CHECKING:
    from casectl.edit.transaction import Result, Transaction
    from casectl.present.output import Output
    from casectl.present.reports import Scrubber


def agency_context(
    directory: Path | None,
    as_of: str | None = None,
    *,
    out: Output | None = None,
    writes: bool = False,
    validating: bool = False,
    use_cache: bool = True,
) -> RunContext:
    """The agency named by ``-C`` or found above the current folder.

    What a casectl.yaml with errors does is decided here, for every command: one
    that ``writes`` refuses (exit 2) with the problems, since settings read wrong
    would be written into the records (a note stamped in the wrong zone stays in an
    append-only log). One that reads goes on with the best reading of the settings,
    and :func:`say_settings_problems` puts the problems and each fallback on stderr
    through ``out``. With no ``out`` the caller reports them itself (``validate``,
    whose output lists problems anyway; sync's check before pushing).
    """
    root = layout.find_root(directory, explicit=directory is not None)
    day = parse_date_option("--as-of", as_of) if as_of is not None else None
    ctx = open_agency(root, validating=validating, as_of=day, use_cache=use_cache)
    if ctx.settings_errors and writes:
        raise CasectlError(
            f"{layout.CONFIG_NAME} has errors; nothing written (fix them, then run this again):\n"
            + "\n".join(problem_line(p) for p in ctx.settings_errors)
        )
    if out is not None:
        say_settings_problems(out, ctx)
    return ctx


def say_settings_problems(out: Output, ctx: RunContext, listed: bool = False) -> None:
    """casectl.yaml's errors as problem lines on stderr (unless ``listed`` in the
    command's own output already), then what each one made the settings fall back to."""
    if not ctx.settings_errors:
        return
    if not listed:
        for problem in ctx.settings_errors:
            out.stderr.write(problem_line(problem) + "\n")
        out.stderr.flush()
    for fallback in ctx.fallbacks:
        out.warn(fallback)


def resolve_client(ctx: RunContext, query: str, out: Output | None = None) -> str:
    """The client a person named, for the commands that only show one (``show``,
    ``report``, ``history``; never a command that writes, nor a filter such as
    ``--client``, where scripts need exactness): the exact id; else the one client whose
    id starts with ``query``; else the one whose name has a word starting with each word
    of ``query`` (case-insensitive: ``lopez``, ``maria l``). A guess is said on stderr
    (``'lopez' is rc-0001 (Maria Lopez)``); several matches or none are refused (exit 2)
    naming them or the closest ids."""
    if CLIENT_ID_RE.fullmatch(query) and (ctx.root / "clients" / query).is_dir():
        return query
    if "/" in query or "\\" in query or ".." in query or not query.isprintable():
        layout.check_client_id(query)  # a path, not a name: refused as a malformed id
    ids = layout.client_ids(ctx.root)
    words = query.casefold().split()
    if not words:
        raise UnknownClientError("give a client id")
    found = [cid for cid in ids if cid.startswith(words[0])] if len(words) == 1 else []
    names = {f.id: f.name for f in scan(ctx).facts() if f.name}
    if not found:
        found = [cid for cid, name in names.items() if _names(words, name)]
    if len(found) == 1:
        cid = found[0]
        if out is not None:
            named = f" ({names[cid]})" if cid in names else ""
            out.note(f"casectl: {query!r} is {cid}{named}")
        return cid
    if found:
        shown = ", ".join(f"{c} ({names[c]})" if c in names else c for c in sorted(found)[:10])
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        raise UnknownClientError(
            f"{query!r} could be {len(found)} clients: {shown}{more}; name one by its id"
        )
    by_word: dict[str, set[str]] = {}
    for cid, name in names.items():
        for key in (name.casefold(), *name.casefold().split()):
            by_word.setdefault(key, set()).add(cid)
    near = close_matches(query, ids) + sorted(
        {c for w in close_matches(query.casefold(), by_word) for c in by_word[w]}
    )
    if not near:
        layout.check_client_id(query)  # a malformed id ('..', '/') is refused as such
    listed = [f"{c} ({names[c]})" if c in names else c for c in dict.fromkeys(near)]
    hint = f"; did you mean {', '.join(listed[:3])}?" if listed else ""
    raise UnknownClientError(
        f"no client {query!r}: no client's id is or starts with it, and no name has it{hint}"
    )


def _names(words: Sequence[str], name: str) -> bool:
    """Each query word starts a word of ``name`` (case-insensitive)."""
    parts = name.casefold().split()
    return all(any(p.startswith(w) for p in parts) for w in words)


def check_manager_option(
    ctx: RunContext, manager: str | None, named: Iterable[str | None] | None = None
) -> None:
    """Refuse (exit 2) a ``--manager`` that names no known manager, listing the known
    ones: an empty result would read as "nothing to do" to a person or a cron job.

    Known managers are the ``managers:`` keys of casectl.yaml, or, without that list,
    the managers ``named`` by the clients (None: not read yet; call again once they
    are, so an agency with a list fails before any client is read).
    """
    if manager is None:
        return
    keys = ctx.roster.managers
    if keys is not None:
        known, where = sorted(keys), f"a manager in {layout.CONFIG_NAME}"
    elif named is not None:
        known, where = sorted({m for m in named if m}), "the manager of any client"
    else:
        return
    if manager not in known:
        raise CasectlError(
            f"--manager: {manager!r} is not {where}{did_you_mean(manager, known)} "
            f"(known: {', '.join(known) or 'none'})"
        )


def parse_date_option(option: str, value: str) -> date:
    parsed = dates.parse_date(value)
    if parsed is None:
        raise CasectlError(f"{option}: {value!r} is not a date (use YYYY-MM-DD)")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise CasectlError(f"{option}: {value!r} is outside the years {MIN_YEAR}..{MAX_YEAR}")
    return parsed


@contextlib.contextmanager
def figures_errors() -> Iterator[None]:
    """A ``figures.FiguresError`` (a bad period, pattern or column set) as the command's
    refusal: its one-line message, exit 2."""
    from casectl.figures import FiguresError

    try:
        yield
    except FiguresError as exc:
        raise CasectlError(str(exc)) from None


def parse_duration_option(option: str, value: str) -> dates.Duration:
    parsed = dates.parse_duration(value)
    if parsed is None:
        raise CasectlError(f"{option}: {value!r} is not a duration (use e.g. '30 days')")
    if too_long(parsed):
        raise CasectlError(f"{option}: {value!r} is longer than 100 years")
    return parsed


_PRIVATE_FOLDERS = ("clients", ".git", layout.CACHE_DIR)


def check_output(root: Path, output: Path, overwrite_tracked: bool = False) -> None:
    """Refuse ``-o FILE`` where a report or other output must never go (exit 2): inside
    clients/ (case files), .git/ or .casectl/, onto casectl.yaml, or onto any file git
    tracks in the agency (unless ``overwrite_tracked``). Links in the folder part are
    followed, so a link cannot smuggle the file there."""
    target = Path(os.path.realpath(output.parent)) / output.name
    base = Path(os.path.realpath(root))
    if not target.is_relative_to(base):
        return
    rel = target.relative_to(base)
    if not rel.parts:
        return
    if rel.parts[0] in _PRIVATE_FOLDERS:
        raise CasectlError(
            f"-o {output}: refusing to write inside {rel.parts[0]}/ of the agency "
            f"({'the case files' if rel.parts[0] == 'clients' else 'kept by git and casectl'}); "
            "choose a file elsewhere"
        )
    if rel.as_posix() == layout.CONFIG_NAME:
        raise CasectlError(
            f"-o {output}: refusing to overwrite {layout.CONFIG_NAME}, the agency's settings"
        )
    from casectl.git import run as gitrun  # runs git: the read commands do not import it

    if not overwrite_tracked and gitrun.is_tracked(base, rel.as_posix()):
        raise CasectlError(
            f"-o {output}: refusing to overwrite {rel.as_posix()}, a file tracked by git; "
            "choose a new file name (reports hold personal data: keep them out of git)"
        )


def report_written(out: Output, result: Result, unsaved: str) -> int:
    """Print what a writing command did (warnings, what was said aloud such as a format
    change, the new note id) and fail loudly when the change was written but could not
    be committed; ``unsaved`` leads that message."""
    for warning in result.warnings:
        out.warn(f"warning: {warning}")
    for said in result.said:
        out.warn(said)
    if result.note_id is not None:
        out.line(result.note_id)
    if result.commit_error is not None:
        raise CasectlError(f"{unsaved} but not committed: {result.commit_error}")
    return 0


def say_locked(out: Output, locked: Sequence[str], *, on_stdout: bool) -> None:
    """Count the restricted clients this clone cannot read ("2 restricted clients are
    locked here", contract 5.6): last line of a human-readable output (``on_stdout``),
    else on stderr, so json, ics and an empty digest stay what they are."""
    if not locked:
        return
    message = restricted.locked_message(len(locked))
    if on_stdout:
        out.line(message)
    else:
        out.warn(message)


# ------------------------------------------------------------------ due items


@dataclass
class Gathered:
    """The agency and its filtered, sorted due items."""

    ctx: RunContext
    items: list[DueItem]
    within: dates.Duration | None
    locked: list[str]  # restricted clients this clone cannot read (not in ``items``)


def gather_due(
    out: Output,
    directory: Path | None,
    as_of: str | None,
    within: str | None,
    manager: str | None,
    clients: Sequence[str] = (),
    kinds: Sequence[str] = (),
    redact: bool = False,
) -> Gathered:
    """Validate the options, scan the agency and return the filtered, sorted items
    (``due`` and ``digest``).

    Every option is checked before any client is read, so a typo fails fast (exit 2).
    A client whose files have errors is never left out: it has a ``record`` item.
    ``redact``: the items as ``--redact`` shows them (:func:`redact_due`).
    """
    check_kinds(kinds)
    window = parse_duration_option("--within", within) if within is not None else None
    ctx = agency_context(directory, as_of, out=out)
    check_manager_option(ctx, manager)
    wanted = check_clients(ctx.root, clients)
    managers, items, locked, _ = due_of(ctx, wanted or None, ctx.as_of, window)
    if not wanted:  # with --client, the clients read are not all the managers' clients
        check_manager_option(ctx, manager, managers)
    if manager is not None:  # an approval item is the supervisor's, whoever the manager
        items = [i for i in items if i.manager == manager]
    if kinds:
        items = [i for i in items if i.kind in kinds]
    if redact:  # reads the client.yaml of each client with items: collect as usual
        with gc_paused(False):
            items = redact_due(ctx.root, items)
    return Gathered(ctx, items, window, locked)


def redact_due(root: Path, items: Sequence[DueItem]) -> list[DueItem]:
    """Due items with initials for names and each client's identifying details
    scrubbed from their text (contract 5.5): every format of ``due`` and ``digest``
    (and an agency's digest template) gets them already redacted. Reads the
    client.yaml of each client with items, once."""
    from casectl.present import reports

    clients = sorted({i.client for i in items})
    return reports.redact_items(items, {cid: client_scrubber(root, cid) for cid in clients})


def client_scrubber(root: Path, client_id: str) -> Scrubber | None:
    """The ``--redact`` scrubber of one client, from its client.yaml as it is on disk
    (None: the file cannot say what identifies the client; see ``checks.client.personal``).
    ``export --redact`` gets the same through ``present.reports.export_redaction``."""
    from casectl.checks.client import personal
    from casectl.present.reports import make_scrubber
    from casectl.store import load

    raw = load.read_regular(root / "clients" / client_id / "client.yaml")
    if isinstance(raw, str):
        return None
    client = personal(load.load_text("client.yaml", raw).data)
    return make_scrubber(client) if client is not None else None


def check_kinds(kinds: Sequence[str]) -> None:
    for kind in kinds:
        if kind not in schedule.KINDS:
            raise CasectlError(
                f"--kind: {kind!r} is not one of {', '.join(schedule.KINDS)}"
                + did_you_mean(kind, schedule.KINDS)
            )


def check_clients(root: Path, clients: Sequence[str]) -> list[str]:
    """The --client ids, each a well-formed id with a folder under clients/."""
    if not clients:
        return []  # (clients/ is listed by the scan: not twice)
    existing = set(layout.client_ids(root))
    for cid in clients:
        layout.check_client_id(cid)
        if cid not in existing:
            raise UnknownClientError(
                f"--client: no client {cid!r} (no folder clients/{cid})"
                + did_you_mean(cid, existing)
            )
        restricted.refuse_locked(root, cid)
    return sorted(set(clients))


def emit(out: Output, output: Path | None, text: str) -> None:
    """To stdout, or atomically to ``output`` (its folder must exist)."""
    if output is None:
        out.write(text)
        return
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise CasectlError(f"-o {output}: folder {folder} does not exist")
    if output.is_dir():
        raise CasectlError(f"-o {output}: is a folder")
    try:
        # Reports hold personal data: a new report file is private to its owner.
        writes.atomic_write(output, text.encode("utf-8"), new_mode=0o600)
    except OSError as exc:
        raise CasectlError(f"-o {output}: cannot write: {exc.strerror or exc}") from None


# ------------------------------------------------------------------ notes


def write_note(
    out: Output,
    directory: Path | None,
    client_id: str,
    text: str | None,
    note_type: str,
    date: str | None,
    by: str | None,
    minutes: int | None,
    goals: list[str],
    to: str | None,
    amends: str | None,
    no_commit: bool,
    with_: str | None = None,
    mode: str | None = None,
) -> int:
    """``note`` and ``review``: append one progress note to a client's log; commit.
    Every option is checked before the text is asked for (``$EDITOR`` included)."""
    from casectl.edit import notes, transaction  # the write side: not for reading commands

    layout.check_client_id(client_id)
    ctx = agency_context(directory, writes=True)
    opened = transaction.open_client(ctx, client_id, commit=not no_commit)
    if amends is not None:
        if note_type not in ("note", "amendment"):
            raise CasectlError(
                f"--amends makes the note an amendment; leave out --type {note_type}"
            )
        note_type = "amendment"
    start = entry_start(ctx, by, date)
    by_key = start.by
    draft = notes.Draft(
        type=note_type,
        text="",
        by=by_key,
        entered_by=start.entered_by,
        when=start.when,
        local=start.local,
        minutes=minutes,
        goals=tuple(goals),
        to=to,
        amends=amends,
        with_=with_,
        mode=mode,
    )
    plan = opened.checked.plan if opened.checked is not None else None
    notes.check_draft(draft, plan, opened.rel)  # refuse bad options before asking for text
    shown = f"{start.local:%Y-%m-%d %H:%M}"
    template = notes.note_template(client_id, note_type, by_key, shown)
    stdin, tty = notes.stdin_source()
    body = notes.get_text(
        text,
        stdin,
        tty,
        lambda: notes.edit_text(template, notes.private_parent(ctx.root)),
    )
    draft = replace(draft, text=body)
    notes.check_draft(draft, plan, opened.rel)
    client = opened.checked.client if opened.checked is not None else None
    if client is not None and client.status == "closed":
        out.warn(f"{client_id} is closed; the note is added all the same")
    with opened.transaction(f"note: {client_id} {note_type} ({by_key})") as tx:
        if amends is not None and amends not in tx.entry_ids():
            raise CasectlError(f"--amends: there is no note {amends!r} in {opened.rel}/log.yaml")
        tx.append_entry(draft.entry(), local=draft.local)
    result = tx.result
    return report_written(
        out, result, f"note {result.note_id} was written to clients/{client_id}/log.yaml"
    )


# ------------------------------------------------------------------ coordinate commands


@dataclass(frozen=True)
class EntryStart:
    """Who writes an entry and when (refer, transfer, consent, submit, approve)."""

    by: str
    entered_by: str | None
    when: str | datetime  # what the entry's `date` is written as
    local: datetime  # its agency-zone wall time (the entry id, the day of the change)

    @property
    def day(self) -> date:
        return self.local.date()

    def entry(self, entry_type: str, text: str, **keys: object) -> dict[str, object]:
        return {
            "date": self.when,
            "by": self.by,
            "type": entry_type,
            **keys,
            "entered_by": self.entered_by,
            "text": text,
        }


def entry_start(ctx: RunContext, by: str | None, when: str | None) -> EntryStart:
    """``--by`` (entered_by, managers who left) and ``--date`` (default now) of an entry."""
    from casectl.edit import notes  # the write side: not for reading commands
    from casectl.git import run as gitrun

    written, local = notes.parse_when(when, ctx.zone)
    writer = notes.resolve_writer(
        ctx.agency, by, lambda: gitrun.config_identity(ctx.root), local.date()
    )
    return EntryStart(writer.by, writer.entered_by, written, local)


def entry_text(text: str | None, default: str) -> str:
    """TEXT of the command (``-``: stdin), else ``default``; normalized."""
    from casectl.edit import notes

    return notes.side_text(text, default)


# ------------------------------------------------------------------ casework changes


def write_change(
    out: Output,
    directory: Path | None,
    client_id: str,
    *,
    command: str,
    entry_type: str,
    change: Callable[[Transaction, date], tuple[list[str], str]],
    text: str | None = None,
    date_option: str | None = None,
    by: str | None = None,
    no_commit: bool = False,
    before: Callable[[RunContext], None] | None = None,
    with_: str | None = None,
) -> int:
    """The casework commands (goal, action, task, flag, assess...): one change of the
    client's files and the entry saying what changed, in one edit transaction.

    ``before(ctx)`` checks the options against the agency (and asks for text) once
    git and the client's folder are known to be ready, before the lock;
    ``change(tx, day)`` makes the change under the lock (``day``: ``--date``'s day,
    else today) and returns the entry's ``changes:`` lines and its default text
    (``text`` replaces it). ``--date`` also dates the entry (a past one is a late
    entry). Prints the changes, then the new entry's id on the last line."""
    from casectl.edit import notes, transaction  # the write side: not for reading commands

    layout.check_client_id(client_id)
    ctx = agency_context(directory, writes=True)
    opened = transaction.open_client(ctx, client_id, commit=not no_commit)
    if before is not None:
        before(ctx)
    start = entry_start(ctx, by, date_option)
    by_key = start.by
    day = start.day if date_option else ctx.today  # --date's day in the agency's zone
    body = notes.side_text(text, "") if text is not None else None
    done: list[str] = []

    def message(result: Result) -> str:
        return f"{command}: {client_id} {'; '.join(done)} ({by_key})"

    with opened.transaction(message) as tx:
        lines, default = change(tx, day)
        done.extend(lines)
        draft = notes.Draft(
            type=entry_type,
            text=body or notes.normalize_text(default),
            by=by_key,
            when=start.when,
            local=start.local,
            changes=tuple(lines),
            with_=with_,
            entered_by=start.entered_by,
        )
        notes.check_draft(draft, None, opened.rel)
        tx.append_entry(draft.entry(), local=draft.local)
    result = tx.result
    for line in done:
        out.line(f"{client_id}: {line}")
    return report_written(out, result, f"the change to clients/{client_id} was written")


def parse_when_or_duration(option: str, value: str, today: date) -> date:
    """A day ahead (``--due``, ``--target``, ``--review-by``): an ISO date, or a
    duration from today (``2 weeks``, ``14 days``)."""
    if dates.parse_duration(value) is not None:
        return schedule.add(today, parse_duration_option(option, value))
    try:
        return parse_date_option(option, value)
    except CasectlError:
        raise CasectlError(
            f"{option}: {value!r} is neither a date (YYYY-MM-DD) nor a duration (e.g. '2 weeks')"
        ) from None
