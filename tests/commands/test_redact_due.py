"""``due --redact`` (text, json, md, ics) and ``digest --redact`` (contract 5.5): every
form of the client's and contacts' name, birth date, phone, e-mail and address, planted
in every free-text field of the records (goals, actions, notes, program, closure),
appears in none of them; names become initials; the rest of the text stays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import ALL_FORMS, SEPARATORS, WORDS, cli, free_text_agency, leaks

AS_OF = "2026-12-01"
FORMATS = ("text", "json", "md", "ics")


def outputs(root: Path, redact: bool = True) -> dict[str, str]:
    flag = ["--redact"] if redact else []
    out: dict[str, str] = {}
    for fmt in FORMATS:
        done = cli("-C", root, "due", "--as-of", AS_OF, "--format", fmt, *flag)
        assert done.exit_code == 0, done.stderr
        # an iCalendar line longer than 75 octets is folded: unfold before looking
        out[fmt] = done.stdout.replace("\r\n ", "").replace("\r\n", "\n")
    digest = cli("-C", root, "digest", "--as-of", AS_OF, *flag)
    assert digest.exit_code == 0, digest.stderr
    out["digest"] = digest.stdout
    return out


def test_every_form_is_scrubbed_from_due_and_digest(tmp_path: Path) -> None:
    planted = " | ".join(ALL_FORMS).replace("\n", " ")
    root = free_text_agency(tmp_path / "a", f"Met {planted}; next visit soon.")
    plain = outputs(root, redact=False)
    assert any(leaks(text) for text in plain.values())  # without --redact they are there
    for fmt, text in outputs(root).items():
        assert leaks(text) == [], (fmt, leaks(text))
        assert "D.C." in text, fmt  # initials instead of the name
        assert "next visit soon" in text, fmt  # the goal's own words stay
    rows = json.loads(outputs(root)["json"])
    assert {r["name"] for r in rows} == {"D.C."}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    before=st.lists(st.tuples(WORDS, SEPARATORS), max_size=3),
    form=st.sampled_from(ALL_FORMS),
    after=st.lists(st.tuples(SEPARATORS, WORDS), max_size=3),
)
def test_property_no_form_survives_in_due_or_digest(
    tmp_path_factory: pytest.TempPathFactory,
    before: list[tuple[str, str]],
    form: str,
    after: list[tuple[str, str]],
) -> None:
    text = "".join(w + s for w, s in before) + form + "".join(s + w for s, w in after)
    root = free_text_agency(tmp_path_factory.mktemp("prop") / "a", text)
    for fmt, shown in outputs(root).items():
        assert leaks(shown) == [], (fmt, text, leaks(shown))
