"""Where output goes: stdout for results, stderr for messages; colour only on a TTY.

Rich consoles are created lazily so commands that print plain text (and
``--version``) never import rich. ``NO_COLOR`` (any value) and ``--no-color``
turn colour off; in a pipe output is plain text without escape codes.
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class Output:
    def __init__(
        self, color: bool | None = None, out: IO[str] | None = None, err: IO[str] | None = None
    ) -> None:
        self._out_stream = out
        self._err_stream = err
        self.color_wanted = color
        self._out: Console | None = None
        self._err: Console | None = None

    @property
    def stdout(self) -> IO[str]:
        return self._out_stream or sys.stdout

    @property
    def stderr(self) -> IO[str]:
        return self._err_stream or sys.stderr

    def _color(self, stream: IO[str]) -> bool:
        if self.color_wanted is False or "NO_COLOR" in os.environ:
            return False
        return _isatty(stream)

    def is_tty(self) -> bool:
        """True when stdout is an interactive terminal (rich tables, colour)."""
        return _isatty(self.stdout)

    def err_is_tty(self) -> bool:
        return _isatty(self.stderr)

    @property
    def console(self) -> Console:
        if self._out is None:
            self._out = _make_console(self.stdout, self._color(self.stdout))
        return self._out

    @property
    def err_console(self) -> Console:
        if self._err is None:
            self._err = _make_console(self.stderr, self._color(self.stderr))
        return self._err

    def write(self, text: str) -> None:
        """Plain text to stdout, exactly as given."""
        self.stdout.write(text)
        self.stdout.flush()

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    def error(self, message: str) -> None:
        """An error message on stderr (red on a terminal)."""
        if self._color(self.stderr):
            self.err_console.print(
                f"[bold red]casectl: error:[/] {_escape(message)}", highlight=False
            )
        else:
            self.stderr.write(f"casectl: error: {message}\n")
            self.stderr.flush()

    def warn(self, message: str) -> None:
        if self._color(self.stderr):
            self.err_console.print(f"[yellow]casectl:[/] {_escape(message)}", highlight=False)
        else:
            self.stderr.write(f"casectl: {message}\n")
            self.stderr.flush()

    def print_rich(self, renderable: Any) -> None:
        self.console.print(renderable)


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _make_console(stream: IO[str], color: bool) -> Console:
    from rich.console import Console

    return Console(
        file=stream,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        soft_wrap=False,
    )
