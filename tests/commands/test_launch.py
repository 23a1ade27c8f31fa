"""The launcher's fast path for the warm read commands (`due`, `list`) and a plain
`validate`: the same output, stderr and exit code as the typer command line, without
importing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import (
    cli,
    cli_subprocess,
    client_files,
    make_agency,
    run_probing_imports,
)


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["--no-color", "due", "--as-of", "2026-06-01", "--format", "json"],
        ["due", "--kind", "contact", "--client", "rc-0001", "--within", "30 days"],
    ],
)
def test_warm_due_and_list_do_not_import_the_command_line_stack(
    agency: Path, args: list[str]
) -> None:
    cli("-C", agency, "validate")
    done = run_probing_imports(agency, *args)
    assert done.returncode == 0, done.stderr
    assert "typer imported: False" in done.stderr
    # nothing changed: casectl.yaml's checked settings come from the read cache, so
    # neither pydantic (the record models) nor the YAML loader is imported
    assert "heavy imports: []" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["--no-pager", "validate", "--format", "github", "--strict", "--no-cache"],
    ],
)
def test_a_plain_validate_does_not_import_the_command_line_stack(
    agency: Path, args: list[str]
) -> None:
    done = run_probing_imports(agency, *args)
    assert done.returncode == 0, done.stderr
    assert "typer imported: False" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "--format", "json"],
        ["validate", "--format", "github", "--strict"],
        ["validate", "--no-cache", "--format", "text"],
    ],
)
def test_a_plain_validate_finds_the_same_problems_both_ways(
    tmp_path: Path, args: list[str]
) -> None:
    # a problem in a record and a warning: exit 1, a line per problem, and --strict
    broken = client_files("rc-0001", **{"client.yaml": "id: rc-0001\nname: [\n"})
    agency = make_agency(
        tmp_path / "agency", {"rc-0001": broken, "rc-0002": client_files("rc-0002")}
    )
    (agency / "clients" / "stray").mkdir()
    (agency / "clients" / "stray" / "x.txt").write_text("x")
    for _ in range(2):  # cold, then warm
        typer_run = cli("-C", agency, *args)
        launched = cli_subprocess("-C", agency, *args)
        assert typer_run.exit_code == 1
        assert (launched.returncode, launched.stdout, launched.stderr) == (
            typer_run.exit_code,
            typer_run.stdout,
            typer_run.stderr,
        )


@pytest.mark.slow  # 33 command lines, each run twice both ways: about 30 s
@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--format", "json", "--status", "active"],
        ["list", "--status", "bogus"],
        ["list", "--status", "activ"],
        ["list", "--manager", "nobody"],
        ["--no-pager", "list", "--as-of", "2026-03-01", "--manager", "jdoe"],
        ["list", "--format", "yaml"],
        ["list", "--format=json"],
        ["list", "extra"],
        ["due", "--as-of", "2026-06-01"],
        ["--no-color", "due", "--as-of", "2026-06-01", "--format", "json"],
        ["due", "--as-of", "2026-06-01", "--format", "md", "--kind", "contact", "--kind", "review"],
        ["due", "--as-of", "2026-06-01", "--format", "ics", "--client", "rc-0002"],
        ["due", "--as-of", "2026-06-01", "--within", "30 days", "--fail-on-overdue"],
        ["due", "--as-of", "2026-06-01", "--redact", "--manager", "jdoe"],
        ["due", "--as-of", "tomorrow-ish"],
        ["due", "--within", "soon"],
        ["due", "--kind", "bogus"],
        ["due", "--client", "rc-9999"],
        ["due", "--format", "JSON"],
        ["due", "--as-of"],
        ["due", "--as-of", "2026-06-01", "--as-of", "2026-07-01"],
        ["due", "--fail-on-overdue", "--fail-on-overdue"],
        ["du"],
        ["validate"],
        ["validate", "--format", "json", "--strict"],
        ["--no-color", "validate", "--format", "github", "--no-cache"],
        ["validate", "--format", "xml"],
        ["validate", "--format", "JSON"],
        ["validate", "--strict", "--strict"],
        ["validate", "--no-cache", "--no-cache"],
        ["validate", "clients/rc-0001"],
        ["validate", "--format"],
    ],
)
def test_the_fast_path_answers_as_the_command_line_does(agency: Path, args: list[str]) -> None:
    for _ in range(2):  # cold, then warm
        typer_run = cli("-C", agency, *args)
        launched = cli_subprocess("-C", agency, *args)
        assert (launched.returncode, _same(launched.stdout), launched.stderr) == (
            typer_run.exit_code,
            _same(typer_run.stdout),
            typer_run.stderr,
        )


def _same(text: str) -> str:
    """Without iCalendar's DTSTAMP (the moment the calendar was written)."""
    return "".join(line for line in text.splitlines(True) if not line.startswith("DTSTAMP:"))


def test_a_warm_search_imports_neither_pydantic_nor_the_yaml_loader(agency: Path) -> None:
    """Issue 15: a warm `search` reads rows of the read cache; the agency's zone comes
    from casectl.yaml's checked reading kept there, so no record model is built."""
    cli("-C", agency, "search", "visit")  # fills the read cache's notes section
    done = run_probing_imports(agency, "search", "visit", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert '"text": "First visit.\\n"' in done.stdout, done.stdout
    assert "heavy imports: []" in done.stderr
