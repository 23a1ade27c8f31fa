"""Key handling as docs/security.md ("Restricted clients and keys") tells it: export a
group's key, unlock a clone with it, and rotate to a new key when someone leaves. The
commands are run here exactly as the documentation gives them."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from casectl.vault import crypt
from casectl.vault.trailers import vault_commits
from tests.builders import MAGIC, REPO_ROOT, blob, cli, client_files, make_agency, run_git

pytestmark = pytest.mark.usefixtures("git_crypt")

SECURITY_MD = REPO_ROOT / "docs" / "security.md"


def _section() -> str:
    text = SECURITY_MD.read_text(encoding="utf-8")
    start = text.index("## Restricted clients and keys")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _block(title: str) -> list[str]:
    """The command lines of the ``` block that follows the line containing ``title``."""
    section = _section()
    at = section.index(title)
    block = re.search(r"```\n(.*?)```", section[at:], re.S)
    assert block is not None, title
    return [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]


def _run(lines: list[str], cwd: Path, values: dict[str, str]) -> None:
    for line in lines:
        for name, value in values.items():
            line = line.replace(name, value)
        args = shlex.split(line)
        if args[0] == "cd" or args[:2] == ["git", "clone"]:  # the test made the clone
            continue
        subprocess.run(args, cwd=cwd, check=True, capture_output=True, env=os.environ.copy())


def test_the_documented_export_unlock_and_rotation_work(tmp_path: Path) -> None:
    clients = {cid: client_files(cid) for cid in ("rc-0042", "rc-0107", "rc-0200")}
    root = make_agency(tmp_path / "agency", clients)
    assert cli("-C", root, "restrict", "rc-0042", "--group", "dv").exit_code == 0
    assert cli("-C", root, "restrict", "rc-0107", "--group", "dv").exit_code == 0
    keys = tmp_path / "keys"
    keys.mkdir()

    # export, then a colleague's clone unlocked with the file
    _run(_block("Export the key"), root, {"dv.key": str(keys / "dv.key")})
    colleague = tmp_path / "colleague"
    run_git(tmp_path, "clone", "-q", str(root), str(colleague))
    assert crypt.locked_clients(colleague) == ["rc-0042", "rc-0107"]
    _run(_block("unlocks their clone"), colleague, {"dv.key": str(keys / "dv.key")})
    assert crypt.locked_clients(colleague) == []

    # rotation: a new key for the group's later commits
    old_blob = blob(root, "HEAD:clients/rc-0042/log.yaml")
    _run(_block("Rotate"), root, {"dv-2.key": str(keys / "dv-2.key")})
    assert crypt.restricted_clients(root) == {"rc-0042": "dv-2", "rc-0107": "dv-2"}
    assert run_git(root, "status", "--porcelain") == ""
    new_blob = blob(root, "HEAD:clients/rc-0042/log.yaml")
    assert new_blob.startswith(MAGIC)
    assert crypt.decrypt(root, new_blob, ["dv"]) is None  # the old key opens nothing new
    assert crypt.decrypt(root, new_blob, ["dv-2"]) == crypt.decrypt(root, old_blob, ["dv"])
    # audit accepts the rotation commit for exactly those two clients
    [rotation, *_] = vault_commits(root, ["HEAD"])
    assert [(v.kind, v.client, v.ok) for v in rotation.verdicts] == [
        ("restrict", "rc-0042", True),
        ("restrict", "rc-0107", True),
    ]
    # a remaining member pulls and unlocks with the new key too; the old key still
    # reads the commits made before the rotation (no revocation)
    run_git(colleague, "pull", "-q", "--ff-only")
    assert crypt.locked_clients(colleague) == ["rc-0042", "rc-0107"]
    _run(_block("remaining members"), colleague, {"dv-2.key": str(keys / "dv-2.key")})
    assert crypt.locked_clients(colleague) == []
    assert (colleague / "clients" / "rc-0042" / "client.yaml").read_text().startswith("id: ")
