"""Time ``casectl audit`` on a long synthetic history.

    python benchmarks/audit_bench.py [--clients 10000] [--commits 50000] [--keep DIR]
                                     [--runs 3] [--casectl CMD]

Builds (once, with ``git fast-import``, cached under ``benchmarks/out/`` unless
``--keep`` names a folder) an agency repository with ``--clients`` clients (a
client.yaml and a log.yaml each, ~20 notes to start with) and ``--commits`` commits on
top: mostly one new note each, some amendments, some edits of client.yaml, a merge of a
short side branch every 500 commits, and a known number of planted rewrites (an old
note edited, removed or two notes swapped; every tenth side branch edits an old note,
which must be listed once, for its own commit and not for the merge; and at the end an
orphan root commit holding every file with one note rewritten, joined with a
``merge -s ours --allow-unrelated-histories``: the root and the merge are listed).
Then times ``casectl audit`` as a child process and checks that it found exactly the
commits of the planted rewrites.

Standard library only; synthetic people only.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
START = 1_767_225_600  # 2026-01-01 00:00 UTC
HEADER = "# Progress notes, oldest first. Append with `casectl note`; never edit.\n"
MANAGERS = ("jdoe", "mkim", "apark", "lchen")
PEOPLE = {
    "jdoe": "Jane Doe <jane.doe@example.org>",
    "mkim": "Min Kim <min.kim@example.org>",
    "apark": "Alex Park <alex.park@example.org>",
    "lchen": "Lee Chen <lee.chen@example.org>",
}
TEXTS = (
    "Phone call with the client. Discussed the rent payment plan; next call in a week.",
    "Home visit. Kitchen repaired; client reports sleeping better.",
    "Accompanied the client to the benefits office; application submitted.",
    "Client missed the appointment; left a voicemail.",
)
PLANT_EVERY = 2_500  # one planted rewrite per this many commits
# The subjects of the commits audit must list (and no others).
PLANTED = frozenset(
    {"tidy the log", "side: tidy the log", "a fresh start", "merge main into orphan"}
)


@dataclass
class History:
    """The state of every log while the stream is written."""

    rng: random.Random
    logs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    minute: int = 0
    mark: int = 0
    planted: int = 0

    def note(self, client: str, kind: str = "note", amends: str | None = None) -> None:
        self.minute += 1
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(START + 60 * self.minute))
        by = self.rng.choice(MANAGERS)
        entry_id = f"{when[:10].replace('-', '')}-{when[11:].replace(':', '')}-{by}"
        lines = [f"- id: {entry_id}", f"  date: {when}", f"  by: {by}", f"  type: {kind}"]
        if amends:
            lines.append(f"  amends: {amends}")
        lines += ["  text: |", f"    {self.rng.choice(TEXTS)}"]
        self.logs[client].append((entry_id, "\n".join(lines) + "\n"))

    def text(self, client: str) -> bytes:
        return (HEADER + "".join(chunk for _, chunk in self.logs[client])).encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _commit(
    h: History, ref: str, message: str, files: dict[str, bytes], parents: tuple[int, ...]
) -> bytes:
    h.mark += 1
    who = PEOPLE[h.rng.choice(MANAGERS)]
    stamp = START + 60 * h.minute
    out = [b"commit %s\nmark :%d\n" % (ref.encode(), h.mark)]
    out.append(f"author {who} {stamp} +0000\ncommitter {who} {stamp} +0000\n".encode())
    out.append(_data(message.encode()))
    if parents:
        out.append(b"from :%d\n" % parents[0])
        out += [b"merge :%d\n" % p for p in parents[1:]]
    for path, content in files.items():
        out.append(f"M 100644 inline {path}\n".encode() + _data(content))
    return b"".join(out) + b"\n"


def build(folder: Path, clients: int, commits: int, seed: int = 1) -> int:
    """Write the repository; returns how many rewrites were planted."""
    h = History(random.Random(seed))
    ids = [f"rc-{i:05d}" for i in range(1, clients + 1)]
    folder.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=folder, stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    write = proc.stdin.write
    files = {
        "casectl.yaml": b"format: 1\nagency: Benchmark Services\ntimezone: UTC\n",
        ".gitattributes": b"clients/*/log.yaml merge=casectl-log\n",
    }
    for cid in ids:
        h.logs[cid] = []
        for _ in range(h.rng.randint(5, 35)):
            h.note(cid)
        files[f"clients/{cid}/client.yaml"] = (
            f"id: {cid}\nname: Client {cid}\nstatus: active\nopened: 2025-06-01\n"
            f"manager: {h.rng.choice(MANAGERS)}\n"
        ).encode()
        files[f"clients/{cid}/log.yaml"] = h.text(cid)
    write(_commit(h, "refs/heads/main", "import", files, ()))
    last = h.mark
    made = 1
    sides = 0
    while made < commits:
        if made % 500 == 0 and commits - made > 5:  # a short side branch, merged back
            sides += 1
            side = last
            touched: dict[str, bytes] = {}
            for n in range(3):
                cid = h.rng.choice(ids)
                message = "side: note"
                if n == 0 and sides % 10 == 5 and len(h.logs[cid]) > 2:
                    entry_id, chunk = h.logs[cid][0]  # listed once: this commit, not the merge
                    h.logs[cid][0] = (entry_id, chunk.replace("    ", "    (side) ", 1))
                    h.planted += 1
                    message = "side: tidy the log"
                else:
                    h.note(cid)
                touched[f"clients/{cid}/log.yaml"] = h.text(cid)
                write(_commit(h, "refs/heads/side", message, touched, (side,)))
                side = h.mark
            cid = h.rng.choice([c for c in ids if f"clients/{c}/log.yaml" not in touched])
            h.note(cid)  # main moves on meanwhile
            main_file = {f"clients/{cid}/log.yaml": h.text(cid)}
            write(_commit(h, "refs/heads/main", f"note: {cid}", main_file, (last,)))
            write(_commit(h, "refs/heads/main", "merge side", touched, (h.mark, side)))
            last = h.mark
            made += 5
            continue
        cid = h.rng.choice(ids)
        roll = h.rng.random()
        path = f"clients/{cid}/log.yaml"
        if made % PLANT_EVERY == PLANT_EVERY // 2 and len(h.logs[cid]) > 2:
            log = h.logs[cid]
            kind = h.planted % 3
            if kind == 0:
                entry_id, chunk = log[0]
                log[0] = (entry_id, chunk.replace("    ", "    (corrected) ", 1))
            elif kind == 1:
                del log[1]
            else:
                log[0], log[1] = log[1], log[0]
            h.planted += 1
            message = "tidy the log"
        elif roll < 0.05:
            path = f"clients/{cid}/client.yaml"
            message = "client: phone"
            files[path] = (
                f"id: {cid}\nname: Client {cid}\nstatus: active\nopened: 2025-06-01\n"
                f"manager: jdoe\nphone: '+1 555 {made % 10000:04d}'\n"
            ).encode()
        elif roll < 0.08:
            h.note(cid, "amendment", amends=h.rng.choice(h.logs[cid])[0])
            message = "note: amendment"
        else:
            h.note(cid)
            message = f"note: {cid}"
        content = files[path] if path.endswith("client.yaml") else h.text(cid)
        write(_commit(h, "refs/heads/main", message, {path: content}, (last,)))
        last = h.mark
        made += 1
    # The orphan-branch evasion: a root of its own holding every file, one old note
    # rewritten, joined with `merge -s ours --allow-unrelated-histories` (tree: the
    # orphan's) and fast-forwarded. Listed: the root and the merge.
    cid = next(c for c in ids if len(h.logs[c]) > 2)
    entry_id, chunk = h.logs[cid][0]
    h.logs[cid][0] = (entry_id, chunk.replace("    ", "    (orphan) ", 1))
    for c in ids:  # `files` holds the other files as they are now
        files[f"clients/{c}/log.yaml"] = h.text(c)
    write(_commit(h, "refs/heads/orphan", "a fresh start", files, ()))
    write(_commit(h, "refs/heads/main", "merge main into orphan", {}, (h.mark, last)))
    h.planted += 2
    write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=folder, check=True)
    subprocess.run(["git", "gc", "-q"], cwd=folder, check=True)  # packed, as clones are
    (folder / ".planted").write_text(str(h.planted))
    return h.planted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the repository here")
    parser.add_argument("--casectl", default=f"{shlex.quote(sys.executable)} -m casectl")
    args = parser.parse_args()
    folder = args.keep or HERE / "out" / f"audit-{args.clients}-{args.commits}"
    if not (folder / ".planted").exists():
        shutil.rmtree(folder, ignore_errors=True)
        began = time.perf_counter()
        build(folder, args.clients, args.commits)
        print(f"built {folder} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    planted = int((folder / ".planted").read_text())
    count = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"], cwd=folder, capture_output=True, text=True
    ).stdout.strip()
    times = []
    found: list[dict[str, object]] = []
    for _ in range(args.runs):
        began = time.perf_counter()
        done = subprocess.run(
            [*shlex.split(args.casectl), "-C", str(folder), "audit", "--format", "json"],
            capture_output=True,
            text=True,
            cwd=HERE.parent,
        )
        times.append(time.perf_counter() - began)
        if done.returncode not in (0, 1):
            raise SystemExit(f"casectl audit failed: {done.stderr.strip()}")
        found = json.loads(done.stdout)
    commits_found = {str(f["commit"]) for f in found}
    log = subprocess.run(
        ["git", "log", "--format=%H %s", "--all"], cwd=folder, capture_output=True, text=True
    ).stdout
    subjects = dict(line.split(" ", 1) for line in log.splitlines())
    ok = len(commits_found) == planted and all(
        subjects.get(commit) in PLANTED for commit in commits_found
    )
    print(
        f"| audit | {args.clients:,} clients | {int(count):,} commits | "
        f"median {sorted(times)[len(times) // 2]:.2f} s (min {min(times):.2f}, "
        f"max {max(times):.2f}, {args.runs} runs) | {len(found)} findings in "
        f"{len(commits_found)} commits, {planted} planted: {'ok' if ok else 'MISMATCH'} |"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
