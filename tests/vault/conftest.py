"""Fixtures of the vault tests: the external tools, present or the test is skipped
(and in CI, where .ci/run installs them, failed)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


def _need(tool: str, how: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is not installed, but CI must run these tests")
    pytest.skip(f"{tool} is not installed ({how}); CI installs it")


@pytest.fixture
def git_crypt() -> str:
    path = shutil.which("git-crypt")
    if path is None:
        _need("git-crypt", "apt-get install git-crypt")
    assert path is not None
    return path


@pytest.fixture
def filter_repo_path() -> str:
    """A PATH under which ``git filter-repo`` runs: the test extra installs
    git-filter-repo beside this Python (a virtual environment's bin folder)."""
    here = str(Path(sys.executable).parent)
    path = os.pathsep.join([here, os.environ.get("PATH", "")])
    if shutil.which("git-filter-repo", path=path) is None:
        _need("git-filter-repo", "pip install git-filter-repo, the test extra")
    return path


@pytest.fixture
def no_git_crypt_path(tmp_path: Path) -> str:
    """A PATH with git but without git-crypt, to show what a machine without it gets."""
    folder = tmp_path / "bin-without-git-crypt"
    folder.mkdir()
    git = shutil.which("git")
    assert git is not None
    (folder / "git").symlink_to(git)
    return str(folder)
