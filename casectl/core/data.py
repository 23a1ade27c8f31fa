"""Comparing loaded YAML data: pure, used by every check that an edit or a commit kept
what it had to keep (the log append, in-place edits, the audit of history)."""

from __future__ import annotations

import math
from typing import Any


def same_data(a: Any, b: Any) -> bool:
    """Deep equality where types matter (``1`` is not ``True``) and NaN equals NaN (a
    `.nan` in an old entry must not block)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)
