"""One formatter registry (present/formats.py): every --format choice of the command
line has a writer there and no command branches on the format itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from casectl import cli
from casectl.present import formats

COMMANDS = Path(cli.__file__).parent / "commands"


@pytest.mark.parametrize(
    ("what", "choices"),
    [
        ("due", cli.DueFormat),
        ("problems", cli.ValidateFormat),
        ("list", cli.TextJson),
        ("history", cli.TextJson),
        ("audit", cli.TextJson),
        ("show", cli.TextJson),
    ],
)
def test_every_format_choice_has_one_writer(what: str, choices: type) -> None:
    assert formats.REGISTRY[what].names() == tuple(c.value for c in choices)  # type: ignore[attr-defined]


def test_no_command_branches_on_its_output_format() -> None:
    """``fmt == "json"`` and the like belong in present/formats.py's tables."""
    offenders = []
    for path in sorted(COMMANDS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                isinstance(side, ast.Name) and side.id == "fmt"
                for side in (node.left, *node.comparators)
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
