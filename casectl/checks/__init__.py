"""Every check of casectl: a registry of families, run in order over one client.

``REGISTRY`` lists the families (one module each; its docstring lists its codes), in
the order they run: a family reads what the earlier ones built (the typed client.yaml
before the assessments and the log, the plan before the note goal links). Each takes
the ``CheckedClient`` being built and the ``Env`` (settings, validation day, zone) and
returns problems; checks never print, never read files and never raise for bad data.

``check_client(files, env)`` runs them over a client read by
``store.records.read_client`` (or a writer's candidate); ``check_config`` reads
casectl.yaml (``config``). ``schema`` maps record validation to x01..x07 of each
file's block; the loader owns the rest of CM0xx.
"""

from __future__ import annotations

from collections.abc import Callable

from casectl.checks import assessment, client, layout, links, log, plan, text
from casectl.checks.config import Settings, best_settings, check_config
from casectl.checks.result import CheckedClient, cap_problems
from casectl.core.context import Env
from casectl.core.problems import Problem
from casectl.store.records import CLIENT_FILES, ClientFiles

__all__ = [
    "CLIENT_FILES",
    "REGISTRY",
    "CheckedClient",
    "Env",
    "Settings",
    "best_settings",
    "cap_problems",
    "check_client",
    "check_config",
]

Family = Callable[[CheckedClient, Env], list[Problem]]


def _loader(c: CheckedClient, env: Env) -> list[Problem]:
    """CM0xx: what the loader found in each file (syntax, encoding, size, ...)."""
    return [p for loaded in c.loaded.values() for p in loaded.problems]


# family -> its check, in the order they run
REGISTRY: dict[str, Family] = {
    "layout": layout.run,  # CM60x: the folder and which files are there
    "load": _loader,  # CM0xx
    "text": text.run,  # CM011, CM128
    "client": client.run,  # CM1xx
    "assessment": assessment.run,  # CM3xx
    "plan": plan.run,  # CM2xx
    "log": log.run,  # CM4xx
    "links": links.run,  # CM62x
}


def check_client(files: ClientFiles, env: Env) -> CheckedClient:
    """Every problem of one client's files, and its records as far as they are valid."""
    result = CheckedClient(files.id, files, root=env.root)
    for name, family in REGISTRY.items():
        result.problems += family(result, env)
        if name == "layout" and not files.readable:
            break  # a folder that cannot be read: that one problem, nothing else
    result.problems = cap_problems(result.problems, files.loaded.values())
    return result
