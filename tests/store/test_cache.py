"""The read cache in .casectl/: fast when nothing changed, never trusted when anything did."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from casectl.store import cache
from tests.builders import REPO_ROOT, cli, cli_subprocess, client_files, make_agency

CACHE = Path(".casectl") / "read-cache.json"


def _validate(root: Path) -> tuple[int, str]:
    r = cli("-C", root, "validate")
    return r.exit_code, r.stdout


def _due(root: Path) -> str:
    r = cli("-C", root, "due", "--as-of", "2026-06-01", "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.stdout


def test_cache_is_private_and_git_ignored(agency: Path) -> None:
    assert _validate(agency)[0] == 0
    folder = agency / ".casectl"
    for path in folder.glob("read-cache*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((agency / CACHE).stat().st_mode) == 0o600
    from tests.builders import run_git

    assert ".casectl" not in run_git(agency, "status", "--porcelain", "--untracked-files=all")


def test_an_edited_file_is_read_again(agency: Path) -> None:
    assert _validate(agency) == (0, "no problems in 9 files\n")
    plan = agency / "clients" / "rc-0001" / "plan.yaml"
    text = plan.read_text()
    plan.write_text(text.replace("target: 2026-12-31", "target: 2026-12-32"))
    code, out = _validate(agency)
    assert code == 1 and "clients/rc-0001/plan.yaml:6:13: error CM204" in out
    # Same size, same content length: still seen (the modification time changed).
    plan.write_text(text.replace("2026-12-31", "2026-12-30"))
    os.utime(plan, ns=(1, 1))
    assert _validate(agency)[0] == 0


def test_a_stray_file_is_seen_on_a_warm_run(agency: Path) -> None:
    assert _validate(agency)[0] == 0
    (agency / "clients" / "rc-0002" / "notes.txt").write_text("scratch")
    _code, out = _validate(agency)
    assert "clients/rc-0002/notes.txt:1:1: warning CM604" in out


def test_changed_settings_throw_the_cache_away(agency: Path) -> None:
    assert _validate(agency)[0] == 0
    cfg = agency / "casectl.yaml"
    cfg.write_text(cfg.read_text().replace("  mkim: Min Kim\n", "").replace("jdoe:", "jd:"))
    code, out = _validate(agency)
    assert code == 1 and out.count("CM125") == 2


def test_a_damaged_cache_only_costs_time(agency: Path) -> None:
    expected = _due(agency)
    validated = _validate(agency)
    for damage in (b"{not json", b"[]", b'{"key": 1}', b"\x00\xff" * 10):
        (agency / CACHE).write_bytes(damage)
        assert _due(agency) == expected
        assert _validate(agency) == validated
    # Well-formed cache files whose entries are damaged: each bad entry is checked afresh.
    for section, garbage in (("facts", "garbage"), ("schedule", {"client": 1})):
        path = agency / ".casectl" / f"read-cache.{section}.json"
        data = json.loads(path.read_text())
        assert sorted(data["clients"]) == ["rc-0001", "rc-0002"]
        for item in data["clients"].values():
            item[1] = garbage
        path.write_text(json.dumps(data))
    assert _due(agency) == expected
    r = cli("-C", agency, "list", "--format", "json")
    assert [row["id"] for row in json.loads(r.stdout)] == ["rc-0001", "rc-0002"]


def test_facts_are_kept_as_a_summary_and_a_detail_each_damage_only_costs_time(
    agency: Path,
) -> None:
    """`list` reads the facts' summary section only, `caseload` the detail too (goals,
    contact dates): damage to either part is checked afresh, never shown."""
    listed = cli("-C", agency, "list", "--format", "json").stdout
    caseload = cli("-C", agency, "caseload", "--as-of", "2026-03-01").stdout
    for section in ("facts", "detail", "caseload"):
        path = agency / ".casectl" / f"read-cache.{section}.json"
        data = json.loads(path.read_text())
        assert sorted(data["clients"]) == ["rc-0001", "rc-0002"]
        for item in data["clients"].values():
            item[1] = {"id": 7}
        path.write_text(json.dumps(data))
        assert cli("-C", agency, "list", "--format", "json").stdout == listed
        assert cli("-C", agency, "caseload", "--as-of", "2026-03-01").stdout == caseload


def test_list_reads_no_detail_of_the_facts(agency: Path) -> None:
    """A warm `list` takes every value it shows from the summary section (stage, open
    flags, tasks and referrals are kept there, derived from the whole facts): the detail
    section (goals, actions, contact dates: the bulk) is not decoded at all. A forged
    open referral in the detail section therefore does not show; the same forgery in
    the summary's derived values does (the section is what `list` reads, through the
    list index made from it: `read-cache.list.idx`, removed here so it is made anew)."""
    listed = json.loads(cli("-C", agency, "list", "--format", "json").stdout)
    assert [row["referrals_open"] for row in listed] == [0, 0]
    path = agency / ".casectl" / "read-cache.detail.json"
    data = json.loads(path.read_text())
    for item in data["clients"].values():
        item[1]["referrals"] = [["R1", "food bank", None, "sent", "2026-01-02", None]]
    path.write_text(json.dumps(data))
    assert json.loads(cli("-C", agency, "list", "--format", "json").stdout) == listed
    path = agency / ".casectl" / "read-cache.facts.json"
    data = json.loads(path.read_text())
    for item in data["clients"].values():
        item[1]["standing"][3] = 5
    path.write_text(json.dumps(data))
    (agency / ".casectl" / "read-cache.list.idx").unlink()
    forged = json.loads(cli("-C", agency, "list", "--format", "json").stdout)
    assert [row["referrals_open"] for row in forged] == [5, 5]


def test_caseload_reads_no_detail_of_the_facts(agency: Path) -> None:
    """A warm `caseload` takes its rows from the summary, the schedule and a `caseload`
    section of its own (goal counts, contact days, open referrals, consents, sign-offs):
    the detail section (goals' texts, actions: the bulk) is not decoded at all. A forged
    goal in the detail therefore does not show; the same forgery in the caseload
    section does (the section is what `caseload` reads)."""
    args = ("-C", agency, "caseload", "--as-of", "2026-03-01", "--format", "html")
    shown = cli(*args).stdout
    assert 'class="num">0 / 1</td>' in shown  # goals met / active of each client
    path = agency / ".casectl" / "read-cache.detail.json"
    data = json.loads(path.read_text())
    for item in data["clients"].values():
        item[1]["goals"].append(["G9", "Forged", None, "met", None])
    path.write_text(json.dumps(data))
    assert cli(*args).stdout == shown
    path = agency / ".casectl" / "read-cache.caseload.json"
    data = json.loads(path.read_text())
    for item in data["clients"].values():
        item[1][11] = 4  # goals met
    path.write_text(json.dumps(data))
    assert cli(*args).stdout.count('class="num">4 / 1</td>') == 2


@pytest.mark.parametrize(
    ("at", "garbage"),
    [
        (None, {"id": 7}),  # not the list it wrote
        (None, ["rc-0001"]),  # too short
        (0, 7),  # the id not a string
        (6, "yes"),  # errors not a boolean
        (11, "1"),  # goals met not a number
        (14, "AAAA!"),  # contact days not base64
        (14, "AAA="),  # contact days not whole 32-bit numbers
        (14, [739000]),  # contact days not packed
        (16, [[None, 5, None]]),  # a consent's expiry not a date
        (17, [["plan", "2026-13-01", False]]),  # a sign-off's date not a date
    ],
)
def test_a_damaged_caseload_section_only_costs_time(
    agency: Path, at: int | None, garbage: object
) -> None:
    """Each damaged entry of the caseload section is checked afresh, never shown."""
    args = ("-C", agency, "caseload", "--as-of", "2026-03-01", "--format", "html")
    shown = cli(*args).stdout
    path = agency / ".casectl" / "read-cache.caseload.json"
    data = json.loads(path.read_text())
    for item in data["clients"].values():
        if at is None:
            item[1] = garbage
        else:
            item[1][at] = garbage
    path.write_text(json.dumps(data))
    r = cli(*args)
    assert r.exit_code == 0 and r.stdout == shown


def test_cache_is_never_written_outside_the_repo_and_no_cache_leaves_it(agency: Path) -> None:
    r = cli("-C", agency, "validate", "--no-cache")
    assert r.exit_code == 0
    assert not (agency / ".casectl").exists()


# ----------------------------------------------------- stamps that cannot be fooled


def _plant(root: Path, cid: str = "rc-0001") -> None:
    """A problem only the cache knows about: seen while the cache entry is trusted."""
    path = root / CACHE
    data = json.loads(path.read_text())
    data["clients"][cid]["problems"].append(
        [f"clients/{cid}/plan.yaml", 1, 1, "error", "CM999", "planted in the cache"]
    )
    path.write_text(json.dumps(data))


def _planted_seen(root: Path) -> bool:
    return "CM999" in _validate(root)[1]


def test_a_same_size_edit_with_its_times_put_back_is_read_again(agency: Path) -> None:
    """`touch -d` puts the modification time back; the change time cannot be."""
    assert _validate(agency)[0] == 0
    client = agency / "clients" / "rc-0001" / "client.yaml"
    before = client.stat()
    client.write_text(client.read_text().replace("status: active", "status: actjve"))
    os.utime(client, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert client.stat().st_size == before.st_size
    code, out = _validate(agency)
    assert code == 1 and "clients/rc-0001/client.yaml:3:9: error CM103" in out


def test_a_file_swapped_in_with_its_times_put_back_is_read_again(agency: Path) -> None:
    assert _validate(agency)[0] == 0
    _plant(agency)
    assert _planted_seen(agency)  # the entry is trusted while nothing changed
    folder = agency / "clients" / "rc-0001"
    plan = folder / "plan.yaml"
    old, folder_old = plan.stat(), folder.stat()
    swap = folder / ".swap"
    swap.write_bytes(plan.read_bytes())
    os.replace(swap, plan)
    os.utime(plan, ns=(old.st_atime_ns, old.st_mtime_ns))
    os.utime(folder, ns=(folder_old.st_atime_ns, folder_old.st_mtime_ns))
    assert not _planted_seen(agency)


def test_a_file_whose_mode_changed_is_never_served_from_the_cache(agency: Path) -> None:
    assert _validate(agency)[0] == 0
    _plant(agency)
    plan = agency / "clients" / "rc-0001" / "plan.yaml"
    os.chmod(plan, 0)
    try:
        code, out = _validate(agency)
        assert "CM999" not in out
        if os.geteuid() != 0:  # root reads it anyway
            assert code == 1 and "clients/rc-0001/plan.yaml:1:1: error CM008" in out
    finally:
        os.chmod(plan, 0o644)


def test_another_casectl_version_throws_the_cache_away(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _validate(agency)[0] == 0
    _plant(agency)
    assert _planted_seen(agency)
    monkeypatch.setattr(cache, "__version__", "999.0")
    assert not _planted_seen(agency)


# ---------------------------------------------------------- a .casectl that is a link


def test_a_linked_cache_folder_is_never_used(agency: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir(mode=0o755)
    (agency / ".casectl").symlink_to(outside)
    r = cli("-C", agency, "validate")
    assert r.exit_code == 0
    assert r.stderr.count("warning: .casectl is a symbolic link") == 1
    assert list(outside.iterdir()) == []
    assert stat.S_IMODE(outside.stat().st_mode) == 0o755
    assert _due(agency)  # every command still runs, without the cache
    assert list(outside.iterdir()) == []


def test_a_cache_file_that_is_a_link_or_a_fifo_is_ignored(agency: Path, tmp_path: Path) -> None:
    assert _validate(agency)[0] == 0
    secret = tmp_path / "secret.json"
    secret.write_text("{}")
    (agency / CACHE).unlink()
    (agency / CACHE).symlink_to(secret)
    fifo = agency / ".casectl" / "read-cache.facts.json"
    fifo.unlink()
    os.mkfifo(fifo)
    for args in (["validate"], ["list", "--format", "json"]):
        # A real process with a deadline: a FIFO opened for reading would block it.
        done = subprocess.run(
            [sys.executable, "-m", "casectl", "-C", str(agency), *args],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 2
    assert secret.read_text() == "{}"


def test_clients_checked_in_worker_processes_are_cached_with_their_stamps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool (forked workers, chunks, the stamps taken before the files are read)
    gives exactly the problems one process gives, and a warm run then reads no file;
    an edit made after the cold run is still seen."""
    from casectl.read import scan
    from tests.builders import client_files, make_agency

    clients = {f"rc-{n:04d}": client_files(f"rc-{n:04d}") for n in range(1, 8)}
    clients["rc-0003"] = {**clients["rc-0003"], "log.yaml": "- id: x\n  date: soon\n"}
    root = make_agency(tmp_path / "a", clients, git=False)
    alone = _validate(root)
    assert alone[0] == 1 and "clients/rc-0003/log.yaml" in alone[1]
    (root / ".casectl").rename(tmp_path / "serial-cache")
    monkeypatch.setattr(scan, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(scan, "CHUNK", 2)
    assert _validate(root) == alone  # cold, in four chunks of two workers
    index = json.loads((root / CACHE).read_text())["clients"]
    serial = json.loads((tmp_path / "serial-cache" / CACHE.name).read_text())["clients"]
    assert index == serial  # the same stamps and problems as checked in this process
    # validate's workers send the sections' JSON, due's their objects: the same cache
    sections = sorted(p.name for p in (root / ".casectl").glob("read-cache.*.json"))
    assert [name.split(".")[1] for name in sections] == [
        "caseload",
        "detail",
        "facts",
        "schedule",
        "settings",
    ]
    by_validate = {name: (root / ".casectl" / name).read_text() for name in sections}
    shutil.rmtree(root / ".casectl")
    assert cli("-C", root, "due").exit_code == 0  # today: every client's own view, cached
    assert {name: (root / ".casectl" / name).read_text() for name in sections} == by_validate

    def no_reads(*args: object) -> None:
        raise AssertionError("a warm run read a client")

    with monkeypatch.context() as m:
        m.setattr(scan.records, "read_client", no_reads)
        assert _validate(root) == alone
    plan = root / "clients" / "rc-0006" / "plan.yaml"
    plan.write_text(plan.read_text().replace("target: 2026-12-31", "target: 2026-12-32"))
    code, out = _validate(root)
    assert code == 1 and "clients/rc-0006/plan.yaml:6:13: error CM204" in out


SETTINGS = Path(".casectl") / "read-cache.settings.json"
BAD_SETTINGS = """\
format: 1
agency: Test Agency
timezone: Mars/Olympus
colour: blue
managers:
  jdoe: {name: Jane Doe, left: 2026-02-01}
  mkim: Min Kim
"""


def test_casectl_yaml_is_checked_once_for_its_bytes_and_said_the_same_when_warm(
    agency: Path,
) -> None:
    (agency / "casectl.yaml").write_text(BAD_SETTINGS)
    runs = [cli_subprocess("-C", agency, *args) for args in (["list"], ["list"], ["validate"])]
    kept = json.loads((agency / SETTINGS).read_text())["settings"]
    assert kept["timezone"] == "UTC" and kept["left"] == ["jdoe"]
    assert sorted(p[4] for p in kept["problems"]) == ["CM507", "CM520"]
    again = [cli_subprocess("-C", agency, *args) for args in (["list"], ["validate"])]
    # cold, then warm from the kept reading: the same lines, fallbacks and exit codes
    assert (runs[1].stdout, runs[1].stderr) == (runs[0].stdout, runs[0].stderr)
    assert "CM520" in runs[0].stderr and "timezone falls back to UTC" in runs[0].stderr
    assert "manager left" in runs[0].stdout
    assert (again[0].stdout, again[0].stderr) == (runs[0].stdout, runs[0].stderr)
    assert (again[1].returncode, again[1].stdout) == (runs[2].returncode, runs[2].stdout)
    assert "CM520" in again[1].stdout and "warning" in again[1].stdout


def test_kept_settings_are_used_only_for_the_same_bytes_and_damage_costs_a_check(
    agency: Path,
) -> None:
    first = cli_subprocess("-C", agency, "list", "--manager", "jdoe")
    assert first.returncode == 0 and (agency / SETTINGS).exists()
    cfg = agency / "casectl.yaml"
    cfg.write_text(cfg.read_text().replace("  mkim: Min Kim\n", "  mkim: {name: Min Kim\n"))
    broken = cli_subprocess("-C", agency, "list", "--manager", "mkim")
    assert "casectl.yaml:7:1: error CM001" in broken.stderr
    cfg.write_text(cfg.read_text().replace("  mkim: {name: Min Kim\n", ""))
    gone = cli_subprocess("-C", agency, "list", "--manager", "mkim")
    assert gone.returncode == 2 and "'mkim' is not a manager in casectl.yaml" in gone.stderr
    for damage in (b"{not json", b'{"key": 1}', b"[]"):
        (agency / SETTINGS).write_bytes(damage)
        again = cli_subprocess("-C", agency, "list", "--manager", "jdoe")
        assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, first.stderr)
    data = json.loads((agency / SETTINGS).read_text())
    data["settings"]["timezone"] = "Not/AZone"
    (agency / SETTINGS).write_text(json.dumps(data))
    again = cli_subprocess("-C", agency, "list", "--manager", "jdoe")
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, first.stderr)


def test_the_cadence_keys_are_the_fields_of_the_cadence_record() -> None:
    from casectl.core.model import Cadence
    from casectl.core.values import CADENCE_KEYS

    assert tuple(Cadence.model_fields) == CADENCE_KEYS


def test_list_takes_its_values_from_the_summary_only_when_they_are_what_was_written(
    agency: Path,
) -> None:
    """`list` shows the summary's days as they are kept (ISO text, not parsed again):
    one not written exactly as a day (or a value of another type) costs a check."""
    listed = cli("-C", agency, "list", "--format", "json").stdout
    path = agency / ".casectl" / "read-cache.facts.json"
    good = json.loads(path.read_text())
    for key, forged in (
        ("opened", "20260105"),
        ("opened", "2026-W02-1"),
        ("last_contact", "2026-13-01"),
        ("note_count", True),
        ("errors", 0),
        ("name", 5),
    ):
        data = json.loads(json.dumps(good))
        for item in data["clients"].values():
            item[1][key] = forged
        path.write_text(json.dumps(data))
        assert cli("-C", agency, "list", "--format", "json").stdout == listed, (key, forged)
        path.write_text(json.dumps(good))


def test_validate_no_cache_checks_casectl_yaml_again(agency: Path) -> None:
    """--no-cache reads nothing from the cache, the kept settings included."""
    assert _validate(agency)[0] == 0
    path = agency / SETTINGS
    data = json.loads(path.read_text())
    data["settings"]["problems"] = [["casectl.yaml", 1, 1, "error", "CM520", "forged"]]
    path.write_text(json.dumps(data))
    assert "forged" in cli("-C", agency, "validate").stdout  # what the cache keeps is used
    r = cli("-C", agency, "validate", "--no-cache")
    assert (r.exit_code, "forged" in r.stdout) == (0, False)


def test_a_cold_run_keeps_the_new_sections_as_text_and_writes_them_back_whole(
    tmp_path: Path,
) -> None:
    """Entries stored by a run are held as their JSON text (a tenth of the memory) and
    written out between the entries read from the file; every later run reads them
    back, and a run that changes one client keeps the others as they were."""
    from casectl.store.cache import SECTIONS, ReadCache

    root = make_agency(tmp_path, {f"rc-000{i}": client_files(f"rc-000{i}") for i in (1, 2, 3)})
    assert cli("-C", root, "validate").exit_code in (0, 1)
    cache = ReadCache(root, (root / "casectl.yaml").read_bytes())
    cache.load()
    before = {n: json.loads(cache._section_path(n).read_text()) for n in SECTIONS}
    assert all(len(doc["clients"]) == 3 for doc in before.values())
    for n in SECTIONS:
        assert before[n]["key"] == cache.key
    folder = sorted((root / "clients").iterdir())[1]
    with (folder / "log.yaml").open("a") as fh:
        fh.write("\n")
    assert cli("-C", root, "validate").exit_code in (0, 1)
    after = {n: json.loads(cache._section_path(n).read_text()) for n in SECTIONS}
    for n in SECTIONS:
        assert after[n]["key"] == cache.key
        assert list(after[n]["clients"]) == list(before[n]["clients"])
        for cid, item in before[n]["clients"].items():
            if cid != folder.name:
                assert after[n]["clients"][cid] == item
        assert after[n]["clients"][folder.name][0] != before[n]["clients"][folder.name][0]
