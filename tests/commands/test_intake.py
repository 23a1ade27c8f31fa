"""new's intake fields; contacts shown by show and reports, left out under --redact."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders import AGENCY_YAML, cli, client_files, make_agency, run_git


def test_new_with_the_intake_fields(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag")
    r = cli(
        "-C", root, "new", "rc-0100", "--name", "Grace Hill", "--manager", "jdoe",
        "--opened", "2026-11-02", "--born", "1950-04-01", "--phone", "+1 555 0100",
        "--email", "grace@example.org", "--address", "4 Oak St, Springfield",
        "--program", "seniors", "--consent-signed", "2026-11-02",
        "--consent-expires", "2027-11-02",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    text = (root / "clients" / "rc-0100" / "client.yaml").read_text()
    assert text.endswith(
        'program: "seniors"\nborn: 1950-04-01\nphone: "+1 555 0100"\n'
        'email: "grace@example.org"\naddress: "4 Oak St, Springfield"\n'
        "consent:\n  signed: 2026-11-02\n  expires: 2027-11-02\n"
    )
    assert "format: 1" in (root / "casectl.yaml").read_text()  # nothing of format 2
    assert cli("-C", root, "validate").exit_code == 0
    assert run_git(root, "status", "--porcelain") == ""


def test_new_in_a_format_2_repository_writes_consents(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag", agency_yaml=AGENCY_YAML.replace("format: 1", "format: 2"))
    r = cli(
        "-C", root, "new", "rc-0100", "--name", "Grace Hill", "--manager", "jdoe",
        "--consent-signed", "2026-11-02", "--consent-expires", "2027-11-02",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    text = (root / "clients" / "rc-0100" / "client.yaml").read_text()
    assert text.endswith("consents:\n  - signed: 2026-11-02\n    expires: 2027-11-02\n")
    assert cli("-C", root, "validate").exit_code == 0


def test_new_refuses_bad_intake_fields(tmp_path: Path) -> None:
    root = make_agency(tmp_path / "ag")
    base = ["-C", root, "new", "rc-0100", "--name", "G", "--manager", "jdoe"]
    for args, message in [
        (["--born", "01/04/1950"], "--born"),
        (["--consent-signed", "2026-11-02"], "together"),
        (["--born", "2099-01-01"], "CM126"),
        (["--consent-signed", "2026-11-02", "--consent-expires", "2026-01-01"], "CM"),
    ]:
        r = cli(*base, *args)
        assert r.exit_code == 2 and message in r.stderr, (args, r.stderr)
        assert not (root / "clients" / "rc-0100").exists()


CLIENT = """\
id: rc-0001
name: Maria Lopez
status: active
opened: 2026-01-05
manager: jdoe
contacts:
  - {name: Rosa Lopez, relation: sister, phone: "+1 555 0199", emergency: true}
  - {name: Dr. Adams, relation: psychiatrist, org: Eastside Clinic}
"""


def test_contacts_in_show_and_reports_not_when_redacted(tmp_path: Path) -> None:
    agency = AGENCY_YAML.replace("format: 1", "format: 2")
    root = make_agency(
        tmp_path / "ag", {"rc-0001": client_files("rc-0001", **{"client.yaml": CLIENT})}, agency
    )
    shown = cli("-C", root, "show", "rc-0001").stdout
    assert "contact:  Rosa Lopez (sister, +1 555 0199) [emergency contact]" in shown
    data = json.loads(cli("-C", root, "show", "rc-0001", "--format", "json").stdout)
    assert [c["name"] for c in data["contacts"]] == ["Rosa Lopez", "Dr. Adams"]
    for fmt in ("md", "html"):
        report = cli("-C", root, "report", "rc-0001", "--format", fmt).stdout
        assert "Rosa Lopez" in report and "Eastside Clinic" in report
        redacted = cli("-C", root, "report", "rc-0001", "--format", fmt, "--redact").stdout
        assert "Rosa" not in redacted and "555 0199" not in redacted
        assert "Eastside Clinic" not in redacted
