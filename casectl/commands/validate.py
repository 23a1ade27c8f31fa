"""``casectl validate``: every problem in every file, then a summary; exit 0/1/2."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from casectl.commands._common import agency_context, say_locked, say_settings_problems
from casectl.core.problems import Problem
from casectl.errors import CasectlError
from casectl.present import formats
from casectl.present.output import Output
from casectl.read.scan import scan
from casectl.store import layout

PROGRESS_MIN = 500


def run(
    out: Output,
    directory: Path | None,
    paths: list[Path],
    fmt: str,
    strict: bool,
    use_cache: bool = True,
) -> int:
    ctx = agency_context(directory, validating=True, use_cache=use_cache)
    only: set[str] | None = None
    want_files: set[str] | None = None
    if paths:
        only, want_files = _selection(ctx.root, paths)
    say_settings_problems(out, ctx, listed=want_files is None or "casectl.yaml" in want_files)
    with _progress(out) as progress:
        state = scan(ctx, only=only, use_cache=use_cache, progress=progress, derive=False)
    problems = state.problems()
    if want_files is not None and "casectl.yaml" not in want_files:
        problems = [p for p in problems if p.path != "casectl.yaml"]
    if strict:
        problems = [Problem(p.path, p.line, p.column, "error", p.code, p.message) for p in problems]
    formats.PROBLEMS.write(fmt, out, formats.ProblemsView(problems, state.files))
    say_locked(out, state.locked, on_stdout=False)  # not checked here: never flagged
    return 1 if any(p.severity == "error" for p in problems) else 0


def _selection(root: Path, paths: list[Path]) -> tuple[set[str], set[str]]:
    """Client folders and files named on the command line (relative to cwd)."""
    clients: set[str] = set()
    files: set[str] = set()
    real_root = root.resolve()
    for given in paths:
        path = given.resolve()
        if not path.exists():
            raise CasectlError(f"{given}: no such file or folder")
        try:
            rel = path.relative_to(real_root)
        except ValueError:
            raise CasectlError(f"{given}: not inside the agency repository {root}") from None
        parts = rel.parts
        if not parts:
            return set(layout.client_ids(root)), {"casectl.yaml"}
        if parts[0] == "casectl.yaml":
            # Settings (managers, domains, cadence) change what every client's files
            # mean: a changed casectl.yaml is checked against all of them.
            files.add("casectl.yaml")
            clients.update(layout.client_ids(root))
        elif parts[0] == "clients" and len(parts) == 1:
            clients.update(layout.client_ids(root))
        elif parts[0] == "clients":
            clients.add(parts[1])
            files.add(rel.as_posix())
        else:
            raise CasectlError(f"{given}: not a case file (expected casectl.yaml or clients/...)")
    return clients, files


@contextmanager
def _progress(out: Output) -> Iterator[Callable[[int, int], None] | None]:
    if not out.err_is_tty():
        yield None
        return
    from rich.progress import Progress

    bar: Progress | None = None
    task = None

    def update(done: int, total: int) -> None:
        nonlocal bar, task
        if total - done < PROGRESS_MIN and bar is None:
            return
        if bar is None:
            bar = Progress(console=out.err_console, transient=True)
            bar.start()
            task = bar.add_task("checking", total=total)
        assert task is not None
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()
