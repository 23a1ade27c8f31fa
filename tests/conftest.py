"""Fixtures for every test: an isolated HOME and git configuration, the slow marker,
and a small committed agency. The builders themselves are in tests/builders.py.

An autouse fixture points HOME and git's global config at the test's own folder, so no
test can read or change the developer's real git identity or configuration, and
``casectl`` run without ``-C`` can never find an agency outside ``tmp_path``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import AUTHOR, _chromium, client_files, make_agency

# ------------------------------------------------------------------ the slow marker
#
# `pytest -m "not slow"` is the quick loop (under a minute); CI runs everything. A test
# is slow when it starts processes by the dozen (several real casectl processes, git
# clones, a browser), kills writers mid-write, or runs a big hypothesis search: mark
# it `@pytest.mark.slow`, or list it in tests/slow.txt (the tests measured at 2 s and
# more with `--durations=0` on the shared 2-core machine).
SLOW_LIST = Path(__file__).with_name("slow.txt")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    listed = {line.partition("#")[0].strip() for line in SLOW_LIST.read_text().splitlines()}
    for item in items:
        if item.nodeid.partition("[")[0] in listed:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Jane Doe\n\temail = jane.doe@example.org\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key, value in AUTHOR.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    # Root discovery must never escape the test's folder.
    monkeypatch.chdir(home)
    yield


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    """A small valid agency with two clients, committed."""
    return make_agency(
        tmp_path / "agency",
        {"rc-0001": client_files("rc-0001"), "rc-0002": client_files("rc-0002")},
    )


@pytest.fixture
def chromium() -> str:
    path = _chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, but CI must run the browser tests")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    return path
