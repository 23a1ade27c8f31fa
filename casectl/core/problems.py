"""Problems: what ``validate`` reports. Small immutable values, never raised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True, slots=True)
class Problem:
    """One finding at a place in a file.

    ``path`` is relative to the agency root (POSIX separators); ``line`` and
    ``column`` are 1-based (0 when the problem concerns the whole file). The
    message is led by the field path, e.g. ``goals[1].target: ...``.
    """

    path: str
    line: int
    column: int
    severity: Severity
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


def field_path(loc: tuple[str | int, ...]) -> str:
    """Render a location tuple as ``goals[1].target``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
