"""Console-script entry point: answers ``--version``, runs the git merge driver and
the plain forms of the warm read commands (``due``, ``list``) and of ``validate``
before (or without) importing the CLI stack.

``casectl --version`` is used by scripts and shell prompts; importing typer, click and
rich would triple its cost for nothing.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Any


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        from casectl import __version__

        sys.stdout.write(f"casectl {__version__}\n")
        return
    if args[:1] == ["merge-log"] and 4 <= len(args) <= 5:
        # git runs the log merge driver once per conflicting log during a rebase:
        # skip the command-line stack (typer, click) it does not need.
        from casectl.git import mergedriver

        sys.exit(mergedriver.main(args[1:]))
    if os.environ.get("_CASECTL_COMPLETE", "").startswith("complete_"):
        # A Tab: answer client ids, managers, goals, kinds and types without the
        # command-line stack when it can (read.completion); typer answers the rest.
        from casectl.read import completion

        answer = completion.fast_answer(dict(os.environ))
        if answer is not None:
            sys.stdout.write(answer[0])
            sys.stdout.flush()
            sys.exit(answer[1])
    fast = _fast_command(args)
    if fast is None:
        fast = _fast_figures(args)
    if fast is not None:
        # typer and click cost a tenth of a second per run (an adapter per option):
        # the everyday morning commands are parsed here when their form is plain.
        # The collector paused from the imports on (read.scan.gc_paused: a warm read
        # makes no cyclic garbage worth a collection; checks of changed clients resume it).
        gc.disable()
        from casectl.commands import dispatch

        command, directory, color, pager, kwargs = fast
        if command == "validate":
            kwargs["use_cache"] = not kwargs.pop("no_cache")
        sys.exit(dispatch(command, directory, color, pager, **kwargs))
    from casectl.cli import main as cli_main

    cli_main()


# The plain forms of `due`, `list` and `validate` (as cli.py declares them; validate
# without PATHs, which typer resolves): option -> (keyword,
# allowed values or None, repeatable); flags -> keyword. Anything else (help, `--x=y`,
# an option twice, a value that looks like an option, a choice not spelt exactly, an
# unknown word) goes to typer, which answers or explains it as always.
_VALUES: dict[str, dict[str, tuple[str, tuple[str, ...] | None, bool]]] = {
    "due": {
        "--as-of": ("as_of", None, False),
        "--within": ("within", None, False),
        "--manager": ("manager", None, False),
        "--client": ("clients", None, True),
        "--kind": ("kinds", None, True),
        "--format": ("fmt", ("text", "json", "md", "ics"), False),
    },
    "list": {
        "--status": ("status", None, False),
        "--manager": ("manager", None, False),
        "--format": ("fmt", ("text", "json"), False),
        "--as-of": ("as_of", None, False),
    },
    "validate": {"--format": ("fmt", ("text", "json", "github"), False)},
}
_FLAGS: dict[str, dict[str, str]] = {
    "due": {"--fail-on-overdue": "fail_on_overdue", "--redact": "redact"},
    "list": {},
    "validate": {"--strict": "strict", "--no-cache": "no_cache"},
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "due": {
        "as_of": None,
        "within": None,
        "manager": None,
        "clients": [],
        "kinds": [],
        "fmt": "text",
        "fail_on_overdue": False,
        "redact": False,
    },
    "list": {"status": None, "manager": None, "fmt": "text", "as_of": None},
    # no_cache becomes use_cache=False (main)
    "validate": {"paths": [], "fmt": "text", "strict": False, "no_cache": False},
}

FastCommand = tuple[str, Path | None, bool | None, bool, dict[str, Any]]


def _fast_command(
    args: list[str],
    values_of: dict[str, dict[str, tuple[str, tuple[str, ...] | None, bool]]] = _VALUES,
    flags_of: dict[str, dict[str, str]] = _FLAGS,
    defaults_of: dict[str, dict[str, Any]] = _DEFAULTS,
) -> FastCommand | None:
    """(command, -C folder, colour, pager, keywords) of a plain `due`, `list` or
    `validate` command line (or of the commands of the tables given), or None (typer parses it)."""
    directory: Path | None = None
    color: bool | None = None
    pager = True
    i = 0
    seen: set[str] = set()
    while i < len(args) and args[i] not in values_of:
        word = args[i]
        if word in seen:
            return None
        seen.add(word)
        if word == "-C" and i + 1 < len(args) and _plain_value(args[i + 1]):
            directory = Path(args[i + 1])
            i += 2
        elif word == "--no-color":
            color = False
            i += 1
        elif word == "--no-pager":
            pager = False
            i += 1
        else:
            return None
    if i == len(args):
        return None
    command = args[i]
    values, flags = values_of[command], flags_of[command]
    kwargs = {k: list(v) if isinstance(v, list) else v for k, v in defaults_of[command].items()}
    seen = set()
    i += 1
    while i < len(args):
        word = args[i]
        if word in flags and word not in seen:
            seen.add(word)
            kwargs[flags[word]] = True
            i += 1
            continue
        if word not in values or i + 1 == len(args) or not _plain_value(args[i + 1]):
            return None
        key, choices, repeatable = values[word]
        value = args[i + 1]
        if choices is not None and value not in choices:
            return None
        if repeatable:
            kwargs[key].append(value)
        elif word in seen:
            return None
        else:
            kwargs[key] = value
        seen.add(word)
        i += 2
    return command, directory, color, pager, kwargs


def _plain_value(value: str) -> bool:
    return bool(value) and not value.startswith("-")


# ------------------------------------------------------------------ stats and search
# Their plain forms too (issue 15: a warm search or a month's stats costs little more
# than the start-up): the same rules, tables of their own; search's PATTERN is the one
# word after `search` that is neither an option nor an option's value, and plain.
_FIGURE_VALUES: dict[str, dict[str, tuple[str, tuple[str, ...] | None, bool]]] = {
    "stats": {
        "--from": ("start", None, False),
        "--to": ("end", None, False),
        "--by": ("by", ("manager", "program"), False),
        "--format": ("fmt", ("text", "md", "csv", "json", "html"), False),
        "--as-of": ("as_of", None, False),
    },
    "search": {
        "--client": ("client", None, False),
        "--manager": ("manager", None, False),
        "--type": ("note_type", None, False),
        "--from": ("start", None, False),
        "--to": ("end", None, False),
        "--format": ("fmt", ("text", "json"), False),
        "--as-of": ("as_of", None, False),
    },
}
_FIGURE_FLAGS: dict[str, dict[str, str]] = {
    "stats": {"--redact": "redact"},
    "search": {"--regex": "regex"},
}
_FIGURE_DEFAULTS: dict[str, dict[str, Any]] = {
    "stats": {
        "start": None,
        "end": None,
        "by": None,
        "fmt": None,
        "redact": False,
        "output": None,
        "as_of": None,
    },
    "search": {
        "regex": False,
        "client": None,
        "manager": None,
        "note_type": None,
        "start": None,
        "end": None,
        "fmt": "text",
        "as_of": None,
    },
}


def _fast_figures(args: list[str]) -> FastCommand | None:
    """A plain `stats` (without -o) or `search` command line, or None."""
    at = 0
    while at < len(args) and args[at] in ("-C", "--no-color", "--no-pager"):
        at += 2 if args[at] == "-C" else 1
    if at >= len(args) or args[at] not in _FIGURE_VALUES:
        return None
    rest, pattern = list(args), None
    if args[at] == "search":
        i = at + 1
        values, flags = _FIGURE_VALUES["search"], _FIGURE_FLAGS["search"]
        while i < len(args):
            if args[i] in values:
                i += 2
            elif args[i] in flags:
                i += 1
            elif pattern is None and _plain_value(args[i]):
                pattern = args[i]
                del rest[i]
                break
            else:
                return None
        if pattern is None:
            return None
    found = _fast_command(rest, _FIGURE_VALUES, _FIGURE_FLAGS, _FIGURE_DEFAULTS)
    if found is not None and pattern is not None:
        found[4]["pattern"] = pattern
    return found
