"""The command line: parse arguments, call one command module, choose the exit code.

Each subcommand lives in ``casectl/commands/<name>.py`` as ``run(...) -> int`` and is
imported only when used, so ``casectl --version`` stays fast. A ``CasectlError``
becomes a one-line message on stderr and its exit code (2); nothing a user can cause
ends in a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from casectl import __version__
from casectl.present.help import Command as HelpCommand
from casectl.present.help import Group as HelpGroup


class _App(typer.Typer):
    """typer.Typer whose commands print casectl's help (``present.help``): usage lines
    as a person writes them, allowed values, examples; a bad choice in one line."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[_F], _F]:
        kwargs.setdefault("cls", HelpCommand)
        return super().command(*args, **kwargs)


_F = TypeVar("_F", bound=Callable[..., Any])


app = _App(
    name="casectl",
    cls=HelpGroup,
    help="Case management records as plain YAML under git.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Globals:
    def __init__(self, directory: Path | None, color: bool | None, pager: bool = True) -> None:
        self.directory = directory
        self.color = color
        self.pager = pager


def _version(value: bool) -> None:
    if value:
        print(f"casectl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option(
            "-C", help="The agency repository (default: walk up from here).", show_default=False
        ),
    ] = None,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour (also NO_COLOR).")
    ] = False,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Never page long listings on a terminal (else: CASECTL_PAGER, PAGER, "
            "'less -FRX').",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """casectl: validate, monitor, note, report and share case records kept in git."""
    ctx.obj = Globals(directory, False if no_color else None, pager=not no_pager)


def _call(ctx: typer.Context, command: str, **kwargs: Any) -> NoReturn:
    """Run ``casectl.commands.<command>.run`` and exit with its code."""
    from casectl.commands import dispatch

    g: Globals = ctx.obj if isinstance(ctx.obj, Globals) else Globals(None, None)
    raise typer.Exit(dispatch(command, g.directory, g.color, g.pager, **kwargs))


class TextJson(StrEnum):
    text = "text"
    json = "json"


class ValidateFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


class DueFormat(StrEnum):
    text = "text"
    json = "json"
    md = "md"
    ics = "ics"


class ReportFormat(StrEnum):
    md = "md"
    html = "html"


ReportFmt = Annotated[
    ReportFormat | None,
    typer.Option(
        "--format",
        help="md or html (default: from -o's extension, .html or .md; else md).",
        show_default=False,
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Take this date (YYYY-MM-DD) as today.", show_default=False),
]
Fmt = Annotated[TextJson, typer.Option("--format", help="Output format.")]
NoCommit = Annotated[bool, typer.Option("--no-commit", help="Leave the change uncommitted.")]
By = Annotated[
    str | None,
    typer.Option(
        "--by", help="Who writes (a manager key); default: the manager matching git's user."
    ),
]


# ------------------------------------------------------------------ foundation


@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder for the new agency.")] = Path("."),
    agency: Annotated[str, typer.Option("--agency", help="The agency's name.")] = ...,  # type: ignore[assignment]
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone.")] = "UTC",
    manager: Annotated[
        str | None,
        typer.Option(
            "--manager",
            help="Key of the first manager (you, from git's identity); "
            "default: your e-mail's local part.",
        ),
    ] = None,
) -> None:
    """Create a new agency repository: casectl.yaml, clients/, git, first commit."""
    _call(ctx, "init", target=directory, agency=agency, timezone=timezone, manager=manager)


@app.command()
def new(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID", help="The new client's id.")],
    name: Annotated[str, typer.Option("--name", help="The client's name.")] = ...,  # type: ignore[assignment]
    manager: Annotated[str, typer.Option("--manager", help="Case manager (key).")] = ...,  # type: ignore[assignment]
    opened: Annotated[
        str | None, typer.Option("--opened", help="Date opened (default today).")
    ] = None,
    program: Annotated[str | None, typer.Option("--program", help="Program.")] = None,
    born: Annotated[str | None, typer.Option("--born", help="Date of birth.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Phone number.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    address: Annotated[str | None, typer.Option("--address", help="Address.")] = None,
    consent_signed: Annotated[
        str | None, typer.Option("--consent-signed", help="Consent signed on (date).")
    ] = None,
    consent_expires: Annotated[
        str | None, typer.Option("--consent-expires", help="Consent expires on (date).")
    ] = None,
    no_commit: NoCommit = False,
) -> None:
    """Scaffold a client's four files (with the intake fields) and commit them."""
    _call(
        ctx,
        "new",
        client_id=client_id,
        name=name,
        manager=manager,
        opened=opened,
        program=program,
        no_commit=no_commit,
        born=born,
        phone=phone,
        email=email,
        address=address,
        consent_signed=consent_signed,
        consent_expires=consent_expires,
    )


@app.command()
def validate(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Only these files/folders.")] = None,
    fmt: Annotated[
        ValidateFormat, typer.Option("--format", help="Output format.")
    ] = ValidateFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ignore and do not update .casectl/.")
    ] = False,
) -> None:
    """Check every file and the links between them."""
    _call(ctx, "validate", paths=paths or [], fmt=fmt.value, strict=strict, use_cache=not no_cache)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="active, on_hold or closed.")
    ] = None,
    manager: Annotated[
        str | None, typer.Option("--manager", help="Only this manager's clients.")
    ] = None,
    fmt: Fmt = TextJson.text,
    as_of: AsOf = None,
) -> None:
    """The caseload: one line per client."""
    _call(ctx, "list", status=status, manager=manager, fmt=fmt.value, as_of=as_of)


@app.command()
def show(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    as_of: AsOf = None,
    fmt: Fmt = TextJson.text,
) -> None:
    """One client at a glance."""
    _call(ctx, "show", client_id=client_id, as_of=as_of, fmt=fmt.value)


@app.command()
def schema(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the schemas into this folder.")
    ] = None,
) -> None:
    """JSON Schemas of the five files, for editors."""
    _call(ctx, "schema", output=output)


# ------------------------------------------------------------------ monitoring


# --redact on due and digest (contract 5.5; report has its own help text below). The
# export command takes the same option: commands._common.due_redaction /
# present.reports.export_redaction are its hook.
Redact = Annotated[
    bool,
    typer.Option(
        "--redact",
        help="For outside readers: initials instead of names; no birth date or contact "
        "details, scrubbed from every text too.",
    ),
]


@app.command()
def due(
    ctx: typer.Context,
    as_of: AsOf = None,
    within: Annotated[
        str | None, typer.Option("--within", help="Due-soon window, e.g. '30 days'.")
    ] = None,
    manager: Annotated[str | None, typer.Option("--manager", help="Only this manager.")] = None,
    client: Annotated[
        list[str] | None, typer.Option("--client", help="Only this client (repeatable).")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only this kind (repeatable).")
    ] = None,
    fmt: Annotated[DueFormat, typer.Option("--format", help="Output format.")] = DueFormat.text,
    fail_on_overdue: Annotated[
        bool, typer.Option("--fail-on-overdue", help="Exit 1 when anything is overdue.")
    ] = False,
    redact: Redact = False,
) -> None:
    """Overdue and due-soon items."""
    _call(
        ctx,
        "due",
        as_of=as_of,
        within=within,
        manager=manager,
        clients=client or [],
        kinds=kind or [],
        fmt=fmt.value,
        fail_on_overdue=fail_on_overdue,
        redact=redact,
    )


@app.command()
def digest(
    ctx: typer.Context,
    as_of: AsOf = None,
    manager: Annotated[str | None, typer.Option("--manager", help="Only this manager.")] = None,
    within: Annotated[str | None, typer.Option("--within", help="Due-soon window.")] = None,
    redact: Redact = False,
) -> None:
    """Plain-text digest for cron; prints nothing when nothing is due."""
    _call(ctx, "digest", as_of=as_of, manager=manager, within=within, redact=redact)


# ----------------------------------------------------------------------- notes


@app.command()
def note(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    text: Annotated[
        str | None,
        typer.Argument(metavar="[TEXT|-]", help="Note text; '-' or piped: stdin; none: $EDITOR."),
    ] = None,
    note_type: Annotated[str, typer.Option("--type", help="Entry type.")] = "note",
    date: Annotated[str | None, typer.Option("--date", help="When (default: now).")] = None,
    by: By = None,
    minutes: Annotated[int | None, typer.Option("--minutes", min=0, help="Minutes spent.")] = None,
    goal: Annotated[list[str] | None, typer.Option("--goal", help="Goal id (repeatable).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Referral: referred to whom.")] = None,
    amends: Annotated[
        str | None, typer.Option("--amends", help="Id of the note this corrects.")
    ] = None,
    with_: Annotated[
        str | None,
        typer.Option(
            "--with", help="Who the contact was with: client (default), family, provider, other."
        ),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option("--mode", help="How: in_person, phone, video, text, email."),
    ] = None,
    no_commit: NoCommit = False,
) -> None:
    """Append a progress note; prints the new note id."""
    _call(
        ctx,
        "note",
        client_id=client_id,
        text=text,
        note_type=note_type,
        date=date,
        by=by,
        minutes=minutes,
        goals=goal or [],
        to=to,
        amends=amends,
        no_commit=no_commit,
        with_=with_,
        mode=mode,
    )


@app.command()
def review(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    text: Annotated[str | None, typer.Argument(metavar="[TEXT|-]")] = None,
    date: Annotated[str | None, typer.Option("--date", help="When (default: now).")] = None,
    by: By = None,
    minutes: Annotated[int | None, typer.Option("--minutes", min=0)] = None,
    no_commit: NoCommit = False,
) -> None:
    """Record a plan review (a note of type review)."""
    _call(
        ctx,
        "review",
        client_id=client_id,
        text=text,
        date=date,
        by=by,
        minutes=minutes,
        no_commit=no_commit,
    )


@app.command()
def close(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    text: Annotated[str | None, typer.Argument(metavar="[TEXT|-]")] = None,
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="goals_met, moved, declined, transferred, deceased, lost_contact, other.",
        ),
    ] = ...,  # type: ignore[assignment]
    date: Annotated[
        str | None, typer.Option("--date", help="Closing date (default today).")
    ] = None,
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Close the case: status, closed block, closure note; commit."""
    _call(
        ctx,
        "close",
        client_id=client_id,
        text=text,
        reason=reason,
        date=date,
        by=by,
        no_commit=no_commit,
    )


@app.command()
def reopen(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    text: Annotated[str | None, typer.Argument(metavar="[TEXT|-]")] = None,
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Reopen a closed case; commit."""
    _call(ctx, "reopen", client_id=client_id, text=text, by=by, no_commit=no_commit)


# ---------------------------------------------------------------- casework (issue 13)

DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="When (default now): YYYY-MM-DD, 'YYYY-MM-DD HH:MM', today, yesterday, -2d, "
        "a weekday name, each with an optional HH:MM.",
        show_default=False,
    ),
]


@app.command()
def goal(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    goal_id: Annotated[str, typer.Argument(metavar="add|G", help="'add', or a goal id.")],
    text: Annotated[str | None, typer.Argument(metavar="[TEXT]", help="A new goal.")] = None,
    domain: Annotated[
        str | None, typer.Option("--domain", help="A new goal's domain.", show_default=False)
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", help="Target date, or a duration from today.", show_default=False),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="active, met, partly_met, not_met, dropped.", show_default=False
        ),
    ] = None,
    date: DateOpt = None,
    why: Annotated[
        str | None, typer.Option("--why", help="The entry's text.", show_default=False)
    ] = None,
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Add a goal to the plan, or change one's status or target; commit."""
    _call(
        ctx,
        "goal",
        client_id=client_id,
        goal=goal_id,
        text=text,
        domain=domain,
        target=target,
        status=status,
        date=date,
        why=why,
        by=by,
        no_commit=no_commit,
    )


@app.command()
def action(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    target: Annotated[str, typer.Argument(metavar="G|G.N", help="A goal id, or an action.")],
    verb: Annotated[str | None, typer.Argument(metavar="[add]")] = None,
    text: Annotated[str | None, typer.Argument(metavar="[TEXT]")] = None,
    who: Annotated[str | None, typer.Option("--who", help="Who does it.")] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="Due date, or a duration from today.")
    ] = None,
    done: Annotated[bool, typer.Option("--done", help="Mark the action G.N done.")] = False,
    date: DateOpt = None,
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Add an action to a goal (G add TEXT), or mark one done (G.N --done); commit."""
    _call(
        ctx,
        "action",
        client_id=client_id,
        target=target,
        verb=verb,
        text=text,
        who=who,
        due=due,
        done=done,
        date=date,
        by=by,
        no_commit=no_commit,
    )


@app.command()
def task(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    text: Annotated[str, typer.Argument(metavar="TEXT|T", help="A new task, or a task id.")],
    due: Annotated[
        str | None, typer.Option("--due", help="Due date, or a duration from today.")
    ] = None,
    who: Annotated[str | None, typer.Option("--who", help="A manager key.")] = None,
    done: Annotated[bool, typer.Option("--done", help="Mark the task T done.")] = False,
    date: DateOpt = None,
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """A reminder outside the goals (still due after closure), or mark one done; commit."""
    _call(
        ctx,
        "task",
        client_id=client_id,
        text=text,
        due=due,
        who=who,
        done=done,
        date=date,
        by=by,
        no_commit=no_commit,
    )


@app.command()
def flag(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    kind: Annotated[str, typer.Argument(metavar="KIND", help="A kind of flag_kinds.")],
    text: Annotated[str | None, typer.Argument(metavar="[TEXT|-]", help="Entry text.")] = None,
    review_by: Annotated[
        str | None,
        typer.Option("--review-by", help="Review date, or a duration from today."),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Clear the flag.")] = False,
    date: DateOpt = None,
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Raise a risk or care flag (or --clear it); commit."""
    _call(
        ctx,
        "flag",
        client_id=client_id,
        kind=kind,
        text=text,
        review_by=review_by,
        clear=clear,
        date=date,
        by=by,
        no_commit=no_commit,
    )


@app.command()
def assess(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    date: DateOpt = None,
    score: Annotated[
        list[str] | None,
        typer.Option("--score", help="DOMAIN=N, 1..5 (repeatable); none: $EDITOR."),
    ] = None,
    summary: Annotated[str | None, typer.Option("--summary", help="A summary.")] = None,
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Append a new assessment (never edits an earlier one); commit."""
    _call(
        ctx,
        "assess",
        client_id=client_id,
        date=date,
        scores=score or [],
        summary=summary,
        by=by,
        no_commit=no_commit,
    )


@app.command()
def edit(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    which: Annotated[
        str, typer.Argument(metavar="[client|plan|assessment]", help="The file (default plan).")
    ] = "plan",
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Edit a case file in $EDITOR, validated on save; a plan_change entry; commit."""
    _call(ctx, "edit", client_id=client_id, which=which, by=by, no_commit=no_commit)


@app.command()
def history(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: Fmt = TextJson.text,
) -> None:
    """The client's change history from git."""
    _call(ctx, "history", client_id=client_id, fmt=fmt.value)


# --------------------------------------------------------------------- reports


@app.command()
def report(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: ReportFmt = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file.")
    ] = None,
    as_of: AsOf = None,
    since: Annotated[str | None, typer.Option("--since", help="Only notes from this date.")] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact", help="For outside readers: no name, birth date or contact details."
        ),
    ] = False,
    template: Annotated[
        str | None,
        typer.Option("--template", help="Template name instead of client.md.j2 or client.html.j2."),
    ] = None,
) -> None:
    """One client's report from templates."""
    _call(
        ctx,
        "report",
        client_id=client_id,
        fmt=fmt.value if fmt else None,
        output=output,
        as_of=as_of,
        since=since,
        redact=redact,
        template=template,
    )


@app.command()
def caseload(
    ctx: typer.Context,
    fmt: ReportFmt = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file.")
    ] = None,
    manager: Annotated[str | None, typer.Option("--manager", help="Only this manager.")] = None,
    as_of: AsOf = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="Period view: contacts and minutes from this day."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Period view: ... to this day (included).")
    ] = None,
) -> None:
    """The whole caseload's report."""
    _call(
        ctx,
        "caseload",
        fmt=fmt.value if fmt else None,
        output=output,
        manager=manager,
        as_of=as_of,
        start=start,
        end=end,
    )


# ---------------------------------------------------------------- collaboration


@app.command()
def sync(
    ctx: typer.Context,
    remote: Annotated[str, typer.Option("--remote", help="Remote name.")] = "origin",
    branch: Annotated[
        str | None, typer.Option("--branch", help="Branch (default: current).")
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar="SECONDS", help="Keep retrying a busy remote this long."),
    ] = 60.0,
    accept_rewrite: Annotated[
        bool,
        typer.Option(
            "--accept-rewrite",
            help="Accept a rewritten remote history (force-push) or incoming note edits.",
        ),
    ] = False,
) -> None:
    """Pull (rebase) and push the agency repo; log merges included."""
    _call(ctx, "sync", remote=remote, branch=branch, timeout=timeout, accept_rewrite=accept_rewrite)


@app.command()
def audit(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="Only commits after this revision.")
    ] = None,
    require_signed: Annotated[
        bool, typer.Option("--require-signed", help="Flag unsigned commits.")
    ] = False,
    fmt: Fmt = TextJson.text,
) -> None:
    """Every commit that changed or removed an existing log entry."""
    _call(ctx, "audit", since=since, require_signed=require_signed, fmt=fmt.value)


@app.command("merge-log", hidden=True)
def merge_log(
    ctx: typer.Context,
    base: Path,
    ours: Path,
    theirs: Path,
    path: Annotated[str, typer.Argument()] = "log.yaml",
) -> None:
    """git merge driver for clients/*/log.yaml (registered by init and sync)."""
    _call(ctx, "merge_log", base=base, ours=ours, theirs=theirs, path=path)


# ------------------------------------------------------------- confidentiality


@app.command()
def restrict(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    group: Annotated[
        str, typer.Option("--group", help="The group whose git-crypt key protects the client.")
    ] = ...,  # type: ignore[assignment]
) -> None:
    """Store a client's files encrypted (git-crypt, a key per group); commit."""
    _call(ctx, "restrict", client_id=client_id, group=group)


@app.command()
def unrestrict(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
) -> None:
    """Store a restricted client's files in plain text again (needs the key); commit."""
    _call(ctx, "unrestrict", client_id=client_id)


@app.command()
def purge(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Purge before retention.closed has passed (still closed)."),
    ] = False,
) -> None:
    """Remove a closed client past its retention (one commit); prints the history rewrite."""
    _call(ctx, "purge", client_id=client_id, force=force)


# ---------------------------------------------------------------- figures (issue 15)


class StatsFormat(StrEnum):
    text = "text"
    md = "md"
    csv = "csv"
    json = "json"
    html = "html"


class StatsBy(StrEnum):
    manager = "manager"
    program = "program"


From = Annotated[
    str | None,
    typer.Option(
        "--from", help="First day of the period (YYYY-MM-DD), included.", show_default=False
    ),
]
To = Annotated[
    str | None,
    typer.Option("--to", help="Last day (YYYY-MM-DD), included.", show_default=False),
]
Output_ = Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file.")]


@app.command()
def stats(
    ctx: typer.Context,
    start: From = None,
    end: To = None,
    by: Annotated[
        StatsBy | None, typer.Option("--by", help="One column per manager or program.")
    ] = None,
    fmt: Annotated[
        StatsFormat | None,
        typer.Option(
            "--format",
            help="text, md, csv, json or html (default: from -o's extension, else text).",
            show_default=False,
        ),
    ] = None,
    redact: Redact = False,
    output: Output_ = None,
    as_of: AsOf = None,
) -> None:
    """Period figures: open, served, new, closed, contacts, minutes, referrals, outcomes."""
    _call(
        ctx,
        "stats",
        start=start,
        end=end,
        by=by.value if by else None,
        fmt=fmt.value if fmt else None,
        redact=redact,
        output=output,
        as_of=as_of,
    )


class ExportKindArg(StrEnum):
    notes = "notes"
    clients = "clients"
    goals = "goals"
    assessments = "assessments"
    referrals = "referrals"


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


@app.command()
def export(
    ctx: typer.Context,
    kind: Annotated[ExportKindArg, typer.Argument(help="What to export, one row each.")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="csv (RFC 4180) or jsonl.")
    ] = ExportFormat.csv,
    start: From = None,
    end: To = None,
    redact: Redact = False,
    output: Output_ = None,
    as_of: AsOf = None,
) -> None:
    """One row per note, client, goal, assessment or referral (CSV or JSON Lines)."""
    _call(
        ctx,
        "export",
        kind=kind.value,
        fmt=fmt.value,
        start=start,
        end=end,
        redact=redact,
        output=output,
        as_of=as_of,
    )


@app.command()
def search(
    ctx: typer.Context,
    pattern: Annotated[
        str, typer.Argument(help="Words (all must appear) or, with --regex, a regex.")
    ],
    regex: Annotated[
        bool, typer.Option("--regex", help="PATTERN is a Python regular expression.")
    ] = False,
    client: Annotated[str | None, typer.Option("--client", help="Only this client.")] = None,
    manager: Annotated[
        str | None, typer.Option("--manager", help="Only this manager's clients.")
    ] = None,
    note_type: Annotated[str | None, typer.Option("--type", help="Only this entry type.")] = None,
    start: From = None,
    end: To = None,
    fmt: Fmt = TextJson.text,
    as_of: AsOf = None,
) -> None:
    """Notes whose text matches: words (any case, any order) or a regex."""
    _call(
        ctx,
        "search",
        pattern=pattern,
        regex=regex,
        client=client,
        manager=manager,
        note_type=note_type,
        start=start,
        end=end,
        fmt=fmt.value,
        as_of=as_of,
    )


# ----------------------------------------------------------- coordinate (issue 14)

EntryDate = Annotated[
    str | None, typer.Option("--date", help="When (default: now).", show_default=False)
]


@app.command()
def refer(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[R] [TEXT|-]",
            help="A new referral: TEXT (with --to). An update: the referral id R.",
        ),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="A new referral: the organisation referred to.")
    ] = None,
    service: Annotated[str | None, typer.Option("--service", help="The service asked for.")] = None,
    goal: Annotated[str | None, typer.Option("--goal", help="The goal it serves (G1).")] = None,
    expect_by: Annotated[
        str | None,
        typer.Option("--expect-by", help="Date or duration (default: sent + cadence.referral)."),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="sent, accepted, started, declined, delivered or closed_unmet."
        ),
    ] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="What came of it.")] = None,
    date: EntryDate = None,
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Refer a client to an outside service, or update a referral; commit."""
    _call(
        ctx,
        "refer",
        client_id=client_id,
        args=args or [],
        to=to,
        service=service,
        goal=goal,
        expect_by=expect_by,
        status=status,
        outcome=outcome,
        date=date,
        by=by,
        no_commit=no_commit,
    )


@app.command()
def transfer(
    ctx: typer.Context,
    args: Annotated[
        list[str] | None, typer.Argument(metavar="[ID] [TEXT|-]", help="The client; the note.")
    ] = None,
    to: Annotated[str, typer.Option("--to", help="The new manager (key).")] = ...,  # type: ignore[assignment]
    from_: Annotated[
        str | None, typer.Option("--from", help="With --all: the manager whose clients move.")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every open client of --from, one commit each.")
    ] = False,
    date: EntryDate = None,
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Give a client (or every open client of a manager) a new case manager; commit."""
    rest = list(args or [])
    client_id = None if all_ else (rest.pop(0) if rest else None)
    if len(rest) > 1:
        raise typer.BadParameter("too many arguments")
    _call(
        ctx,
        "transfer",
        client_id=client_id,
        to=to,
        from_=from_,
        all_=all_,
        text=rest[0] if rest else None,
        date=date,
        by=by,
        no_commit=no_commit,
    )


@app.command()
def consent(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    signed: Annotated[str, typer.Option("--signed", help="Date signed.")] = ...,  # type: ignore[assignment]
    expires: Annotated[str, typer.Option("--expires", help="Date it expires.")] = ...,  # type: ignore[assignment]
    party: Annotated[
        list[str] | None,
        typer.Option("--party", help="Who records may be shared with (repeatable)."),
    ] = None,
    document: Annotated[
        Path | None,
        typer.Option("--document", help="The signed form: its sha256 is recorded, not the file."),
    ] = None,
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Append a consent (a renewal never overwrites the earlier ones); commit."""
    _call(
        ctx,
        "consent",
        client_id=client_id,
        signed=signed,
        expires=expires,
        parties=party or [],
        document=document,
        by=by,
        no_commit=no_commit,
    )


@app.command()
def submit(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    what: Annotated[str, typer.Argument(metavar="plan|closure")],
    by: By = None,
    no_commit: NoCommit = False,
) -> None:
    """Submit the plan (or the closure) for a supervisor's sign-off; commit."""
    _call(ctx, "submit", client_id=client_id, what=what, by=by, no_commit=no_commit)


@app.command()
def approve(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(metavar="ID")],
    what: Annotated[
        str | None,
        typer.Argument(metavar="[plan|closure]", help="Default: the one waiting for sign-off."),
    ] = None,
    reject: Annotated[
        str | None, typer.Option("--reject", help="Reject it, saying why.", show_default=False)
    ] = None,
    no_commit: NoCommit = False,
) -> None:
    """A supervisor's sign-off (or rejection) of what was submitted; commit."""
    _call(ctx, "approve", client_id=client_id, what=what, reject=reject, no_commit=no_commit)


@app.command()
def migrate(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask; commit the change.")] = False,
) -> None:
    """Bring the repository to the newest format in one reviewed commit."""
    _call(ctx, "migrate", yes=yes)


def main() -> None:
    app(prog_name="casectl")


if __name__ == "__main__":  # pragma: no cover
    main()
