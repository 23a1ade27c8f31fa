"""Time casectl on hostile case files: the inputs that once stalled it (issue 11, 9-10).

    python benchmarks/hostile.py [--runs 1] [--timeout 120] [--only TEXT ...]
                                 [--casectl CMD] [--out FILE]

Each case is an agency of one client whose one file is hostile (made by the functions
in ``tests/store/hostile_files.py``, which the tests use at smaller sizes). Every command runs as a
whole child process with no cache (``validate --no-cache``; ``show`` and ``report``
never use one): wall time, CPU time (user + system) and peak resident memory of the
child from ``os.wait4``, its exit code and how much it printed. A run that exceeds
``--timeout`` is killed and shown as ">".

Standard library only; casectl is run as a command, so another installed version can
be measured with ``--casectl``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from run import Sample, casectl_command, measure  # noqa: E402

from tests.store.hostile_files import CASES, write_agency  # noqa: E402

VALIDATE = ("-C", "{dir}", "validate", "--no-cache")
# Extra commands timed on some cases: the ones the original reports named.
EXTRA = {
    "8,000 empty goals (24 KB)": [("show", ("-C", "{dir}", "show", "rc-0001"))],
    "10 MB client name": [("report --redact", ("-C", "{dir}", "report", "rc-0001", "--redact"))],
}


def _row(case: str, kib: float, command: str, samples: list[Sample], timeout: float) -> str:
    killed = any(s.exit < 0 for s in samples)
    wall = statistics.median(s.seconds for s in samples)
    cpu = statistics.median(s.cpu for s in samples)
    shown = f"> {timeout:.0f}" if killed else f"{wall:.2f}"
    cpu_shown = "-" if killed else f"{cpu:.2f}"
    codes = ",".join(str(c) for c in sorted({s.exit for s in samples}))
    out_kib = max(s.out_bytes for s in samples) / 1024
    rss = max(s.rss_mib for s in samples)
    return (
        f"| {case} | {kib:,.0f} | {command} | {codes} | {shown} | {cpu_shown} "
        f"| {rss:.0f} | {out_kib:,.1f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120, help="seconds per run")
    parser.add_argument("--only", nargs="+", help="only cases whose name contains one")
    parser.add_argument("--casectl", help="casectl command to time (default: on PATH, else "
                        "python -m casectl from this checkout)")  # fmt: skip
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args(argv)
    casectl, env = casectl_command(args.casectl)
    lines = [
        "| case | file KiB | command | exit | wall s | CPU s | peak RSS MiB | output KiB |",
        "|---|---:|---|---|---:|---:|---:|---:|",
    ]
    for case, (make, size) in CASES.items():
        if args.only and not any(t in case for t in args.only):
            continue
        work = Path(tempfile.mkdtemp(prefix="casectl-hostile-"))
        try:
            hostile = make(size)
            kib = len(hostile[1].encode()) / 1024
            write_agency(work, hostile)
            for command, tail in [("validate", VALIDATE), *EXTRA.get(case, [])]:
                argv_ = [*casectl, *(a.format(dir=work) for a in tail)]
                samples = []
                for i in range(args.runs):
                    sample = measure(argv_, env, None, args.timeout)
                    samples.append(sample)
                    print(f"{case}: {command}: run {i + 1}: {sample.seconds:.2f} s, "
                          f"exit {sample.exit}", file=sys.stderr)  # fmt: skip
                lines.append(_row(case, kib, command, samples, args.timeout))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    report = "\n".join(lines) + "\n"
    print(report, end="")
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
