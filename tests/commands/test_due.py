"""``casectl due`` end to end: JSON, filters, window, exit codes, formats, the example agency.

Every expected date below is worked out by hand from the files in ``monitored`` (the
arithmetic is in the comments), never by calling casectl.schedule.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from casectl.commands import due
from casectl.present.output import Output
from tests.builders import (
    AS_OF,
    CLIENT,
    EXAMPLE,
    REPO_ROOT,
    cli,
    cli_subprocess,
    make_agency,
    monitored_agency,
)

PEOPLE = {"ana": ("Ana Test", "jdoe"), "ben": ("Ben Test", "mkim"), "cal": ("Cal Test", "mkim")}


def item(client: str, kind: str, what: str, due: str, status: str, days: int) -> dict[str, Any]:
    """One contract JSON object; name and manager from PEOPLE."""
    name, manager = PEOPLE[client]
    return {
        "client": client,
        "name": name,
        "manager": manager,
        "kind": kind,
        "what": what,
        "due": due,
        "status": status,
        "days": days,
    }


# The whole due list on AS_OF, by hand (default cadence, window 14 days):
EXPECTED: list[dict[str, Any]] = [
    # ben: no assessment -> opened 2026-05-01 + 14 days (initial_assessment)
    item("ben", "assessment", "initial assessment", "2026-05-15", "overdue", 17),
    # ana: goal G1 target (G2 is met: never due)
    item("ana", "goal", "G1: Rent paid | deposit back", "2026-05-25", "overdue", 7),
    # ben: no notes -> opened 2026-05-01 + 30 days (contact)
    item("ben", "contact", "contact", "2026-05-31", "overdue", 1),
    # cal (on hold): last review 2026-03-05 + 90 days; its old contact is not chased
    item("cal", "plan_review", "plan review", "2026-06-03", "due_soon", -2),
    # ana: last review 2026-03-10 + 90 days; same day as ben's consent: ana first
    item("ana", "plan_review", "plan review", "2026-06-08", "due_soon", -7),
    item("ben", "consent", "consent expires", "2026-06-08", "due_soon", -7),
    # ana: open action, exactly 14 days away: the last day of the window
    item("ana", "action", "G1: Bring the lease", "2026-06-15", "due_soon", -14),
]
# Just outside: ana consent 2026-06-16, ana contact 2026-05-20 + 30 = 2026-06-19,
# ana reassessment 2026-01-10 + 180 = 2026-07-09, ben plan review 2026-05-01 + 90 = 2026-07-30.


@pytest.fixture
def monitored(tmp_path: Path) -> Path:
    return monitored_agency(tmp_path / "agency")


def due_json(root: Path, *args: str) -> list[dict[str, Any]]:
    r = cli("-C", root, "due", "--format", "json", *args)
    assert r.exit_code in (0, 1), r.stderr
    data: list[dict[str, Any]] = json.loads(r.stdout)
    return data


def test_fixture_is_valid(monitored: Path) -> None:
    r = cli("-C", monitored, "validate")
    assert " error" not in r.stdout, r.stdout


def test_json_is_the_contract_list_in_order(monitored: Path) -> None:
    r = cli("-C", monitored, "due", "--as-of", AS_OF, "--format", "json")
    assert r.exit_code == 0 and r.stderr == ""
    data = json.loads(r.stdout)
    assert data == EXPECTED
    assert [list(d) for d in data] == [
        ["client", "name", "manager", "kind", "what", "due", "status", "days"]
    ] * len(EXPECTED)


def test_manager_client_and_kind_filters(monitored: Path) -> None:
    jdoe = due_json(monitored, "--as-of", AS_OF, "--manager", "jdoe")
    assert jdoe == [d for d in EXPECTED if d["manager"] == "jdoe"] and jdoe
    ben = due_json(monitored, "--as-of", AS_OF, "--client", "ben")
    assert ben == [d for d in EXPECTED if d["client"] == "ben"] and ben
    two = due_json(monitored, "--as-of", AS_OF, "--client", "cal", "--client", "ana")
    assert two == [d for d in EXPECTED if d["client"] in ("ana", "cal")]
    kinds = due_json(monitored, "--as-of", AS_OF, "--kind", "plan_review", "--kind", "consent")
    assert kinds == [d for d in EXPECTED if d["kind"] in ("plan_review", "consent")]
    assert len(kinds) == 3
    both = due_json(monitored, "--as-of", AS_OF, "--manager", "mkim", "--kind", "contact")
    assert [(d["client"], d["kind"]) for d in both] == [("ben", "contact")]


def test_bad_filters_exit_2(monitored: Path) -> None:
    r = cli("-C", monitored, "due", "--kind", "visit")
    assert r.exit_code == 2 and "--kind: 'visit' is not one of" in r.stderr
    r = cli("-C", monitored, "due", "--client", "zed")
    assert r.exit_code == 2 and "no client 'zed'" in r.stderr
    r = cli("-C", monitored, "due", "--client", "../ana")
    assert r.exit_code == 2 and "not a valid client id" in r.stderr
    r = cli("-C", monitored, "due", "--manager", "nobody")
    assert r.exit_code == 2 and "'nobody' is not a manager" in r.stderr
    for r in (
        cli("-C", monitored, "due", "--as-of", "2026-13-01"),
        cli("-C", monitored, "digest", "--as-of", "tomorrow"),
    ):
        assert r.exit_code == 2 and "--as-of" in r.stderr and "is not a date" in r.stderr
        assert r.stdout == "" and "Traceback" not in r.stderr
    for cmd in ("due", "digest"):
        r = cli("-C", monitored, cmd, "--within", "fortnight")
        assert r.exit_code == 2 and "--within: 'fortnight' is not a duration" in r.stderr


def test_within_widens_and_narrows_the_window(monitored: Path) -> None:
    wide = due_json(monitored, "--as-of", AS_OF, "--within", "30 days")
    extra = [(d["client"], d["kind"], d["due"]) for d in wide if d not in EXPECTED]
    # 2026-06-01 + 30 days = 2026-07-01: the consent and contact just outside come in.
    assert extra == [("ana", "consent", "2026-06-16"), ("ana", "contact", "2026-06-19")]
    narrow = due_json(monitored, "--as-of", AS_OF, "--within", "0 days")
    assert [d["status"] for d in narrow] == ["overdue"] * 3
    weeks = due_json(monitored, "--as-of", AS_OF, "--within", "1 week")
    assert weeks[-1]["due"] == "2026-06-08"


def test_due_soon_boundary_is_inclusive(monitored: Path) -> None:
    on = due_json(monitored, "--as-of", AS_OF, "--client", "ana", "--kind", "action")
    assert [(d["due"], d["days"]) for d in on] == [("2026-06-15", -14)]
    # A day earlier the action is 15 days away: outside.
    before = due_json(monitored, "--as-of", "2026-05-31", "--client", "ana", "--kind", "action")
    assert before == []
    # On its day it is due soon with 0 days; the next day overdue with 1.
    today = due_json(monitored, "--as-of", "2026-06-15", "--client", "ana", "--kind", "action")
    assert [(d["status"], d["days"]) for d in today] == [("due_soon", 0)]
    after = due_json(monitored, "--as-of", "2026-06-16", "--client", "ana", "--kind", "action")
    assert [(d["status"], d["days"]) for d in after] == [("overdue", 1)]


def test_fail_on_overdue_exit_codes(monitored: Path) -> None:
    assert cli("-C", monitored, "due", "--as-of", AS_OF, "--fail-on-overdue").exit_code == 1
    # Without the flag the same list exits 0.
    assert cli("-C", monitored, "due", "--as-of", AS_OF).exit_code == 0
    # Filters apply first: only due-soon plan reviews remain.
    r = cli(
        "-C",
        monitored,
        "due",
        "--as-of",
        AS_OF,
        "--kind",
        "plan_review",
        "--fail-on-overdue",
        "--format",
        "json",
    )
    assert r.exit_code == 0 and len(json.loads(r.stdout)) == 2
    # Nothing at all due (a closed client): 0.
    r = cli("-C", monitored, "due", "--as-of", AS_OF, "--client", "dee", "--fail-on-overdue")
    assert r.exit_code == 0


def test_closed_never_and_on_hold_only_plan_review(monitored: Path) -> None:
    # A window of years would catch every date the clients have.
    everything = due_json(monitored, "--as-of", AS_OF, "--within", "5 years")
    assert "dee" not in {d["client"] for d in everything}
    assert {d["kind"] for d in everything if d["client"] == "cal"} == {"plan_review"}
    assert due_json(monitored, "--as-of", "2030-01-01", "--client", "dee") == []
    # cal's last contact (2026-01-10) is long overdue, yet it is not chased while on hold.
    assert due_json(monitored, "--as-of", AS_OF, "--client", "cal", "--kind", "contact") == []


def test_nothing_due_text_and_json(monitored: Path) -> None:
    r = cli("-C", monitored, "due", "--as-of", AS_OF, "--client", "dee")
    assert r.exit_code == 0 and r.stdout == f"nothing due as of {AS_OF}\n"
    assert due_json(monitored, "--as-of", AS_OF, "--client", "dee") == []
    r = cli("-C", monitored, "due", "--as-of", AS_OF, "--client", "dee", "--format", "md")
    assert r.stdout == f"Nothing due as of {AS_OF}.\n"


def test_text_in_a_pipe_is_plain_aligned_columns(monitored: Path) -> None:
    r = cli("-C", monitored, "due", "--as-of", AS_OF)
    lines = r.stdout.splitlines()
    assert lines[0].split() == [
        "status",
        "due",
        "days",
        "manager",
        "client",
        "name",
        "kind",
        "what",
    ]
    assert len(lines) == 1 + len(EXPECTED)
    assert "\x1b[" not in r.stdout
    # Aligned: the due column starts at the same offset on every line.
    assert {line.index("2026-") for line in lines[1:]} == {lines[0].index("due")}
    assert lines[1].split()[:5] == ["overdue", "2026-05-15", "17", "mkim", "ben"]
    assert lines[-1][lines[0].index("what") :] == "G1: Bring the lease"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_on_a_terminal_is_a_rich_table_grouped_by_manager(
    monitored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.delenv("COLORTERM", raising=False)
    stream = _Terminal()
    code = due.run(
        Output(out=stream, err=io.StringIO()), monitored, AS_OF, None, None, [], [], "text", False
    )
    text = stream.getvalue()
    assert code == 0
    assert "\x1b[31m" in text and "\x1b[33m" in text  # red overdue, yellow due soon
    # One titled table per manager (display names from casectl.yaml), jdoe first.
    assert text.index("Jane Doe (jdoe)") < text.index("Min Kim (mkim)")
    jdoe = text[text.index("Jane Doe (jdoe)") : text.index("Min Kim (mkim)")]
    assert jdoe.index("2026-05-25") < jdoe.index("2026-06-08") < jdoe.index("2026-06-15")
    assert "7 items: 3 overdue, 4 due soon" in text
    # One manager: no titles.
    stream = _Terminal()
    due.run(Output(out=stream), monitored, AS_OF, None, "mkim", [], [], "text", False)
    assert "Min Kim (mkim)" not in stream.getvalue() and "Ben Test" in stream.getvalue()
    # NO_COLOR: still a table, no colour codes.
    monkeypatch.setenv("NO_COLOR", "1")
    stream = _Terminal()
    due.run(Output(out=stream), monitored, AS_OF, None, None, [], [], "text", False)
    assert "\x1b[3" not in stream.getvalue() and "Jane Doe (jdoe)" in stream.getvalue()


def test_markdown_table(monitored: Path) -> None:
    r = cli("-C", monitored, "due", "--as-of", AS_OF, "--format", "md")
    lines = r.stdout.splitlines()
    assert lines[0] == "| status | due | days | client | name | manager | kind | what |"
    assert lines[1] == "| --- | --- | --- | --- | --- | --- | --- | --- |"
    assert len(lines) == 2 + len(EXPECTED)
    assert lines[3] == (
        "| overdue | 2026-05-25 | 7 | ana | Ana Test | jdoe | goal | "
        "G1: Rent paid \\| deposit back |"
    )
    for line in lines:  # 8 columns: 9 unescaped pipes per row
        assert line.replace("\\|", "").count("|") == 9


def test_md_cells_are_escaped_by_the_one_markdown_function() -> None:
    from casectl.present.markdown import md_escape

    assert md_escape("a|b\nc") == "a\\|b c"
    assert md_escape("back\\slash") == "back\\\\slash"


def test_ics_parses_with_one_event_per_item(monitored: Path) -> None:
    icalendar = pytest.importorskip("icalendar")
    # A real process and raw bytes: text capture would hide the CRLF line ends.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "casectl",
            "-C",
            str(monitored),
            "due",
            "--as-of",
            AS_OF,
            "--format",
            "ics",
        ],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    raw = done.stdout
    assert raw.endswith(b"END:VCALENDAR\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    cal = icalendar.Calendar.from_ical(raw)
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(EXPECTED)
    starts = sorted(e.decoded("DTSTART").isoformat() for e in events)
    assert starts == sorted(d["due"] for d in EXPECTED)
    assert str(cal["X-WR-CALNAME"]) == "Test Agency"
    assert len({str(e["UID"]) for e in events}) == len(EXPECTED)
    # Filters apply to the calendar too.
    r = cli("-C", monitored, "due", "--as-of", AS_OF, "--format", "ics", "--manager", "jdoe")
    assert len(list(icalendar.Calendar.from_ical(r.stdout).walk("VEVENT"))) == 3


def test_invalid_client_is_listed_with_a_record_item(monitored: Path) -> None:
    # It used to be left out with an unnamed count on stderr (tests/commands/test_record_items.py).
    bad = monitored / "clients" / "eve"
    bad.mkdir()
    (bad / "client.yaml").write_text("id: eve\nname: [not, a, name\n")
    r = cli("-C", monitored, "due", "--as-of", AS_OF, "--format", "json")
    assert r.exit_code == 0
    record = {
        "client": "eve",
        "name": None,
        "manager": None,
        "kind": "record",
        "what": "records have errors: casectl validate clients/eve",
        "due": AS_OF,
        "status": "overdue",
        "days": 0,
    }
    assert json.loads(r.stdout) == [*EXPECTED[:3], record, *EXPECTED[3:]]
    assert r.stderr == ""


def test_warm_run_reads_the_cache_not_the_yaml(monitored: Path) -> None:
    first = due_json(
        monitored, "--as-of", AS_OF, "--client", "ana", "--kind", "contact", "--within", "30 days"
    )
    assert [d["due"] for d in first] == ["2026-06-19"]
    # A due date changed in the cache alone is what a warm run reports: it read no YAML.
    section = monitored / ".casectl" / "read-cache.schedule.json"
    cached = json.loads(section.read_text())
    for row in cached["clients"]["ana"][1]["dates"]:
        if row[0] == "contact":
            row[-1] -= 1  # dates are kept as ordinals
    section.write_text(json.dumps(cached))
    again = due_json(
        monitored, "--as-of", AS_OF, "--client", "ana", "--kind", "contact", "--within", "30 days"
    )
    assert [d["due"] for d in again] == ["2026-06-18"]
    # A change to the file is noticed: 2026-05-27 + 30 days.
    log = monitored / "clients" / "ana" / "log.yaml"
    log.write_text(log.read_text().replace("2026-05-20 10:00", "2026-05-27 10:00"))
    changed = due_json(
        monitored, "--as-of", AS_OF, "--client", "ana", "--kind", "contact", "--within", "30 days"
    )
    assert [d["due"] for d in changed] == ["2026-06-26"]


def test_piped_subprocess_has_no_escape_codes(monitored: Path) -> None:
    done = cli_subprocess("-C", monitored, "due", "--as-of", AS_OF, env={"TERM": "xterm-256color"})
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stdout and "Ana Test" in done.stdout


# ------------------------------------------------------------ the example agency

EXAMPLE_DATE = "2026-12-01"

# Checked by hand against examples/agency (default cadence, window to 2026-12-15):
EXAMPLE_DUE: list[tuple[str, str, str, str, str, int]] = [
    # client, kind, what, due, status, days
    # rc-0003 action with due 2026-11-06 and no done
    (
        "rc-0003",
        "action",
        "G2: Home modification inspection for grab bars and a stair rail",
        "2026-11-06",
        "overdue",
        25,
    ),
    # rc-0004 last contact-type entry 2026-10-14 (phone; later entries are notes) + 30 days
    ("rc-0004", "contact", "contact", "2026-11-13", "overdue", 18),
    # rc-0002 goal G2 target
    ("rc-0002", "goal", "G2: Obtain steady full-time employment", "2026-11-15", "overdue", 16),
    # rc-0003 last review 2026-08-20 + 90 days
    ("rc-0003", "plan_review", "plan review", "2026-11-18", "overdue", 13),
    # rc-0003 consent.expires
    ("rc-0003", "consent", "consent expires", "2026-11-24", "overdue", 7),
    # rc-0004 last assessment 2026-05-29 + 180 days
    ("rc-0004", "assessment", "reassessment", "2026-11-25", "overdue", 6),
    # rc-0001 last review 2026-09-03 + 90 days
    ("rc-0001", "plan_review", "plan review", "2026-12-02", "due_soon", -1),
    # rc-0008 no assessment: opened 2026-11-19 + 14 days
    ("rc-0008", "assessment", "initial assessment", "2026-12-03", "due_soon", -2),
    # rc-0002 last contact 2026-11-20 (phone) + 14 days (client override)
    ("rc-0002", "contact", "contact", "2026-12-04", "due_soon", -3),
    # rc-0006 on hold: last review 2026-09-08 + 90 days, nothing else
    ("rc-0006", "plan_review", "plan review", "2026-12-07", "due_soon", -6),
    # rc-0002 consent.expires
    ("rc-0002", "consent", "consent expires", "2026-12-08", "due_soon", -7),
    # rc-0001 action with due 2026-12-10 and no done
    ("rc-0001", "action", "G2: Submit the SNAP recertification", "2026-12-10", "due_soon", -9),
    # rc-0001 flag safeguarding review_by
    ("rc-0001", "flag_review", "flag safeguarding", "2026-12-12", "due_soon", -11),
    # rc-0001 task T1 due, not done
    ("rc-0001", "task", "T1: Call Denise after her SNAP interview", "2026-12-14", "due_soon", -13),
    # rc-0004 goal G1 target: the last day of the window
    (
        "rc-0004",
        "goal",
        "G1: Stay connected to outpatient psychiatric care",
        "2026-12-15",
        "due_soon",
        -14,
    ),
]
EXAMPLE_PEOPLE = {
    "rc-0001": ("Denise Carter", "jdoe"),
    "rc-0002": ("Marcus Bell", "mkim"),
    "rc-0003": ("Evelyn Harper", "jdoe"),
    "rc-0004": ("Jamal Whitaker", "tbrooks"),
    "rc-0006": ("Robert Dunn", "tbrooks"),
    "rc-0008": ("Carlos Romero", "mkim"),
}


def test_example_agency_due_list(tmp_path: Path) -> None:
    r = cli("-C", EXAMPLE, "due", "--as-of", EXAMPLE_DATE, "--format", "json")
    assert r.exit_code == 0, r.stderr
    expected = [
        {
            "client": c,
            "name": EXAMPLE_PEOPLE[c][0],
            "manager": EXAMPLE_PEOPLE[c][1],
            "kind": k,
            "what": w,
            "due": d,
            "status": s,
            "days": n,
        }
        for c, k, w, d, s, n in EXAMPLE_DUE
    ]
    assert json.loads(r.stdout) == expected
    r = cli("-C", EXAMPLE, "due", "--as-of", EXAMPLE_DATE, "--fail-on-overdue")
    assert r.exit_code == 1


def test_docs_show_the_real_example_output() -> None:
    docs = (REPO_ROOT / "docs" / "monitoring.md").read_text()
    r = cli("-C", EXAMPLE, "due", "--as-of", EXAMPLE_DATE)
    assert r.stdout.count("\n") == 1 + len(EXAMPLE_DUE)
    assert f"```\n{r.stdout}```" in docs
    r = cli("-C", EXAMPLE, "digest", "--as-of", EXAMPLE_DATE, "--manager", "mkim")
    assert r.stdout.startswith("Riverside Community Services: due as of 2026-12-01\n")
    assert f"```\n{r.stdout}```" in docs


def test_items_due_the_same_day_are_sorted_by_kind_name(tmp_path: Path) -> None:
    # One client whose plan review, assessment, contact, goal and action all fall on
    # 2026-01-19 (opened 2026-01-05, every cadence 14 days): the contract sorts the json
    # "by date, client, kind, then what", so the kinds come by name, cold and warm.
    client = (
        CLIENT.format(id="ann")
        + "cadence:\n"
        + "".join(f"  {key}: 14 days\n" for key in ("plan_review", "initial_assessment", "contact"))
    )
    plan = """\
goals:
  - id: G1
    goal: Keep the flat
    target: 2026-01-19
    status: active
    actions:
      - {action: Pay the rent, due: 2026-01-19}
      - {action: Call the landlord, due: 2026-01-19}
"""
    files = {"client.yaml": client, "assessment.yaml": "assessments: []\n", "plan.yaml": plan}
    root = make_agency(tmp_path / "agency", {"ann": {**files, "log.yaml": "[]\n"}})
    for _ in ("cold", "warm"):  # (no `record` item: the files are valid)
        rows = due_json(root, "--as-of", "2026-01-20")
        assert [(r["kind"], r["what"]) for r in rows] == [
            ("action", "G1: Call the landlord"),
            ("action", "G1: Pay the rent"),
            ("assessment", "initial assessment"),
            ("contact", "contact"),
            ("goal", "G1: Keep the flat"),
            ("plan_review", "plan review"),
        ]
        assert rows == sorted(rows, key=lambda r: (r["due"], r["client"], r["kind"], r["what"]))
