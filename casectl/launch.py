"""Console-script entry point: answers ``--version`` before importing the CLI stack.

``casectl --version`` is used by scripts and shell prompts; importing typer, click and
rich would triple its cost for nothing.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from casectl import __version__

        sys.stdout.write(f"casectl {__version__}\n")
        return
    from casectl.cli import main as cli_main

    cli_main()
