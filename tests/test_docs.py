"""The docs keep up with the code: every problem code and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from casectl.checks import schema
from casectl.cli import app
from tests.builders import EXAMPLE, REPO_ROOT

CODE = re.compile(r"CM\d{3}")
CHECKS_MD = REPO_ROOT / "docs" / "checks.md"
CLI_MD = REPO_ROOT / "docs" / "cli.md"


def _source_codes() -> set[str]:
    codes: set[str] = set()
    for path in (REPO_ROOT / "casectl").rglob("*.py"):
        codes |= set(CODE.findall(path.read_text(encoding="utf-8")))
    return codes


def _schema_codes() -> set[str]:
    """x01..x07 of every file block; built by ``schema.code``, so not literal in source."""
    return {schema.code(block, offset) for block in range(1, 6) for offset in range(1, 8)}


def _documented_codes() -> set[str]:
    """Codes that start a table row or a bullet line of docs/checks.md."""
    text = CHECKS_MD.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (CM\d{3}) \|", text, re.M)
    bullets = re.findall(r"^- (CM\d{3}):", text, re.M)
    return set(rows) | set(bullets)


def test_the_source_has_codes() -> None:
    # guards the test below against a regex that silently matches nothing
    assert {"CM001", "CM120", "CM620"} <= _source_codes()


def test_every_code_is_documented() -> None:
    missing = (_source_codes() | _schema_codes()) - _documented_codes()
    assert not missing, f"not in docs/checks.md: {sorted(missing)}"


def test_every_rule_specific_code_has_an_example() -> None:
    text = CHECKS_MD.read_text(encoding="utf-8")
    examples = set(re.findall(r"^# (CM\d{3}) (?:fails|warns)", text, re.M))
    rules = {c for c in _source_codes() if int(c[3:]) >= 20 or c.startswith("CM6")}
    assert not rules - examples, f"no failing/passing example: {sorted(rules - examples)}"


def test_documented_codes_exist() -> None:
    extra = _documented_codes() - _source_codes() - _schema_codes()
    assert not extra, f"documented but never reported: {sorted(extra)}"


def _command_names() -> list[str]:
    names = []
    for command in app.registered_commands:
        if command.hidden:
            continue
        name = command.name or command.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
        names.append(name)
    return names


def test_every_command_is_documented() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    names = _command_names()
    assert "validate" in names and "list" in names
    missing = [n for n in names if not re.search(rf"^#+ .*`casectl {re.escape(n)}\b", text, re.M)]
    assert not missing, f"commands without a section in docs/cli.md: {missing}"


def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "casectl-validate"]
    assert hook["entry"] == "casectl validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    pattern = re.compile(hook["files"])
    for path in ("casectl.yaml", "clients/rc-0001/log.yaml", "clients/rc-0001/client.yaml"):
        assert pattern.search(path), path
    for path in ("README.md", "templates/digest.txt.j2", "docs/casectl.yaml", "clients/x.txt"):
        assert not pattern.search(path), path


def test_pre_commit_style_run_checks_the_named_files(tmp_path: Path) -> None:
    """What the hook runs: `casectl validate FILE...` from the repo root."""
    from tests.builders import cli_subprocess, client_files, make_agency

    root = make_agency(
        tmp_path / "a",
        {
            "rc-0001": client_files("rc-0001", **{"plan.yaml": "goals: []\n"}),
            "rc-0002": client_files("rc-0002"),
        },
        git=False,
    )
    done = cli_subprocess("validate", "clients/rc-0002/log.yaml", cwd=root)
    assert done.returncode == 0, done.stdout
    # A changed casectl.yaml is checked against every client.
    done = cli_subprocess("validate", "casectl.yaml", cwd=root)
    assert done.returncode == 1, done.stdout
    done = cli_subprocess("validate", "clients/rc-0001/log.yaml", cwd=root)
    assert done.returncode == 1
    assert "clients/rc-0001/log.yaml:5:11: error CM620" in done.stdout


def test_the_example_agency_is_where_the_tests_read_it() -> None:
    """tests/commands/test_due.py, test_reports.py, test_readme.py and test_browser.py read
    examples/agency; they used to skip when it was missing, so moving it would have
    turned them into silent skips. Now they fail, and this says why."""
    assert (EXAMPLE / "casectl.yaml").is_file(), f"no example agency at {EXAMPLE}"
    assert any((EXAMPLE / "clients").iterdir())


def test_every_test_listed_slow_exists() -> None:
    """tests/slow.txt names tests by file and function; a renamed or removed test must
    leave the list too (else it would silently run in the quick loop again)."""
    missing = []
    for line in (REPO_ROOT / "tests" / "slow.txt").read_text().splitlines():
        node = line.partition("#")[0].strip()
        if not node:
            continue
        file, _, name = node.partition("::")
        source = REPO_ROOT / file
        if not source.is_file() or f"def {name}(" not in source.read_text(encoding="utf-8"):
            missing.append(node)
    assert missing == []
