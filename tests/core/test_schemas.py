"""Strict JSON Schemas (issue 17): a real JSON Schema validator (check-jsonschema, as
editors use the schemas) accepts every example file through its yaml-language-server
modeline and flags the same planted mistakes `casectl validate` flags."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casectl.core import schemas
from casectl.core.dates import parse_date
from tests.builders import EXAMPLE, cli, client_files, make_agency

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


def _validator() -> list[str]:
    found = shutil.which("check-jsonschema") or shutil.which(
        "check-jsonschema", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[test]')")
    return [found]


def check(schema: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_validator(), "--schemafile", str(schema), *map(str, files)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


EXAMPLE_FILES = sorted([EXAMPLE / "casectl.yaml", *EXAMPLE.glob("clients/*/*.yaml")])


def test_every_example_file_names_its_schema_and_passes_it() -> None:
    by_schema: dict[Path, list[Path]] = {}
    for path in EXAMPLE_FILES:
        first = path.read_text().splitlines()[0]
        match = MODELINE.match(first)
        assert match, f"{path}: no yaml-language-server modeline"
        schema = (path.parent / match.group(1)).resolve()
        assert schema.is_file(), schema
        assert schema.name == schemas.SCHEMA_FILES[path.name]
        by_schema.setdefault(schema, []).append(path)
    assert len(by_schema) == 5
    for schema, files in by_schema.items():
        done = check(schema, *files)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_example_schemas_are_what_casectl_writes(tmp_path: Path) -> None:
    assert cli("schema", "-o", tmp_path / "s").exit_code == 0
    for name in schemas.SCHEMA_FILES.values():
        assert (EXAMPLE / "schemas" / name).read_text() == (tmp_path / "s" / name).read_text()


# (file, YAML, what the validator names, validate's code)
MISTAKES = [
    ("client.yaml", client_files("rc-0001")["client.yaml"] + "stauts: active\n",
     "'stauts' was unexpected", "CM107"),
    ("client.yaml", client_files("rc-0001")["client.yaml"].replace("2026-01-05", "2026-02-30"),
     "2026-02-30", "CM104"),
    ("client.yaml", client_files("rc-0001")["client.yaml"].replace("2026-01-05", "2026-13-01"),
     "2026-13-01", "CM104"),
    ("client.yaml", client_files("rc-0001")["client.yaml"] + "cadence: {contact: 2 fortnights}\n",
     "2 fortnights", "CM106"),
    ("plan.yaml", "created: 2026-02-29\ngoals: []\n", "2026-02-29", "CM204"),
    ("plan.yaml", "created: 2026-01-12\ngoals:\n  - {id: G1, goal: x, status: active, tagret: "
     "2026-12-31}\n", "'tagret' was unexpected", "CM207"),
    ("assessment.yaml", "assessments:\n  - {date: 2026-01-10, by: jdoe, domains: "
     "{housing: {score: 6}}}\n", "6 is greater than the maximum of 5", "CM305"),
    ("log.yaml", "- {id: a, date: 2026-01-10 10:00, by: jdoe, type: visit, minutes: 1441, "
     "text: x}\n", "1441 is greater than the maximum of 1440", "CM405"),
    ("log.yaml", "- {id: a, date: 2026-01-10 10:00, by: jdoe, type: visit, minutes: -1, "
     "text: x}\n", "-1 is less than the minimum of 0", "CM405"),
    ("log.yaml", "- {id: a, date: 2026-01-10 25:00, by: jdoe, type: visit, text: x}\n",
     "2026-01-10 25:00", "CM404"),
    ("log.yaml", "- {id: a, date: 2026-01-10 10:00, by: jdoe, type: visit, txet: x, text: x}\n",
     "'txet' was unexpected", "CM407"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "named", "code"), MISTAKES, ids=[m[3] for m in MISTAKES])
def test_a_planted_mistake_is_flagged_by_the_schema_and_by_validate(
    tmp_path: Path, name: str, text: str, named: str, code: str
) -> None:
    root = make_agency(tmp_path / "a", {"rc-0001": {**client_files("rc-0001"), name: text}})
    path = root / "clients" / "rc-0001" / name
    done = check(EXAMPLE / "schemas" / schemas.SCHEMA_FILES[name], path)
    assert done.returncode == 1, done.stdout
    assert named in done.stdout, done.stdout
    r = cli("-C", root, "validate", "--strict", "--format", "json")
    assert code in {p["code"] for p in json.loads(r.stdout)}, r.stdout


def test_the_valid_test_files_pass(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "a", {"rc-0001": client_files("rc-0001")})
    for name in ("client.yaml", "plan.yaml", "assessment.yaml", "log.yaml"):
        done = check(EXAMPLE / "schemas" / schemas.SCHEMA_FILES[name], root / "clients" /
                     "rc-0001" / name)  # fmt: skip
        assert done.returncode == 0, done.stdout


def test_schema_without_o_prints_one_schema_a_tool_accepts(tmp_path: Path) -> None:
    r = cli("schema")
    assert r.exit_code == 0
    bundle = tmp_path / "casectl.schemas.json"
    bundle.write_text(r.stdout)
    data = json.loads(r.stdout)
    assert set(data["$defs"]) == set(schemas.SCHEMA_FILES.values())
    done = subprocess.run([*_validator(), "--check-metaschema", str(bundle)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # a client.yaml checked against the bundle's client schema
    client = tmp_path / "client.yaml"
    client.write_text(client_files("rc-0001")["client.yaml"] + "stauts: x\n")
    one = tmp_path / "client.schema.json"
    one.write_text(json.dumps({"$ref": "casectl.schemas.json#/$defs/client.schema.json"}))
    done = check(one, client)
    assert done.returncode == 1 and "'stauts' was unexpected" in done.stdout, done.stdout


@given(st.from_regex(r"\A\d{4}-\d{2}-\d{2}\Z"))
def test_the_date_pattern_admits_exactly_the_real_dates(text: str) -> None:
    real = parse_date(text)
    expected = real is not None and 1800 <= real.year <= 2999
    assert bool(re.fullmatch(schemas.DATE_PATTERN, text)) == expected


@given(st.dates(min_value=date(1800, 1, 1), max_value=date(2999, 12, 31)))
def test_every_real_date_matches(day: date) -> None:
    assert re.fullmatch(schemas.DATE_PATTERN, day.isoformat())
