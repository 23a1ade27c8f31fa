"""``casectl merge-log BASE OURS THEIRS [PATH]``: the git merge driver for log.yaml.

Hidden from ``--help``: git runs it (``merge.casectl-log.driver``, registered by
``casectl init`` and ``casectl sync``), people do not. It needs no agency: git runs it
from the repository root with temporary files, and the exit code is what git reads
(0 merged into OURS, 1 conflict, 2 could not read or write).
"""

from __future__ import annotations

from pathlib import Path

from casectl.git import mergedriver
from casectl.present.output import Output


def run(
    out: Output, directory: Path | None, base: Path, ours: Path, theirs: Path, path: str
) -> int:
    # ``directory`` (-C) is irrelevant: git passes every file it wants merged.
    del out, directory
    return mergedriver.main([str(base), str(ours), str(theirs), path])
