"""Soak test of shared work: many clones writing notes and syncing at the same time.

    python benchmarks/soak.py [--clones 10] [--notes 50] [--clients 5] [--seed 1]
                              [--sync-chance 0.25] [--keep DIR]

A bare remote holds a small agency; each of ``--clones`` clones (made with plain
``git clone``) is worked by its own thread, as by its own case manager: ``--notes``
``casectl note`` calls on random clients, each followed, with probability
``--sync-chance``, by a ``casectl sync``. All threads run at once, so pushes race
(sync retries with growing pauses for up to its --timeout, 60 s) and logs are merged
all the time. Then every clone syncs until
all agree, and the script checks: every clone is at the remote's commit, every note
written is in every clone exactly once (``clones x notes`` new notes), no conflict
markers, ``casectl validate`` and ``casectl audit`` are clean everywhere.

Not part of the unit tests (it takes minutes); synthetic people only.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASECTL = [sys.executable, "-m", "casectl"]
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    minute: int = 0
    notes: list[tuple[str, str]] = field(default_factory=list)  # (client, id)
    syncs: Counter[str] = field(default_factory=Counter)
    sync_seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def next_time(self) -> str:
        with self.lock:
            self.minute += 1
            stamp = time.gmtime(1_767_225_600 + 60 * self.minute)  # from 2026-01-01
        return time.strftime("%Y-%m-%d %H:%M", stamp)


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = run(["git", *args], cwd, env)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {cwd}: {done.stderr}")
    return done.stdout


def make_remote(base: Path, env: dict[str, str], clones: int, clients: int) -> Path:
    origin = base / "origin"
    (origin / "clients").mkdir(parents=True)
    managers = "".join(f"  m{i}: Manager {i}\n" for i in range(clones))
    (origin / "casectl.yaml").write_text(
        f"format: 1\nagency: Soak Test Services\ntimezone: UTC\nmanagers:\n{managers}"
    )
    (origin / ".gitattributes").write_text("clients/*/log.yaml merge=casectl-log\n")
    (origin / ".gitignore").write_text(".casectl/\n.*.tmp\n")
    for i in range(1, clients + 1):
        cid = f"sk-{i:03d}"
        folder = origin / "clients" / cid
        folder.mkdir()
        (folder / "client.yaml").write_text(
            f"id: {cid}\nname: Soak Client {i}\nstatus: active\nopened: 2025-12-01\nmanager: m0\n"
        )
        (folder / "assessment.yaml").write_text("assessments: []\n")
        (folder / "plan.yaml").write_text("created: 2025-12-02\ngoals: []\n")
        (folder / "log.yaml").write_text("# Progress notes, oldest first.\n[]\n")
    git(origin, env, "init", "-q", "-b", "main")
    git(origin, env, "add", "-A")
    git(origin, env, "commit", "-q", "-m", "soak agency")
    remote = base / "remote.git"
    git(base, env, "init", "-q", "--bare", "-b", "main", str(remote))
    git(origin, env, "push", "-q", str(remote), "main")
    return remote


def worker(
    n: int, clone: Path, env: dict[str, str], args: argparse.Namespace, stats: Stats
) -> None:
    rng = random.Random(args.seed * 1000 + n)
    clients = [f"sk-{i:03d}" for i in range(1, args.clients + 1)]
    for k in range(args.notes):
        client = rng.choice(clients)
        when = stats.next_time()
        text = f"Soak note {k + 1} of manager m{n}."
        done = run([*CASECTL, "note", client, text, "--by", f"m{n}", "--date", when], clone, env)
        if done.returncode != 0:
            stats.failures.append(f"clone {n}: note failed: {done.stderr.strip()}")
            return
        with stats.lock:
            stats.notes.append((client, done.stdout.strip()))
        if rng.random() < args.sync_chance:
            sync(n, clone, env, stats)


def sync(n: int, clone: Path, env: dict[str, str], stats: Stats) -> bool:
    began = time.perf_counter()
    done = run([*CASECTL, "sync"], clone, env)
    with stats.lock:
        stats.sync_seconds.append(time.perf_counter() - began)
    if done.returncode == 0:
        stats.syncs["ok"] += 1
        return True
    if "kept changing" in done.stderr:  # others kept pushing for all of --timeout: give up
        stats.syncs["busy"] += 1
        return False
    stats.syncs["failed"] += 1
    stats.failures.append(f"clone {n}: sync exit {done.returncode}: {done.stderr.strip()}")
    return False


def log_ids(clone: Path, client: str) -> list[str]:
    text = (clone / "clients" / client / "log.yaml").read_text()
    return [ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("- id:")]


def check(clones: list[Path], remote: Path, env: dict[str, str], stats: Stats) -> list[str]:
    problems: list[str] = []
    tip = git(remote, env, "rev-parse", "main").strip()
    expected: dict[str, Counter[str]] = {}
    for client, note_id in stats.notes:
        expected.setdefault(client, Counter())[note_id] += 1
    for clone in clones:
        if git(clone, env, "rev-parse", "HEAD").strip() != tip:
            problems.append(f"{clone.name}: not at the remote's commit")
        total = 0
        for client in sorted(p.name for p in (clone / "clients").iterdir()):
            ids = Counter(log_ids(clone, client))
            total += sum(ids.values())
            if ids != expected.get(client, Counter()):
                problems.append(f"{clone.name}: {client}: notes differ from those written")
            if "<<<<<<<" in (clone / "clients" / client / "log.yaml").read_text():
                problems.append(f"{clone.name}: {client}: conflict markers")
        if total != len(stats.notes):
            problems.append(f"{clone.name}: {total} notes, expected {len(stats.notes)}")
        validate = run([*CASECTL, "validate"], clone, env)
        if validate.returncode != 0:
            problems.append(f"{clone.name}: validate exit {validate.returncode}")
        audit = run([*CASECTL, "audit"], clone, env)
        if audit.returncode != 0:
            problems.append(f"{clone.name}: audit exit {audit.returncode}: {audit.stdout}")
    return problems


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2] if values else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clones", type=int, default=10)
    parser.add_argument("--notes", type=int, default=50)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sync-chance", type=float, default=0.25)
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="casectl-soak-"))
    base.mkdir(parents=True, exist_ok=True)
    home = base / "home"
    home.mkdir(exist_ok=True)
    (home / ".gitconfig").write_text("[user]\n\tname = Soak Runner\n\temail = soak@example.org\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        **GIT_ENV,
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "PYTHONPATH": str(HERE.parent),
    }
    began = time.perf_counter()
    remote = make_remote(base, env, args.clones, args.clients)
    clones = []
    for n in range(args.clones):
        clone = base / f"clone{n}"
        git(base, env, "clone", "-q", str(remote), str(clone))
        git(clone, env, "config", "user.name", f"Manager {n}")
        git(clone, env, "config", "user.email", f"m{n}@example.org")
        clones.append(clone)
    stats = Stats()
    threads = [
        threading.Thread(target=worker, args=(n, clone, env, args, stats))
        for n, clone in enumerate(clones)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    working = time.perf_counter() - began
    # Everyone syncs in turns until a full round changes nothing.
    for _ in range(5):
        for n, clone in enumerate(clones):
            sync(n, clone, env, stats)
        tips = {git(c, env, "rev-parse", "HEAD").strip() for c in clones}
        if len(tips) == 1 and tips == {git(remote, env, "rev-parse", "main").strip()}:
            break
    problems = stats.failures + check(clones, remote, env, stats)
    elapsed = time.perf_counter() - began
    commits = git(remote, env, "rev-list", "--count", "main").strip()
    print(
        f"soak: {args.clones} clones x {args.notes} notes on {args.clients} clients: "
        f"{len(stats.notes)} notes written, {len(stats.notes)} expected in every clone; "
        f"syncs {dict(stats.syncs)} (gave up: {stats.syncs['busy']}; seconds per sync: "
        f"median {_median(stats.sync_seconds):.1f}, max {max(stats.sync_seconds, default=0):.1f}); "
        f"{commits} commits on the remote; "
        f"{working:.0f} s of concurrent work, {elapsed:.0f} s in all: "
        + ("OK" if not problems else f"{len(problems)} PROBLEMS")
    )
    for problem in problems:
        print(f"  {problem}")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    else:
        print(f"kept {shlex.quote(str(base))}")
    return 0 if not problems and len(stats.notes) == args.clones * args.notes else 1


if __name__ == "__main__":
    sys.exit(main())
