"""The launcher's fast path for plain `stats` and `search` command lines (issue 15):
the same output, stderr and exit code as the typer command line, without importing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import cli, cli_subprocess, run_probing_imports


@pytest.mark.parametrize(
    "args",
    [
        ["stats", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "json"],
        ["--no-color", "search", "visit", "--format", "json"],
        ["search", "--type", "visit", "called"],
    ],
)
def test_warm_stats_and_search_do_not_import_the_command_line_stack(
    agency: Path, args: list[str]
) -> None:
    cli("-C", agency, "validate")
    done = run_probing_imports(agency, *args)
    assert done.returncode == 0, done.stderr
    assert "typer imported: False" in done.stderr


@pytest.mark.slow  # each command line run twice both ways
@pytest.mark.parametrize(
    "args",
    [
        ["stats", "--from", "2026-01-01", "--to", "2026-12-31"],
        ["stats", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "json", "--by",
         "manager"],
        ["stats", "--from", "2026-01-01", "--to", "2026-06-30", "--format", "csv", "--redact",
         "--as-of", "2026-07-01"],
        ["stats", "--from", "2026-01-01"],
        ["stats", "--from", "2026-01-01", "--to", "2026-12-31", "--by", "Manager"],
        ["stats", "--from", "2026-13-01", "--to", "2026-12-31"],
        ["--no-pager", "search", "visit"],
        ["search", "visit", "--format", "json", "--type", "visit"],
        ["search", "--format", "json", "--regex", "(?i)call"],
        ["search", "--client", "rc-0001", "--from", "2026-01-01", "--to", "2026-12-31", "a"],
        ["search", "--manager", "nobody", "visit"],
        ["search", "visit", "--type", "bogus"],
        ["search", "visit", "--as-of", "2026-02-01", "--format", "json"],
        ["search", "--regex", "(a+)+"],
        ["search", "--client"],
        ["search"],
        ["search", "visit", "extra"],
        ["search", "visit", "--format", "yaml"],
        ["search", "-C", "visit"],
    ],
)  # fmt: skip
def test_the_fast_path_answers_stats_and_search_as_the_command_line_does(
    agency: Path, args: list[str]
) -> None:
    for _ in range(2):  # cold, then warm
        typer_run = cli("-C", agency, *args)
        launched = cli_subprocess("-C", agency, *args)
        assert (launched.returncode, launched.stdout, launched.stderr) == (
            typer_run.exit_code,
            typer_run.stdout,
            typer_run.stderr,
        ), args
