"""``casectl init [DIR] --agency NAME``: a new agency repository, committed.

Everything that can refuse is checked before the first file is written: the options,
git's identity (the first commit needs it) and, in an existing repository, an
unfinished git operation or a stale index.lock. Running ``init`` again completes a
repository it left half made (casectl.yaml written but never committed).
"""

from __future__ import annotations

from pathlib import Path

from casectl.checks import check_config
from casectl.core import dates, schemas
from casectl.core.model import CLIENT_ID_RE, Agency
from casectl.edit import scaffold
from casectl.errors import CasectlError
from casectl.git import commit as gitcommit
from casectl.git import guards
from casectl.git import run as gitrun
from casectl.git import sync as gitsync
from casectl.present.output import Output
from casectl.store import layout, load, writes

_TRACKED = (layout.CONFIG_NAME, "clients/.gitkeep", ".gitignore", ".gitattributes")


def run(
    out: Output,
    directory: Path | None,
    target: Path,
    agency: str,
    timezone: str,
    manager: str | None = None,
) -> int:
    root = (directory / target if directory and not target.is_absolute() else target).resolve()
    name = agency.strip()
    if not name:
        raise CasectlError("--agency: the agency needs a name")
    if dates.zone_named(timezone) is None:
        raise CasectlError(
            f"--timezone: {timezone!r} is not a known time zone "
            "(use an IANA name such as America/Chicago)"
        )
    if manager is not None and not CLIENT_ID_RE.fullmatch(manager):
        raise CasectlError(
            f"--manager: {manager!r} is not a manager key: use lower-case letters, digits "
            "and '-', starting with a letter or digit, at most 64 characters"
        )
    if root.exists() and not root.is_dir():
        raise CasectlError(f"{root} exists and is not a folder")
    is_repo = (root / ".git").exists()
    config = root / layout.CONFIG_NAME
    if is_repo and gitrun.committed(root, layout.CONFIG_NAME):
        raise CasectlError(f"{config} already exists; this is an agency repository already")
    if is_repo:
        guards.check_can_write(root)
    who = gitrun.author(root if is_repo else None)
    key = manager or scaffold.manager_key(who.email)
    if key is None:
        raise CasectlError(
            f"cannot make a manager key from git's e-mail address ({who.email or 'none'}); "
            "choose one with --manager KEY (lower-case letters, digits and '-')"
        )
    half_made = config.exists()

    # Nothing has been written up to here.
    root.mkdir(parents=True, exist_ok=True)
    if not is_repo:
        gitrun.git_init(root)
    kept = _usable(config)
    if kept is None:
        text = scaffold.agency_yaml(name, timezone, key, who.name or key, who.email)
        writes.atomic_write(config, text.encode("utf-8"))
    elif kept.managers is None:
        _add_first_manager(config, key, scaffold.manager_entry(who.name or key, who.email))
    clients = root / "clients"
    clients.mkdir(exist_ok=True)
    writes.ensure_file(clients / ".gitkeep")
    writes.add_missing_text(
        root / ".gitignore", lambda text: ".casectl/" in text.split(), scaffold.GITIGNORE
    )
    gitsync.ensure_gitattributes(root)
    writes.write_text_files(
        root / scaffold.SCHEMA_DIR,
        {name: schemas.dumps(schema) for name, schema in schemas.schemas().items()},
    )
    gitsync.configure_merge_driver(root)
    try:
        gitcommit.commit_all_initial(root, [*_TRACKED, scaffold.SCHEMA_DIR], f"init: {name}")
    except CasectlError as exc:
        raise CasectlError(
            f"{exc}; the files are written but not committed: fix that, then run "
            f"`casectl init` again to finish the repository"
        ) from None
    what = "completed the agency repository" if half_made else "created agency repository"
    out.line(f"{what} {root}")
    return 0


def _usable(config: Path) -> Agency | None:
    """An existing (uncommitted) casectl.yaml that is complete and valid: kept as it is
    then; a missing, partly written or broken one (None) is written afresh."""
    if not config.exists():
        return None
    loaded = load.load_file(config, layout.CONFIG_NAME)
    settings = check_config(loaded)
    if settings.fallbacks or any(p.severity == "error" for p in settings.problems):
        return None
    return settings.agency


def _add_first_manager(config: Path, key: str, entry: str) -> None:
    """Append ``managers: {key: entry}`` to a kept casectl.yaml that has none, so the
    list is never empty; left as it is when the result would not read back so."""
    raw = writes.read_bytes(config)
    sep = b"" if raw.endswith(b"\n") or not raw else b"\n"
    new = raw + sep + f"managers:\n  {key}: {entry}\n".encode()
    settings = check_config(load.load_text(layout.CONFIG_NAME, new))
    errors = settings.fallbacks or any(p.severity == "error" for p in settings.problems)
    if list(settings.agency.managers or {}) == [key] and not errors:
        writes.atomic_write(config, new)
