"""``casectl export`` through the real CLI: read back by Python's csv module and by
pandas (a spreadsheet-grade CSV reader, in the test extra)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.builders import cli, cli_subprocess, figures_agency

NOTE_COLUMNS = ["client", "id", "date", "recorded", "by", "type", "with", "mode", "minutes",
                "goals", "to", "amends", "text"]  # fmt: skip


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return figures_agency(tmp_path_factory.mktemp("export") / "agency")


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_notes_csv_read_back(root: Path, tmp_path: Path) -> None:
    done = cli("-C", root, "export", "notes")
    assert done.exit_code == 0, done.stderr
    out = tmp_path / "notes.csv"
    assert cli("-C", root, "export", "notes", "-o", out).exit_code == 0
    data = out.read_bytes()  # RFC 4180: CRLF after every record, none inside a text
    assert data.startswith(",".join(NOTE_COLUMNS).encode() + b"\r\n")
    assert data.count(b"\r\n") == 15 and b"caf\xc3\xa9\nsecond line\n" in data
    rows = _csv(data.decode("utf-8"))
    assert len(rows) == 14 and list(rows[0]) == NOTE_COLUMNS
    late = next(r for r in rows if r["id"] == "20261005-1100-jdoe")
    assert late["recorded"] == "2026-10-08 09:00" and late["with"] == "client"
    assert late["minutes"] == "30" and late["client"] == "c-0003"
    family = next(r for r in rows if r["id"] == "20261015-0900-jdoe")
    assert family["with"] == "family"
    hostile = next(r for r in rows if r["id"] == "20261112-0900-mkim")
    # The formula is shown, never run; comma, quotes, accent and line break survive.
    assert hostile["text"] == '\'=SUM(A1:A2), "quoted", café\nsecond line\n'


def test_notes_csv_read_by_pandas(root: Path, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    out = tmp_path / "notes.csv"
    assert cli("-C", root, "export", "notes", "-o", out).exit_code == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8")
    assert list(frame.columns) == NOTE_COLUMNS
    with out.open(newline="", encoding="utf-8") as fh:
        expected = list(csv.DictReader(fh))
    assert frame.to_dict("records") == expected
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_every_kind_reads_back(root: Path) -> None:
    counts = {"clients": 5, "goals": 2, "assessments": 4, "referrals": 1}
    for kind, n in counts.items():
        done = cli("-C", root, "export", kind)
        assert done.exit_code == 0, (kind, done.stderr)
        assert len(_csv(done.stdout)) == n, kind
    clients = {r["client"]: r for r in _csv(cli("-C", root, "export", "clients").stdout)}
    assert clients["b-0002"]["close_reason"] == "moved"
    assert clients["a-0001"]["phone"] == "'+1 555 0100"  # a leading + is never a formula
    assessments = _csv(cli("-C", root, "export", "assessments").stdout)
    assert list(assessments[0])[:5] == ["client", "date", "by", "housing", "income"]


def test_jsonl(root: Path) -> None:
    done = cli("-C", root, "export", "notes", "--format", "jsonl")
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 14
    first = json.loads(lines[0])
    assert list(first) == NOTE_COLUMNS and first["minutes"] == 30
    hostile = json.loads(lines[-1])
    assert hostile["text"].startswith("=SUM")  # json keeps the value as it is


def test_from_to(root: Path) -> None:
    done = cli("-C", root, "export", "notes", "--from", "2026-10-01", "--to", "2026-10-31")
    rows = _csv(done.stdout)
    assert len(rows) == 9
    assert all(r["date"].startswith("2026-10") for r in rows)
    bad = cli_subprocess("-C", root, "export", "notes", "--from", "2026-10-31", "--to", "2026-10")
    assert bad.returncode == 2 and "--to" in bad.stderr and "Traceback" not in bad.stderr
    bad = cli("-C", root, "export", "notes", "--from", "2026-10-31", "--to", "2026-10-01")
    assert bad.exit_code == 2 and "after" in bad.stderr


def test_redact(root: Path) -> None:
    done = cli("-C", root, "export", "clients", "--redact")
    assert done.exit_code == 0, done.stderr
    rows = {r["client"]: r for r in _csv(done.stdout)}
    assert rows["a-0001"]["name"] == "M.L." and rows["a-0001"]["phone"] == ""
    assert "Maria" not in done.stdout and "555" not in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "people"), "people"),
        (("export", "notes", "--format", "xlsx"), "xlsx"),
        (("export", "notes", "--from", "yesterday-ish"), "--from"),
        (("export", "notes", "-o", "clients/a-0001/x.csv"), "clients/"),
    ],
)
def test_refusals(root: Path, args: tuple[str, ...], message: str) -> None:
    done = cli_subprocess("-C", root, *args, cwd=root)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
