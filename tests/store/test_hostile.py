"""Hostile input cannot stall casectl or flood its output (issue 11, items 9 and 10).

The inputs come from ``tests/store/hostile_files.py``. No test here measures time: each asserts
what keeps the work and the output bounded (at most 100 problems per file and one
line counting the rest; short scalars with a documented length limit; messages that
quote a short prefix at most). ``benchmarks/hostile.py`` times the same inputs at the
sizes of the original reports.
"""

from __future__ import annotations

import json
import zoneinfo
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casectl import checks
from casectl.checks import check_client, schema
from casectl.core.context import Env
from casectl.core.model import Agency
from casectl.store import load, records
from tests.builders import cli, make_agency
from tests.store import hostile_files as hostile

LIMIT = 100
CID = "rc-0001"


def _agency(tmp_path: Path, made: hostile.Hostile) -> Path:
    return hostile.write_agency(tmp_path / "agency", made)


def _validate(root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    r = cli("-C", root, "validate", "--format", "json", *args)
    assert r.exit_code in (0, 1), r.stderr
    problems: list[dict[str, Any]] = json.loads(r.stdout)
    return r.exit_code, problems


def _in(problems: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [p for p in problems if p["path"] == f"clients/{CID}/{name}"]


# ------------------------------------------------------------------ item 9: the cap


@pytest.mark.parametrize(
    ("made", "per_item"),
    [
        (hostile.empty_goals(1_000), 2),  # goals[i].id and goals[i].goal
        (hostile.empty_assessments(1_000), 2),  # date and by
        (hostile.int_log(5_000), 1),  # each entry is not a mapping
    ],
    ids=["empty goals", "empty assessments", "log of numbers"],
)
def test_problems_per_file_are_capped_with_one_line_counting_the_rest(
    tmp_path: Path, made: hostile.Hostile, per_item: int
) -> None:
    name, text = made
    items = text.count(",") + 1
    code, problems = _validate(_agency(tmp_path, made))
    assert code == 1
    mine = _in(problems, name)
    assert len(mine) == LIMIT + 1
    more = [p for p in mine if p["code"] == "CM012"]
    assert len(more) == 1 and more[0]["severity"] == "error"
    hidden = items * per_item - LIMIT
    assert more[0]["message"].startswith(f"{hidden} more problems in this file")
    # The problems shown are the first ones in the file, in order.
    shown = [p for p in mine if p["code"] != "CM012"]
    assert [(p["line"], p["column"]) for p in shown] == sorted(
        (p["line"], p["column"]) for p in shown
    )
    last = max((p["line"], p["column"]) for p in shown)
    assert (more[0]["line"], more[0]["column"]) >= last


def test_unknown_keys_are_capped_and_the_rest_counted_as_warnings(tmp_path: Path) -> None:
    code, problems = _validate(_agency(tmp_path, hostile.unknown_keys(3_000)))
    assert code == 0  # unknown keys are warnings
    mine = _in(problems, "client.yaml")
    assert len(mine) == LIMIT + 1
    assert [p["message"] for p in mine[:2]] == [
        "k0: unknown key (ignored)",
        "k1: unknown key (ignored)",
    ]
    assert mine[-1]["code"] == "CM012" and mine[-1]["severity"] == "warning"
    assert mine[-1]["message"].startswith(f"{3_000 - LIMIT} more problems in this file")
    code, _ = _validate(_agency(tmp_path, hostile.unknown_keys(3_000)), "--strict")
    assert code == 1


def test_loader_problems_are_capped_too(tmp_path: Path) -> None:
    text = hostile.CLIENT_YAML + "".join(f"x: {i}\n" for i in range(2_000))
    _, problems = _validate(_agency(tmp_path, ("client.yaml", text)))
    mine = _in(problems, "client.yaml")
    # x: 0 is an unknown key, the 1,999 others are duplicates of it
    assert Counter(p["code"] for p in mine) == {"CM107": 1, "CM003": LIMIT - 1, "CM012": 1}
    assert mine[-1]["message"].startswith(f"{2_000 - LIMIT} more problems in this file")


def test_show_and_note_read_a_client_with_thousands_of_problems(tmp_path: Path) -> None:
    root = _agency(tmp_path, hostile.empty_goals(2_000))
    r = cli("-C", root, "show", CID)
    assert r.exit_code == 0, r.stderr
    assert "PROBLEMS" in r.stdout


AGENCY = Agency.model_validate({"agency": "Test", "managers": {"jdoe": "Jane Doe"}})
ZONE = zoneinfo.ZoneInfo("America/Chicago")


def _problems(root: Path) -> list[checks.Problem]:
    files = records.read_client(root, CID)
    return check_client(files, Env(AGENCY, date(2026, 12, 1), ZONE)).problems


SHAPES = st.one_of(
    st.builds(hostile.random_shape, st.integers(100, 4_000), st.integers(0, 10_000)),
    st.builds(hostile.empty_goals, st.integers(0, 300)),
    st.builds(hostile.empty_assessments, st.integers(0, 300)),
    st.builds(hostile.int_log, st.integers(0, 300)),
    st.builds(hostile.unknown_keys, st.integers(0, 300)),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES, st.sampled_from([1, 5, 20, 100]))
def test_the_cap_hides_nothing_from_the_count(made: hostile.Hostile, limit: int) -> None:
    """Whatever the shape: at most ``limit`` problems per file are shown, they are real
    problems, and the count line says exactly how many more the file has; checking a
    broken record list by list finds exactly what checking it whole finds."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = hostile.write_agency(Path(tmp), made)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(load, "MAX_PROBLEMS_PER_FILE", 10**9)
            for name in ("SPLIT_FROM", "BIG"):
                mp.setattr(schema, name, 10**9)
            everything = _problems(root)  # each record checked whole, nothing capped
            piecewise = {"SPLIT_FROM": 0, "BIG": 0, "CHUNK": 2}
            for name, value in piecewise.items():
                mp.setattr(schema, name, value)
            assert sorted(_problems(root)) == sorted(everything)
            mp.setattr(load, "MAX_PROBLEMS_PER_FILE", limit)
            capped_split = _problems(root)
            for name in piecewise:
                mp.setattr(schema, name, 10**9)
            capped = _problems(root)
    assert not [p for p in everything if p.code == "CM012"]
    for result in (capped, capped_split):
        assert max(Counter(p.path for p in result).values(), default=0) <= limit + 1
        shown = [p for p in result if p.code != "CM012"]
        assert set(shown) <= set(everything)
        more = sum(int(p.message.split()[0]) for p in result if p.code == "CM012")
        assert len(shown) + more == len(everything)


# ------------------------------------------------------------ item 10: long scalars


def test_a_huge_client_name_is_one_short_problem_and_never_used(tmp_path: Path) -> None:
    root = _agency(tmp_path, hostile.long_name(1_000_000))
    r = cli("-C", root, "validate")
    assert r.exit_code == 1
    assert "x" * 61 not in r.stdout and len(r.stdout) < 1_000
    assert (
        "clients/rc-0001/client.yaml:2:7: error CM013 name: too long "
        "(1,000,000 characters; the limit is 256)"
    ) in r.stdout
    for args in (["report", CID, "--redact"], ["show", CID]):
        r = cli("-C", root, *args)
        assert r.exit_code == 2 and "x" * 61 not in r.stdout + r.stderr
    r = cli("-C", root, "list", "--format", "json")
    assert "x" * 61 not in r.stdout + r.stderr


@pytest.mark.parametrize(
    ("name", "field", "limit"),
    [
        ("client.yaml", "manager", 64),
        ("client.yaml", "program", 1000),
        ("plan.yaml", "goals[0].id", 256),
        ("log.yaml", "[0].id", 256),
        ("log.yaml", "[0].by", 64),
    ],
)
def test_short_fields_have_a_length_limit(
    tmp_path: Path, name: str, field: str, limit: int
) -> None:
    value = "q" * (limit + 1)
    texts = {
        "client.yaml": f"{hostile.CLIENT_YAML}program: housing\n",
        "plan.yaml": "goals:\n  - id: G1\n    goal: Housing\n",
        "log.yaml": "- id: n1\n  date: 2026-01-10 10:00\n  by: jdoe\n  type: visit\n  text: a\n",
    }
    key = field.split(".")[-1]
    text = "\n".join(
        f"{line.split(':')[0]}: {value}" if line.strip(" -").startswith(f"{key}:") else line
        for line in texts[name].splitlines()
    )
    _, problems = _validate(_agency(tmp_path, (name, text + "\n")))
    mine = [p for p in _in(problems, name) if p["code"] == "CM013"]
    assert [p["message"] for p in mine] == [
        f"{field}: too long ({limit + 1:,} characters; the limit is {limit})"
    ]
    ok = text.replace(value, "q" * limit)
    _, problems = _validate(_agency(tmp_path, (name, ok + "\n")))
    assert not [p for p in problems if p["code"] == "CM013"]


def test_a_huge_key_is_one_short_problem(tmp_path: Path) -> None:
    _, problems = _validate(_agency(tmp_path, hostile.long_key(1_000_000)))
    mine = _in(problems, "client.yaml")
    assert [(p["code"], p["line"], p["severity"]) for p in mine] == [("CM014", 6, "error")]
    assert mine[0]["message"] == (
        "key too long (1,000,000 characters; the limit is 256); the key and its value are ignored"
    )


def test_a_huge_log_of_numbers_prints_a_bounded_report(tmp_path: Path) -> None:
    root = _agency(tmp_path, hostile.int_log(200_000))
    r = cli("-C", root, "validate")
    assert r.exit_code == 1
    assert len(r.stdout.splitlines()) == LIMIT + 2  # the problems, the count, the summary
    assert "199900 more problems in this file" in r.stdout


LONG = "z" * 5_000


def _every_field(name: str) -> list[tuple[str | int, ...]]:
    """Places in a valid file where a scalar sits (each gets the long value)."""
    data = yaml.safe_load(hostile.FULL[name])
    out: list[tuple[str | int, ...]] = []

    def walk(node: Any, at: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*at, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*at, i))
        else:
            out.append(at)

    walk(data, ())
    return out


PLACES = [(name, at) for name in sorted(hostile.FULL) for at in _every_field(name)]


@pytest.mark.parametrize(("name", "at"), PLACES, ids=[f"{n}:{a}" for n, a in PLACES])
def test_no_message_quotes_more_than_a_short_prefix(
    tmp_path: Path, name: str, at: tuple[str | int, ...]
) -> None:
    """A long value (or key) planted anywhere never comes back whole in any message."""
    data = yaml.safe_load(hostile.FULL[name])
    node = data
    for part in at[:-1]:
        node = node[part]
    node[at[-1]] = LONG
    if isinstance(node, dict):
        node[LONG[:300]] = 1  # and an over-long key beside it
    text = yaml.safe_dump(data, width=10**9)
    if name == "casectl.yaml":
        root = make_agency(tmp_path / "a", {CID: hostile.BASE}, agency_yaml=text, git=False)
    else:
        root = _agency(tmp_path, (name, text))
    r = cli("-C", root, "validate")
    assert "z" * 61 not in r.stdout + r.stderr
