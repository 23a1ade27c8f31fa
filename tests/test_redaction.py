"""``report --redact``: what identifies the client never reaches the report (issue 11,
item 8).

Every form of the client's (and contacts') name, birth date, phone, e-mail and address
is planted in every free-text field of real records; the redacted Markdown and HTML,
raw and as rendered text, hold none of them. Every field a template receives is
classified (identifying, free text, safe) in one table, reports.REDACTION, and a field
missing from it fails here before it can leak.
"""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from casectl.present import reports
from casectl.read.agency import open_agency, read_client
from casectl.read.scan import scan
from tests.conftest import cli, make_agency
from tests.hostile import q

AS_OF = "2026-12-01"
NAME = "Denise Carter"
BORN = "1988-07-14"
PHONE = "+1 (555) 010-0199"
EMAIL = "denise.carter88@example.org"
ADDRESS = "418 Alder Ave, Apt 2B, Springfield"

FORMS: dict[str, list[str]] = {
    "birth date": [
        "14/07/1988", "07/14/1988", "14.07.1988", "July 14, 1988", "14 July 1988",
        "Jul 14 1988", "1988-07-14", "14-07-1988", "7/14/88", "14th of July 1988",
        "Jul. 14th, 1988", "14071988", "1988/07/14", "JULY 14 1988",
    ],
    "name": [
        "Denise Carter", "DeniseCarter", "DENISE carter", "Carter's", "Carter\u2019s",
        "Carter, Denise", "denise.carter", "Ms. Carter", "CARTER", "denise", "Carters",
        "Denise\nCarter", "carter_denise", "Denise-Carter",
    ],
    "phone": [
        "555-010-0199", "555 010 0199", "555.010.0199", "5550100199", "+1 555 0100199",
        "(555)010-0199", "555\u2013010\u20130199", "1-555-010-0199", "010 0199",
        "+1 (555) 010-0199", "555/010/0199",
    ],
    "e-mail": [
        EMAIL, EMAIL.upper(), "denise.carter88", "denise.carter88@gmail.com",
        "mailto:denise.carter88@example.org", "DENISE.CARTER88 at example dot org",
    ],
    "address": ["418 Alder Ave", "alder ave", "Apt 2B", "418  Alder\nAve", "APT 2B"],
    "contact": ["Rosa Lopez", "Rosa", "LOPEZ", "+1 555 0177", "rosa.l@example.org", "Lopez's"],
}  # fmt: skip
ALL_FORMS = [form for forms in FORMS.values() for form in forms]

# Anything left of them, checked case-insensitively in raw and rendered output.
SECRETS = ["denise", "carter", "alder", "apt 2b", "1988", "rosa", "lopez", "rosa.l"]
DIGITS = [re.compile(r"\D{0,3}".join(d)) for d in ("0100199", "5550177")]
DATE_SHAPES = re.compile(r"(?i)(?<!\d)(?:0?7\D{1,3}14|14\D{1,3}0?7)\D{1,3}(?:19)?88(?!\d)|jul")

CLIENT = f"""\
id: rc-0001
name: {NAME}
born: {BORN}
status: {{status}}
opened: 2026-01-05
manager: jdoe
program: {{text}}
phone: "{PHONE}"
email: {EMAIL}
address: {ADDRESS}
contacts:
  - {{{{name: Rosa Lopez, relation: sister, phone: "+1 555 0177", email: rosa.l@example.org}}}}
"""
CLOSED = "closed: {date: 2026-11-01, reason: moved, note: {text}}\n"
ASSESSMENT = """\
assessments:
  - date: 2026-01-10
    by: jdoe
    domains:
      housing: {{score: 2, note: {text}}}
    strengths: [{text}]
    summary: {text}
  - date: 2026-06-10
    by: jdoe
    domains:
      housing: {{score: 3, note: {text}}}
    strengths: [{text}]
    summary: {text}
"""
PLAN = """\
created: 2026-01-12
goals:
  - id: G1
    domain: housing
    goal: {text}
    target: 2026-11-30
    status: active
    actions:
      - {{action: {text}, who: {text}, due: 2026-11-20}}
      - {{action: {text}, who: {text}, due: 2026-01-20, done: 2026-01-19}}
"""
LOG = """\
- id: 20260110-1000-jdoe
  date: 2026-01-10 10:00
  by: jdoe
  type: referral
  to: {text}
  text: {text}
- id: 20260111-1000-jdoe
  date: 2026-01-11 10:00
  by: jdoe
  type: amendment
  amends: 20260110-1000-jdoe
  text: {text}
"""
MD = MarkdownIt("commonmark").enable("table")


def agency_with(root: Path, text: str) -> Path:
    """Two clients (active, closed) whose every free-text field holds ``text``."""
    value = q(text)
    files = {
        "assessment.yaml": ASSESSMENT.format(text=value),
        "plan.yaml": PLAN.format(text=value),
        "log.yaml": LOG.format(text=value),
    }
    # The active client carries a closure note too (a CM122 error, still rendered), so
    # one report shows every free-text field, due items included.
    active = {
        "client.yaml": CLIENT.format(status="active", text=value) + CLOSED.replace("{text}", value),
        **files,
    }
    closed = {
        "client.yaml": CLIENT.format(status="closed", text=value).replace("rc-0001", "rc-0002")
        + CLOSED.replace("{text}", value),
        **files,
    }
    return make_agency(root, {"rc-0001": active, "rc-0002": closed}, git=False)


def texts(root: Path, cid: str) -> dict[str, str]:
    """The redacted md and html of ``cid``, raw and as a reader sees them."""
    out: dict[str, str] = {}
    for fmt in ("md", "html"):
        result = cli("-C", root, "report", cid, "--as-of", AS_OF, "--redact", "--format", fmt)
        assert result.exit_code == 0, result.stderr
        raw = result.stdout
        shown = MD.render(raw) if fmt == "md" else raw
        out[fmt] = raw
        out[f"{fmt} as text"] = html.unescape(re.sub(r"<[^>]*>", " ", shown))
    return out


def leaks(text: str) -> list[str]:
    found = [s for s in SECRETS if s in text.lower()]
    found += [p.pattern for p in DIGITS if p.search(text)]
    found += [m.group() for m in DATE_SHAPES.finditer(text)]
    return found


def test_every_form_is_scrubbed_from_every_field(tmp_path: Path) -> None:
    planted = " | ".join(ALL_FORMS).replace("\n", " ")
    root = agency_with(tmp_path / "a", f"Met {planted}; next visit soon.")
    for cid in ("rc-0001", "rc-0002"):
        for kind, text in texts(root, cid).items():
            assert leaks(text) == [], (cid, kind, leaks(text))
            assert "next visit soon" in text  # the rest of the text is still there


@pytest.mark.parametrize(("kind", "form"), [(k, f) for k, fs in FORMS.items() for f in fs])
def test_each_form_alone(tmp_path: Path, kind: str, form: str) -> None:
    root = agency_with(tmp_path / "a", f"Spoke with {form} today")
    for text in texts(root, "rc-0002").values():
        assert leaks(text) == [], (kind, form)


SEPARATORS = st.sampled_from([" ", ", ", ". ", "\n", " (", ") ", "; ", " - ", ": ", "\t"])
WORDS = st.sampled_from(["met", "at the office", "called", "12", "ok", "2026-11-02", "re:"])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    before=st.lists(st.tuples(WORDS, SEPARATORS), max_size=3),
    form=st.sampled_from(ALL_FORMS),
    after=st.lists(st.tuples(SEPARATORS, WORDS), max_size=3),
)
def test_property_no_form_survives_in_any_field(
    tmp_path_factory: pytest.TempPathFactory,
    before: list[tuple[str, str]],
    form: str,
    after: list[tuple[str, str]],
) -> None:
    text = "".join(w + s for w, s in before) + form + "".join(s + w for s, w in after)
    root = agency_with(tmp_path_factory.mktemp("prop") / "a", text)
    for kind, shown in texts(root, "rc-0001").items():
        assert leaks(shown) == [], (kind, text, leaks(shown))


# ------------------------------------------------------------ the classification


def _contexts(tmp_path: Path) -> dict[str, Any]:
    """The client report, caseload and digest contexts of a client with every field."""
    from casectl.commands._common import gather_due
    from casectl.core import schedule

    root = agency_with(tmp_path / "a", "x")
    ctx = open_agency(root, as_of=date(2026, 12, 1))
    out: dict[str, Any] = {}
    for cid in ("rc-0001", "rc-0002"):
        check = read_client(ctx, cid)
        assert check.client is not None and check.facts is not None
        items = schedule.due_items(check.facts, ctx.agency.cadence, ctx.as_of)
        out[f"report {cid}"] = reports.client_report_context(
            ctx.agency, check.client, check.assessments, check.plan, check.log, items,
            as_of=ctx.as_of, generated="x", since=date(2026, 1, 11),
        )  # fmt: skip
    out["caseload"] = reports.caseload_context(
        ctx.agency, scan(ctx, use_cache=False).caseload(), ctx.as_of, "x", manager="jdoe"
    )
    from casectl.present.output import Output

    gathered = gather_due(Output(), root, "2026-12-01", None, None)
    out["digest"] = reports.digest_context(
        gathered.ctx.agency, gathered.items, gathered.ctx.as_of, gathered.within
    )
    return out


SPEC = {"report": "client", "caseload": "caseload", "digest": "digest"}


def test_every_template_field_is_classified(tmp_path: Path) -> None:
    for name, context in _contexts(tmp_path).items():
        table = reports.REDACTION[SPEC[name.split()[0]]]
        assert reports.unclassified(context, table) == [], name


def test_an_unclassified_field_is_refused_not_leaked(tmp_path: Path) -> None:
    context = _contexts(tmp_path)["report rc-0001"]
    context["client"]["nickname"] = "Dee"
    with pytest.raises(reports.UnclassifiedField, match=r"client\.nickname"):
        reports.redact_context(context, reports.REDACTION["client"], reports.NO_SCRUB)


def test_identifying_fields_are_dropped_or_replaced(tmp_path: Path) -> None:
    md = texts(agency_with(tmp_path / "a", "x"), "rc-0001")["md"]
    assert "D.C." in md and "30-39" in md
    assert PHONE not in md and EMAIL not in md and "Alder" not in md and BORN not in md
