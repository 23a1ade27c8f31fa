"""Small helpers shared by command modules: finding the agency, parsing option values."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from casectl.core import dates, schedule
from casectl.core.context import RunContext
from casectl.core.model import CLIENT_ID_RE, MAX_YEAR, MIN_YEAR, too_long
from casectl.core.schedule import DueItem
from casectl.core.suggest import close_matches, did_you_mean
from casectl.errors import CasectlError, UnknownClientError
from casectl.git import run as gitrun
from casectl.present.problems import problem_line
from casectl.read.agency import open_agency
from casectl.read.scan import scan
from casectl.store import layout, writes

if TYPE_CHECKING:
    from casectl.edit.transaction import Result
    from casectl.present.output import Output


def agency_context(
    directory: Path | None,
    as_of: str | None = None,
    *,
    out: Output | None = None,
    writes: bool = False,
    validating: bool = False,
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
    ctx = open_agency(root, validating=validating, as_of=day)
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
    keys = ctx.agency.managers
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


# ------------------------------------------------------------------ due items


@dataclass
class Gathered:
    """The agency and its filtered, sorted due items."""

    ctx: RunContext
    items: list[DueItem]
    within: dates.Duration | None


def gather_due(
    out: Output,
    directory: Path | None,
    as_of: str | None,
    within: str | None,
    manager: str | None,
    clients: Sequence[str] = (),
    kinds: Sequence[str] = (),
) -> Gathered:
    """Validate the options, scan the agency and return the filtered, sorted items
    (``due`` and ``digest``).

    Every option is checked before any client is read, so a typo fails fast (exit 2).
    A client whose files have errors is never left out: it has a ``record`` item.
    """
    check_kinds(kinds)
    window = parse_duration_option("--within", within) if within is not None else None
    ctx = agency_context(directory, as_of, out=out)
    check_manager_option(ctx, manager)
    wanted = check_clients(ctx.root, clients)
    state = scan(ctx, only=wanted or None)
    known = state.schedules()
    if not wanted:  # with --client, the clients read are not all the managers' clients
        check_manager_option(ctx, manager, (plan.manager for plan in known))
    items: list[DueItem] = []
    for plan in known:
        if manager is not None and plan.manager != manager:
            continue
        items.extend(schedule.items_from_schedule(plan, ctx.as_of, window))
    if kinds:
        items = [i for i in items if i.kind in kinds]
    return Gathered(ctx, schedule.sort_items(items), window)


def check_kinds(kinds: Sequence[str]) -> None:
    for kind in kinds:
        if kind not in schedule.KINDS:
            raise CasectlError(
                f"--kind: {kind!r} is not one of {', '.join(schedule.KINDS)}"
                + did_you_mean(kind, schedule.KINDS)
            )


def check_clients(root: Path, clients: Sequence[str]) -> list[str]:
    """The --client ids, each a well-formed id with a folder under clients/."""
    existing = set(layout.client_ids(root))
    for cid in clients:
        layout.check_client_id(cid)
        if cid not in existing:
            raise UnknownClientError(
                f"--client: no client {cid!r} (no folder clients/{cid})"
                + did_you_mean(cid, existing)
            )
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
    by_key = notes.resolve_by(ctx.agency, by, lambda: gitrun.config_identity(ctx.root))
    when, local = notes.parse_when(date, ctx.zone)
    draft = notes.Draft(
        type=note_type,
        text="",
        by=by_key,
        when=when,
        local=local,
        minutes=minutes,
        goals=tuple(goals),
        to=to,
        amends=amends,
    )
    plan = opened.checked.plan if opened.checked is not None else None
    notes.check_draft(draft, plan, opened.rel)  # refuse bad options before asking for text
    shown = f"{local:%Y-%m-%d %H:%M}"
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
