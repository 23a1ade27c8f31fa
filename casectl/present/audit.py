"""Audit findings as lines for people (``audit`` and ``sync`` print them) and the
one-line summary; JSON is ``Finding.to_json`` through ``text.json_list``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from casectl.present.output import visible
from casectl.present.text import json_list

if TYPE_CHECKING:
    from casectl.git.audit import AuditResult, Finding
    from casectl.present.output import Output

if TYPE_CHECKING:
    from casectl.vault.trailers import CommitVerdicts


def finding_line(f: Finding) -> str:
    """``<commit> <date> <author> <client> <entry> <change>: <detail>`` on one line
    (names, ids and details come from the history: control characters escaped)."""
    who = f"{f.author} <{f.email}>"
    day = f.date[:10]
    if f.change == "unsigned":
        return visible(f"{f.commit[:12]}  {day}  {who}  unsigned: {f.detail}")
    where = f"  clients/{f.client}/{f.file}" if f.client else ""
    entry = f"  {f.entry}" if f.entry else ""
    via = " (merge)" if f.merge else ""
    return visible(f"{f.commit[:12]}  {day}  {who}{where}{entry}  {f.change}{via}: {f.detail}")


def purge_lines(purges: list[CommitVerdicts]) -> list[str]:
    """The section of purges (contract 5.7): a heading, then one line per purged client,
    newest first, ``accepted`` or ``flagged`` (its problems are findings above)."""
    if not purges:
        return []
    lines = ["purges:"]
    for c in purges:
        for v in c.verdicts:
            if v.kind != "purge":
                continue
            verdict = "accepted" if v.ok else "flagged"
            lines.append(
                visible(
                    f"  {c.commit[:12]}  {c.date[:10]}  {c.author} <{c.email}>  "
                    f"clients/{v.client}/  {verdict}"
                )
            )
    return lines


def unchecked_line(result: AuditResult) -> str | None:
    """What this clone could not audit: restricted logs it has no key for."""
    if not result.unchecked:
        return None
    shown = ", ".join(result.unchecked[:10])
    more = len(result.unchecked) - 10
    if more > 0:
        shown += f" and {more} more"
    logs = "log" if len(result.unchecked) == 1 else "logs"
    return (
        f"audit: not checkable here: the restricted {logs} of {shown} (no key for "
        f"{'its' if len(result.unchecked) == 1 else 'their'} group in this clone; a member "
        "of the group audits them)"
    )


def summary(result: AuditResult, require_signed: bool) -> str:
    parts = []
    changed = [f for f in result.findings if f.change != "unsigned"]
    vault = [f for f in changed if f.change in _VAULT]
    changed = [f for f in changed if f.change not in _VAULT]
    if changed:
        parts.append(
            f"{_n(len(changed), 'change')} to existing notes in "
            f"{_n(result.changed_commits, 'commit')}"
        )
    if vault:
        parts.append(f"{_n(len(vault), 'problem')} with restrict, unrestrict or purge commits")
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
    if result.purges:
        scope += f", {_n(len(result.purges), 'purge')}"
    return f"audit: {'; '.join(parts)} ({scope})"


_VAULT = frozenset({"restrict", "unrestrict", "purge"})


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


# ------------------------------------------------------------------ the audit formats
# (present.formats.AUDIT lists them)


def write_text(out: Output, result: AuditResult, require_signed: bool) -> None:
    """One line per finding on stdout, the summary on stderr."""
    for finding in result.findings:
        out.line(finding_line(finding))
    for line in purge_lines(result.purges):
        out.line(line)
    out.stderr.write(summary(result, require_signed) + "\n")


def write_json(out: Output, result: AuditResult, require_signed: bool) -> None:
    out.write(json_list([f.to_json() for f in result.findings]))
