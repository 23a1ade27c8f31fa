"""Shell completion values, from the agency in the current folder (or ``-C``).

Completion runs on every Tab, so it must answer in well under 0.2 s even at 10,000
clients: it never imports the record models (pydantic) or parses a client's files.
Client ids are the folder names under clients/ (one directory listing), managers the
keys of casectl.yaml's ``managers:``, goal ids the ``goals:`` of the one client named on
the command line; kinds, note types, statuses and closing reasons are the fixed sets
below (tests/read/test_completion.py checks they equal the models'). Anything unreadable
completes to nothing: a Tab never prints an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The same sets as core.model / core.schedule (checked by the tests), written out so
# that a Tab does not import pydantic.
NOTE_TYPES = (
    "contact", "visit", "phone", "email", "meeting", "referral", "review", "assessment",
    "crisis", "note", "closure", "amendment", "transfer", "plan_change", "submitted",
    "approval", "consent", "flag", "task",
)  # fmt: skip
KINDS = (
    "plan_review", "assessment", "contact", "goal", "action", "consent", "task", "referral",
    "flag_review", "initial_plan", "approval", "retention", "record",
)  # fmt: skip
STATUSES = ("active", "on_hold", "closed")
CLOSE_REASONS = (
    "goals_met", "moved", "declined", "transferred", "deceased", "lost_contact", "other",
)  # fmt: skip

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CONFIG_NAME = "casectl.yaml"

Item = tuple[str, str | None]  # (value, description for zsh and fish)


def agency_root(directory: str | Path | None) -> Path | None:
    """The folder of ``-C``, else the nearest folder at or above the current one with
    casectl.yaml; None when there is none."""
    if directory:
        here = Path(directory)
        return here if (here / CONFIG_NAME).is_file() else None
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def client_ids(root: Path, incomplete: str) -> list[Item]:
    base = root / "clients"
    if base.is_symlink():
        return []
    try:
        with os.scandir(base) as entries:
            names = [
                e.name
                for e in entries
                if e.name.startswith(incomplete) and _ID.match(e.name) and e.is_dir()
            ]
    except OSError:
        return []
    return [(name, None) for name in sorted(names)]


def _yaml(path: Path) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        if path.is_symlink() or path.stat().st_size > 1_000_000:
            return None
        with path.open("rb") as f:
            return yaml.load(f, Loader=loader)  # a safe loader: no tags that run code
    except (OSError, yaml.YAMLError, ValueError):
        return None


def managers(root: Path, incomplete: str) -> list[Item]:
    config = _yaml(root / CONFIG_NAME)
    listed = config.get("managers") if isinstance(config, dict) else None
    if not isinstance(listed, dict):
        return []
    items: list[Item] = []
    for key, value in listed.items():
        if not isinstance(key, str) or not key.startswith(incomplete):
            continue
        name = value.get("name") if isinstance(value, dict) else value
        items.append((key, name if isinstance(name, str) else None))
    return sorted(items)


def goal_ids(root: Path, client: str | None, incomplete: str) -> list[Item]:
    if not client or not _ID.match(client):
        return []
    plan = _yaml(root / "clients" / client / "plan.yaml")
    goals = plan.get("goals") if isinstance(plan, dict) else None
    items: list[Item] = []
    for goal in goals if isinstance(goals, list) else []:
        if not isinstance(goal, dict):
            continue
        gid, text = goal.get("id"), goal.get("goal")
        if isinstance(gid, str) and gid.startswith(incomplete):
            items.append((gid, text if isinstance(text, str) else None))
    return items


def client_on_line(root: Path, command: str | None) -> str | None:
    """The client id typed after ``command`` on the line being completed (click stops
    parsing at an option still waiting for its value, so ``note rc-0042 --goal <Tab>``
    has no parsed id): the first word after the command that names a client folder.
    The words are those typer's completion scripts pass (bash: COMP_WORDS; zsh, fish:
    _TYPER_COMPLETE_ARGS)."""
    import shlex

    line = os.environ.get("_TYPER_COMPLETE_ARGS") or os.environ.get("COMP_WORDS") or ""
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    if command not in words:
        return None
    for word in words[words.index(command) + 1 :]:
        if _ID.match(word) and (root / "clients" / word).is_dir():
            return word
    return None


def _fixed(values: tuple[str, ...]) -> Callable[[Path | None, dict[str, Any], str], list[Item]]:
    def complete(root: Path | None, params: dict[str, Any], incomplete: str) -> list[Item]:
        return [(v, None) for v in values if v.startswith(incomplete)]

    return complete


def _in_agency(
    values: Callable[[Path, dict[str, Any], str], list[Item]],
) -> Callable[[Path | None, dict[str, Any], str], list[Item]]:
    def complete(root: Path | None, params: dict[str, Any], incomplete: str) -> list[Item]:
        return values(root, params, incomplete) if root is not None else []

    return complete


# What each parameter completes to: (command or "*", parameter name) -> values.
COMPLETERS: dict[tuple[str, str], Callable[[Path | None, dict[str, Any], str], list[Item]]] = {
    ("*", "client_id"): _in_agency(lambda root, _p, inc: client_ids(root, inc)),
    ("*", "client"): _in_agency(lambda root, _p, inc: client_ids(root, inc)),
    ("*", "manager"): _in_agency(lambda root, _p, inc: managers(root, inc)),
    ("*", "by"): _in_agency(lambda root, _p, inc: managers(root, inc)),
    ("*", "goal"): _in_agency(lambda root, p, inc: goal_ids(root, p.get("client_id"), inc)),
    ("*", "note_type"): _fixed(NOTE_TYPES),
    ("due", "kind"): _fixed(KINDS),
    ("digest", "kind"): _fixed(KINDS),
    ("list", "status"): _fixed(STATUSES),
    ("close", "reason"): _fixed(CLOSE_REASONS),
}


# Parameters that name something new: nothing existing to offer.
NEW_NAMES = frozenset({("new", "client_id"), ("init", "manager")})


def completer(
    command: str, parameter: str
) -> Callable[[Path | None, dict[str, Any], str], list[Item]] | None:
    if (command, parameter) in NEW_NAMES:
        return None
    return COMPLETERS.get((command, parameter)) or COMPLETERS.get(("*", parameter))


# ----------------------------------------------------------------- the fast path
#
# typer answers a Tab by building the whole command line (typer, its pydantic-based
# parameter types, every command): about 0.3 s of CPU before any value is read. The
# launcher (casectl.launch) answers the common cases here first, without that stack,
# in the same output formats as typer's completion classes: the client id right after
# a command that takes one, and the value of an option below. Everything else (command
# and option names, -C's folder) goes to typer. tests/read/test_completion.py checks that
# both paths give the same answers.

CLIENT_COMMANDS = frozenset(
    {
        "show", "note", "review", "close", "reopen", "history", "report", "restrict",
        "unrestrict", "purge", "goal", "action", "task", "flag", "assess", "edit", "refer",
        "consent", "submit", "approve",
    }
)  # fmt: skip
FAST_OPTIONS: dict[tuple[str, str], str] = {
    ("*", "--manager"): "manager",
    ("*", "--by"): "by",
    ("*", "--client"): "client",
    ("note", "--goal"): "goal",
    ("note", "--type"): "note_type",
    ("due", "--kind"): "kind",
    ("list", "--status"): "status",
    ("close", "--reason"): "reason",
}
_GLOBAL_FLAGS = frozenset({"--no-color", "--no-pager"})


def _split(line: str) -> list[str]:
    """Words as click splits them (an unfinished quote is kept as it is)."""
    import shlex

    lex = shlex.shlex(line, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    words: list[str] = []
    try:
        words.extend(lex)
    except ValueError:
        words.append(lex.token)
    return words


def _words(instruction: str, env: dict[str, str]) -> tuple[list[str], str] | None:
    """(words before the cursor without the program, the word being typed)."""
    if instruction == "complete_bash":
        words = _split(env.get("COMP_WORDS", ""))
        try:
            cword = int(env.get("COMP_CWORD", ""))
        except ValueError:
            return None
        return words[1:cword], (words[cword] if cword < len(words) else "")
    if instruction in ("complete_zsh", "complete_fish"):
        line = env.get("_TYPER_COMPLETE_ARGS", "")
        args = _split(line)[1:]
        if args and not line.endswith(" "):
            return args[:-1], args[-1]
        return args, ""
    return None


def fast_values(env: dict[str, str]) -> tuple[str, list[Item]] | None:
    """(shell, values) when this Tab is one the fast path answers, else None."""
    instruction = env.get("_CASECTL_COMPLETE", "")
    found = _words(instruction, env)
    if found is None:
        return None
    args, incomplete = found
    directory: str | None = None
    while args and (args[0] == "-C" or args[0] in _GLOBAL_FLAGS):
        if args[0] == "-C":
            if len(args) < 2:
                return None
            directory, args = args[1], args[2:]
        else:
            args = args[1:]
    if not args:
        return None
    command, rest = args[0], args[1:]
    if not rest:
        if command not in CLIENT_COMMANDS or incomplete.startswith("-"):
            return None
        parameter = "client_id"
    else:
        option = rest[-1]
        name = FAST_OPTIONS.get((command, option)) or FAST_OPTIONS.get(("*", option))
        if name is None:
            return None
        parameter = name
    values = completer(command, parameter)
    if values is None:
        return None
    root = agency_root(directory)
    params: dict[str, Any] = {}
    if rest and command in CLIENT_COMMANDS and _ID.match(rest[0]):
        params["client_id"] = rest[0]
    return instruction, values(root, params, incomplete)


def _zsh_escape(text: str) -> str:
    return (
        text.replace('"', '""')
        .replace("'", "''")
        .replace("$", "\\$")
        .replace("`", "\\`")
        .replace(":", r"\\:")
    )


def fast_answer(env: dict[str, str]) -> tuple[str, int] | None:
    """(what to print, exit code) for the fast path, or None to let typer answer; the
    text is typer's, its final newline included."""
    found = fast_values(env)
    if found is None:
        return None
    instruction, items = found
    if instruction == "complete_bash":
        return "\n".join(v for v, _ in items) + "\n", 0
    if instruction == "complete_zsh":
        if not items:
            return "_files\n", 0
        lines = [
            f'"{_zsh_escape(v)}":"{_zsh_escape(h)}"' if h else f'"{_zsh_escape(v)}"'
            for v, h in items
        ]
        return "_arguments '*: :((" + "\n".join(lines) + "))'\n", 0
    action = env.get("_TYPER_COMPLETE_FISH_ACTION", "")
    if action == "is-args":
        return "", 0 if items else 1
    if action == "get-args":
        shown = [v + "\t" + re.sub(r"\s", " ", h) if h else v for v, h in items]
        return "\n".join(shown) + "\n" if shown else "\n", 0
    return "\n", 0
