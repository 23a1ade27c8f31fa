"""Problems as people and tools read them: ``PATH:LINE:COLUMN: SEVERITY CODE MESSAGE``
lines with a summary, a JSON list, or GitHub Actions annotations (contract section 3).

Only formats; every path and message passes ``output.visible``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from casectl.core.problems import Problem
from casectl.present.output import visible
from casectl.present.text import json_list

if TYPE_CHECKING:
    from casectl.present.output import Output


def problem_line(p: Problem) -> str:
    return f"{visible(p.path)}:{p.line}:{p.column}: {p.severity} {p.code} {visible(p.message)}"


def problems_text(problems: Sequence[Problem], files: int) -> str:
    lines = [problem_line(p) for p in problems]
    lines.append(summary(problems, files))
    return "\n".join(lines) + "\n"


def summary(problems: Sequence[Problem], files: int) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    noun = "file" if files == 1 else "files"
    if not problems:
        return f"no problems in {files} {noun}"
    parts = [_count(errors, "error")]
    if warnings:
        parts.append(_count(warnings, "warning"))
    return f"{', '.join(parts)} in {files} {noun}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def problems_json(problems: Sequence[Problem]) -> str:
    return json_list([p.as_dict() for p in problems])


def _gh_escape(text: str, prop: bool = False) -> str:
    text = visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def problems_github(problems: Sequence[Problem]) -> str:
    out = []
    for p in problems:
        kind = "error" if p.severity == "error" else "warning"
        out.append(
            f"::{kind} file={_gh_escape(p.path, True)},line={p.line},col={p.column},"
            f"title={p.code}::{_gh_escape(p.code + ' ' + p.message)}"
        )
    return "\n".join(out) + ("\n" if out else "")


# ------------------------------------------------------------------ the problem formats
# (present.formats.PROBLEMS lists them)


def write_text(out: Output, problems: Sequence[Problem], files: int) -> None:
    """Problem lines and the summary: coloured on a terminal, plain in a pipe."""
    if not out.is_tty():
        out.write(problems_text(problems, files))
        return
    from rich.text import Text

    for p in problems:
        line = Text()
        line.append(f"{visible(p.path)}:{p.line}:{p.column}:", style="bold")
        line.append(" ")
        line.append(p.severity, style="red" if p.severity == "error" else "yellow")
        line.append(f" {p.code} ", style="dim")
        line.append(visible(p.message))
        out.console.print(line)
    style = (
        "red"
        if any(p.severity == "error" for p in problems)
        else ("yellow" if problems else "green")
    )
    out.console.print(Text(summary(problems, files), style=style))


def write_json(out: Output, problems: Sequence[Problem], files: int) -> None:
    out.write(problems_json(problems))


def write_github(out: Output, problems: Sequence[Problem], files: int) -> None:
    """Annotations on stdout, the summary on stderr (the workflow log shows both)."""
    out.write(problems_github(problems))
    out.stderr.write(summary(problems, files) + "\n")
