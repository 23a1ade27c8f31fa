"""``casectl migrate [--yes]``: bring the repository to format 2 in one reviewed commit.

Every client's ``consent:`` block becomes a one-item ``consents:`` list (in place,
comments kept); casectl.yaml gets ``format: 2`` and, when it has none, the explicit
``contact_types`` of format 1, so every due date stays what it was. The diff is shown
first and the change committed once, after a yes (``--yes`` skips the question).
Every changed file is checked like any edit: a change that adds a problem refuses.
"""

from __future__ import annotations

import contextlib
import difflib
import sys
from pathlib import Path

from casectl.checks import check_client, check_config
from casectl.commands._common import agency_context
from casectl.core.context import Env
from casectl.core.model import CONTACT_TYPES, FORMAT_VERSION
from casectl.edit import coordinate
from casectl.edit.transaction import new_problems
from casectl.edit.yamledit import Document, EditRefused
from casectl.errors import CasectlError
from casectl.git import commit as gitcommit
from casectl.git import guards
from casectl.git.run import NOTHING_WRITTEN
from casectl.present.output import Output
from casectl.present.problems import problem_line
from casectl.store import layout, load, records, writes

# Format 1's contact types (contract section 2), in the contract's order.
FORMAT1_CONTACT_TYPES = ["contact", "visit", "phone", "email", "meeting", "crisis"]


def run(out: Output, directory: Path | None, yes: bool) -> int:
    assert set(FORMAT1_CONTACT_TYPES) == CONTACT_TYPES
    ctx = agency_context(directory, writes=True)
    root = ctx.root
    git = guards.check_can_write(root)
    with contextlib.ExitStack() as stack:
        stack.enter_context(writes.locked(root))
        new: dict[str, bytes] = {}  # path relative to root -> new bytes
        old: dict[str, bytes] = {}
        config_raw = load.read_regular(root / layout.CONFIG_NAME)
        if isinstance(config_raw, str):
            raise CasectlError(f"cannot read {layout.CONFIG_NAME}: {config_raw}")
        config = _config(config_raw)
        if config != config_raw:
            old[layout.CONFIG_NAME], new[layout.CONFIG_NAME] = config_raw, config
        settings = check_config(load.load_text(layout.CONFIG_NAME, config))
        if settings.errors and not ctx.settings_errors:
            raise CasectlError(
                f"{layout.CONFIG_NAME} would not validate:\n"
                + "\n".join(problem_line(p) for p in settings.errors)
            )
        env = Env(settings.agency, ctx.today, ctx.zone, root)
        for cid in layout.client_ids(root):
            folder = root / "clients" / cid
            stack.enter_context(writes.locked(folder))
            files = records.read_client(root, cid)
            raw = files.raw.get("client.yaml")
            if raw is None:
                continue
            converted = _client(f"clients/{cid}/client.yaml", raw)
            if converted is None:
                continue
            candidate = files.replaced("client.yaml", converted)
            added = new_problems(
                check_client(files, ctx.env).problems, check_client(candidate, env).problems
            )
            errors = [p for p in added if p.severity == "error"]
            if errors:
                raise CasectlError(
                    f"not migrating: clients/{cid}/client.yaml would not validate:\n"
                    + "\n".join(problem_line(p) for p in errors)
                )
            rel = f"clients/{cid}/client.yaml"
            old[rel], new[rel] = raw, converted
        if not new:
            out.line(f"nothing to migrate: the repository is at format {FORMAT_VERSION}")
            return 0
        changes = guards.work_tree_changes(root)
        dirty = sorted(c.path for c in changes if c.path in new)
        if dirty:
            raise CasectlError(
                "refusing to migrate: these files have changes that are not committed:\n"
                + "\n".join(f"  {p}" for p in dirty)
                + f"\ncommit or discard them, {NOTHING_WRITTEN}"
            )
        for rel in new:
            out.write(_diff(rel, old[rel], new[rel]))
        clients = len([r for r in new if r != layout.CONFIG_NAME])
        summary = (
            f"format {ctx.agency.format} -> {FORMAT_VERSION}: "
            f"casectl.yaml and {clients} client file(s)"
        )
        if not yes and not _confirm(out, summary):
            raise CasectlError("not confirmed; nothing written")
        paths: list[Path] = []
        modes = writes.case_modes(ctx.agency.shared_group)
        for rel, data in new.items():
            path = layout.ensure_inside(root, root / rel)
            writes.replace_file(path, data, None if rel == layout.CONFIG_NAME else modes.file)
            paths.append(path)
        del git
        commit = gitcommit.commit_paths(root, paths, f"migrate: {summary}")
    out.warn(f"migrated ({summary}); commit {commit[:12]}")
    return 0


def _config(raw: bytes) -> bytes:
    try:
        doc = Document(layout.CONFIG_NAME, raw)
    except EditRefused as exc:
        raise CasectlError(f"cannot edit {layout.CONFIG_NAME}: {exc}") from None
    current = doc.root.get("format", 1)
    if isinstance(current, int) and current >= FORMAT_VERSION:
        return raw
    doc.root["format"] = FORMAT_VERSION
    if "contact_types" not in doc.root:
        from ruamel.yaml.comments import CommentedSeq

        seq = CommentedSeq(FORMAT1_CONTACT_TYPES)
        seq.fa.set_flow_style()
        doc.root["contact_types"] = seq
    try:
        return doc.render()
    except EditRefused as exc:
        raise CasectlError(f"cannot edit {layout.CONFIG_NAME}: {exc}") from None


def _client(shown: str, raw: bytes) -> bytes | None:
    try:
        doc = Document(shown, raw)
    except EditRefused:
        return None  # a client.yaml that cannot be read: validate reports it
    try:
        text = coordinate.consent_block_to_list(doc.text)
    except EditRefused as exc:
        raise CasectlError(f"cannot migrate {shown}: {exc}") from None
    if text is None:
        return None
    if doc.crlf:
        text = text.replace("\n", "\r\n")
    out = (("\ufeff" if doc.bom else "") + text).encode("utf-8")
    try:
        Document(shown, out)  # reads back as YAML
    except EditRefused as exc:
        raise CasectlError(f"cannot migrate {shown}: {exc}") from None
    return out


def _diff(rel: str, old: bytes, new: bytes) -> str:
    lines = difflib.unified_diff(
        old.decode("utf-8", "replace").splitlines(keepends=True),
        new.decode("utf-8", "replace").splitlines(keepends=True),
        f"a/{rel}",
        f"b/{rel}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _confirm(out: Output, summary: str) -> bool:
    out.stderr.write(f"{summary}\nCommit this change? [y/N] ")
    out.stderr.flush()
    stream = sys.stdin
    answer = stream.readline() if stream is not None else ""
    return answer.strip().lower() in ("y", "yes")
