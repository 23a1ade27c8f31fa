"""Where output goes: stdout for results, stderr for messages; colour only on a TTY.

Rich consoles are created lazily so commands that print plain text (and
``--version``) never import rich. ``NO_COLOR`` (any value) and ``--no-color``
turn colour off; in a pipe output is plain text without escape codes.

Records are text anyone with push access wrote, so no control character from them
ever reaches a terminal raw (an escape sequence could retitle the window, clear the
screen, or hide text; a bidi override reorders what a reader sees). :func:`visible`
is the one function that shows them as escapes (``\\x1b``, ``\\u202e``); formatters
call it on every value, and :class:`Output` applies it once more to everything it
writes as a safety net. :func:`json_visible` does the same for JSON documents.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


# What a terminal or a text viewer would act on rather than show: C0 controls, DEL,
# C1 controls, the bidi marks, embeddings, overrides and isolates, and the Unicode
# line and paragraph separators. Newline and tab are added for one-line fields.
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
CONTROL_CHARS = "\x00-\x08\x0b-\x1f" + _BEYOND_C0
_UNSAFE_TEXT = re.compile(f"[{CONTROL_CHARS}]")
_UNSAFE_LINE = re.compile(f"[\t\n{CONTROL_CHARS}]")
_UNSAFE_JSON = re.compile(f"[{_BEYOND_C0}]")  # json.dumps escapes C0 itself, not these
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_PLAIN_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n"


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, multiline: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\u202e``).

    One-line fields (names, ids, table cells) escape newline and tab too; with
    ``multiline`` (a note body, a whole report) they are kept. Backslashes are left
    alone, so applying it twice changes nothing.
    """
    if text.isprintable():  # the common case, in C
        return text
    if multiline and text.isascii() and not text.encode().translate(None, _PLAIN_ASCII):
        return text  # a whole document of plain ASCII lines: bytes are checked faster
    return (_UNSAFE_TEXT if multiline else _UNSAFE_LINE).sub(_escape_char, text)


def json_visible(document: str) -> str:
    """A JSON document with the control characters json.dumps leaves raw (DEL, C1, bidi)
    written as ``\\uXXXX`` escapes; they only occur inside strings, so the document
    still decodes to the same values."""
    if document.isascii() and "\x7f" not in document:  # the common case, in C
        return document
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


class Output:
    def __init__(
        self,
        color: bool | None = None,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
        pager: bool = True,
    ) -> None:
        self._out_stream = out
        self._err_stream = err
        self.color_wanted = color
        self.pager_wanted = pager
        self._out: Console | None = None
        self._err: Console | None = None
        self._paging = False

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
        return self._paging or _isatty(self.stdout)

    @contextlib.contextmanager
    def paged(self) -> Iterator[None]:
        """Send what is written inside through the pager when it is a long listing on a
        terminal, like git: ``CASECTL_PAGER``, else ``PAGER``, else ``less -FRX``; an
        empty value or ``cat`` means none; ``--no-pager`` turns it off. Never in a
        pipe, and only when the output is longer than the terminal is high.
        """
        command = pager_command() if self.pager_wanted and _isatty(self.stdout) else None
        if command is None or self._paging:
            yield
            return
        real_stream, real_console = self._out_stream, self._out
        size = shutil.get_terminal_size()
        color = self._color(self.stdout)
        buffer = io.StringIO()
        self._out_stream = buffer
        self._out = _make_console(buffer, color, width=self.console_width(real_stream))
        self._paging = True
        try:
            yield
        finally:
            self._out_stream, self._out, self._paging = real_stream, real_console, False
        text = buffer.getvalue()
        if text.count("\n") < size.lines or not _run_pager(command, text):
            self.stdout.write(text)
            self.stdout.flush()

    def console_width(self, stream: IO[str] | None = None) -> int:
        from rich.console import Console

        return Console(file=stream or self.stdout).width

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
        """Plain text to stdout; any control character left in it is shown as an escape."""
        self.stdout.write(visible(text, multiline=True))
        self.stdout.flush()

    def write_json_rows(self, rows: Sequence[str]) -> None:
        """A JSON list whose items are ``rows`` (JSON texts without a raw line break),
        one a line, written a batch at a time (the document is never held whole).
        Each batch is passed through :func:`json_visible`, which leaves no control
        character in it (the encoder escaped the others), so :meth:`write`'s check
        could only give it back unchanged."""
        write = self.stdout.write
        head = "[\n"
        for at in range(0, len(rows), 4096):
            write(json_visible(head + ",\n".join(rows[at : at + 4096])))
            head = ",\n"
        write("\n]\n" if rows else "[]\n")
        self.stdout.flush()

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    def error(self, message: str) -> None:
        """An error message on stderr (red on a terminal)."""
        message = visible(message, multiline=True)
        if self._color(self.stderr):
            self.err_console.print(
                f"[bold red]casectl: error:[/] {_escape(message)}", highlight=False
            )
        else:
            self.stderr.write(f"casectl: error: {message}\n")
            self.stderr.flush()

    def warn(self, message: str) -> None:
        message = visible(message, multiline=True)
        if self._color(self.stderr):
            self.err_console.print(f"[yellow]casectl:[/] {_escape(message)}", highlight=False)
        else:
            self.stderr.write(f"casectl: {message}\n")
            self.stderr.flush()

    def write_exact(self, text: str) -> None:
        """UTF-8 bytes as they are: iCalendar's CRLFs must survive a text stream that
        would translate newlines (Windows). The text is already escaped by its format."""
        stream = self.stdout
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            self.write(text)
            return
        stream.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()

    def print_rich(self, renderable: Any) -> None:
        """A rich renderable; its text must already have passed :func:`visible`.

        Never cropped at the terminal's edge: a table too wide for it is drawn whole
        (``text.rich_table`` only gets that wide when nothing else fits)."""
        self.console.print(renderable, crop=False)

    def note(self, message: str) -> None:
        """A one-line message on stderr, uncoloured (summaries beside machine output)."""
        self.stderr.write(visible(message, multiline=True) + "\n")
        self.stderr.flush()


def pager_command() -> str | None:
    """The pager to run (a shell command line), or None for none."""
    for name in ("CASECTL_PAGER", "PAGER"):
        value = os.environ.get(name)
        if value is not None:
            value = value.strip()
            return None if value in ("", "cat") else value
    return "less -FRX"


def _run_pager(command: str, text: str) -> bool:
    """Show ``text`` through ``command`` (run by the shell, as git does); False when the
    pager could not be started, so the caller writes the text itself."""
    import subprocess  # only a terminal's output is paged

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # as git does: quit if one screen, colours, no clearing
    env.setdefault("LV", "-c")
    try:
        proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    assert proc.stdin is not None
    try:
        proc.stdin.write(text.encode("utf-8", "replace"))
        proc.stdin.close()
    except BrokenPipeError:  # the reader quit the pager early: fine
        pass
    while True:
        try:
            code = proc.wait()
            break
        except KeyboardInterrupt:  # Ctrl-C belongs to the pager, as with git
            continue
    return code != 127  # the shell could not find the pager: show the text ourselves


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _make_console(stream: IO[str], color: bool, width: int | None = None) -> Console:
    from rich.console import Console

    return Console(
        file=stream,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        soft_wrap=False,
        width=width,
        force_terminal=True if width is not None else None,
    )
