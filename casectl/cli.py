"""The command line: parse arguments, call one command module, choose the exit code.

Each subcommand lives in ``casectl/commands/<name>.py`` as ``run(...) -> int`` and is
imported only when used, so ``casectl --version`` stays fast. A ``CasectlError``
becomes a one-line message on stderr and its exit code (2); nothing a user can cause
ends in a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from casectl import __version__
from casectl.errors import CasectlError
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
    from casectl.present.output import Output

    g: Globals = ctx.obj if isinstance(ctx.obj, Globals) else Globals(None, None)
    out = Output(color=g.color, pager=g.pager)
    try:
        module = importlib.import_module(f"casectl.commands.{command}")
        code = module.run(out=out, directory=g.directory, **kwargs)
    except CasectlError as exc:
        out.error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        out.error("interrupted")
        raise typer.Exit(130) from None
    except BrokenPipeError:
        _silence_pipe()
        raise typer.Exit(0) from None
    except OSError as exc:
        out.error(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        raise typer.Exit(2) from None
    except Exception as exc:  # a bug in casectl: say so briefly, no traceback
        if os.environ.get("CASECTL_DEBUG"):
            raise
        out.error(
            f"internal error ({type(exc).__name__}: {exc}); "
            "set CASECTL_DEBUG=1 to see the traceback and please report it"
        )
        raise typer.Exit(3) from None
    raise typer.Exit(int(code or 0))


def _silence_pipe() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


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
    no_commit: NoCommit = False,
) -> None:
    """Scaffold a client's four files and commit them."""
    _call(
        ctx,
        "new",
        client_id=client_id,
        name=name,
        manager=manager,
        opened=opened,
        program=program,
        no_commit=no_commit,
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
) -> None:
    """The caseload: one line per client."""
    _call(ctx, "list", status=status, manager=manager, fmt=fmt.value)


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
    )


@app.command()
def digest(
    ctx: typer.Context,
    as_of: AsOf = None,
    manager: Annotated[str | None, typer.Option("--manager", help="Only this manager.")] = None,
    within: Annotated[str | None, typer.Option("--within", help="Due-soon window.")] = None,
) -> None:
    """Plain-text digest for cron; prints nothing when nothing is due."""
    _call(ctx, "digest", as_of=as_of, manager=manager, within=within)


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
) -> None:
    """The whole caseload's report."""
    _call(
        ctx,
        "caseload",
        fmt=fmt.value if fmt else None,
        output=output,
        manager=manager,
        as_of=as_of,
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


def main() -> None:
    app(prog_name="casectl")


if __name__ == "__main__":  # pragma: no cover
    main()
