"""The floor: the least work any tool must do to look at a whole agency.

    python benchmarks/floor.py AGENCY_DIR

In one process, read ``casectl.yaml`` and every ``clients/*/*.yaml`` and parse each
with libyaml's C loader (``yaml.CSafeLoader``). No validation, no model, no cache.
casectl's timings are reported as multiples of this, so the figure says how much a
command costs beyond merely parsing the files (and, with a warm cache, how much the
cache saves compared to parsing).

Prints ``<files> files in <seconds> s`` (the time covers reading and parsing only; the
benchmark runner times the whole process, interpreter start included).
Standard library and PyYAML only.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import yaml


def agency_files(root: str) -> list[str]:
    """casectl.yaml, then every clients/<id>/*.yaml, in sorted order."""
    files = [os.path.join(root, "casectl.yaml")]
    clients = os.path.join(root, "clients")
    if not os.path.isdir(clients):
        return files
    for folder in sorted(os.listdir(clients)):
        path = os.path.join(clients, folder)
        if not os.path.isdir(path):
            continue
        files += [
            os.path.join(path, name) for name in sorted(os.listdir(path)) if name.endswith(".yaml")
        ]
    return files


def parse_all(files: list[str]) -> int:
    """Read and parse every file; returns how many parsed to something (not empty)."""
    loader: Any = yaml.CSafeLoader
    parsed = 0
    for path in files:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        if yaml.load(text, Loader=loader) is not None:
            parsed += 1
    return parsed


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python benchmarks/floor.py AGENCY_DIR", file=sys.stderr)
        return 2
    root = argv[0]
    if not os.path.isfile(os.path.join(root, "casectl.yaml")):
        print(f"floor: {root} has no casectl.yaml", file=sys.stderr)
        return 2
    started = time.perf_counter()
    files = agency_files(root)
    parse_all(files)
    elapsed = time.perf_counter() - started
    print(f"{len(files)} files in {elapsed:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
