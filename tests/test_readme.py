"""The README shows real output and real commands."""

from __future__ import annotations

import re

from tests.conftest import EXAMPLE, REPO_ROOT, cli


def test_readme_due_output_is_what_casectl_prints() -> None:
    text = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"\$ casectl -C examples/agency due --as-of 2026-12-01\n(.*?)```", text, re.S)
    assert block is not None
    r = cli("-C", EXAMPLE, "due", "--as-of", "2026-12-01")
    assert r.exit_code == 0
    assert r.stdout == block.group(1)


def test_readme_starts_with_the_two_commands() -> None:
    text = (REPO_ROOT / "README.md").read_text()
    first_block = text.split("```sh", 1)[1].split("```", 1)[0]
    commands = [ln for ln in first_block.splitlines() if ln and not ln.startswith("#")]
    assert commands == [
        "pip install . && casectl -C examples/agency due --as-of 2026-12-01",
        "pip install -e '.[test]' && python -m pytest -q",
    ]
