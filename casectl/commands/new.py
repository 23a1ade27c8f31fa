"""``casectl new ID --name N --manager M``: scaffold a client's four files; commit."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from casectl import repo, scaffold
from casectl.checks import check_client
from casectl.commands._common import agency_context, parse_date_option
from casectl.errors import CasectlError
from casectl.output import Output
from casectl.render import problem_line


def run(
    out: Output,
    directory: Path | None,
    client_id: str,
    name: str,
    manager: str,
    opened: str | None,
    program: str | None,
    no_commit: bool,
) -> int:
    repo.check_client_id(client_id)
    ctx = agency_context(directory, writes=True)
    root = ctx.root
    day = parse_date_option("--opened", opened) if opened else ctx.today
    if not name.strip():
        raise CasectlError("--name: the client needs a name")
    managers = ctx.agency.managers
    if managers is not None and manager not in managers:
        known = ", ".join(sorted(managers)) or "none"
        raise CasectlError(
            f"--manager: {manager!r} is not a manager in casectl.yaml (known: {known})"
        )
    folder = root / "clients" / client_id
    if folder.exists() or folder.is_symlink():
        raise CasectlError(f"client {client_id!r} already exists (clients/{client_id})")
    repo.ensure_inside(root, root / "clients")
    folder.mkdir(parents=True)
    files = {
        "client.yaml": scaffold.client_yaml(client_id, name.strip(), manager, day, program),
        "assessment.yaml": scaffold.assessment_yaml(),
        "plan.yaml": scaffold.plan_yaml(day),
        "log.yaml": scaffold.log_yaml(),
    }
    try:
        for fname, text in files.items():
            (folder / fname).write_text(text, encoding="utf-8")
        check = check_client(root, client_id, ctx.agency, ctx.today, ctx.zone)
        errors = [p for p in check.problems if p.severity == "error"]
        if errors:
            raise CasectlError(
                "the new client would not validate:\n" + "\n".join(problem_line(p) for p in errors)
            )
        if not no_commit:
            repo.commit(root, [folder / f for f in files], f"new: {client_id} ({manager})")
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)
        raise
    out.line(f"created clients/{client_id}")
    return 0
