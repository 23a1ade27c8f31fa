"""Tests of restricted clients (git-crypt), purges (git-filter-repo) and how audit
judges their commits. Real git, real git-crypt, real git-filter-repo: CI installs them
(.ci/run: git-crypt from Debian, git-filter-repo from the test extra)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.builders import AGENCY_YAML, run_git

MAGIC = b"\0GITCRYPT\0"
FILES = ("client.yaml", "assessment.yaml", "plan.yaml", "log.yaml")
RETENTION_YAML = AGENCY_YAML + "retention: {closed: 7 years}\n"


def git_bytes(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """A git command's raw stdout (blobs are not text once encrypted)."""
    return subprocess.run(
        ["git", *args], cwd=root, input=stdin, capture_output=True, check=True
    ).stdout


def blob(root: Path, spec: str) -> bytes:
    return git_bytes(root, "cat-file", "blob", spec)


def all_objects(git_dir: Path) -> bytes:
    """Every object of the repository (loose and packed, reachable or not), as
    ``git cat-file --batch-all-objects --batch`` prints them."""
    return git_bytes(git_dir, "cat-file", "--batch-all-objects", "--batch")


def trailer(root: Path, key: str, rev: str = "HEAD") -> str:
    """The values of trailer ``key`` of one commit, as git's own parser reads them."""
    return run_git(root, "log", "-1", f"--format=%(trailers:key={key},valueonly)", rev).strip()


def head(root: Path) -> str:
    return run_git(root, "rev-parse", "HEAD").strip()


def commits_since(root: Path, rev: str) -> int:
    return int(run_git(root, "rev-list", "--count", f"{rev}..HEAD").strip())


def changed_paths(root: Path, rev: str = "HEAD") -> list[str]:
    out = run_git(root, "diff-tree", "--no-commit-id", "-r", "--name-only", "--no-renames", rev)
    return sorted(out.split())


def settle(root: Path) -> None:
    """Make every tracked file a day old and refresh git's index, as in a clone worked
    in for a while: git then trusts the index's stat data and does not hash the files
    again (freshly written files are "racily clean" and always re-hashed, which would
    hide a commit that stores stale index entries)."""
    then = time.time() - 86400
    for rel in run_git(root, "ls-files", "-z").split("\0"):
        if rel:
            os.utime(root / rel, (then, then))
    run_git(root, "update-index", "-q", "--refresh")
