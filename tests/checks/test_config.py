"""casectl.yaml (CM5xx): planted problems, and the format version."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import agency_with, cli, cli_subprocess, found, messages

Y = "casectl.yaml"
NO_MANAGERS = "agency: A\n"

CASES: list[tuple[str, str, list[tuple[str, str, int, int]]]] = [
    ("missing agency name", "format: 1\ntimezone: UTC\n", [("CM501", Y, 1, 1)]),
    ("format is text", "format: one\nagency: A\n", [("CM502", Y, 1, 9)]),
    ("format true", "format: true\nagency: A\n", [("CM502", Y, 1, 9)]),
    ("file is a list", "- agency: A\n", [("CM502", Y, 1, 1)]),
    ("domains is text", "agency: A\ndomains: housing\n", [("CM502", Y, 2, 10)]),
    ("format 0", "format: 0\nagency: A\n", [("CM505", Y, 1, 9)]),
    ("bad cadence", "agency: A\ncadence:\n  contact: soon\n", [("CM506", Y, 3, 12)]),
    ("cadence too long", "agency: A\ncadence:\n  contact: 200 years\n", [("CM506", Y, 3, 12)]),
    ("unknown key", "agency: A\ntimzone: UTC\n", [("CM507", Y, 2, 1)]),
    ("unknown cadence key", "agency: A\ncadence:\n  weekly: 7 days\n", [("CM507", Y, 3, 3)]),
    ("bad timezone", "agency: A\ntimezone: Mars/Olympus\n", [("CM520", Y, 2, 11)]),
    ("timezone path", "agency: A\ntimezone: ../../etc/passwd\n", [("CM520", Y, 2, 11)]),
    ("timezone a folder", "agency: A\ntimezone: America\n", [("CM520", Y, 2, 11)]),
    (
        "duplicate domain",
        "agency: A\ndomains: [housing, income, housing]\n",
        [("CM521", Y, 2, 28)],
    ),
    ("syntax error", "agency: [A\n", [("CM001", Y, 2, 1)]),
    ("duplicate key", "agency: A\nagency: B\n", [("CM003", Y, 2, 1)]),
    ("empty", "", [("CM006", Y, 1, 1)]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_planted_problem(tmp_path: Path, text: str, expected: list[object]) -> None:
    # every client file that names a domain uses housing/income, known in every case
    root = agency_with(tmp_path, agency_yaml=text)
    assert found(root) == expected


def test_manager_key_and_entry(tmp_path: Path) -> None:
    text = "agency: A\nmanagers:\n  jdoe: Jane\n  'j doe': Jane\n  mkim: {email: m@x.org}\n"
    root = agency_with(tmp_path, agency_yaml=text)
    # Every problem at once: the rules still run on the best reading of the settings.
    assert found(root) == [("CM522", Y, 4, 3), ("CM501", Y, 5, 9)]
    assert messages(root)["CM501"] == "managers.mkim.name: required key is missing"
    root = agency_with(tmp_path / "b", agency_yaml=text.replace("{email: m@x.org}", "Min"))
    assert found(root) == [("CM522", Y, 4, 3)]


def test_unknown_manager_everywhere(tmp_path: Path) -> None:
    root = agency_with(tmp_path, agency_yaml="agency: A\nmanagers:\n  mkim: Min Kim\n")
    assert found(root) == [
        ("CM322", "assessment.yaml", 3, 9),
        ("CM125", "client.yaml", 5, 10),
        ("CM423", "log.yaml", 3, 7),
    ]


def test_newer_format_is_refused_with_exit_2(tmp_path: Path) -> None:
    root = agency_with(tmp_path, agency_yaml="format: 3\nagency: A\n")
    r = cli("-C", root, "validate")
    assert r.exit_code == 2
    assert "format 3" in r.stderr and "upgrade casectl" in r.stderr
    done = cli_subprocess("-C", root, "validate")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_broken_settings_still_check_the_clients(tmp_path: Path) -> None:
    root = agency_with(tmp_path, agency_yaml="agency: [A\n", client_yaml="id: rc-0001\n")
    codes = [code for code, *_ in found(root)]
    assert codes[0] == "CM001" and "CM101" in codes


def test_timezone_message(tmp_path: Path) -> None:
    root = agency_with(tmp_path, agency_yaml="agency: A\ntimezone: Mars/Olympus\n")
    assert messages(root)["CM520"] == (
        "timezone: 'Mars/Olympus' is not a known time zone "
        "(use an IANA name such as America/Chicago)"
    )


def test_no_managers_list_allows_any_manager(tmp_path: Path) -> None:
    assert found(agency_with(tmp_path, agency_yaml=NO_MANAGERS)) == []
