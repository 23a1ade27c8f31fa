""" "Did you mean ...?" for a mistyped client id, manager, kind or type (pure).

Only ever a suggestion in an error message: casectl never acts on a guess.
"""

from __future__ import annotations

from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates most like ``word``, best first (at most ``n``): the ones difflib
    finds close, then those that start with it (a prefix is a likely typo too)."""
    import difflib  # only an error message needs it

    pool = sorted(set(candidates))
    found = difflib.get_close_matches(word, pool, n=n, cutoff=0.6)
    folded = word.casefold()
    found += [c for c in pool if folded and c.casefold().startswith(folded) and c not in found]
    return found[:n]


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3) -> str:
    """`` (did you mean 'x'?)``, `` (did you mean 'x' or 'y'?)``, or empty."""
    found = close_matches(word, candidates, n)
    if not found:
        return ""
    quoted = [repr(c) for c in found]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" (did you mean {listed}?)"
