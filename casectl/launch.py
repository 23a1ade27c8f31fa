"""Console-script entry point: answers ``--version`` and runs the git merge driver
before importing the CLI stack.

``casectl --version`` is used by scripts and shell prompts; importing typer, click and
rich would triple its cost for nothing.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        from casectl import __version__

        sys.stdout.write(f"casectl {__version__}\n")
        return
    if args[:1] == ["merge-log"] and 4 <= len(args) <= 5:
        # git runs the log merge driver once per conflicting log during a rebase:
        # skip the command-line stack (typer, click) it does not need.
        from casectl.git import mergedriver

        sys.exit(mergedriver.main(args[1:]))
    if os.environ.get("_CASECTL_COMPLETE", "").startswith("complete_"):
        # A Tab: answer client ids, managers, goals, kinds and types without the
        # command-line stack when it can (read.completion); typer answers the rest.
        from casectl.read import completion

        answer = completion.fast_answer(dict(os.environ))
        if answer is not None:
            sys.stdout.write(answer[0])
            sys.stdout.flush()
            sys.exit(answer[1])
    from casectl.cli import main as cli_main

    cli_main()
