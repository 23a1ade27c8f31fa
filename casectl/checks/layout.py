"""The repository layout of a client folder (CM60x).

| code | rule |
|---|---|
| CM601 | each client folder has client.yaml, assessment.yaml, plan.yaml and log.yaml |
| CM602 | a client folder's name is a valid client id (`^[a-z0-9][a-z0-9-]{0,63}$`) |
| CM603 | a client folder or file is not a symbolic link |
| CM604 | unexpected file in a client folder (warning) |
| CM605 | something under clients/ that is not a folder (warning; found by ``read.scan``) |

What is on disk was found by ``store.records.read_client``; this turns it into problems.
"""

from __future__ import annotations

from casectl.checks.result import CheckedClient
from casectl.core.context import Env
from casectl.core.model import describe
from casectl.core.problems import Problem


def run(c: CheckedClient, env: Env) -> list[Problem]:
    files = c.files
    rel = files.rel
    if files.bad_id:
        return [
            Problem(
                rel,
                1,
                1,
                "error",
                "CM602",
                f"{describe(files.id)} is not a valid client id "
                "(lower-case letters, digits and '-', up to 64)",
            )
        ]
    if files.folder_link:
        return [
            Problem(
                rel,
                1,
                1,
                "error",
                "CM603",
                "client folder is a symbolic link; refusing to follow it",
            )
        ]
    if files.unlistable is not None:
        return [Problem(rel, 1, 1, "error", "CM601", f"cannot list the folder: {files.unlistable}")]
    out = [
        Problem(f"{rel}/{name}", 1, 1, "warning", "CM604", "unexpected file in a client folder")
        for name in files.extra
    ]
    out += [
        Problem(f"{rel}/{name}", 1, 1, "error", "CM601", f"{name} is missing")
        for name in files.missing
    ]
    out += [
        Problem(
            f"{rel}/{name}", 1, 1, "error", "CM603", "is a symbolic link; refusing to follow it"
        )
        for name in files.links
    ]
    return out
