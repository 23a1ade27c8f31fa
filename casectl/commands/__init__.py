"""One module per subcommand: ``run(out, directory, ...) -> exit code``; ``dispatch``
runs one and turns what it raises into the contract's exit code (``cli`` and the
launcher's fast path share it)."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

from casectl.errors import CasectlError


def dispatch(
    command: str, directory: Path | None, color: bool | None, pager: bool, **kwargs: Any
) -> int:
    """Run ``casectl.commands.<command>.run``; its exit code, or that of what it raised:
    a ``CasectlError`` its own (one line on stderr), an interruption 130, a closed pipe
    0, a system error 2, anything else (a bug) 3 with one line (``CASECTL_DEBUG=1``:
    raised, traceback and all)."""
    from casectl.present.output import Output

    out = Output(color=color, pager=pager)
    try:
        module = importlib.import_module(f"casectl.commands.{command}")
        code = module.run(out=out, directory=directory, **kwargs)
    except CasectlError as exc:
        out.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        out.error("interrupted")
        return 130
    except BrokenPipeError:
        _silence_pipe()
        return 0
    except OSError as exc:
        out.error(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        return 2
    except Exception as exc:  # a bug in casectl: say so briefly, no traceback
        if os.environ.get("CASECTL_DEBUG"):
            raise
        out.error(
            f"internal error ({type(exc).__name__}: {exc}); "
            "set CASECTL_DEBUG=1 to see the traceback and please report it"
        )
        return 3
    return int(code or 0)


def _silence_pipe() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
