"""``casectl init [DIR] --agency NAME``: a new agency repository, committed."""

from __future__ import annotations

import zoneinfo
from pathlib import Path

from casectl import repo, scaffold, schemas
from casectl.errors import CasectlError
from casectl.output import Output


def run(out: Output, directory: Path | None, target: Path, agency: str, timezone: str) -> int:
    root = (directory / target if directory and not target.is_absolute() else target).resolve()
    if not agency.strip():
        raise CasectlError("--agency: the agency needs a name")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise CasectlError(
            f"--timezone: {timezone!r} is not a known time zone "
            "(use an IANA name such as America/Chicago)"
        ) from None
    if (root / repo.CONFIG_NAME).exists():
        raise CasectlError(
            f"{root / repo.CONFIG_NAME} already exists; this is an agency repository already"
        )
    if root.exists() and not root.is_dir():
        raise CasectlError(f"{root} exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    if not (root / ".git").exists():
        repo.git_init(root)
    (root / repo.CONFIG_NAME).write_text(
        scaffold.agency_yaml(agency.strip(), timezone), encoding="utf-8"
    )
    clients = root / "clients"
    clients.mkdir(exist_ok=True)
    (clients / ".gitkeep").touch()
    ignore = root / ".gitignore"
    existing = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
    if ".casectl/" not in existing.split():
        ignore.write_text(
            existing
            + ("\n" if existing and not existing.endswith("\n") else "")
            + scaffold.GITIGNORE,
            encoding="utf-8",
        )
    repo.ensure_gitattributes(root)
    schema_dir = root / scaffold.SCHEMA_DIR
    schema_dir.mkdir(exist_ok=True)
    for name, schema in schemas.schemas().items():
        (schema_dir / name).write_text(schemas.dumps(schema), encoding="utf-8")
    repo.configure_merge_driver(root)
    repo.commit_all_initial(
        root,
        [repo.CONFIG_NAME, "clients/.gitkeep", ".gitignore", ".gitattributes", scaffold.SCHEMA_DIR],
        f"init: {agency.strip()}",
    )
    out.line(f"created agency repository {root}")
    return 0
