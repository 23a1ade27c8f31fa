"""Help (issue 17): every command's --help has one or two examples and lists the
allowed values; usage lines read as a person writes them; a bad choice is one line
naming the allowed ones."""

from __future__ import annotations

import re

import pytest
import typer.main

from casectl.cli import app
from casectl.core.model import CLOSE_REASONS, NOTE_TYPES, STATUSES
from casectl.core.schedule import KINDS
from tests.builders import EXAMPLE, cli

GROUP = typer.main.get_command(app)
COMMANDS = sorted(n for n, c in GROUP.commands.items() if not c.hidden)  # type: ignore[attr-defined]


def _help(*command: str) -> str:
    r = cli(*command, "--help")
    assert r.exit_code == 0, r.stderr
    return r.stdout


def _examples(text: str) -> list[str]:
    match = re.search(r"^Examples?:\n((?:  .*\n?)+)", text, re.M)
    assert match, text
    return [ln.strip() for ln in match.group(1).splitlines()]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_every_help_has_one_or_two_examples(command: str) -> None:
    text = _help(*([command] if command else []))
    examples = _examples(text)
    assert 1 <= len(examples) <= 2, text
    for line in examples:
        assert line.startswith("casectl "), line
        if command:
            assert f" {command} " in f"{line} " or line.startswith("casectl -C"), line


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_usage_and_options_read_as_a_person_writes_them(command: str) -> None:
    text = _help(*([command] if command else []))
    assert not re.search(r"<[a-z\[\]| ]+>", text), text  # no <str>, <list[str]>, <int range>
    usage = text.splitlines()[0]
    assert usage.startswith("Usage: casectl") and "{" not in usage and "[[" not in usage


def test_usage_lines_name_the_arguments() -> None:
    assert _help("note").splitlines()[0] == "Usage: casectl note [OPTIONS] ID [TEXT|-]"
    assert _help("show").splitlines()[0] == "Usage: casectl show [OPTIONS] ID"
    assert "--as-of DATE" in _help("due") and "--within DUR" in _help("due")
    assert "--output DIR" in _help("schema") and "--since REV" in _help("audit")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(
    ("command", "values"),
    [
        ("note", NOTE_TYPES),
        ("due", KINDS),
        ("list", STATUSES),
        ("close", CLOSE_REASONS),
        ("due", ("text", "json", "md", "ics")),
        ("validate", ("text", "json", "github")),
        ("report", ("md", "html")),
        ("list", ("text", "json")),
    ],
)
def test_help_lists_the_allowed_values(command: str, values: tuple[str, ...]) -> None:
    flat = _flat(_help(command))
    assert all(re.search(rf"\b{re.escape(v)}\b", flat) for v in values), flat
    assert ", ".join(values) in flat or "|".join(values) in flat


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (("due", "--format", "jsn"), "text, json, md, ics"),
        (("due", "--format=jsn"), "text, json, md, ics"),
        (("list", "--format", "yaml"), "text, json"),
        (("validate", "--format", "githb"), "text, json, github"),
        (("report", "rc-0001", "--format", "pdf"), "md, html"),
    ],
)
def test_a_bad_choice_is_one_line_naming_the_allowed_ones(
    args: tuple[str, ...], allowed: str
) -> None:
    r = cli("-C", EXAMPLE, *args)
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("casectl: error: --format: ") and allowed in lines[0]
