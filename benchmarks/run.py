"""Time casectl against the floor on synthetic agencies; print a Markdown table.

    python benchmarks/run.py [--clients 1000 10000] [--runs 5] [--keep DIR] [--out FILE]
                             [--casectl CMD] [--only TEXT ...] [--notes]

For each agency size: generate the agency once (cached under ``benchmarks/out/``,
regenerated when generate.py changes), then time every benchmark in ``BENCHES`` as a
whole child process: wall time with ``time.perf_counter`` around the child's life,
peak resident memory from ``os.wait4``'s ``ru_maxrss``. Each row reports the median,
min and max of ``--runs`` runs and the ratio median(command) / median(floor).

A command that exits non-zero (problems found, not implemented yet, missing) is not
an error here: its exit codes go in the table and its last message under it.

Standard library and PyYAML only; casectl is only ever run as a command, so any
installed version (``--casectl /path/to/venv/bin/casectl``) can be measured.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GENERATE = HERE / "generate.py"
FLOOR = HERE / "floor.py"
AS_OF = "2026-12-01"
NOTE_TEXT = "Phone call with the client.\nDiscussed the rent payment plan; next call in a week.\n"


@dataclass(frozen=True)
class Bench:
    """One command to time.

    ``argv`` items are formatted with: ``{dir}`` agency folder, ``{python}``,
    ``{floor}``, ``{as_of}``, ``{client}`` and ``{manager}`` (a different client for
    each run, and its manager); the item ``{casectl}`` expands to the casectl command.

    ``cache``: ``"none"`` leaves ``DIR/.casectl`` as it is, ``"cold"`` deletes it before
    every run, ``"warm"`` makes one untimed run first so every timed run finds a cache
    of unchanged files. ``scratch``: the command writes to the agency, so it runs on a
    throwaway copy made once per size. ``stdin``: text piped to the command.
    """

    name: str
    argv: tuple[str, ...]
    cache: str = "none"
    per_agency: bool = True  # False: not about an agency; measured once, not per size
    scratch: bool = False
    stdin: str | None = None
    floor: bool = False  # the baseline the ratios are taken against
    env: tuple[tuple[str, str], ...] = ()  # extra environment, values formatted like argv


# The benchmarks, in the order they run and appear. Add commands here.
VALIDATE = ("{casectl}", "-C", "{dir}", "validate")
DUE = ("{casectl}", "-C", "{dir}", "due", "--as-of", "{as_of}")
STATS = ("{casectl}", "-C", "{dir}", "stats", "--from", "2026-10-01", "--to", "2026-10-31",
         "--as-of", "{as_of}", "--format", "json")  # fmt: skip
EXPORT = ("{casectl}", "-C", "{dir}", "export", "notes")
BENCHES: list[Bench] = [
    Bench("floor: parse every file", ("{python}", "{floor}", "{dir}"), floor=True),
    Bench("validate, cold cache", VALIDATE, cache="cold"),
    Bench("validate, warm cache", VALIDATE, cache="warm"),
    Bench("due, cold cache", DUE, cache="cold"),
    Bench("due, warm cache", DUE, cache="warm"),
    Bench("list, warm cache", ("{casectl}", "-C", "{dir}", "list"), cache="warm"),
    Bench(
        "digest, warm cache",
        ("{casectl}", "-C", "{dir}", "digest", "--as-of", "{as_of}"),
        cache="warm",
    ),
    Bench(
        "caseload html, warm cache",
        ("{casectl}", "-C", "{dir}", "caseload", "--format", "html", "--as-of", "{as_of}"),
        cache="warm",
    ),
    Bench(
        "report --redact, warm cache",
        ("{casectl}", "-C", "{dir}", "report", "{client}", "--redact", "--as-of", "{as_of}"),
        cache="warm",
    ),
    # Figures (issue 15): a month's stats, a word searched, every note exported (the
    # peak RSS column shows whether export streams).
    Bench("stats for a month, warm cache", STATS, cache="warm"),
    Bench("stats for a month by manager, warm cache", (*STATS, "--by", "manager"), cache="warm"),
    Bench(
        "search a word, warm cache",
        ("{casectl}", "-C", "{dir}", "search", "rent", "--format", "json"),
        cache="warm",
    ),
    Bench(
        "search two words from a date, warm cache",
        (
            "{casectl}",
            "-C",
            "{dir}",
            "search",
            "rent plan",
            "--from",
            "2026-06-01",
            "--format",
            "json",
        ),
        cache="warm",
    ),
    Bench(
        "search a word in no note, warm cache",
        ("{casectl}", "-C", "{dir}", "search", "lighthouse", "--format", "json"),
        cache="warm",
    ),
    Bench("export notes (csv, stdout)", EXPORT, cache="warm"),
    Bench("casectl --version", ("{casectl}", "--version"), per_agency=False),
    # One Tab of `casectl show rc-0<Tab>` in bash (typer's completion protocol): every
    # client id starting with rc-0 (docs/cli.md: under 0.2 s of CPU at 10,000 clients).
    Bench(
        "completion: show <Tab>",
        ("{casectl}",),
        env=(
            ("_CASECTL_COMPLETE", "complete_bash"),
            ("COMP_CWORD", "4"),
            ("COMP_WORDS", "casectl -C {dir} show rc-0"),
        ),
    ),
]

# The notes benchmark (``--notes``): appending one note, on a scratch copy of the
# agency (a git repo, so the default form also times the commit).
NOTE_ARGV = ("{casectl}", "-C", "{dir}", "note", "{client}", "-", "--type", "phone")
NOTE_BENCHES: list[Bench] = [
    Bench("note (commit), warm cache", (*NOTE_ARGV, "--by", "{manager}"),
          cache="warm", scratch=True, stdin=NOTE_TEXT),
    Bench("note --no-commit, warm cache", (*NOTE_ARGV, "--by", "{manager}", "--no-commit"),
          cache="warm", scratch=True, stdin=NOTE_TEXT),
]  # fmt: skip


@dataclass
class Sample:
    seconds: float
    rss_mib: float
    exit: int
    message: str  # last line of stderr (else stdout), for the notes under the table
    cpu: float = 0.0  # user + system CPU seconds of the child
    out_bytes: int = 0  # how much the child wrote to stdout


@dataclass
class Row:
    clients: int | None
    files: int | None
    bench: Bench
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def median_cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)


# ------------------------------------------------------------------ running children


def _last_line(fh: IO[bytes]) -> str:
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(max(0, size - 4096))
    lines = [ln.strip() for ln in fh.read().decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    return lines[-1][:200] if lines else ""


def measure(argv: Sequence[str], env: dict[str, str], stdin: str | None, timeout: float) -> Sample:
    """Run ``argv`` once; wall time, peak RSS and exit code of that child alone."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=out,  # a file, not a pipe: a big report can never block the child
                stderr=err,
                env=env,
                cwd=REPO,
            )
        except OSError as exc:
            return Sample(0.0, 0.0, 127, f"cannot run {argv[0]}: {exc.strerror}")
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            if stdin is not None and proc.stdin is not None:
                try:
                    proc.stdin.write(stdin.encode())
                    proc.stdin.close()
                except BrokenPipeError:
                    pass  # the child did not read it; its exit code tells why
            # wait4 (not Popen.wait) so the rusage is this child's, not all children's.
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        message = (_last_line(err) or _last_line(out)) if code != 0 else ""
        if code < 0:
            message = f"killed by signal {-code}" + (" (timeout)" if seconds >= timeout else "")
        cpu = usage.ru_utime + usage.ru_stime
        return Sample(seconds, rss, code, message, cpu, out.seek(0, os.SEEK_END))


def casectl_command(spec: str | None) -> tuple[list[str], dict[str, str]]:
    """The casectl argv prefix and environment: ``--casectl``, else ``casectl`` on PATH,
    else ``python -m casectl`` from this checkout."""
    env = dict(os.environ)
    if spec:
        return shlex.split(spec), env
    found = shutil.which("casectl")
    if found:
        return [found], env
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return [sys.executable, "-m", "casectl"], env


def expand(bench: Bench, casectl: list[str], values: dict[str, str]) -> list[str]:
    argv: list[str] = []
    for item in bench.argv:
        argv += casectl if item == "{casectl}" else [item.format_map(values)]
    return argv


# ------------------------------------------------------------------------ agencies


def agency(keep: Path, clients: int, seed: int) -> Path:
    """The cached agency for this size and seed, generated (with git) when missing or
    when generate.py has changed since."""
    folder = keep / f"agency-{clients}-seed{seed}"
    stamp_file = keep / f"agency-{clients}-seed{seed}.stamp"
    stamp = hashlib.sha256(GENERATE.read_bytes()).hexdigest()
    if stamp_file.exists() and stamp_file.read_text() == stamp and folder.is_dir():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    keep.mkdir(parents=True, exist_ok=True)
    print(f"generating {clients} clients in {folder} ...", file=sys.stderr)
    cmd = [sys.executable, str(GENERATE), str(folder), "--clients", str(clients)]
    subprocess.run([*cmd, "--seed", str(seed), "--git"], check=True, stdout=sys.stderr)
    stamp_file.write_text(stamp)
    return folder


def count_files(folder: Path) -> int:
    return 1 + sum(1 for _ in (folder / "clients").glob("*/*.yaml"))


def client_cycle(folder: Path) -> list[tuple[str, str]]:
    """(client id, manager) pairs spread over the agency, for per-run note targets."""
    ids = sorted(p.name for p in (folder / "clients").iterdir())
    picks = [ids[(i * 7919) % len(ids)] for i in range(min(len(ids), 64))]
    pairs = []
    for cid in picks:
        data = yaml.safe_load((folder / "clients" / cid / "client.yaml").read_text("utf-8"))
        pairs.append((cid, str(data.get("manager", ""))))
    return pairs


def clear_cache(folder: Path) -> None:
    shutil.rmtree(folder / ".casectl", ignore_errors=True)


# ------------------------------------------------------------------------- running


@dataclass
class Settings:
    runs: int
    timeout: float
    casectl: list[str]
    env: dict[str, str]


def run_bench(
    bench: Bench, folder: Path | None, settings: Settings, targets: list[tuple[str, str]]
) -> list[Sample]:
    values = {
        "python": sys.executable,
        "floor": str(FLOOR),
        "as_of": AS_OF,
        "dir": str(folder or ""),
        "client": "",
        "manager": "",
    }
    samples = []
    for i in range(-1 if bench.cache == "warm" else 0, settings.runs):
        if targets:
            values["client"], values["manager"] = targets[(i + 1) % len(targets)]
        if bench.cache == "cold" and folder is not None:
            clear_cache(folder)
        env = {**settings.env, **{k: v.format_map(values) for k, v in bench.env}}
        sample = measure(
            expand(bench, settings.casectl, values), env, bench.stdin, settings.timeout
        )
        if i >= 0:  # run -1 only warms the cache
            samples.append(sample)
        status = f"exit {sample.exit}" if sample.exit else "ok"
        label = "warm-up" if i < 0 else f"run {i + 1}/{settings.runs}"
        print(f"  {bench.name}: {label}: {sample.seconds:.3f} s, {status}", file=sys.stderr)
    return samples


def run_size(clients: int, keep: Path, seed: int, benches: list[Bench], s: Settings) -> list[Row]:
    folder = agency(keep, clients, seed)
    files = count_files(folder)
    rows = []
    scratch: Path | None = None
    try:
        for bench in benches:
            if not bench.per_agency:
                continue
            where = folder
            targets: list[tuple[str, str]] = []
            if bench.scratch:
                if scratch is None:
                    scratch = keep / f"scratch-{clients}-seed{seed}"
                    shutil.rmtree(scratch, ignore_errors=True)
                    print(f"copying {folder} to {scratch} ...", file=sys.stderr)
                    shutil.copytree(folder, scratch, symlinks=True)
                where = scratch
            if any("{client}" in a or "{manager}" in a for a in bench.argv):
                targets = client_cycle(where)
            print(f"{clients} clients: {bench.name}", file=sys.stderr)
            rows.append(Row(clients, files, bench, run_bench(bench, where, s, targets)))
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return rows


# ------------------------------------------------------------------------- report


def _fmt(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def markdown(rows: list[Row], header: list[str]) -> str:
    floors = {r.clients: r.median for r in rows if r.bench.floor and r.samples}
    cpu_floors = {r.clients: r.median_cpu for r in rows if r.bench.floor and r.samples}
    out = [*header, ""]
    out.append(
        "| clients | files | command | exit | median s | min s | max s | x floor "
        "| median CPU s | CPU x floor | peak RSS MiB |"
    )
    out.append("|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    notes: list[str] = []
    for r in rows:
        secs = [s.seconds for s in r.samples]
        codes = sorted({s.exit for s in r.samples})
        floor = floors.get(r.clients)
        ratio = f"{r.median / floor:.2f}" if floor and r.bench.per_agency else "-"
        cpu_floor = cpu_floors.get(r.clients)
        cpu_ratio = f"{r.median_cpu / cpu_floor:.2f}" if cpu_floor and r.bench.per_agency else "-"
        out.append(
            f"| {r.clients if r.clients is not None else '-'} | {r.files or '-'} "
            f"| {r.bench.name} | {','.join(map(str, codes))} | {_fmt(r.median)} "
            f"| {_fmt(min(secs))} | {_fmt(max(secs))} | {ratio} "
            f"| {_fmt(r.median_cpu)} | {cpu_ratio} "
            f"| {max(s.rss_mib for s in r.samples):.0f} |"
        )
        failed = next((s for s in r.samples if s.exit != 0), None)
        if failed is not None:
            where = f"{r.clients} clients" if r.clients is not None else "no agency"
            notes.append(f"- {r.bench.name} ({where}): exit {failed.exit}: `{failed.message}`")
    if notes:
        out += ["", "Non-zero exits (last line of output):", "", *notes]
    return "\n".join(out) + "\n"


def environment(settings: Settings, seed: int) -> list[str]:
    try:
        done = subprocess.run(
            [*settings.casectl, "--version"], env=settings.env, capture_output=True, text=True
        )
        lines = done.stdout.strip().splitlines()
        shown = lines[0] if done.returncode == 0 and lines else "unavailable"
    except OSError:
        shown = "unavailable"
    rev = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        "## casectl benchmarks",
        "",
        f"- when: {now}; checkout {rev or '?'}",
        f"- casectl: `{shlex.join(settings.casectl)}` ({shown})",
        f"- python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs",
        f"- {settings.runs} runs each; seed {seed}; `due --as-of {AS_OF}`",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep", type=Path, default=HERE / "out", help="where generated agencies are kept"
    )
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    parser.add_argument("--casectl", help="casectl command to time (default: on PATH, else "
                        "python -m casectl from this checkout)")  # fmt: skip
    parser.add_argument("--only", nargs="+", help="only benchmarks whose name contains one")
    parser.add_argument("--notes", action="store_true", help="also time `casectl note`")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    args = parser.parse_args(argv)
    if args.runs < 1 or any(n < 1 for n in args.clients):
        parser.error("--runs and --clients must be at least 1")

    casectl, env = casectl_command(args.casectl)
    settings = Settings(args.runs, args.timeout, casectl, env)
    benches = BENCHES + (NOTE_BENCHES if args.notes else [])
    if args.only:
        benches = [b for b in benches if b.floor or any(t in b.name for t in args.only)]

    rows: list[Row] = []
    for clients in args.clients:
        rows += run_size(clients, args.keep.resolve(), args.seed, benches, settings)
    for bench in benches:
        if not bench.per_agency:
            print(bench.name, file=sys.stderr)
            rows.append(Row(None, None, bench, run_bench(bench, None, settings, [])))

    report = markdown(rows, environment(settings, args.seed))
    print(report, end="")
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
