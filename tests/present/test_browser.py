"""A real browser loads the HTML report: hostile note text must not run.

Uses Debian's ``chromium`` in headless mode (CI installs it with apt). A control page
with the same payload *unescaped* proves that this chromium does run such payloads
and that the checks below would see it, so a pass means the escaping worked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.builders import EXAMPLE, PAYLOAD, cli, make_agency, run_chromium

CID = "rc-0001"
NAME = "Denise Carter"


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


# ------------------------------------------------ reports readable as pictures

AS_OF = "2026-12-01"
LAYOUT_PROBE = """<script>
var bad = [];
document.querySelectorAll('.date, time').forEach(function (e) {
  var r = document.createRange(); r.selectNodeContents(e);
  var lines = {}; Array.prototype.forEach.call(r.getClientRects(), function (c) {
    if (c.width > 0) { lines[Math.round(c.top)] = 1; } });
  if (Object.keys(lines).length > 1) { bad.push(e.textContent); } });
parent.postMessage('W' + document.documentElement.scrollWidth + ' V' + window.innerWidth +
                   ' B' + bad.length + ' ' + bad.join(','), '*');
</script>"""
# Headless Chromium lays a page out at least 500 px wide whatever --window-size says;
# a narrower screen is a frame of that width inside a wider window.
FRAME = """<!DOCTYPE html><html><head><title>frame</title>
<style>html, body {{ margin: 0; background: #888; }} iframe {{ border: 0; display: block;
background: #fff; }}</style></head><body>
<iframe src="{src}" width="{width}" height="{height}"></iframe>
<script>window.addEventListener('message', function (e) {{ document.title = e.data; }});</script>
</body></html>"""


def _framed(tmp_path: Path, page: Path, width: int, height: int = 2400) -> Path:
    wrapper = tmp_path / f"frame-{width}-{page.stem}.html"
    wrapper.write_text(FRAME.format(src=page.name, width=width, height=height))
    return wrapper


def _report_pages(tmp_path: Path) -> dict[str, Path]:
    pages = {"client": tmp_path / "client.html", "caseload": tmp_path / "caseload.html"}
    for args, out in ((("report", "rc-0002"), pages["client"]), (("caseload",), pages["caseload"])):
        r = cli("-C", EXAMPLE, *args, "--as-of", AS_OF, "--format", "html", "-o", out)
        assert r.exit_code == 0, r.stderr
    return pages


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("width", [1280, 420])
@pytest.mark.parametrize("page", ["client", "caseload"])
def test_screenshots_of_the_reports(chromium: str, tmp_path: Path, page: str, width: int) -> None:
    """Real-browser screenshots at a desktop and a phone width (kept in
    $CASECTL_SCREENSHOTS when it names a folder, to look at). The 420 px one is the
    report in a 420 px frame, at the left of Chromium's narrowest (500 px) window."""
    source = _report_pages(tmp_path)[page]
    target = source if width >= 500 else _framed(tmp_path, source, width)
    png = tmp_path / f"{page}-{width}.png"
    run_chromium(chromium, tmp_path, "--hide-scrollbars", f"--window-size={max(width, 500)},2400",
                 "--virtual-time-budget=3000", f"--screenshot={png}", target.as_uri())  # fmt: skip
    data = png.read_bytes()
    assert _png_size(data) == (max(width, 500), 2400) and len(data) > 20_000
    keep = os.environ.get("CASECTL_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / png.name)


@pytest.mark.parametrize("page", ["client", "caseload"])
def test_at_420_px_nothing_overflows_and_no_date_wraps(
    chromium: str, tmp_path: Path, page: str
) -> None:
    """Laid out by the browser 420 px wide: the page is no wider than the screen (wide
    tables scroll inside their box) and every date is on one line. The probe needs a
    script, so it runs on a copy without the report's no-script policy."""
    html = _report_pages(tmp_path)[page].read_text()
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    probe = tmp_path / f"{page}-probe.html"
    probe.write_text(html.replace("</body>", LAYOUT_PROBE + "</body>"))
    dom = run_chromium(chromium, tmp_path, "--window-size=500,2400", "--virtual-time-budget=5000",
                       "--dump-dom", _framed(tmp_path, probe, 420).as_uri()).stdout  # fmt: skip
    title = re.search(r"<title>(W\d+ V\d+ B\d+[^<]*)</title>", dom)
    assert title, dom[:500]
    found = re.match(r"W(\d+) V(\d+) B(\d+)", title.group(1))
    assert found is not None
    width, viewport, broken = map(int, found.groups())
    assert viewport == 420 and width <= 420 and broken == 0, title.group(1)


def test_the_chart_is_one_small_chart_per_domain_at_true_values(tmp_path: Path) -> None:
    html = _report_pages(tmp_path)["client"].read_text()
    data = json.loads(cli("-C", EXAMPLE, "show", "rc-0002", "--format", "json",
                          "--as-of", AS_OF).stdout)  # fmt: skip
    charts = re.findall(r'<svg[^>]*class="domain-chart" data-domain="([a-z_]+)"[^>]*'
                        r'height="(\d+)"(.*?)</svg>', html, re.S)  # fmt: skip
    domains = [c[0] for c in charts]
    assert len(domains) == len(set(domains)) and set(data["latest_assessment"]["scores"]) <= set(
        domains
    )
    top, bottom = 24, 20  # the chart's margins (templates/_chart.html.j2)
    for domain, height, body in charts:
        plot = int(height) - top - bottom
        points = re.findall(r'cy="([\d.]+)" r="3" data-score="(\d)"\s+data-date="([\d-]+)"', body)
        assert points, body
        for cy, score, _day in points:
            assert float(cy) == pytest.approx(top + (5 - int(score)) / 4 * plot, abs=0.06)
        latest = data["latest_assessment"]["scores"].get(domain)
        if latest is not None:
            assert int(points[-1][1]) == latest  # the last point is the latest score
        assert "polyline" not in body or body.count("<polyline") == 1  # one series per chart


def test_the_caseload_prints_without_a_page_per_manager(chromium: str, tmp_path: Path) -> None:
    source = _report_pages(tmp_path)["caseload"]
    pdf = tmp_path / "caseload.pdf"
    run_chromium(chromium, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                 source.as_uri())  # fmt: skip
    content = pdf.read_bytes()
    pages = content.count(b"/Type /Page") - content.count(b"/Type /Pages")
    # three managers, ten clients, the summary and sign-offs: was four pages (the summary,
    # then one page per manager)
    assert 1 <= pages <= 3
