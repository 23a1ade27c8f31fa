"""A real browser loads the HTML report: hostile note text must not run.

Uses Debian's ``chromium`` in headless mode (CI installs it with apt). A control page
with the same payload *unescaped* proves that this chromium does run such payloads
and that the checks below would see it, so a pass means the escaping worked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, cli, make_agency

CID = "rc-0001"
NAME = "Denise Carter"
PAYLOAD = (
    "<script>document.title='PWNED'</script>\n"
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">\n"
)
TIMEOUT = 90


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def chromium() -> str:
    path = _chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, but CI must run the browser tests")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    return path


def run_chromium(chromium: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    profile.mkdir()
    cmd = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)


@pytest.fixture
def hostile_report(tmp_path: Path) -> Path:
    assert (EXAMPLE / "clients" / CID).is_dir()
    root = make_agency(tmp_path / "agency", agency_yaml=(EXAMPLE / "casectl.yaml").read_text(),
                       git=False)  # fmt: skip
    shutil.copytree(EXAMPLE / "clients" / CID, root / "clients" / CID)
    body = "\n".join("    " + line for line in PAYLOAD.splitlines())
    with (root / "clients" / CID / "log.yaml").open("a") as f:
        f.write(
            "- id: 20261121-0900-jdoe\n  date: 2026-11-21 09:00\n  by: jdoe\n  type: note\n"
            f"  text: |\n{body}\n"
        )
    out = tmp_path / "report.html"
    result = cli("-C", root, "report", CID, "--format", "html", "--as-of", "2026-12-01",
                 "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "validation error" not in result.stderr
    return out


def test_control_page_runs_the_payload(chromium: str, tmp_path: Path) -> None:
    """Unescaped, the payload does run here: the checks in the next test can fail."""
    page = tmp_path / "control.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><title>ok</title></head><body>{PAYLOAD}</body></html>"
    )
    dom = run_chromium(chromium, tmp_path, "--dump-dom", page.as_uri()).stdout
    assert "<title>PWNED</title>" in dom
    assert 'data-pwned="1"' in dom


def test_hostile_note_does_not_run(chromium: str, hostile_report: Path, tmp_path: Path) -> None:
    done = run_chromium(chromium, tmp_path, "--dump-dom", hostile_report.as_uri())
    dom = done.stdout
    assert "</html>" in dom, done.stderr[-2000:]
    assert "PWNED</title>" not in dom
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert 'data-pwned="1"' not in dom
    # The payload is on the page as text, and the page is the report.
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom
    assert NAME in dom and CID in dom
    assert "<svg" in dom and "<polyline" in dom


def test_screenshot_and_pdf(chromium: str, hostile_report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    run_chromium(chromium, tmp_path, "--hide-scrollbars", "--window-size=1100,2400",
                 f"--screenshot={png}", hostile_report.as_uri())  # fmt: skip
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    pdf = tmp_path / "report.pdf"
    run_chromium(chromium, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                 hostile_report.as_uri())  # fmt: skip
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    assert content.count(b"/Type /Page") - content.count(b"/Type /Pages") >= 2
