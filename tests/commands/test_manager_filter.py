"""An unknown ``--manager`` is refused everywhere (exit 2), naming the known managers.

An empty table with exit 0 reads as "nothing to do" to a person or a cron job, so a
typo must fail like ``due`` always did. Known managers: the ``managers:`` keys, or,
without that list, the managers named by the clients.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import AGENCY_YAML, cli, client_files, make_agency

AS_OF = "2026-02-20"
NO_LIST = "format: 1\nagency: Test Agency\ntimezone: America/Chicago\n"
COMMANDS = [
    ["list"],
    ["list", "--format", "json"],
    ["due", "--as-of", AS_OF],
    ["digest", "--as-of", AS_OF],
    ["caseload", "--as-of", AS_OF],
]


def _agency(tmp_path: Path, settings: str) -> Path:
    bo = client_files("rc-0002", **{"client.yaml": client_files("rc-0002")["client.yaml"]})
    bo["client.yaml"] = (bo["client.yaml"] or "").replace("manager: jdoe", "manager: bo")
    bo["log.yaml"] = (bo["log.yaml"] or "").replace("by: jdoe", "by: bo")
    bo["assessment.yaml"] = (bo["assessment.yaml"] or "").replace("by: jdoe", "by: bo")
    return make_agency(
        tmp_path / "ag", {"rc-0001": client_files("rc-0001"), "rc-0002": bo}, agency_yaml=settings
    )


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:3]) for c in COMMANDS])
def test_unknown_manager_with_a_managers_list(tmp_path: Path, args: list[str]) -> None:
    root = make_agency(tmp_path / "ag", {"rc-0001": client_files("rc-0001")})
    assert "managers:" in AGENCY_YAML
    r = cli("-C", root, *args, "--manager", "nobody")
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert "--manager: 'nobody'" in lines[0] and "known: jdoe, mkim" in lines[0]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:3]) for c in COMMANDS])
def test_unknown_manager_without_a_list_names_the_clients_managers(
    tmp_path: Path, args: list[str]
) -> None:
    root = _agency(tmp_path, NO_LIST)
    r = cli("-C", root, *args, "--manager", "jdo")
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert len(r.stderr.splitlines()) == 1 and "known: bo, jdoe" in r.stderr
    ok = cli("-C", root, *args, "--manager", "bo")
    assert ok.exit_code == 0, ok.stderr


def test_a_known_manager_still_filters(tmp_path: Path) -> None:
    root = _agency(tmp_path, NO_LIST)
    r = cli("-C", root, "list", "--format", "json", "--manager", "bo")
    assert [row["id"] for row in json.loads(r.stdout)] == ["rc-0002"]
