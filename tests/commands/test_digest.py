"""``casectl digest``: the cron job's plain-text digest, its template and its silence."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import AS_OF, cli, cli_subprocess, client_files, make_agency, monitored_agency

# The built-in template's output for the monitored agency on AS_OF (dates by hand in
# test_due.EXPECTED): per manager, overdue first, then due soon, each by date.
FULL = """\
Test Agency: due as of 2026-06-01
7 items: 3 overdue, 4 due soon (within 14 days)

Jane Doe (jdoe) <jane.doe@example.org>
  Overdue:
    2026-05-25  7 days overdue    ana  Ana Test: goal G1: Rent paid | deposit back
  Due soon:
    2026-06-08  in 7 days         ana  Ana Test: plan review
    2026-06-15  in 14 days        ana  Ana Test: action G1: Bring the lease

Min Kim (mkim)
  Overdue:
    2026-05-15  17 days overdue   ben  Ben Test: initial assessment
    2026-05-31  1 day overdue     ben  Ben Test: contact
  Due soon:
    2026-06-03  in 2 days         cal  Cal Test: plan review
    2026-06-08  in 7 days         ben  Ben Test: consent expires
"""


@pytest.fixture
def monitored(tmp_path: Path) -> Path:
    return monitored_agency(tmp_path / "agency")


def test_grouped_by_manager_overdue_first(monitored: Path) -> None:
    r = cli("-C", monitored, "digest", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == FULL
    assert "\x1b[" not in r.stdout


def test_one_managers_digest(monitored: Path) -> None:
    r = cli("-C", monitored, "digest", "--as-of", AS_OF, "--manager", "mkim")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[:4] == [
        "Test Agency: due as of 2026-06-01",
        "4 items: 2 overdue, 2 due soon (within 14 days)",
        "",
        "Min Kim (mkim)",
    ]
    assert "Jane Doe" not in r.stdout and "Ana Test" not in r.stdout
    r = cli("-C", monitored, "digest", "--manager", "nobody")
    assert r.exit_code == 2 and "'nobody' is not a manager" in r.stderr


def test_within_changes_the_window(monitored: Path) -> None:
    r = cli("-C", monitored, "digest", "--as-of", AS_OF, "--within", "0 days")
    assert "3 items: 3 overdue, 0 due soon (within 0 days)" in r.stdout
    assert "Due soon:" not in r.stdout


def test_nothing_due_prints_nothing_at_all(tmp_path: Path) -> None:
    # opened 2026-01-05, assessed 01-10, plan 01-12 (target 12-31), visit 01-10:
    # first due is the contact on 2026-02-09, beyond 2026-01-15 + 14 days.
    root = make_agency(tmp_path / "quiet", {"rc-0001": client_files("rc-0001")})
    r = cli("-C", root, "digest", "--as-of", "2026-01-15")
    assert r.exit_code == 0 and r.stdout == "" and r.stderr == ""
    # Even an agency template is not rendered then.
    (root / "templates").mkdir()
    (root / "templates" / "digest.txt.j2").write_text("always {{ total }}\n")
    r = cli("-C", root, "digest", "--as-of", "2026-01-15")
    assert r.exit_code == 0 and r.stdout == ""
    # The day the contact falls into the window, there is a digest. As the records
    # stood that day (contract 5.2), the voucher action done on 01-30 was still open,
    # due 02-01: a second item.
    r = cli("-C", root, "digest", "--as-of", "2026-01-26")
    assert r.stdout == "always 2\n"


def test_only_a_managers_empty_part_is_silent(monitored: Path) -> None:
    # Before anything of jdoe's is due. As the records stood on 2026-05-01, ana's
    # first contact (2026-05-20) had not happened: her contact was overdue then; on
    # 2026-01-15 nothing of hers was due within 14 days (contract 5.2).
    r = cli("-C", monitored, "digest", "--as-of", "2026-01-15", "--manager", "jdoe")
    assert r.exit_code == 0 and r.stdout == ""


def test_no_colour_in_a_real_pipe(monitored: Path) -> None:
    done = cli_subprocess(
        "-C", monitored, "digest", "--as-of", AS_OF, env={"TERM": "xterm-256color"}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == FULL and "\x1b[" not in done.stdout


def test_agency_template_replaces_the_builtin(monitored: Path) -> None:
    (monitored / "templates").mkdir()
    (monitored / "templates" / "digest.txt.j2").write_text(
        "{{ agency }} {{ as_of }} {{ window }}\n"
        "{% for m in managers %}"
        "{{ m.key }}|{{ m.name }}|{{ m.email or '-' }}|{{ m.count }}"
        "|{{ m.overdue | map(attribute='client') | join(',') }}"
        "|{{ m.due_soon | map(attribute='days') | join(',') }}\n"
        "{% endfor %}"
        "{{ total }}={{ overdue_count }}+{{ due_soon_count }}"
    )
    r = cli("-C", monitored, "digest", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    # A final newline is added when the template leaves it out.
    assert r.stdout == (
        "Test Agency 2026-06-01 14 days\n"
        "jdoe|Jane Doe|jane.doe@example.org|3|ana|-7,-14\n"
        "mkim|Min Kim|-|4|ben,ben|-2,-7\n"
        "7=3+4\n"
    )


def test_item_variables(monitored: Path) -> None:
    (monitored / "templates").mkdir()
    (monitored / "templates" / "digest.txt.j2").write_text(
        "{% for m in managers %}{% for i in m.overdue + m.due_soon %}"
        "{{ i.client }};{{ i.name }};{{ i.manager }};{{ i.kind }};{{ i.kind_text }};"
        "{{ i.what }};{{ i.due }};{{ i.status }};{{ i.days }};{{ i.days_text }}\n"
        "{% endfor %}{% endfor %}"
    )
    r = cli("-C", monitored, "digest", "--as-of", AS_OF, "--manager", "mkim")
    assert r.stdout.splitlines() == [
        "ben;Ben Test;mkim;assessment;assessment;initial assessment;2026-05-15;overdue;17;"
        "17 days overdue",
        "ben;Ben Test;mkim;contact;contact;contact;2026-05-31;overdue;1;1 day overdue",
        "cal;Cal Test;mkim;plan_review;plan review;plan review;2026-06-03;due_soon;-2;in 2 days",
        "ben;Ben Test;mkim;consent;consent;consent expires;2026-06-08;due_soon;-7;in 7 days",
    ]


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("Digest\n{{ no_such_variable }}\n", 2, "no_such_variable"),
        ("Digest\n\n{% for m in managers %}\n{{ m.name }\n{% endfor %}\n", 4, "syntax"),
    ],
)
def test_template_errors_name_file_and_line(
    monitored: Path, text: str, line: int, what: str
) -> None:
    (monitored / "templates").mkdir()
    (monitored / "templates" / "digest.txt.j2").write_text(text)
    r = cli("-C", monitored, "digest", "--as-of", AS_OF)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert f"digest.txt.j2:{line}" in r.stderr and what in r.stderr
    assert "Traceback" not in r.stderr
