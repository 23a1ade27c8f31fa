"""A real browser loads the HTML stats page: charts drawn, nothing runs, it prints.

Same checks as tests/present/test_browser.py (Debian's chromium, headless): a program name
carrying a script payload shows as text, the page has its two inline SVG charts, a
screenshot is made and the page prints to a PDF.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import PAYLOAD, cli, figures_agency, run_chromium


@pytest.fixture
def stats_page(tmp_path: Path) -> Path:
    root = figures_agency(tmp_path / "agency")
    client = root / "clients" / "c-0003" / "client.yaml"
    program = PAYLOAD.splitlines()[0].replace("'", "")
    client.write_text(client.read_text() + f'program: "{program}"\n')
    out = tmp_path / "stats.html"
    done = cli("-C", root, "stats", "--from", "2026-09-01", "--to", "2026-11-30",
               "--by", "program", "--format", "html", "-o", out)  # fmt: skip
    assert done.exit_code == 0, done.stderr
    return out


def test_stats_page_runs_nothing(chromium: str, stats_page: Path, tmp_path: Path) -> None:
    done = run_chromium(chromium, tmp_path, "--dump-dom", stats_page.as_uri())
    dom = done.stdout
    assert "</html>" in dom, done.stderr[-2000:]
    assert "PWNED</title>" not in dom and "<script" not in dom
    assert "&lt;script&gt;document.title=PWNED&lt;/script&gt;" in dom
    assert dom.count("<svg") == 2 and "<rect" in dom
    assert "2026-09" in dom and "2026-11" in dom  # the month chart's columns


def test_stats_screenshot_and_pdf(chromium: str, stats_page: Path, tmp_path: Path) -> None:
    png = tmp_path / "stats.png"
    run_chromium(chromium, tmp_path, "--hide-scrollbars", "--window-size=1100,1800",
                 f"--screenshot={png}", stats_page.as_uri())  # fmt: skip
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    pdf = tmp_path / "stats.pdf"
    run_chromium(chromium, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                 stats_page.as_uri())  # fmt: skip
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    assert content.count(b"/Type /Page") - content.count(b"/Type /Pages") >= 1
