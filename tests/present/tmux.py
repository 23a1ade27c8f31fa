"""A real terminal for tests: a command run inside tmux at a chosen size, its screen
read back as text (tmux's own server, on a socket of its own, so nothing else is
touched)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tests.builders import AUTHOR, REPO_ROOT

DONE = "__casectl_done__"


def needs_tmux() -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux; .ci/run does)")


class Terminal:
    """One tmux session of ``width`` x ``height`` running a shell command line."""

    def __init__(self, width: int = 80, height: int = 24) -> None:
        needs_tmux()
        self.socket = f"casectl-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        config = Path(tempfile.mkdtemp(prefix="casectl-tmux-")) / "tmux.conf"
        config.write_text("set -g history-limit 10000\nset -g status off\n")
        self.config = str(config)
        self.width = width
        self.height = height

    def _tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", self.config, *args],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    def start(self, command: str, env: Mapping[str, str] | None = None,
              cwd: Path | None = None) -> None:  # fmt: skip
        environment = {
            **AUTHOR, "PYTHONPATH": str(REPO_ROOT), "TERM": "xterm-256color", "LANG": "C.UTF-8",
            "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
            **(env or {}),
        }  # fmt: skip
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
        script = f"cd {shlex.quote(str(cwd or REPO_ROOT))} && {command}; echo {DONE} $?; sleep 600"
        self._tmux(
            "new-session", "-d", "-x", str(self.width), "-y", str(self.height),
            f"env -i {assignments} sh -c {shlex.quote(script)}",
        )  # fmt: skip

    def screen(self, history: bool = True) -> str:
        args = ["capture-pane", "-p"]
        if history:
            args += ["-S", "-"]
        return self._tmux(*args)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared on the terminal:\n{screen}")
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        shutil.rmtree(Path(self.config).parent, ignore_errors=True)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def casectl_line(*args: str | Path) -> str:
    """The shell command line that runs this checkout's casectl."""
    return " ".join(shlex.quote(a) for a in [sys.executable, "-m", "casectl", *map(str, args)])


def run_on_terminal(
    args: Sequence[str | Path], width: int = 80, height: int = 200,
    env: Mapping[str, str] | None = None,
) -> tuple[int, list[str]]:  # fmt: skip
    """Run casectl on a ``width``-column terminal; its exit code and screen lines."""
    with Terminal(width, height) as term:
        term.start(casectl_line(*args), env={"CASECTL_PAGER": "", **(env or {})})
        screen = term.wait_for(DONE)
    lines = screen.rstrip("\n").splitlines()
    end = max(i for i, ln in enumerate(lines) if ln.startswith(DONE))
    code = int(lines[end].split()[1])
    return code, [ln.rstrip() for ln in lines[:end]]
