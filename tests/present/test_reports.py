"""Reports: client report and caseload contexts, built-in templates, redaction, escaping.

Most tests render the real example agency (copied to tmp_path so the cache never
lands in the source tree) as of its reference date 2026-12-01, whose records and due
items are listed in examples/agency/README.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casectl.core.facts import CaseloadFacts, ClientFacts
from casectl.core.model import Client
from casectl.present import markdown, reports
from casectl.read.agency import open_agency, read_client
from casectl.read.scan import scan
from tests.builders import EXAMPLE, cli, client_files, make_agency

AS_OF = "2026-12-01"
REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs" / "templates.md"
FORMATS = ("md", "html")
HOSTILE = (
    "<script>document.title='PWNED'</script> and "
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\"> | pipe "
    "[link](http://evil.example) **bold**"
)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    # The example agency is part of the repository: if it moves, these tests fail
    # (test_the_example_agency_is_where_the_tests_read_it says where), never skip.
    assert (EXAMPLE / "casectl.yaml").is_file(), f"no example agency at {EXAMPLE}"
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".casectl"))
    return root


def example_ids() -> list[str]:
    folder = EXAMPLE / "clients"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def report(root: Path, cid: str, *args: str) -> str:
    result = cli("-C", root, "report", cid, "--as-of", AS_OF, *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def add_note(root: Path, cid: str, text: str, note_id: str = "20261121-0900-jdoe") -> None:
    body = "\n".join("    " + line for line in text.splitlines())
    with (root / "clients" / cid / "log.yaml").open("a") as f:
        f.write(
            f"- id: {note_id}\n  date: 2026-11-21 09:00\n  by: jdoe\n  type: note\n"
            f"  text: |\n{body}\n"
        )


def between(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i : text.index(end, i + len(start))]


# ----------------------------------------------------------------- pure helpers


def test_age_and_band() -> None:
    assert reports.age_on(date(1988, 7, 14), date(2026, 12, 1)) == 38
    assert reports.age_on(date(1988, 12, 2), date(2026, 12, 1)) == 37
    assert reports.age_on(date(1988, 12, 1), date(2026, 12, 1)) == 38
    assert reports.age_band(38) == "30-39"
    assert reports.age_band(40) == "40-49"
    assert reports.age_band(7) == "0-9"


def test_initials() -> None:
    assert reports.initials("Denise Carter") == "D.C."
    assert reports.initials("Mary-Jo  de la Cruz") == "M.J.d.l.C."
    assert reports.initials("   ") == "?"


def test_score_change() -> None:
    assert reports.score_change(4, 1, True) == "+3"
    assert reports.score_change(2, 4, True) == "-2"
    assert reports.score_change(3, 3, True) == "="
    assert reports.score_change(3, None, True) == "new"
    assert reports.score_change(3, None, False) == "new"
    assert reports.score_change(None, 3, True) is None


def test_md_escape_keeps_text_from_becoming_markup() -> None:
    out = markdown.md_escape("a | b <script>x</script> *em* [l](u) & c\nnext")
    assert "|" not in out.replace("\\|", "")
    assert "<" not in out and ">" not in out
    assert "&lt;script&gt;" in out and "&amp; c" in out
    assert "\\*em\\*" in out and "\\[l\\](u)" in out
    assert "\n" not in out
    assert markdown.md_escape(None) == ""


def test_md_quote_quotes_every_line_and_neutralises_structure() -> None:
    out = markdown.md_quote("# not a heading\n- not a list\n\n1. nor this\n</blockquote>")
    lines = out.splitlines()
    assert all(line.startswith(">") for line in lines)
    assert lines[0] == "> \\# not a heading  "
    assert lines[1] == "> \\- not a list  "
    assert lines[2] == ">"
    assert lines[3].startswith("> \\1.")
    assert "&lt;/blockquote&gt;" in lines[4]
    assert markdown.md_quote("x", depth=2) == "> > x  "


def test_scrubber_removes_name_and_contact_details() -> None:
    client = Client.model_validate(
        {
            "id": "rc-1",
            "name": "Denise Carter",
            "born": "1988-07-14",
            "status": "active",
            "opened": "2026-01-01",
            "manager": "jdoe",
            "phone": "+1 555 0101",
            "email": "denise@example.org",
            "address": "418 Alder Ave, Apt 2B, Riverside",
        }
    )
    scrub = reports.make_scrubber(client)
    text = scrub.text(
        "Denise Carter called from 555-0101, mail DENISE@example.org; lives at 418 Alder Ave "
        "(Apt 2B) in Riverside; born 1988-07-14. Carter's sister; Denisetown stays."
    )
    for gone in ("Denise Carter", "555-0101", "denise@", "418 Alder", "Apt 2B", "1988-07-14"):
        assert gone.lower() not in text.lower()
    assert "D.C. called" in text
    assert "C.'s sister" in text
    assert "Denisetown" in text  # whole words only
    assert "Riverside" in text  # the town (last address part) is kept


# ------------------------------------------------------------- context building


def test_client_context_changes_amendments_and_redaction() -> None:
    ctx = open_agency(EXAMPLE)
    check = read_client(ctx, "rc-0001")
    assert check.client is not None
    full = reports.client_report_context(
        ctx.agency, check.client, check.assessments, check.plan, check.log, [],
        as_of=date(2026, 12, 1), generated="2026-12-01",
    )  # fmt: skip
    rows = {r["domain"]: r for r in full["latest"]["domains"]}
    assert rows["housing"]["score"] == 4 and rows["housing"]["change"] == "+3"
    assert rows["income"]["change"] == "="
    assert rows["family"]["change"] == "+1"
    assert full["client"]["age"] == 38 and full["client"]["age_band"] == "30-39"
    assert full["chart"]["series"][0]["domain"] == "housing"
    assert full["chart"]["span"] == (date(2026, 8, 12) - date(2026, 2, 20)).days
    # The amendment is nested under the note it corrects, not listed on its own.
    ids = [n["id"] for n in full["notes"]]
    assert "20260615-0900-jdoe" not in ids
    amended = next(n for n in full["notes"] if n["id"] == "20260612-1030-jdoe")
    assert [a["id"] for a in amended["amendments"]] == ["20260615-0900-jdoe"]

    red = reports.client_report_context(
        ctx.agency, check.client, check.assessments, check.plan, check.log, [],
        as_of=date(2026, 12, 1), generated="2026-12-01", redact=True,
    )  # fmt: skip
    dumped = json.dumps(red)
    for secret in ("Denise", "Carter", "1988-07-14", "555 0101", "denise.carter@", "Alder Ave"):
        assert secret not in dumped
    assert red["client"]["name"] == "D.C." and red["client"]["id"] == "rc-0001"
    assert red["client"]["age"] is None and red["client"]["age_band"] == "30-39"
    assert red["client"]["phone"] is None and red["client"]["address"] is None
    assert red["redacted"] is True


def test_since_keeps_amendments_with_their_note_or_alone() -> None:
    ctx = open_agency(EXAMPLE)
    check = read_client(ctx, "rc-0001")
    log = check.log
    after = reports.note_blocks(log, ctx.agency, date(2026, 6, 13))
    assert after[0]["id"] == "20260615-0900-jdoe"
    assert after[0]["amends"] == "20260612-1030-jdoe"
    assert all(n["day"] >= "2026-06-13" for n in after)
    before = reports.note_blocks(log, ctx.agency, date(2026, 6, 12))
    assert before[0]["id"] == "20260612-1030-jdoe"
    assert before[0]["amendments"][0]["id"] == "20260615-0900-jdoe"


def test_amendment_of_amendment_nests_under_the_original(tmp_path: Path) -> None:
    log = client_files("rc-0001")["log.yaml"] or ""
    log += (
        "- id: a1\n  date: 2026-01-11 10:00\n  by: jdoe\n  type: amendment\n"
        "  amends: 20260110-1000-jdoe\n  text: First fix.\n"
        "- id: a2\n  date: 2026-01-12 10:00\n  by: jdoe\n  type: amendment\n"
        "  amends: a1\n  text: Fix of the fix.\n"
    )
    root = make_agency(tmp_path / "a", {"rc-0001": client_files("rc-0001", **{"log.yaml": log})},
                       git=False)  # fmt: skip
    ctx = open_agency(root)
    check = read_client(ctx, "rc-0001")
    notes = reports.note_blocks(check.log, ctx.agency, None)
    assert [n["id"] for n in notes] == ["20260110-1000-jdoe"]
    assert [a["id"] for a in notes[0]["amendments"]] == ["a1", "a2"]


def test_caseload_context_of_the_example() -> None:
    ctx = open_agency(EXAMPLE)
    facts = scan(ctx, use_cache=False).caseload()
    c = reports.caseload_context(ctx.agency, facts, date(2026, 12, 1), "2026-12-01")
    assert c["counts"] == {"active": 7, "on_hold": 1, "closed": 2, "open": 8, "total": 10}
    assert len(c["overdue"]) == 6 and len(c["due_soon"]) == 9  # a flag review and a task too
    assert [i["client"] for i in c["overdue"]] == [
        "rc-0003", "rc-0004", "rc-0002", "rc-0003", "rc-0003", "rc-0004",
    ]  # fmt: skip
    load = {m["key"]: m for m in c["managers"]}
    assert load["jdoe"]["count"] == 3 and load["jdoe"]["overdue"] == 3
    assert load["tbrooks"]["on_hold"] == 1 and load["tbrooks"]["overdue"] == 2
    rows = {r["id"]: r for r in c["clients"]}
    assert set(rows) == {f"rc-000{i}" for i in range(1, 9)}
    assert rows["rc-0003"]["next_due"]["due"] == "2026-11-06"
    assert rows["rc-0003"]["next_due"]["status"] == "overdue"
    assert rows["rc-0007"]["next_due"] == {
        "kind": "contact", "what": "contact", "due": "2026-12-17", "days": -16, "status": "later",
    }  # fmt: skip
    assert rows["rc-0006"]["next_due"]["kind"] == "plan_review"  # on hold: plan review only
    assert rows["rc-0001"]["goals_met"] == 1 and rows["rc-0001"]["goals_active"] == 2
    assert rows["rc-0004"]["contacts_30d"] == 0
    only = reports.caseload_context(ctx.agency, facts, date(2026, 12, 1), "x", manager="mkim")
    assert {r["manager"] for r in only["clients"]} == {"mkim"}
    assert [m["key"] for m in only["managers"]] == ["mkim"]


def test_contacts_within_counts_the_last_30_days() -> None:
    ctx_facts = ClientFacts(
        id="x", name="X", status="active", manager="m", program=None,
        opened=date(2026, 1, 1), closed=None, consent_expires=None,
        contact_dates=(date(2026, 11, 1), date(2026, 11, 2), date(2026, 12, 1)),
    )  # fmt: skip
    shown = CaseloadFacts.of(ctx_facts)
    assert reports.contacts_within(shown, date(2026, 12, 1)) == 2  # Nov 2 .. Dec 1
    assert reports.contacts_within(shown, date(2026, 11, 30)) == 3


# ----------------------------------------------------- built-in templates: example


@pytest.mark.parametrize("fmt", FORMATS)
def test_client_report_content(example: Path, fmt: str) -> None:
    out = report(example, "rc-0001", "--format", fmt)
    assert "Denise Carter" in out and "rc-0001" in out
    assert "Riverside Community Services" in out
    assert "Jane Doe" in out and "38" in out and "housing" in out
    assert "2027-02-09" in out  # consent expiry
    # Latest assessment with changes since the previous one.
    assert "2026-08-12" in out and "2026-02-20" in out
    assert "+3" in out and "+1" in out
    # Goals and actions, open and done.
    assert "Move into stable, affordable housing" in out
    assert "Submit the SNAP recertification" in out
    assert "Gather IDs and the children" in out
    # Due items (README: plan review 2026-12-02, action 2026-12-10).
    assert "2026-12-02" in out and "2026-12-10" in out
    # The amendment comes right after the note it corrects, before the next note.
    amended = out.index("Lease starts June 1")
    correction = out.index("the lease starts June 15")
    following = out.index("Reassessment at home")
    assert amended < correction < following
    assert "Amendment" in out
    if fmt == "html":
        block = between(out, 'id="note-20260612-1030-jdoe"', "</article>")
        assert 'class="amendment"' in block and "the lease starts June 15" in block
        assert "<svg" in out and out.count("<polyline") == 7  # seven domains, two points
        assert "<script" not in out.lower()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", out)
        assert "@media print" in out and "break-inside: avoid" in out
    else:
        assert "| housing | 4 | +3 |" in out
        assert "- [ ] Submit the SNAP recertification" in out
        assert "- [x] Apply for a Housing Choice Voucher" in out
        assert "> **Amendment**" in out


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cid", example_ids())
def test_every_example_client_renders_and_redacts(example: Path, fmt: str, cid: str) -> None:
    client = (example / "clients" / cid / "client.yaml").read_text()
    fields = dict(re.findall(r"^(name|born|phone|email|address): (.+)$", client, re.M))
    plain = report(example, cid, "--format", fmt)
    assert cid in plain
    shown = fields["name"] if fmt == "md" else fields["name"].replace("'", "&#39;")
    assert shown in plain
    redacted = report(example, cid, "--format", fmt, "--redact")
    assert cid in redacted and "redacted" in redacted.lower()
    assert reports.initials(fields["name"]) in redacted
    secrets = [fields["name"], *fields["name"].split()]
    secrets += [v.strip('"') for k, v in fields.items() if k != "name"]
    secrets += [part.strip() for part in fields.get("address", "").split(",")[:-1]]
    for secret in secrets:
        assert not re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", redacted, re.I), secret
    phone_digits = re.sub(r"\D", "", fields["phone"])[-7:]
    assert phone_digits not in re.sub(r"\D", "", redacted.replace(cid, ""))


def test_report_since_filters_notes(example: Path) -> None:
    out = report(example, "rc-0001", "--since", "2026-11-01")
    assert "Home visit. Energy assistance paid the balance" in out
    assert "Intake at the Riverside Family Shelter" not in out
    assert "notes since 2026-11-01" in out.lower()
    assert cli("-C", example, "report", "rc-0001", "--since", "nope").exit_code == 2


def test_client_without_assessment_or_goals(example: Path) -> None:
    for fmt in FORMATS:
        out = report(example, "rc-0008", "--format", fmt)
        assert "No assessment yet." in out and "No goals in the plan yet." in out
        assert "initial assessment" in out and "2026-12-03" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_caseload_content(example: Path, fmt: str) -> None:
    result = cli("-C", example, "caseload", "--as-of", AS_OF, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for name in ("Denise Carter", "Marcus Bell", "Robert Dunn", "Carlos Romero"):
        assert name in out
    assert "Linda Foster" not in out and "Kevin Tran" not in out  # closed
    for person in ("Jane Doe", "Min Kim", "Theo Brooks"):
        assert person in out
    assert "Home modification inspection" in out  # overdue action
    assert "2026-11-06" in out and "2026-11-25" in out
    if fmt == "md":
        assert "| 8 | 7 | 1 | 2 | 6 | 9 |" in out  # due soon: a flag review and a task too
        assert "| Jane Doe (jdoe) | 3 | 3 | 0 | 3 | 1 | 4 |" in out
    else:
        assert "<script" not in out.lower()
        assert out.count('<section class="manager"') == 3  # one section each, no forced page
        assert out.count('<tr class="client"') == 8


def test_caseload_manager_filter(example: Path) -> None:
    out = cli("-C", example, "caseload", "--as-of", AS_OF, "--manager", "tbrooks").stdout
    assert "Jamal Whitaker" in out and "Robert Dunn" in out
    assert "Denise Carter" not in out and "Marcus Bell" not in out
    bad = cli("-C", example, "caseload", "--manager", "nobody")
    assert bad.exit_code == 2 and "nobody" in bad.stderr


def test_caseload_uses_the_cache_when_warm(example: Path) -> None:
    """Warm runs read facts from .casectl/ (its caseload section), not the YAML: a name
    changed in the cache alone is what the report shows (until the file changes)."""
    first = cli("-C", example, "caseload", "--as-of", AS_OF)
    assert first.exit_code == 0 and "Denise Carter" in first.stdout
    shown = example / ".casectl" / "read-cache.caseload.json"
    shown.write_text(shown.read_text().replace("Denise Carter", "Zzzzzz Qqqqqq"))
    second = cli("-C", example, "caseload", "--as-of", AS_OF)
    assert "Zzzzzz Qqqqqq" in second.stdout and "Denise Carter" not in second.stdout
    path = example / "clients" / "rc-0001" / "client.yaml"
    path.write_text(path.read_text())  # same bytes, a new change time: read again
    third = cli("-C", example, "caseload", "--as-of", AS_OF)
    assert _without_generated(third.stdout) == _without_generated(first.stdout)


# ------------------------------------------------------------------- escaping


def test_hostile_note_is_text(example: Path) -> None:
    add_note(example, "rc-0001", HOSTILE + "\n# heading?\n</blockquote><b>x</b>")
    html = report(example, "rc-0001", "--format", "html")
    assert "<script>" not in html and "<img" not in html and "<b>x" not in html
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html
    md = report(example, "rc-0001")
    assert "<script>" not in md and "<img" not in md and "</blockquote>" not in md
    assert "&lt;script&gt;" in md and "&lt;img src=x onerror=" in md
    assert "\\[link\\](http\\://evil.example)" in md and "\\*\\*bold\\*\\*" in md
    assert "> \\# heading?" in md


def test_pipes_in_table_cells_are_escaped(tmp_path: Path) -> None:
    plan = (client_files("rc-0001")["plan.yaml"] or "").replace(
        "goal: Move into stable housing", "goal: 'Housing | or | shelter'"
    )
    root = make_agency(tmp_path / "a", {"rc-0001": client_files("rc-0001", **{"plan.yaml": plan})})
    md = report(root, "rc-0001")
    assert "Housing \\| or \\| shelter" in md
    for line in md.splitlines():
        if line.startswith("|") and "Housing" in line:
            assert line.count("|") - line.count("\\|") == 6  # five cells, not more


# ------------------------------------------------------------- output and errors


def test_output_file_and_missing_folder(agency: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "r.html"
    bad = cli("-C", agency, "report", "rc-0001", "--format", "html", "-o", target)
    assert bad.exit_code == 2 and "does not exist" in bad.stderr and not target.exists()
    target.parent.mkdir()
    good = cli("-C", agency, "report", "rc-0001", "--format", "html", "-o", target,
               "--as-of", AS_OF)  # fmt: skip
    assert good.exit_code == 0 and good.stdout == ""
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert "Test Person" in target.read_text()
    assert [p.name for p in target.parent.iterdir()] == ["r.html"]  # no temp file left


@pytest.mark.parametrize("command", [["report", "rc-0001"], ["caseload"]])
@pytest.mark.parametrize(
    "target",
    [
        "clients/rc-0001/log.yaml",  # a case file
        "clients/rc-0001/summary.md",  # a new file among the case files
        "clients/report.md",
        "casectl.yaml",
        ".gitignore",  # tracked by git
        ".git/description",
        ".casectl/report.md",
    ],
)
def test_output_never_goes_onto_case_files_or_tracked_files(
    agency: Path, command: list[str], target: str
) -> None:
    path = agency / target
    path.parent.mkdir(exist_ok=True)
    before = path.read_bytes() if path.exists() else None
    for where in (path, Path(os.path.relpath(path))):  # absolute, and relative to cwd
        r = cli("-C", agency, *command, "-o", where, "--as-of", AS_OF)
        assert r.exit_code == 2, (where, r.stderr)
        assert "refusing" in r.stderr
    assert (path.read_bytes() if path.exists() else None) == before
    assert cli("-C", agency, "validate").exit_code == 0


def test_output_through_a_linked_folder_into_clients_is_refused(
    agency: Path, tmp_path: Path
) -> None:
    link = tmp_path / "reports"
    link.symlink_to(agency / "clients" / "rc-0001")
    log = agency / "clients" / "rc-0001" / "log.yaml"
    before = log.read_bytes()
    r = cli("-C", agency, "report", "rc-0001", "-o", link / "log.yaml")
    assert r.exit_code == 2 and "refusing" in r.stderr
    assert log.read_bytes() == before


def test_schema_output_is_refused_inside_clients(agency: Path) -> None:
    r = cli("-C", agency, "schema", "-o", agency / "clients" / "rc-0001")
    assert r.exit_code == 2 and "refusing" in r.stderr
    assert sorted(p.name for p in (agency / "clients" / "rc-0001").iterdir()) == [
        "assessment.yaml", "client.yaml", "log.yaml", "plan.yaml",
    ]  # fmt: skip
    assert cli("-C", agency, "schema", "-o", agency / "schemas").exit_code == 0


@pytest.mark.parametrize("command", [["report", "rc-0001"], ["caseload"]])
def test_the_output_format_follows_the_extension(
    agency: Path, tmp_path: Path, command: list[str]
) -> None:
    html, md, forced, other = (tmp_path / n for n in ("r.html", "r.md", "f.html", "r.txt"))
    for target in (html, md, other):
        assert cli("-C", agency, *command, "-o", target, "--as-of", AS_OF).exit_code == 0
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert md.read_text().startswith("#")
    assert other.read_text().startswith("#")  # unknown extension: Markdown, the default
    r = cli("-C", agency, *command, "--format", "md", "-o", forced, "--as-of", AS_OF)
    assert r.exit_code == 0
    assert forced.read_text().startswith("#")  # an explicit --format wins
    r = cli("-C", agency, *command, "--as-of", AS_OF)
    assert r.stdout.startswith("#")  # stdout: Markdown unless --format html


def test_unknown_or_invalid_client(agency: Path) -> None:
    assert cli("-C", agency, "report", "rc-9999").exit_code == 2
    assert cli("-C", agency, "report", "../etc").exit_code == 2
    (agency / "clients" / "rc-0002" / "client.yaml").write_text("id: rc-0002\nname: [\n")
    bad = cli("-C", agency, "report", "rc-0002")
    assert bad.exit_code == 2 and "client.yaml has errors" in bad.stderr


def test_other_file_errors_warn_but_render(agency: Path) -> None:
    (agency / "clients" / "rc-0002" / "plan.yaml").write_text("goals: [\n")
    result = cli("-C", agency, "report", "rc-0002", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "validation error" in result.stderr
    assert "Test Person" in result.stdout and "validation error(s)" in result.stdout
    assert "No goals in the plan yet." in result.stdout


def _without_generated(text: str) -> str:
    return "\n".join(ln for ln in text.splitlines() if "generated" not in ln)


@pytest.mark.parametrize("command", ["report", "caseload"])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_footer_shows_the_generation_time_apart_from_the_as_of_day(
    agency: Path, command: str, fmt: str
) -> None:
    args = [command, *(["rc-0001"] if command == "report" else []), "--as-of", AS_OF]
    out = cli("-C", agency, *args, "--format", fmt).stdout
    (footer,) = [ln for ln in out.splitlines() if "generated" in ln]
    assert f"as of {AS_OF}" in footer
    stamp = re.search(r"generated (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) ", footer)
    assert stamp, footer
    when = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M")
    now = datetime.now(ZoneInfo("America/Chicago")).replace(tzinfo=None)
    assert abs((now - when).total_seconds()) < 600  # now, in the agency's zone; not as-of
    again = cli("-C", agency, *args, "--format", fmt).stdout
    assert _without_generated(again) == _without_generated(out)  # reproducible otherwise


# ------------------------------------------------------------ agency templates


def test_agency_template_overrides_builtin_and_template_option(agency: Path) -> None:
    (agency / "templates").mkdir()
    (agency / "templates" / "client.md.j2").write_text(
        "FUNDER FORM {{ client.id }} {{ client.age_band }} goals={{ plan.goals|length }}\n"
    )
    (agency / "templates" / "quarterly.txt.j2").write_text(
        "Q {{ client.name }} {{ due|length }} {{ notes|length }}\n"
    )
    assert report(agency, "rc-0001") == "FUNDER FORM rc-0001 None goals=1\n"
    assert report(agency, "rc-0001", "--template", "quarterly.txt.j2", "--redact") == "Q T.P. 3 1\n"
    # HTML still comes from the built-in template.
    assert "<!DOCTYPE html>" in report(agency, "rc-0001", "--format", "html")
    missing = cli("-C", agency, "report", "rc-0001", "--template", "nope.j2")
    assert missing.exit_code == 2 and "nope.j2" in missing.stderr


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("ok\n{% if client.id %}\nno end\n", None, "syntax"),
        ("line one\nline two\n{{ client.nmae.upper() }}\n", 3, "nmae"),
        ("{{ client.id }}\n{{ nosuchvar }}\n", 2, "nosuchvar"),
    ],
)
def test_agency_template_errors_exit_2_with_file_and_line(
    agency: Path, body: str, line: int | None, words: str
) -> None:
    (agency / "templates").mkdir()
    (agency / "templates" / "client.md.j2").write_text(body)
    result = cli("-C", agency, "report", "rc-0001")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "client.md.j2:" in result.stderr and words in result.stderr
    if line is not None:
        assert f"client.md.j2:{line}" in result.stderr


def test_caseload_template_error(agency: Path) -> None:
    (agency / "templates").mkdir()
    (agency / "templates" / "caseload.html.j2").write_text("<p>{{ counts.nope }}</p>\n")
    result = cli("-C", agency, "caseload", "--format", "html")
    assert result.exit_code == 2 and "caseload.html.j2:1" in result.stderr


# ----------------------------------------------------------------------- docs


def _keys(value: object, prefix: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            if key == "scores":  # keyed by domain name, documented as such
                found.add(key)
                continue
            found.add(key)
            found |= _keys(sub)
    elif isinstance(value, list):
        for item in value:
            found |= _keys(item)
    return found


def test_docs_name_every_context_variable() -> None:
    ctx = open_agency(EXAMPLE)
    check = read_client(ctx, "rc-0001")
    assert check.client is not None
    from casectl.core import schedule

    facts = check.facts
    assert facts is not None
    items = schedule.due_items(facts, ctx.agency.cadence, date(2026, 12, 1))
    client_ctx = reports.client_report_context(
        ctx.agency, check.client, check.assessments, check.plan, check.log, items,
        as_of=date(2026, 12, 1), generated="x",
    )  # fmt: skip
    caseload_ctx = reports.caseload_context(
        ctx.agency,
        scan(ctx, use_cache=False).caseload(),
        date(2026, 12, 1),
        "x",
        manager="jdoe",
    )
    docs = DOCS.read_text()
    missing = sorted(k for k in _keys(client_ctx) | _keys(caseload_ctx) if f"`{k}`" not in docs)
    assert missing == []


# ------------------------------------------- caseload rows: filters = the template


# The loops the built-in caseload.html.j2 had before its rows were made by filters
# (reports.caseload_rows, reports.overdue_rows): the filters must print exactly this.
_CLIENT_LOOP = """\
  {% for c in clients %}
  <tr class="client" id="client-{{ c.id }}"><td>{{ c.name or "" }} <span class="meta">({{ c.id }})</span>{% if c.errors %} <span class="overdue">records have errors</span>{% endif %}{% if c.manager_left %} <span class="meta">manager left</span>{% endif %}{% if c.program %}<br><span class="meta">{{ c.program }}</span>{% endif %}</td>
  <td class="status-{{ c.status }}">{{ c.status|replace("_", " ") }}<br><span class="meta">{{ c.stage }}</span>{% if c.flags %}<br><strong class="overdue">{{ c.flags|join(", ") }}</strong>{% endif %}</td>
  <td>{% if c.next_due %}<span class="date {{ c.next_due.status }}">{{ c.next_due.due }}</span> {{ c.next_due.what }}{% else %}–{% endif %}</td>
  <td class="num{{ ' overdue' if c.overdue else '' }}">{{ c.overdue }}</td>
  <td class="num">{{ c.goals_met }} / {{ c.goals_active }}</td><td class="num">{{ c.contacts_30d }}</td>
  <td class="date">{{ c.last_contact or "–" }}</td>
  <td class="num{{ ' overdue' if c.referrals_overdue else '' }}">{{ c.referrals_open }}</td>
  <td>{% if c.consent.state == "valid" %}to <span class="date">{{ c.consent.expires or "open end" }}</span>{% if c.consent.parties is not none %}: {{ c.consent.parties }}{% endif %}{% elif c.consent.state == "expired" %}<span class="overdue">expired <span class="date">{{ c.consent.expires }}</span></span>{% else %}none{% endif %}</td></tr>
  {% endfor %}
"""  # noqa: E501
_OVERDUE_LOOP = """\
  {% for i in overdue %}
  <tr><td class="overdue date">{{ i.due }}</td><td class="num">{{ i.days }}</td><td>{{ i.name or "" }} <span class="meta">({{ i.client }})</span></td>
  <td>{{ i.manager or "" }}</td><td>{{ i.kind|replace("_", " ") }}</td><td>{{ i.what }}</td></tr>
  {% endfor %}
"""  # noqa: E501
_TEXT = st.one_of(
    st.none(), st.sampled_from(["", "on_hold", "a&b", "<b>\"x\" 'y'</b>", "–"]), st.text()
)
_NUMBER = st.one_of(st.integers(-5, 5), st.booleans())
_CONSENT = st.fixed_dictionaries(
    {"state": st.sampled_from(["valid", "expired", "none"]), "expires": _TEXT, "parties": _TEXT}
)
_NEXT_DUE = st.one_of(
    st.none(), st.fixed_dictionaries({"status": _TEXT, "due": _TEXT, "what": _TEXT})
)
_ROW = st.fixed_dictionaries(
    {
        "id": _TEXT, "name": _TEXT, "errors": st.booleans(), "manager_left": _TEXT,
        "program": _TEXT, "status": _TEXT, "stage": _TEXT, "flags": st.lists(_TEXT, max_size=3),
        "next_due": _NEXT_DUE, "overdue": _NUMBER, "goals_met": _NUMBER,
        "goals_active": _NUMBER, "contacts_30d": _NUMBER, "last_contact": _TEXT,
        "referrals_overdue": _NUMBER, "referrals_open": _NUMBER, "consent": _CONSENT,
    }
)  # fmt: skip
_ITEM = st.fixed_dictionaries(
    {"due": _TEXT, "days": _NUMBER, "name": _TEXT, "client": _TEXT, "manager": _TEXT,
     "kind": _TEXT, "what": _TEXT}
)  # fmt: skip


def _loops() -> tuple[Any, Any]:
    from casectl.present import templating

    env = templating.environment(None)
    env.filters.update(reports.CASELOAD_FILTERS)
    env.autoescape = True
    return env.from_string(_CLIENT_LOOP), env.from_string(_OVERDUE_LOOP)


@settings(max_examples=150, deadline=None)
@given(clients=st.lists(_ROW, max_size=4), overdue=st.lists(_ITEM, max_size=4))
def test_caseload_row_filters_print_what_the_template_loops_printed(
    clients: list[dict[str, Any]], overdue: list[dict[str, Any]]
) -> None:
    """Any values (markup, quotes, None, booleans, numbers) print byte for byte as the
    template's own loops printed them, escaping included."""
    client_loop, overdue_loop = _loops()
    assert str(reports.caseload_rows(clients)) == client_loop.render(clients=clients)
    assert str(reports.overdue_rows(overdue)) == overdue_loop.render(overdue=overdue)


def test_caseload_html_keeps_its_rows_when_the_filters_make_them(example: Path) -> None:
    """The built-in template with the filters prints what it printed with its loops
    (the example agency: errors, flags, consents, sign-offs, overdue items)."""
    ctx = open_agency(example, as_of=date(2026, 12, 1))
    c = reports.caseload_context(ctx.agency, scan(ctx).caseload(), ctx.as_of, "x")
    client_loop, overdue_loop = _loops()
    page = cli("-C", example, "caseload", "--as-of", AS_OF, "--format", "html").stdout
    for m in c["managers"]:
        if m["clients"]:
            assert client_loop.render(clients=m["clients"]) in page
    assert overdue_loop.render(overdue=c["overdue"]) in page
