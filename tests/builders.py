"""Every test builder in one place: real agencies on disk, real git, the real CLI.

``make_agency(tmp_path, clients={...})`` writes casectl.yaml and client files from
inline YAML and (optionally) commits them in a fresh git repository;
``client_files(cid, **override)`` gives the four files of a valid client;
``cli(...)`` runs the typer app in-process, ``cli_subprocess(...)`` a true
``python -m casectl`` process; ``run_git`` and ``commit_count`` look at the repository.

The planted-problem helpers of the checks tests (``agency_with``, ``entry``,
``found``, ``messages``, ``run_validate``) build one client ``rc-0001`` (``CID``),
plant a problem in its files, run ``validate --format json`` and return what was
found as ``(code, path, line, column)`` tuples.

The fixtures (an isolated HOME and git configuration for every test, the ``agency``
of two clients, the slow marker) are in tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from typer.testing import CliRunner

from casectl.cli import app
from casectl.core.model import Agency, AssessmentFile, Client, LogEntry, Plan
from casectl.figures import ClientRecords

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "agency"

AUTHOR = {
    "GIT_AUTHOR_NAME": "Jane Doe",
    "GIT_AUTHOR_EMAIL": "jane.doe@example.org",
    "GIT_COMMITTER_NAME": "Jane Doe",
    "GIT_COMMITTER_EMAIL": "jane.doe@example.org",
}

AGENCY_YAML = """\
format: 1
agency: Test Agency
timezone: America/Chicago
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
  mkim: Min Kim
"""

CLIENT = """\
id: {id}
name: Test Person
status: active
opened: 2026-01-05
manager: jdoe
"""

ASSESSMENT = """\
assessments:
  - date: 2026-01-10
    by: jdoe
    domains:
      housing: {score: 2, note: Staying with a cousin}
      income: {score: 3}
"""

PLAN = """\
created: 2026-01-12
goals:
  - id: G1
    domain: housing
    goal: Move into stable housing
    target: 2026-12-31
    status: active
    actions:
      - action: Apply for a housing voucher
        who: client
        due: 2026-02-01
        done: 2026-01-30
"""

LOG = """\
- id: 20260110-1000-jdoe
  date: 2026-01-10 10:00
  by: jdoe
  type: visit
  goals: [G1]
  text: |
    First visit.
"""


def client_files(cid: str, **override: str | None) -> dict[str, str | None]:
    """The four files of a valid client; override any by name (None: leave out)."""
    files: dict[str, str | None] = {
        "client.yaml": CLIENT.format(id=cid),
        "assessment.yaml": ASSESSMENT,
        "plan.yaml": PLAN,
        "log.yaml": LOG,
    }
    files.update(override)
    return files


def make_agency(
    root: Path,
    clients: Mapping[str, Mapping[str, str | bytes | None]] | None = None,
    agency_yaml: str = AGENCY_YAML,
    git: bool = True,
) -> Path:
    """Write an agency at ``root``; each client maps file name -> YAML text."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "casectl.yaml").write_text(textwrap.dedent(agency_yaml))
    (root / "clients").mkdir(exist_ok=True)
    for cid, files in (clients or {}).items():
        folder = root / "clients" / cid
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            if text is None:
                continue
            if isinstance(text, bytes):
                (folder / name).write_bytes(text)
            else:
                (folder / name).write_text(text)
    (root / ".gitignore").write_text(".casectl/\n")
    if git:
        run_git(root, "init", "-q", "-b", "main")
        run_git(root, "add", "-A")
        run_git(root, "commit", "-q", "-m", "test agency")
    return root


def run_git(root: Path, *args: str) -> str:
    env = {**os.environ, **AUTHOR}
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


class Result:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


def cli(*args: str | Path, input: str | None = None) -> Result:
    """Run the real typer app in-process (fast); stdout and stderr kept apart."""
    runner = CliRunner()
    result = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def cli_subprocess(
    *args: str | Path,
    cwd: Path | None = None,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m casectl`` as a real process."""
    full_env = {**os.environ, **AUTHOR, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "casectl", *map(str, args)],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def commit_count(root: Path) -> int:
    """How many commits HEAD has (a write adds exactly one)."""
    return int(run_git(root, "rev-list", "--count", "HEAD").strip())


def q(value: str) -> str:
    """``value`` as a YAML double-quoted scalar: every character outside printable ASCII
    written as an escape (YAML refuses most control characters raw)."""
    out = []
    for ch in value:
        if ch in '\\"':
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}")
    return '"' + "".join(out) + '"'


# A casectl run that reports on stderr whether typer, pydantic or yaml were imported
# (the launcher's typer-free path must load none of them).
IMPORTS = (
    "import sys\n"
    "from casectl import launch\n"
    "sys.argv = ['casectl', *sys.argv[1:]]\n"
    "try:\n"
    "    launch.main()\n"
    "finally:\n"
    "    sys.stderr.write(f'typer imported: {\"typer\" in sys.modules}\\n')\n"
    "    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'yaml'})\n"
    "    sys.stderr.write(f'heavy imports: {heavy}\\n')\n"
)


def run_probing_imports(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``casectl -C root ARGS`` through the launcher in a true process whose stderr ends
    with whether typer, pydantic and yaml were imported (``IMPORTS``)."""
    return subprocess.run(
        [sys.executable, "-c", IMPORTS, "-C", str(root), *args],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


# -------------------------------- planted problems (checks)

CID = "rc-0001"
Found = tuple[str, str, int, int]

CLIENT_1 = "id: rc-0001\nname: Test Person\nstatus: active\nopened: 2026-01-05\nmanager: jdoe\n"


def entry(
    note_id: str,
    when: str = "2026-01-10 10:00",
    kind: str = "visit",
    extra: str = "",
    by: str = "jdoe",
) -> str:
    """One log entry (5 lines, plus ``extra``) as a YAML list item."""
    return f"- id: {note_id}\n  date: {when}\n  by: {by}\n  type: {kind}\n  text: a\n{extra}"


def agency_with(
    tmp_path: Path, agency_yaml: str = AGENCY_YAML, **files: str | bytes | None
) -> Path:
    """An agency whose one client rc-0001 has ``files`` (``plan_yaml=...``) replaced."""
    override = {name.replace("_yaml", ".yaml"): text for name, text in files.items()}
    return make_agency(
        tmp_path / "agency",
        {CID: client_files(CID, **override)},  # type: ignore[arg-type]
        agency_yaml=agency_yaml,
        git=False,
    )


def run_validate(root: Path, *args: str | Path) -> tuple[int, list[dict[str, object]]]:
    result = cli("-C", root, "validate", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    problems: list[dict[str, object]] = json.loads(result.stdout)
    return result.exit_code, problems


def found(root: Path, *args: str | Path) -> list[Found]:
    """Every problem reported, as (code, path relative to the client folder or root,
    line, column)."""
    _, problems = run_validate(root, *args)
    prefix = f"clients/{CID}/"
    return [
        (
            str(p["code"]),
            str(p["path"]).removeprefix(prefix),
            int(p["line"]),  # type: ignore[call-overload]
            int(p["column"]),  # type: ignore[call-overload]
        )
        for p in problems
    ]


def messages(root: Path, *args: str | Path) -> dict[str, str]:
    """code -> message of the (last) problem with that code."""
    _, problems = run_validate(root, *args)
    return {str(p["code"]): str(p["message"]) for p in problems}


# -------------------------------- git operations left half-done


def git_may_fail(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A git command that is expected to stop (a conflict), not to succeed."""
    return subprocess.run(
        ["git", *args], cwd=root, env={**os.environ, **AUTHOR}, capture_output=True, text=True
    )


def commit_file(root: Path, name: str, text: str, message: str) -> str:
    (root / name).write_text(text)
    run_git(root, "add", name)
    run_git(root, "commit", "-q", "-m", message)
    return run_git(root, "rev-parse", "HEAD").strip()


def stop_in_git_operation(root: Path, operation: str) -> None:
    """Leave ``root`` in the middle of ``operation`` (a conflict on a non-case file)."""
    if operation == "detached":
        run_git(root, "checkout", "-q", "--detach")
        return
    if operation == "bisect":
        run_git(root, "bisect", "start")
        return
    base = commit_file(root, "memo.txt", "base\n", "memo")
    if operation == "revert":
        changed = commit_file(root, "memo.txt", "changed\n", "memo: changed")
        commit_file(root, "memo.txt", "changed again\n", "memo: changed again")
        assert git_may_fail(root, "revert", "--no-edit", changed).returncode != 0
        return
    run_git(root, "checkout", "-q", "-b", "side", base)
    commit_file(root, "memo.txt", "side\n", "memo: side")
    run_git(root, "checkout", "-q", "main")
    commit_file(root, "memo.txt", "main\n", "memo: main")
    if operation == "rebase":
        run_git(root, "checkout", "-q", "side")
        assert git_may_fail(root, "rebase", "main").returncode != 0
    elif operation == "merge":
        assert git_may_fail(root, "merge", "side").returncode != 0
    elif operation == "cherry-pick":
        assert git_may_fail(root, "cherry-pick", "side").returncode != 0
    else:  # pragma: no cover
        raise AssertionError(operation)


# -------------------------------- commits signed with SSH


def ssh_signing(root: Path, key_dir: Path) -> None:
    """Sign this repository's commits with a fresh SSH key that git trusts."""
    key = key_dir / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(key)],
        check=True,
    )
    allowed = key_dir / "allowed_signers"
    allowed.write_text(f"{AUTHOR['GIT_AUTHOR_EMAIL']} {(key_dir / 'id_ed25519.pub').read_text()}")
    for name, value in [
        ("gpg.format", "ssh"),
        ("user.signingkey", str(key)),
        ("gpg.ssh.allowedSignersFile", str(allowed)),
        ("commit.gpgsign", "true"),
    ]:
        run_git(root, "config", name, value)


# -------------------------------- a real headless browser

PAYLOAD = (
    "<script>document.title='PWNED'</script>\n"
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">\n"
)


TIMEOUT = 90


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_chromium(chromium: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    profile.mkdir()
    cmd = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)


# -------------------------------- a real pseudo-terminal


def run_on_a_terminal(args: tuple[str, ...], color: bool) -> tuple[int, str]:
    """Run casectl with stdout and stderr on a pseudo-terminal: rich tables, colour."""
    env = {**os.environ, **AUTHOR, "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "200",
           "TERM": "xterm-256color"}  # fmt: skip
    env.pop("NO_COLOR", None)
    env["CASECTL_PAGER"] = ""  # not the pager (tests/present/test_tables.py)
    if not color:
        env["NO_COLOR"] = "1"
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "casectl", *args],
        stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    code = proc.wait(timeout=60)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


# -------------------------------- the monitored agency of the due and digest tests

AS_OF = "2026-06-01"  # default window 14 days: due soon means 2026-06-01 .. 2026-06-15


ANA_CLIENT = """\
id: ana
name: Ana Test
status: active
opened: 2026-01-05
manager: jdoe
consent:
  signed: 2026-01-05
  expires: 2026-06-16
"""


ANA_PLAN = """\
created: 2026-01-12
goals:
  - id: G1
    goal: Rent paid | deposit back
    target: 2026-05-25
    status: active
    actions:
      - action: Bring the lease
        due: 2026-06-15
      - action: Sign the voucher form
        due: 2026-02-01
        done: 2026-01-30
  - id: G2
    goal: Already met, never due
    target: 2026-02-01
    status: met
"""


ANA_LOG = """\
- id: 20260310-1000-jdoe
  date: 2026-03-10 10:00
  by: jdoe
  type: review
  text: Plan reviewed.
- id: 20260520-1000-jdoe
  date: 2026-05-20 10:00
  by: jdoe
  type: visit
  text: Home visit.
"""


BEN_CLIENT = """\
id: ben
name: Ben Test
status: active
opened: 2026-05-01
manager: mkim
consent:
  signed: 2026-05-01
  expires: 2026-06-08
"""


CAL_CLIENT = """\
id: cal
name: Cal Test
status: on_hold
opened: 2026-01-05
manager: mkim
"""


CAL_LOG = """\
- id: 20260110-1000-mkim
  date: 2026-01-10 10:00
  by: mkim
  type: visit
  text: First visit.
- id: 20260305-1000-mkim
  date: 2026-03-05 10:00
  by: mkim
  type: review
  text: Plan reviewed.
"""


DEE_CLIENT = """\
id: dee
name: Dee Test
status: closed
opened: 2026-01-05
manager: jdoe
consent:
  signed: 2026-01-05
  expires: 2026-02-01
closed:
  date: 2026-03-01
  reason: moved
"""


def monitored_agency(root: Path) -> Path:
    """Four clients (active x2, on hold, closed), committed; also used by test_digest."""
    return make_agency(
        root,
        {
            "ana": client_files(
                "ana", **{"client.yaml": ANA_CLIENT, "plan.yaml": ANA_PLAN, "log.yaml": ANA_LOG}
            ),
            "ben": {
                "client.yaml": BEN_CLIENT,
                "assessment.yaml": "assessments: []\n",
                "plan.yaml": "goals: []\n",
                "log.yaml": "[]\n",
            },
            "cal": client_files("cal", **{"client.yaml": CAL_CLIENT, "log.yaml": CAL_LOG}),
            "dee": client_files("dee", **{"client.yaml": DEE_CLIENT}),
        },
    )


# -------------------------------- the redaction corpus (free text in every field)

NAME = "Denise Carter"


BORN = "1988-07-14"


PHONE = "+1 (555) 010-0199"


EMAIL = "denise.carter88@example.org"


ADDRESS = "418 Alder Ave, Apt 2B, Springfield"


FORMS: dict[str, list[str]] = {
    "birth date": [
        "14/07/1988", "07/14/1988", "14.07.1988", "July 14, 1988", "14 July 1988",
        "Jul 14 1988", "1988-07-14", "14-07-1988", "7/14/88", "14th of July 1988",
        "Jul. 14th, 1988", "14071988", "1988/07/14", "JULY 14 1988",
    ],
    "name": [
        "Denise Carter", "DeniseCarter", "DENISE carter", "Carter's", "Carter\u2019s",
        "Carter, Denise", "denise.carter", "Ms. Carter", "CARTER", "denise", "Carters",
        "Denise\nCarter", "carter_denise", "Denise-Carter",
    ],
    "phone": [
        "555-010-0199", "555 010 0199", "555.010.0199", "5550100199", "+1 555 0100199",
        "(555)010-0199", "555\u2013010\u20130199", "1-555-010-0199", "010 0199",
        "+1 (555) 010-0199", "555/010/0199",
    ],
    "e-mail": [
        EMAIL, EMAIL.upper(), "denise.carter88", "denise.carter88@gmail.com",
        "mailto:denise.carter88@example.org", "DENISE.CARTER88 at example dot org",
    ],
    "address": ["418 Alder Ave", "alder ave", "Apt 2B", "418  Alder\nAve", "APT 2B"],
    "contact": ["Rosa Lopez", "Rosa", "LOPEZ", "+1 555 0177", "rosa.l@example.org", "Lopez's"],
}  # fmt: skip


ALL_FORMS = [form for forms in FORMS.values() for form in forms]


# Anything left of them, checked case-insensitively in raw and rendered output.
SECRETS = ["denise", "carter", "alder", "apt 2b", "1988", "rosa", "lopez", "rosa.l"]


DIGITS = [re.compile(r"\D{0,3}".join(d)) for d in ("0100199", "5550177")]


DATE_SHAPES = re.compile(r"(?i)(?<!\d)(?:0?7\D{1,3}14|14\D{1,3}0?7)\D{1,3}(?:19)?88(?!\d)|jul")


FREE_CLIENT = f"""\
id: rc-0001
name: {NAME}
born: {BORN}
status: {{status}}
opened: 2026-01-05
manager: jdoe
program: {{text}}
phone: "{PHONE}"
email: {EMAIL}
address: {ADDRESS}
contacts:
  - {{{{name: Rosa Lopez, relation: sister, phone: "+1 555 0177", email: rosa.l@example.org}}}}
"""


FREE_CLOSED = "closed: {date: 2026-11-01, reason: moved, note: {text}}\n"


FREE_ASSESSMENT = """\
assessments:
  - date: 2026-01-10
    by: jdoe
    domains:
      housing: {{score: 2, note: {text}}}
    strengths: [{text}]
    summary: {text}
  - date: 2026-06-10
    by: jdoe
    domains:
      housing: {{score: 3, note: {text}}}
    strengths: [{text}]
    summary: {text}
"""


FREE_PLAN = """\
created: 2026-01-12
goals:
  - id: G1
    domain: housing
    goal: {text}
    target: 2026-11-30
    status: active
    actions:
      - {{action: {text}, who: {text}, due: 2026-11-20}}
      - {{action: {text}, who: {text}, due: 2026-01-20, done: 2026-01-19}}
"""


FREE_LOG = """\
- id: 20260110-1000-jdoe
  date: 2026-01-10 10:00
  by: jdoe
  type: referral
  to: {text}
  text: {text}
- id: 20260111-1000-jdoe
  date: 2026-01-11 10:00
  by: jdoe
  type: amendment
  amends: 20260110-1000-jdoe
  text: {text}
"""


def free_text_agency(root: Path, text: str) -> Path:
    """Two clients (active, closed) whose every free-text field holds ``text``."""
    value = q(text)
    files = {
        "assessment.yaml": FREE_ASSESSMENT.format(text=value),
        "plan.yaml": FREE_PLAN.format(text=value),
        "log.yaml": FREE_LOG.format(text=value),
    }
    # The active client carries a closure note too (a CM122 error, still rendered), so
    # one report shows every free-text field, due items included.
    active = {
        "client.yaml": FREE_CLIENT.format(status="active", text=value)
        + FREE_CLOSED.replace("{text}", value),
        **files,
    }
    closed = {
        "client.yaml": FREE_CLIENT.format(status="closed", text=value).replace("rc-0001", "rc-0002")
        + FREE_CLOSED.replace("{text}", value),
        **files,
    }
    return make_agency(root, {"rc-0001": active, "rc-0002": closed}, git=False)


def leaks(text: str) -> list[str]:
    found = [s for s in SECRETS if s in text.lower()]
    found += [p.pattern for p in DIGITS if p.search(text)]
    found += [m.group() for m in DATE_SHAPES.finditer(text)]
    return found


SEPARATORS = st.sampled_from([" ", ", ", ". ", "\n", " (", ") ", "; ", " - ", ": ", "\t"])


WORDS = st.sampled_from(["met", "at the office", "called", "12", "ok", "2026-11-02", "re:"])


# -------------------------------- the vault (git-crypt) tests

MAGIC = b"\0GITCRYPT\0"
FILES = ("client.yaml", "assessment.yaml", "plan.yaml", "log.yaml")
RETENTION_YAML = AGENCY_YAML + "retention: {closed: 7 years}\n"


def git_bytes(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """A git command's raw stdout (blobs are not text once encrypted)."""
    return subprocess.run(
        ["git", *args], cwd=root, input=stdin, capture_output=True, check=True
    ).stdout


def blob(root: Path, spec: str) -> bytes:
    return git_bytes(root, "cat-file", "blob", spec)


def all_objects(git_dir: Path) -> bytes:
    """Every object of the repository (loose and packed, reachable or not), as
    ``git cat-file --batch-all-objects --batch`` prints them."""
    return git_bytes(git_dir, "cat-file", "--batch-all-objects", "--batch")


def trailer(root: Path, key: str, rev: str = "HEAD") -> str:
    """The values of trailer ``key`` of one commit, as git's own parser reads them."""
    return run_git(root, "log", "-1", f"--format=%(trailers:key={key},valueonly)", rev).strip()


def head(root: Path) -> str:
    return run_git(root, "rev-parse", "HEAD").strip()


def commits_since(root: Path, rev: str) -> int:
    return int(run_git(root, "rev-list", "--count", f"{rev}..HEAD").strip())


def changed_paths(root: Path, rev: str = "HEAD") -> list[str]:
    out = run_git(root, "diff-tree", "--no-commit-id", "-r", "--name-only", "--no-renames", rev)
    return sorted(out.split())


def settle(root: Path) -> None:
    """Make every tracked file a day old and refresh git's index, as in a clone worked
    in for a while: git then trusts the index's stat data and does not hash the files
    again (freshly written files are "racily clean" and always re-hashed, which would
    hide a commit that stores stale index entries)."""
    then = time.time() - 86400
    for rel in run_git(root, "ls-files", "-z").split("\0"):
        if rel:
            os.utime(root / rel, (then, then))
    run_git(root, "update-index", "-q", "--refresh")


# -------------------------------- the figures tests
#
# A small agency whose figures for October 2026 are counted by hand (see HAND below).
#
# Used by the CLI tests of ``stats``, ``export``, ``search`` and ``--as-of``. Clients:
#
# * ``a-0001`` (jdoe, program housing): reassessed in October (housing 2 -> 3: improved,
#   income 3 -> 3: same); G1 met on 2026-10-20, G2 met on 2026-11-05 (after the
#   period); a referral sent 2026-10-05, delivered 2026-10-22; a visit with the client,
#   a phone call with the family only, a note with minutes; entries before and after.
# * ``b-0002`` (mkim, program income): opened 2026-10-03 and closed 2026-10-28 (moved).
# * ``c-0003`` (jdoe, no program): a phone call with family only, a crisis, a late entry
#   dated in October and recorded in October (counts) and one recorded in November
#   (counts in no October figure); reassessed in October (housing 3 -> 2: worse).
# * ``d-0004`` (mkim): closed before the period (2026-09-15).
# * ``e-0005`` (mkim): opened after the period (2026-11-10).

FIGURES_AGENCY_YAML = """\
format: 2
agency: Figures Test Agency
timezone: America/Chicago
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
  mkim: Min Kim
"""


def _fc(cid: str, name: str, manager: str, opened: str, **extra: str) -> str:
    lines = [f"id: {cid}", f"name: {name}", f"manager: {manager}", f"opened: {opened}"]
    closed = extra.pop("closed", None)
    if closed:
        day, reason = closed.split()
        lines += ["status: closed", "closed:", f"  date: {day}", f"  reason: {reason}"]
    else:
        lines.append("status: active")
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def _fe(eid: str, when: str, kind: str, text: str, **extra: Any) -> str:
    lines = [f"- id: {eid}", f"  date: {when}", f"  by: {eid.rsplit('-', 1)[1]}", f"  type: {kind}"]
    lines += [f"  {k}: {v}" for k, v in extra.items()]
    lines.append(f"  text: {text}")
    return "\n".join(lines) + "\n"


FIG_A_LOG = "".join(
    [
        _fe("20260930-1000-jdoe", "2026-09-30 10:00", "visit", "Before the period.", minutes=30),
        _fe("20261002-1000-jdoe", "2026-10-02 10:00", "visit",
               "Home visit, voucher paperwork done.", minutes=45),
        _fe("20261015-0900-jdoe", "2026-10-15 09:00", "phone", "Called her sister.",
               minutes=15, **{"with": "family"}),
        _fe("20261020-1400-jdoe", "2026-10-20 14:00", "note", "Voucher approved.",
               minutes=10),
        _fe("20261102-1000-jdoe", "2026-11-02 10:00", "visit", "After the period.", minutes=60),
    ]
)  # fmt: skip
FIG_A_ASSESS = """\
assessments:
  - date: 2026-03-05
    by: jdoe
    domains: {housing: {score: 2}, income: {score: 3}}
  - date: 2026-10-10
    by: jdoe
    domains: {housing: {score: 3}, income: {score: 3}}
"""
FIG_A_PLAN = """\
created: 2026-03-06
goals:
  - id: G1
    domain: housing
    goal: Move into stable housing
    status: met
    status_date: 2026-10-20
  - id: G2
    domain: income
    goal: Apply for benefits
    status: met
    status_date: 2026-11-05
referrals:
  - id: R1
    to: Springfield Legal Aid
    sent: 2026-10-05
    expect_by: 2026-10-19
    status: delivered
    status_date: 2026-10-22
"""
FIG_B_LOG = "".join(
    [
        _fe("20261003-1000-mkim", "2026-10-03 10:00", "visit", "Intake visit.", minutes=60),
        _fe("20261028-1000-mkim", "2026-10-28 10:00", "closure", "Moved out of the area."),
    ]
)
FIG_C_LOG = "".join(
    [
        _fe("20261005-1100-jdoe", "2026-10-05 11:00", "visit", "Late entry, written soon.",
               minutes=30, recorded="2026-10-08 09:00"),
        _fe("20261012-1000-jdoe", "2026-10-12 10:00", "phone", "Spoke with his mother only.",
               minutes=10, **{"with": "family"}),
        _fe("20261014-2200-jdoe", "2026-10-14 22:00", "crisis", "Crisis call, safety plan made.",
               minutes=20),
        _fe("20261020-1000-jdoe", "2026-10-20 10:00", "visit", "Late, written in Nov.",
               minutes=30, recorded="2026-11-03 09:00"),
    ]
)  # fmt: skip
FIG_C_ASSESS = """\
assessments:
  - date: 2026-01-12
    by: jdoe
    domains: {housing: {score: 3}}
  - date: 2026-10-25
    by: jdoe
    domains: {housing: {score: 2}}
"""
# A note a spreadsheet must show as text: a formula, a comma, quotes, two lines.
FIG_HOSTILE_NOTE = """\
- id: 20261112-0900-mkim
  date: 2026-11-12 09:00
  by: mkim
  type: note
  text: |
    =SUM(A1:A2), "quoted", café
    second line
"""
FIG_EMPTY_PLAN = "created: 2026-01-12\ngoals: []\n"
FIG_NO_ASSESS = "assessments: []\n"


def figures_agency(root: Path) -> Path:
    clients = {
        "a-0001": {
            "client.yaml": _fc("a-0001", "Maria Lopez", "jdoe", "2026-03-01", program="housing",
                                   phone='"+1 555 0100"'),
            "assessment.yaml": FIG_A_ASSESS,
            "plan.yaml": FIG_A_PLAN,
            "log.yaml": FIG_A_LOG,
        },
        "b-0002": {
            "client.yaml": _fc("b-0002", "Ben Okafor", "mkim", "2026-10-03",
                                   closed="2026-10-28 moved", program="income"),
            "assessment.yaml": FIG_NO_ASSESS,
            "plan.yaml": FIG_EMPTY_PLAN,
            "log.yaml": FIG_B_LOG,
        },
        "c-0003": {
            "client.yaml": _fc("c-0003", "Carl Jensen", "jdoe", "2026-01-10"),
            "assessment.yaml": FIG_C_ASSESS,
            "plan.yaml": FIG_EMPTY_PLAN,
            "log.yaml": FIG_C_LOG,
        },
        "d-0004": {
            "client.yaml": _fc("d-0004", "Dora Diaz", "mkim", "2026-02-01",
                                   closed="2026-09-15 goals_met"),
            "assessment.yaml": FIG_NO_ASSESS,
            "plan.yaml": FIG_EMPTY_PLAN,
            "log.yaml": _fe("20260915-1000-mkim", "2026-09-15 10:00", "closure", "Done."),
        },
        "e-0005": {
            "client.yaml": _fc("e-0005", "Eve Ito", "mkim", "2026-11-10"),
            "assessment.yaml": FIG_NO_ASSESS,
            "plan.yaml": "goals: []\n",
            "log.yaml": _fe("20261110-1000-mkim", "2026-11-10 10:00", "visit", "Intake.",
                               minutes=40) + FIG_HOSTILE_NOTE,
        },
    }  # fmt: skip
    return make_agency(root, clients, agency_yaml=FIGURES_AGENCY_YAML)


# October 2026, counted by hand from the files above (module docstring).
HAND: dict[str, Any] = {
    "from": "2026-10-01",
    "to": "2026-10-31",
    "open": 3,  # a, b (opened and closed inside), c; d closed before, e opened after
    "served": 3,  # a (visit), b (visit), c (crisis); c's family-only call alone would not
    "new": 1,  # b
    "closed": {"moved": 1},  # b; d closed before the period
    "contacts": {
        "visit": 3,
        "phone": 2,
        "crisis": 1,
    },  # a: v+p, b: v, c: v+p+c
    "contacts_with": {"client": 4, "family": 2},
    "minutes": 190,  # a 45+15+10, b 60, c 30+10+20 (the November-recorded entry left out)
    "referrals": {"delivered": 1},
    "goals_met": 1,  # G1; G2 was met after the period
    "crises": 1,
    "domains": {
        "housing": {"improved": 1, "same": 0, "worse": 1},
        "income": {"improved": 0, "same": 1, "worse": 0},
    },
}
HAND_BY_MANAGER: dict[str, Any] = {
    "jdoe": {
        **HAND,
        "open": 2,
        "served": 2,
        "new": 0,
        "closed": {},
        "contacts": {"visit": 2, "phone": 2, "crisis": 1},
        "contacts_with": {"client": 3, "family": 2},
        "minutes": 130,
    },
    "mkim": {
        **HAND,
        "open": 1,
        "served": 1,
        "new": 1,
        "closed": {"moved": 1},
        "contacts": {"visit": 1},
        "contacts_with": {"client": 1},
        "minutes": 60,
        "referrals": {},
        "goals_met": 0,
        "crises": 0,
        "domains": {},
    },
    "all": HAND,
}


# -------------------------------- hypothesis strategies of records in time (as-of)


def _referral(rid: str, sent: str, status: str = "sent", status_date: str | None = None) -> Any:
    item: dict[str, Any] = {"id": rid, "to": "Legal Aid", "sent": sent, "status": status}
    if status_date is not None:
        item["status_date"] = status_date
    return item


START = date(2026, 1, 1)


DAYS = 120


OFFSETS = ["", "+00:00", "-05:00", "+09:30"]


def _day(n: int) -> date:
    return START + timedelta(days=n)


days = st.integers(0, DAYS)


@st.composite
def moments(draw: st.DrawFn, low: int = 0, high: int = DAYS) -> str:
    day = _day(draw(st.integers(low, high)))
    at = wall_time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
    offset = draw(st.sampled_from(OFFSETS))
    return f"{datetime.combine(day, at).isoformat(timespec='minutes')}{offset}"


@st.composite
def client_records(draw: st.DrawFn) -> ClientRecords:
    opened = draw(days)
    data: dict[str, Any] = {"opened": _day(opened).isoformat()}
    status = draw(st.sampled_from(["active", "on_hold", "closed"]))
    data["status"] = status
    if status == "closed":
        data["closed"] = {"date": _day(draw(st.integers(opened, DAYS))), "reason": "moved"}
    data["consents"] = [{"signed": _day(n)} for n in sorted(draw(st.lists(days, max_size=3)))]
    data["flags"] = [
        {"kind": "medical", "since": _day(n), **({"cleared": _day(n + c)} if c else {})}
        for n, c in draw(st.lists(st.tuples(days, st.integers(0, 30)), max_size=3))
    ]
    log: list[LogEntry] = []
    for i, (when, late) in enumerate(
        draw(st.lists(st.tuples(moments(), st.integers(0, 5)), max_size=8))
    ):
        extra = {"recorded": _later_moment(when, late)} if late else {}
        log.append(note(f"n{i}", when, draw(st.sampled_from(["visit", "note", "crisis"])), **extra))
    refs: list[dict[str, Any]] = []
    for j, (sent, step) in enumerate(
        draw(st.lists(st.tuples(days, st.integers(0, 20)), max_size=3))
    ):
        status = draw(st.sampled_from(["sent", "accepted", "delivered"]))
        if status == "sent":
            refs.append(_referral(f"R{j + 1}", _day(sent).isoformat()))
            continue
        on = _day(sent + step)
        refs.append(_referral(f"R{j + 1}", _day(sent).isoformat(), status, on.isoformat()))
        # every status change is logged, as `refer` does
        log.append(
            note(
                f"r{j}",
                f"{on.isoformat()} 12:00",
                "referral",
                changes=[f"R{j + 1} status sent -> {status}"],
            )
        )
    goals = [
        {"id": f"G{k}", "goal": "g", "status": "met", "status_date": _day(n)}
        if n is not None
        else {"id": f"G{k}", "goal": "g", "actions": [{"action": "a", "done": _day(m)}]}
        for k, (n, m) in enumerate(
            draw(st.lists(st.tuples(st.none() | days, days), max_size=3)), start=1
        )
    ]
    p = plan(
        goals=goals,
        referrals=refs,
        tasks=[
            {"id": "T1", "task": "t", "done": _day(n)} for n in draw(st.lists(days, max_size=1))
        ],
    )
    scored_on = sorted(draw(st.lists(days, max_size=3)))
    scored = [(_day(n).isoformat(), {"housing": 3}) for n in scored_on]
    return records(client(**data), *log, plan_=p, assessed=assessments(*scored))


def _later_moment(when: str, days_later: int) -> str:
    moment = datetime.fromisoformat(when) + timedelta(days=days_later)
    return moment.isoformat(timespec="minutes")


# -------------------------------- in-memory records (figures)
#
# Typed records made in memory with the models' own validation
# (``Client.model_validate({...})``), so every record a test uses is one that casectl
# could have read from a file.

AGENCY = Agency.model_validate(
    {
        "format": 2,
        "agency": "Test Agency",
        "timezone": "America/Chicago",
        "managers": {"jdoe": "Jane Doe", "mkim": "Min Kim"},
    }
)


def client(cid: str = "rc-0001", **fields: Any) -> Client:
    data: dict[str, Any] = {
        "id": cid,
        "name": "Maria Lopez",
        "status": "active",
        "opened": "2026-01-05",
        "manager": "jdoe",
    }
    data.update(fields)
    return Client.model_validate(data)


def note(
    nid: str,
    when: str,
    kind: str = "visit",
    text: str = "Met at the office.",
    **fields: Any,
) -> LogEntry:
    data: dict[str, Any] = {"id": nid, "date": when, "by": "jdoe", "type": kind, "text": text}
    data.update(fields)
    return LogEntry.model_validate(data)


def plan(**fields: Any) -> Plan:
    return Plan.model_validate(fields)


def assessments(*items: tuple[str, dict[str, int]]) -> AssessmentFile:
    return AssessmentFile.model_validate(
        {
            "assessments": [
                {"date": day, "by": "jdoe", "domains": {k: {"score": v} for k, v in scores.items()}}
                for day, scores in items
            ]
        }
    )


def records(
    c: Client,
    *log: LogEntry,
    plan_: Plan | None = None,
    assessed: AssessmentFile | None = None,
) -> ClientRecords:
    return ClientRecords(
        client=c,
        assessments=assessed or AssessmentFile(),
        plan=plan_ or Plan(),
        log=tuple(log),
    )


# -------------------------------- retention and purges (vault)

OLD = "rc-0003"  # closed in 2018: past a 7-year retention


RECENT = "rc-0004"  # closed in 2026-01: kept until 2033


PURGE_ACTIVE = "rc-0001"


PURGED_NAME = "Zelda Quixote-Purgeable"


PURGED_MARKER = "PURGE-ME-NOTE-6610"


def _closed_client(cid: str, day: str, name: str = "Test Person") -> str:
    return (
        f"id: {cid}\nname: {name}\nstatus: closed\nopened: 2015-01-05\nmanager: jdoe\n"
        f"closed:\n  date: {day}\n  reason: goals_met\n"
    )


def _one_entry_log(text: str) -> str:
    return (
        "- id: 20160110-1000-jdoe\n  date: 2016-01-10 10:00\n  by: jdoe\n  type: visit\n"
        f"  text: |\n    {text}\n"
    )


def retention_agency(root: Path, agency_yaml: str = RETENTION_YAML) -> Path:
    return make_agency(
        root,
        {
            PURGE_ACTIVE: client_files(PURGE_ACTIVE),
            "rc-0002": client_files("rc-0002"),
            OLD: client_files(
                OLD,
                **{
                    "client.yaml": _closed_client(OLD, "2018-03-01", PURGED_NAME),
                    "log.yaml": _one_entry_log(PURGED_MARKER),
                },
            ),
            RECENT: client_files(RECENT, **{"client.yaml": _closed_client(RECENT, "2026-01-20")}),
        },
        agency_yaml=agency_yaml,
    )


# -------------------------------- the due index (read cache, ``read-cache.due.idx``)

DUE_INDEX_YAML = """\
format: 2
agency: Test Agency
timezone: America/Chicago
approvals: [plan, closure]
managers:
  jdoe: {name: Jane Doe, email: jane.doe@example.org}
  mkim: Min Kim
  dana: {name: Dana Ruiz, email: dana@example.org, role: supervisor}
  sam: {name: Sam Roe, email: sam@example.org, role: supervisor}
"""


def due_index_agency(root: Path) -> Path:
    """The four clients of ``monitored_agency``, two more with the same files (ties of
    day, kind and what between clients), one whose plan has errors (a ``record``
    item), one whose client.yaml has another id than its folder (``zed``), and plan
    approvals waiting for two supervisors (items of theirs, whoever
    the client's manager): every kind of row the due index holds."""
    ana = {"client.yaml": ANA_CLIENT, "plan.yaml": ANA_PLAN, "log.yaml": ANA_LOG}
    ana2 = {**ana, "client.yaml": ANA_CLIENT.replace("id: ana", "id: ana2")}
    clients: dict[str, Mapping[str, str | None]] = {
        "ana": client_files("ana", **ana),
        "ana2": client_files("ana2", **ana2),
        "ben": {
            "client.yaml": BEN_CLIENT,
            "assessment.yaml": "assessments: []\n",
            "plan.yaml": "goals: []\n",
            "log.yaml": "[]\n",
        },
        "cal": client_files("cal", **{"client.yaml": CAL_CLIENT, "log.yaml": CAL_LOG}),
        "dee": client_files("dee", **{"client.yaml": DEE_CLIENT}),
        "eve": client_files("eve", **{"plan.yaml": "goals: {not: a list}\n"}),
        "rc-0001": client_files("rc-0001"),
        # a client.yaml whose id is not its folder's: its items are under its id ("aab",
        # first in due's order), its place in list's under its folder ("zed", last)
        "zed": client_files("aab", **{"client.yaml": CLIENT.format(id="aab")}),
    }
    make_agency(root, clients, DUE_INDEX_YAML)
    for cid in ("ana", "rc-0001"):
        done = cli("-C", root, "submit", cid, "plan")
        assert done.exit_code == 0, done.stderr
    return root


def rewrite_due_index(root: Path, change: Any) -> None:
    """Rewrite the agency's due index through ``change(head, rows)`` (the decoded first
    line and body, changed in place), with a digest that matches: an index as a
    casectl run could have written it (another run's, or of another day)."""
    import hashlib

    path = root / ".casectl" / "read-cache.due.idx"
    _, head_line, body = path.read_bytes().split(b"\n", 2)
    head, rows = json.loads(head_line), json.loads(body)
    change(head, rows)
    head["cuts"] = [[max((r[0] for r in rows), default=0), len(json.dumps(rows)) - 1]]
    rest = (json.dumps(head) + "\n" + json.dumps(rows)).encode()
    path.write_bytes(hashlib.blake2b(rest, digest_size=16).hexdigest().encode() + b"\n" + rest)
