"""What ``--help`` and a bad choice print: usage lines as a person writes them
(``casectl note [OPTIONS] ID [TEXT|-]``, ``--as-of DATE``, never ``<list[str]>``),
the allowed values of every option that has a fixed set, one or two examples per
command, and a bad choice as one line naming the allowed ones.

The command classes plug into typer (``cli.app`` uses them for every command); the
values of the record types are imported only when help is shown.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, NoReturn

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

try:  # typer 0.24 and later carry their own click (the lock has 0.29)
    from typer._click import Command as ClickCommand
    from typer._click import Context, HelpFormatter, echo
    from typer._click.exceptions import BadParameter, UsageError
except ImportError:  # pragma: no cover - an older typer on the real click
    from click import Command as ClickCommand  # type: ignore[assignment]
    from click import Context, HelpFormatter, echo  # type: ignore[assignment]
    from click.exceptions import BadParameter, UsageError  # type: ignore[assignment]

from casectl.core.suggest import did_you_mean
from casectl.read import completion

# How an option's value is written when cli.py does not say (``metavar=``).
METAVARS: dict[str, str] = {
    "--as-of": "DATE",
    "--date": "DATE",
    "--opened": "DATE",
    "--within": "DUR",
    "--manager": "M",
    "--by": "M",
    "--client": "ID",
    "--kind": "KIND",
    "--type": "TYPE",
    "--status": "STATUS",
    "--reason": "REASON",
    "--name": "NAME",
    "--agency": "NAME",
    "--timezone": "ZONE",
    "--program": "PROGRAM",
    "--minutes": "N",
    "--goal": "G",
    "--to": "WHO",
    "--amends": "NOTE",
    "--template": "NAME",
    "--remote": "NAME",
    "--branch": "NAME",
    "--group": "G",
    "-o": "FILE",
    "-C": "PATH",
}
# Per command, where the same option means something else.
COMMAND_METAVARS: dict[tuple[str, str], str] = {
    ("audit", "--since"): "REV",
    ("report", "--since"): "DATE",
    ("schema", "-o"): "DIR",
}

# The allowed values of options typed as plain strings (checked by the command, so
# that the error can say more): (command, option) -> (module, name of the tuple).
ALLOWED: dict[tuple[str, str], tuple[str, str]] = {
    ("note", "--type"): ("casectl.core.model", "NOTE_TYPES"),
    ("list", "--status"): ("casectl.core.model", "STATUSES"),
    ("close", "--reason"): ("casectl.core.model", "CLOSE_REASONS"),
    ("due", "--kind"): ("casectl.core.schedule", "KINDS"),
}

# One or two examples per command (``casectl`` itself under "").
EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "casectl init riverside --agency 'Riverside Community Services'",
        "casectl -C riverside due --manager jdoe",
    ),
    "init": (
        "casectl init riverside --agency 'Riverside Community Services' --timezone America/Chicago",
    ),
    "new": ("casectl new rc-0042 --name 'Maria Lopez' --manager jdoe --opened 2026-02-03",),
    "validate": (
        "casectl validate",
        "casectl validate clients/rc-0042 --format github",
    ),
    "list": ("casectl list --status active --manager jdoe", "casectl list --format json"),
    "show": ("casectl show rc-0042", "casectl show lopez --as-of 2026-12-01"),
    "schema": ("casectl schema -o .schemas",),
    "due": (
        "casectl due --manager jdoe --within '30 days'",
        "casectl due --kind contact --format json --fail-on-overdue",
    ),
    "digest": ("casectl digest --manager jdoe | mail -E -s 'due today' jdoe@example.org",),
    "note": (
        "casectl note rc-0042 --type visit --minutes 45 -    (type the note, Ctrl-D)",
        "casectl note rc-0042 --type phone --goal G1    (opens $EDITOR)",
    ),
    "review": ("casectl review rc-0042 'Plan reviewed with the client; G1 on track.'",),
    "close": ("casectl close rc-0042 --reason goals_met --date 2026-10-01",),
    "reopen": ("casectl reopen rc-0042 'Back after a move; needs housing again.'",),
    "history": ("casectl history rc-0042", "casectl history lopez --format json"),
    "report": (
        "casectl report rc-0042 -o maria.html",
        "casectl report rc-0042 --redact --format md --since 2026-06-01",
    ),
    "caseload": ("casectl caseload --manager jdoe -o caseload.html",),
    "sync": ("casectl sync", "casectl sync --remote origin --timeout 120"),
    "audit": ("casectl audit", "casectl audit --since v1.0 --require-signed --format json"),
    "restrict": ("casectl restrict rc-0042 --group safeguarding",),
    "unrestrict": ("casectl unrestrict rc-0042",),
    "purge": ("casectl purge rc-0042",),
    "goal": (
        "casectl goal rc-0042 add 'Stable housing by spring' --target 2027-03-31",
        "casectl goal rc-0042 G1 --status met",
    ),
    "action": (
        "casectl action rc-0042 G1 add 'Apply for the housing benefit' --due 2026-12-15",
        "casectl action rc-0042 G1.2 --done",
    ),
    "task": (
        "casectl task rc-0042 'Call two weeks after discharge' --due '2 weeks'",
        "casectl task rc-0042 T1 --done",
    ),
    "flag": (
        "casectl flag rc-0042 safeguarding --review-by 2026-12-15",
        "casectl flag rc-0042 safeguarding --clear",
    ),
    "assess": ("casectl assess rc-0042 --score housing=3 --score income=2",),
    "edit": ("casectl edit rc-0042 plan",),
    "refer": (
        "casectl refer rc-0042 --to 'Springfield Legal Aid' --service 'eviction defence'",
        "casectl refer rc-0042 R1 --status accepted",
    ),
    "transfer": (
        "casectl transfer rc-0042 --to ben",
        "casectl transfer --from cara --to ben --all",
    ),
    "consent": (
        "casectl consent rc-0042 --signed 2026-11-30 --expires 2027-11-30 "
        "--party 'Springfield Legal Aid'",
    ),
    "submit": ("casectl submit rc-0042 plan",),
    "approve": (
        "casectl approve rc-0042 plan",
        "casectl approve rc-0042 closure --reject 'The discharge plan is missing'",
    ),
    "migrate": ("casectl migrate", "casectl migrate --yes"),
    "stats": (
        "casectl stats --from 2026-10-01 --to 2026-10-31",
        "casectl stats --from 2026-01-01 --to 2026-12-31 --by manager -o stats.html",
    ),
    "export": (
        "casectl export notes --from 2026-10-01 --to 2026-10-31 -o notes.csv",
        "casectl export clients --format jsonl --redact",
    ),
    "search": ("casectl search eviction", "casectl search --regex 'evict(ion|ed)' --format json"),
}


def _choices(param: Any) -> list[str]:
    """The values of an option typed as an Enum (``--format``)."""
    found: Any = None
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None and descriptor.is_choice:
        found = descriptor.choices
    elif hasattr(getattr(param, "type", None), "choices"):
        found = param.type.choices
    return [c.value if isinstance(c, Enum) else str(c) for c in found or ()]


def _is_int(param: Any) -> bool:
    descriptor = getattr(param, "type_descriptor", None)
    return descriptor is not None and getattr(descriptor, "annotation", None) is int


def allowed_values(command: str, param: Any) -> list[str]:
    """The fixed set of values an option takes (empty when it has none)."""
    choices = _choices(param)
    if choices:
        return choices
    for opt in getattr(param, "opts", ()):
        where = ALLOWED.get((command, opt))
        if where is not None:
            return [str(v) for v in getattr(importlib.import_module(where[0]), where[1])]
    return []


def metavar(command: str, param: Any) -> str:
    if param.metavar:
        return str(param.metavar)
    choices = _choices(param)
    if choices:
        return "|".join(choices)
    if isinstance(param, TyperArgument):
        return (param.name or "value").upper()
    for opt in getattr(param, "opts", ()):
        named = COMMAND_METAVARS.get((command, opt)) or METAVARS.get(opt)
        if named is not None:
            return named
    if _is_int(param):
        return "N"
    longest = str(max(getattr(param, "opts", ["value"]), key=len))
    return longest.lstrip("-").upper().replace("-", "_")


def _usage_pieces(command: ClickCommand, ctx: Context) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if not isinstance(param, TyperArgument):
            continue
        name = metavar(command.name or "", param)
        if not name.startswith("[") and not param.required:
            name = f"[{name}]"
        if param.nargs != 1:
            name += "..."
        pieces.append(name)
    return pieces


def _records(command: ClickCommand, ctx: Context) -> tuple[list[Any], list[Any]]:
    """(arguments, options) help rows: (``--as-of DATE``, text)."""
    name = command.name or ""
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    for param in command.get_params(ctx):
        text = getattr(param, "help", None) or ""
        if isinstance(param, TyperArgument):
            arguments.append((metavar(name, param).strip("[]"), text))
            continue
        if not isinstance(param, TyperOption) or param.hidden:
            continue
        opts = ", ".join([*param.opts, *param.secondary_opts])
        if not param.is_flag:
            opts += " " + metavar(name, param)
        extra: list[str] = []
        allowed = allowed_values(name, param)
        if allowed and not _choices(param):
            extra.append("one of: " + ", ".join(allowed))
        if param.multiple:
            extra.append("repeatable") if "repeatable" not in text else None
        default = param.default
        if isinstance(default, Enum):
            default = default.value
        shown = param.show_default is not False and not param.is_flag and not callable(default)
        if shown and default not in (None, False, (), []):
            extra.append(f"default: {default}")
        if param.required:
            extra.append("required")
        if extra:
            text = f"{text} [{'; '.join(extra)}]" if text else f"[{'; '.join(extra)}]"
        options.append((opts, text))
    return arguments, options


def _format_params(command: ClickCommand, ctx: Context, fmt: HelpFormatter) -> None:
    arguments, options = _records(command, ctx)
    if arguments:
        with fmt.section("Arguments"):
            fmt.write_dl(arguments)
    if options:
        with fmt.section("Options"):
            fmt.write_dl(options)


def _format_examples(name: str, fmt: HelpFormatter) -> None:
    examples = EXAMPLES.get(name, ())
    if not examples:
        return
    with fmt.section("Examples" if len(examples) > 1 else "Example"):
        for line in examples:
            fmt.write(f"{'':>{fmt.current_indent}}{line}\n")


class BadChoice(UsageError):
    """A value outside an option's fixed set: one line, naming the allowed ones."""

    def show(self, file: Any = None) -> None:
        echo(f"casectl: error: {self.message}", err=True)


def _given(args: Sequence[str], opts: Sequence[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg in opts and i + 1 < len(args):
            return args[i + 1]
        for opt in opts:
            if opt.startswith("--") and arg.startswith(opt + "="):
                return arg[len(opt) + 1 :]
    return None


def _bad_choice(command: str, error: BadParameter, args: Sequence[str]) -> NoReturn:
    param = error.param
    if param is None or not _choices(param):
        raise error
    choices = _choices(param)
    opts = getattr(param, "opts", [])
    name = max(opts, key=len) if opts else (param.name or "value")
    value = _given(args, opts)
    if value is None:  # an argument: click's own message quotes what was given
        quoted = re.search(r"'([^']*)' is not one of", getattr(error, "message", "") or "")
        value = quoted.group(1) if quoted else None
    shown = f"{value!r} is" if value is not None else "that is"
    hint = did_you_mean(value, choices) if value is not None else ""
    raise BadChoice(f"{name}: {shown} not one of {', '.join(choices)}{hint}") from None


def _shell_completer(command: str, parameter: str) -> Callable[..., list[Any]] | None:
    """The completion function click calls for this parameter, or None (click's own)."""
    values = completion.completer(command, parameter)
    if values is None:
        return None

    def complete(ctx: Context, param: Any, incomplete: str) -> list[Any]:
        try:
            from typer._click.shell_completion import CompletionItem
        except ImportError:  # pragma: no cover - an older typer on the real click
            from click.shell_completion import CompletionItem  # type: ignore[assignment]

        directory = ctx.find_root().params.get("directory")
        root = completion.agency_root(directory)
        params = dict(ctx.params)
        if not params.get("client_id") and root is not None:  # click stops parsing at
            params["client_id"] = completion.client_on_line(root, ctx.info_name)  # `--goal`
        return [CompletionItem(v, help=h) for v, h in values(root, params, incomplete)]

    return complete


class Command(TyperCommand):
    """A casectl subcommand: readable usage, allowed values, examples, and shell
    completion of client ids, managers, goal ids, kinds and types (read.completion)."""

    def __init__(self, name: str | None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        for param in self.params:
            if getattr(param, "_custom_shell_complete", None) is None and param.name:
                found = _shell_completer(name or "", param.name)
                if found is not None:
                    param._custom_shell_complete = found

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        return _usage_pieces(self, ctx)

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        _format_params(self, ctx, formatter)

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        _format_examples(self.name or "", formatter)

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        given = list(args)
        try:
            return super().parse_args(ctx, args)
        except BadParameter as error:
            _bad_choice(self.name or "", error, given)


class Group(TyperGroup):
    """casectl itself: the same help layout for the global options."""

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        _format_params(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        _format_examples("", formatter)
