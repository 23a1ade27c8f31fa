"""``casectl new ID --name N --manager M``: scaffold a client's four files; commit."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from casectl.checks import check_client
from casectl.commands._common import agency_context, parse_date_option
from casectl.edit import notes, scaffold
from casectl.errors import CasectlError
from casectl.git import commit as gitcommit
from casectl.git import guards
from casectl.git import run as gitrun
from casectl.present.output import Output
from casectl.present.problems import problem_line
from casectl.store import layout, records, writes


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
    layout.check_client_id(client_id)
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
    git = guards.check_can_write(root, commit=not no_commit)
    if not gitrun.committed(root, layout.CONFIG_NAME):
        raise CasectlError(
            f"{layout.CONFIG_NAME} is not committed: this agency repository was not finished "
            f"(`casectl init` stopped before its first commit). Run `casectl init "
            f"--agency NAME` again in {root} to complete it, then add clients; "
            "nothing was written"
        )
    rel = f"clients/{client_id}"
    folder = root / rel
    if folder.exists() or folder.is_symlink():
        raise CasectlError(f"client {client_id!r} already exists ({rel})")
    layout.ensure_inside(root, root / "clients")
    with guards.client_changes(root, rel, git) as changes:
        notes.refuse_changes(rel, changes())
    modes = writes.case_modes(ctx.agency.shared_group)
    (root / "clients").mkdir(exist_ok=True)
    writes.make_folder(folder, modes.folder)
    files = {
        "client.yaml": scaffold.client_yaml(client_id, name.strip(), manager, day, program),
        "assessment.yaml": scaffold.assessment_yaml(),
        "plan.yaml": scaffold.plan_yaml(day),
        "log.yaml": scaffold.log_yaml(),
    }
    paths = [folder / f for f in files]
    try:
        for path, text in zip(paths, files.values(), strict=True):
            writes.atomic_write(path, text.encode("utf-8"), modes.file)
        check = check_client(records.read_client(root, client_id), ctx.env)
        errors = [p for p in check.problems if p.severity == "error"]
        if errors:
            raise CasectlError(
                "the new client would not validate:\n" + "\n".join(problem_line(p) for p in errors)
            )
        if not no_commit:
            gitcommit.commit_paths(root, paths, f"new: {client_id} ({manager})")
    except BaseException:
        # No trace: the folder goes, and git's index forgets whatever was staged of it
        # (nothing was staged there before: refuse_changes made sure).
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)
        if not no_commit:
            with contextlib.suppress(CasectlError):
                gitcommit.unstage(root, [rel])
        raise
    out.line(f"created {rel}")
    return 0
