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
from tests.builders import (
    ALL_FORMS,
    BORN,
    EMAIL,
    FORMS,
    PHONE,
    SEPARATORS,
    WORDS,
    cli,
    free_text_agency,
    leaks,
)

AS_OF = "2026-12-01"


MD = MarkdownIt("commonmark").enable("table")


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


def test_every_form_is_scrubbed_from_every_field(tmp_path: Path) -> None:
    planted = " | ".join(ALL_FORMS).replace("\n", " ")
    root = free_text_agency(tmp_path / "a", f"Met {planted}; next visit soon.")
    for cid in ("rc-0001", "rc-0002"):
        for kind, text in texts(root, cid).items():
            assert leaks(text) == [], (cid, kind, leaks(text))
            assert "next visit soon" in text  # the rest of the text is still there


@pytest.mark.parametrize(("kind", "form"), [(k, f) for k, fs in FORMS.items() for f in fs])
def test_each_form_alone(tmp_path: Path, kind: str, form: str) -> None:
    root = free_text_agency(tmp_path / "a", f"Spoke with {form} today")
    for text in texts(root, "rc-0002").values():
        assert leaks(text) == [], (kind, form)


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
    root = free_text_agency(tmp_path_factory.mktemp("prop") / "a", text)
    for kind, shown in texts(root, "rc-0001").items():
        assert leaks(shown) == [], (kind, text, leaks(shown))


# ------------------------------------------------------------ the classification


def _contexts(tmp_path: Path) -> dict[str, Any]:
    """The client report, caseload and digest contexts of a client with every field."""
    from casectl.commands._common import gather_due
    from casectl.core import schedule

    root = free_text_agency(tmp_path / "a", "x")
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
    md = texts(free_text_agency(tmp_path / "a", "x"), "rc-0001")["md"]
    assert "D.C." in md and "30-39" in md
    assert PHONE not in md and EMAIL not in md and "Alder" not in md and BORN not in md
