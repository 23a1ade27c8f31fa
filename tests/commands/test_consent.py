"""`casectl consent` (contract 5.1, 5.3): consents with history, parties, a document
hash; renewals append; an old `consent:` block is converted in the same commit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from tests.builders import cli, client_files, make_agency, run_git

CLIENT = """\
id: rc-0001
name: Test Person
status: active
opened: 2026-01-05
manager: jdoe
# Signed at intake.
consent:
  signed: 2026-01-05   # paper form in the cabinet
  expires: 2026-12-10
program: housing
"""


def _agency(tmp_path: Path) -> Path:
    return make_agency(
        tmp_path / "a",
        {
            "rc-0001": client_files("rc-0001", **{"client.yaml": CLIENT}),
            "rc-0002": client_files("rc-0002"),
        },
    )


def test_consent_converts_the_old_block_and_appends(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    form = tmp_path / "form.pdf"
    form.write_bytes(b"%PDF signed form")
    head = run_git(root, "rev-parse", "HEAD").strip()
    r = cli(
        "-C",
        root,
        "consent",
        "rc-0001",
        "--signed",
        "2026-11-20",
        "--expires",
        "2027-11-20",
        "--party",
        "Springfield Legal Aid",
        "--party",
        "Eastside Clinic",
        "--document",
        form,
    )
    assert r.exit_code == 0, r.stderr
    text = (root / "clients/rc-0001/client.yaml").read_text()
    assert text.startswith(
        "id: rc-0001\nname: Test Person\nstatus: active\nopened: 2026-01-05\nmanager: jdoe\n"
        "# Signed at intake.\nconsents:\n"
    )
    assert "# paper form in the cabinet" in text
    assert text.rstrip().endswith("program: housing")
    data = yaml.safe_load(text)
    assert "consent" not in data
    digest = "sha256:" + hashlib.sha256(b"%PDF signed form").hexdigest()
    assert [(str(c["signed"]), str(c["expires"])) for c in data["consents"]] == [
        ("2026-01-05", "2026-12-10"),
        ("2026-11-20", "2027-11-20"),
    ]
    assert data["consents"][1]["parties"] == ["Springfield Legal Aid", "Eastside Clinic"]
    assert data["consents"][1]["document"] == digest
    entry = yaml.safe_load((root / "clients/rc-0001/log.yaml").read_text())[-1]
    assert entry["type"] == "consent"
    assert entry["changes"] == ["consent 2026-11-20 .. 2027-11-20 added"]
    assert entry["text"] == (
        "Consent signed 2026-11-20, expires 2027-11-20 "
        "(parties: Springfield Legal Aid, Eastside Clinic).\n"
    )
    assert len(run_git(root, "rev-list", f"{head}..HEAD").split()) == 1
    assert run_git(root, "status", "--porcelain") == ""
    assert cli("-C", root, "validate").exit_code == 0
    # A renewal appends again, never overwrites.
    r = cli("-C", root, "consent", "rc-0001", "--signed", "2026-11-25", "--expires", "2027-06-01")
    assert r.exit_code == 0, r.stderr
    data = yaml.safe_load((root / "clients/rc-0001/client.yaml").read_text())
    assert len(data["consents"]) == 3


def test_consent_due_kind_reads_the_newest(tmp_path: Path) -> None:
    root = _agency(tmp_path)

    def consent_due() -> list[str]:
        r = cli("-C", root, "due", "--as-of", "2026-12-01", "--kind", "consent", "--format", "json")
        return [i["due"] for i in json.loads(r.stdout)]

    assert consent_due() == ["2026-12-10"]
    args = ("--signed", "2026-11-20", "--expires", "2027-11-20")
    assert cli("-C", root, "consent", "rc-0001", *args).exit_code == 0
    assert consent_due() == []


def test_consent_parties_decide_referral_warnings(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    args = ("--signed", "2026-11-20", "--expires", "2027-11-20", "--party", "Legal Aid")
    assert cli("-C", root, "consent", "rc-0002", *args).exit_code == 0
    ok = cli("-C", root, "refer", "rc-0002", "--to", "legal aid")
    assert ok.exit_code == 0 and "Warning" not in ok.stderr
    warned = cli("-C", root, "refer", "rc-0002", "--to", "Food Bank")
    assert "Warning: no unexpired consent names Food Bank" in warned.stderr
    entry = yaml.safe_load((root / "clients/rc-0002/log.yaml").read_text())[-1]
    assert "Warning: no unexpired consent names Food Bank" in entry["text"]


def test_consent_refusals(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    head = run_git(root, "rev-parse", "HEAD")
    for args, message in [
        (("--signed", "2026-11-20", "--expires", "2026-11-01"), "is not after"),
        (
            ("--signed", "2026-11-20", "--expires", "2027-11-01", "--document", tmp_path / "no"),
            "--document",
        ),
        (("--signed", "2099-01-01", "--expires", "2100-01-01"), "would not validate"),
    ]:
        r = cli("-C", root, "consent", "rc-0001", *args)
        assert r.exit_code == 2, (args, r.stderr)
        assert message in r.stderr, (args, r.stderr)
    assert run_git(root, "rev-parse", "HEAD") == head
    assert run_git(root, "status", "--porcelain") == ""


def test_show_reads_the_newest_consent(tmp_path: Path) -> None:
    root = _agency(tmp_path)
    args = ("--signed", "2026-11-20", "--expires", "2027-11-20", "--party", "Legal Aid")
    assert cli("-C", root, "consent", "rc-0001", *args).exit_code == 0
    shown = cli("-C", root, "show", "rc-0001").stdout
    assert "consent:  expires 2027-11-20 (parties: Legal Aid)" in shown
    data = json.loads(cli("-C", root, "show", "rc-0001", "--format", "json").stdout)
    assert data["consent_expires"] == "2027-11-20"
    assert [c["expires"] for c in data["consents"]] == ["2026-12-10", "2027-11-20"]
