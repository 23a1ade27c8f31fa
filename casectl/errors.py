"""The one fatal error type: anything that stops a command from running at all.

Bad *data* is never raised; it is collected as :class:`casectl.problems.Problem`
values. A :class:`CasectlError` means the command could not run (usage, no agency
repository, unknown client, unreadable input) and maps to exit code 2 in ``cli``.
"""

from __future__ import annotations


class CasectlError(Exception):
    """A fatal, user-facing error. ``str(err)`` is the whole message."""

    exit_code: int = 2

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class NoAgencyError(CasectlError):
    """No casectl.yaml was found."""


class UnknownClientError(CasectlError):
    """A client id that is malformed or has no folder."""
