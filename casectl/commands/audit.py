"""``casectl audit [--since REV] [--require-signed] [--format text|json]``.

Lists every commit that edited, removed or reordered an existing progress note (and,
with ``--require-signed``, every commit without a good signature). Exit 1 when
anything is listed, 0 when the history is clean, 2 when it cannot run.
"""

from __future__ import annotations

from pathlib import Path

from casectl.errors import CasectlError
from casectl.git import commit as repo
from casectl.git.audit import AuditResult, Finding, audit
from casectl.present import problems as render
from casectl.present.output import Output, visible


def run(
    out: Output, directory: Path | None, since: str | None, require_signed: bool, fmt: str
) -> int:
    root = repo.find_root(directory, explicit=directory is not None)
    if not (root / ".git").exists() and repo.resolve_commit(root, "HEAD") is None:
        raise CasectlError(f"{root} is not a git repository: there is no history to audit")
    result = audit(root, since=since, require_signed=require_signed)
    if fmt == "json":
        out.write(render.json_list([f.to_json() for f in result.findings]))
    else:
        for finding in result.findings:
            out.line(finding_line(finding))
        out.stderr.write(summary(result, require_signed) + "\n")
    return 1 if result.findings else 0


def finding_line(f: Finding) -> str:
    """``<commit> <date> <author> <client> <entry> <change>: <detail>`` on one line
    (names, ids and details come from the history: control characters escaped)."""
    who = f"{f.author} <{f.email}>"
    day = f.date[:10]
    if f.change == "unsigned":
        return visible(f"{f.commit[:12]}  {day}  {who}  unsigned: {f.detail}")
    where = f"  clients/{f.client}/log.yaml" if f.client else ""
    entry = f"  {f.entry}" if f.entry else ""
    via = " (merge)" if f.merge else ""
    return visible(f"{f.commit[:12]}  {day}  {who}{where}{entry}  {f.change}{via}: {f.detail}")


def summary(result: AuditResult, require_signed: bool) -> str:
    parts = []
    changed = [f for f in result.findings if f.change != "unsigned"]
    if changed:
        parts.append(
            f"{_n(len(changed), 'change')} to existing notes in "
            f"{_n(result.changed_commits, 'commit')}"
        )
    if result.unsigned_commits:
        parts.append(f"{_n(result.unsigned_commits, 'commit')} without a good signature")
    if not parts:
        parts.append(
            "no existing note was changed"
            + (" and every commit is signed" if require_signed else "")
        )
    scope = f"{_n(result.commits, 'commit')} checked" + (
        f", {_n(result.log_changes, 'log change')} compared" if result.log_changes else ""
    )
    return f"audit: {'; '.join(parts)} ({scope})"


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"
