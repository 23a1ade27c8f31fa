"""The layer rule of docs/architecture.md, checked on the source: every import of a
casectl module (at the top, inside a function or for type checking only) points down
the layers, and no command imports another command."""

from __future__ import annotations

import ast
from pathlib import Path

import casectl

PACKAGE = Path(casectl.__file__).parent

# Lower imports nothing higher. Same rank: only within a package, or a pair below.
RANK = {
    "errors": 0,
    "core": 0,
    "store": 1,
    "checks": 2,
    "read": 3,
    "git": 3,
    "figures": 2,  # pure functions of typed records (core only)
    "edit": 4,
    "present": 4,
    "vault": 5,
    "commands": 6,
    "cli": 7,
    "launch": 8,  # the console entry: fast paths, then the command line
    "__main__": 9,
}
SIDEWAYS = {
    ("edit", "present"),  # the transaction prints problems as problem lines
    # Known exceptions, each a lazy import where it is needed, to be moved down a layer:
    ("checks", "git"),  # an approval goes stale when plan.yaml's blob changed (git history)
    ("git", "vault"),  # audit and the merge driver decrypt restricted blobs (git-crypt)
    ("present", "vault"),  # audit's purge lines name vault verdicts (types only)
}


def _layer(module: str) -> str:
    """``casectl.store.writes`` -> ``store``; ``casectl`` itself (its version) -> core."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "core"


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "casectl":
                found += [(node.lineno, f"casectl.{a.name}") for a in node.names]
            elif node.module.startswith("casectl."):
                found.append((node.lineno, node.module))
                found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("casectl.")]
    return found


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        layer = rel.parts[0]
        out.append((layer if layer != "__init__" else "core", path))
    return out


def test_every_package_has_a_layer() -> None:
    assert {layer for layer, _ in _modules()} <= set(RANK)


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for layer, path in _modules():
        for line, module in _imports(path):
            target = _layer(module)
            if target not in RANK or target == layer or (layer, target) in SIDEWAYS:
                continue
            if RANK[target] >= RANK[layer]:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line}: {layer} imports {module}")
    assert wrong == []


def test_no_command_imports_another_command() -> None:
    wrong = []
    for path in sorted((PACKAGE / "commands").glob("*.py")):
        for line, module in _imports(path):
            parts = module.split(".")
            if (
                parts[:2] == ["casectl", "commands"]
                and len(parts) > 2
                and parts[2] not in ("_common", path.stem)
                and (PACKAGE / "commands" / f"{parts[2]}.py").exists()
            ):
                wrong.append(f"commands/{path.name}:{line}: imports {module}")
    assert wrong == []
