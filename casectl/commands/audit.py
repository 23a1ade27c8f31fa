"""``casectl audit [--since REV] [--require-signed] [--format text|json]``.

Lists every commit that edited, removed or reordered an existing progress note (and,
with ``--require-signed``, every commit without a good signature). Exit 1 when
anything is listed, 0 when the history is clean, 2 when it cannot run.
"""

from __future__ import annotations

from pathlib import Path

from casectl.errors import CasectlError
from casectl.git import run as gitrun
from casectl.git.audit import audit
from casectl.present import formats
from casectl.present.audit import unchecked_line
from casectl.present.output import Output
from casectl.store import layout


def run(
    out: Output, directory: Path | None, since: str | None, require_signed: bool, fmt: str
) -> int:
    root = layout.find_root(directory, explicit=directory is not None)
    if not (root / ".git").exists() and gitrun.resolve_commit(root, "HEAD") is None:
        raise CasectlError(f"{root} is not a git repository: there is no history to audit")
    result = audit(root, since=since, require_signed=require_signed)
    formats.AUDIT.write(fmt, out, formats.AuditView(result, require_signed))
    said = unchecked_line(result)
    if said is not None:
        out.stderr.write(said + "\n")
    return 1 if result.findings else 0
