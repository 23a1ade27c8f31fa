"""Hostile records: an agency whose every field carries terminal escape sequences,
Markdown and HTML, so output tests can prove none of it takes effect.

The sequences are the ones of issue 11: an OSC window-title change ending in BEL,
a clear-screen CSI, the 8-bit CSI (C1 U+009B), DEL, backspace and carriage return,
the right-to-left override and the bidi isolates. YAML cannot hold most of them
raw, so the files write them as double-quoted escapes (JSON string syntax, which
is valid YAML).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.builders import make_agency, q

OSC_TITLE = "\x1b]0;pwned-title\x07"
CLEAR = "\x1b[2J"
C1_CSI = "\x9b31m"
RLO = "\u202e"
ISOLATES = "\u2066\u2067\u2068\u2069"
OTHERS = "\x7f\x08\r\x00"
SEQUENCES = OSC_TITLE + CLEAR + C1_CSI + RLO + ISOLATES + OTHERS

# Markdown / HTML that must stay text in md and html output.
MARKUP = (
    "`x`\n\n<img src=x onerror=alert(1)> | [l](http://evil.example) ![i](http://e/i.png)"
    " www.evil.example mail@evil.example <http://auto.example> &lt;b&gt;"
)


def evil(label: str, markup: bool = False) -> str:
    """A value that names its field (to find it in output) and carries every sequence."""
    return f"{label}{SEQUENCES}{label}" + (MARKUP if markup else "")


# Anything a terminal or a text viewer would act on: C0 but tab and newline, DEL, C1,
# the bidi embeddings, overrides, isolates and marks, line/paragraph separators.
RAW_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
SGR = re.compile("\x1b\\[[0-9;]*m")


def raw_controls(text: str, allow_sgr: bool = False) -> list[str]:
    """The raw control characters in ``text`` (SGR colour codes allowed on request)."""
    if allow_sgr:
        text = SGR.sub("", text)
    return sorted({f"U+{ord(m.group()):04X}" for m in RAW_CONTROL.finditer(text)})


AGENCY = f"""\
format: 1
agency: {q(evil("AGENCY"))}
timezone: UTC
managers:
  jdoe: {{name: {q(evil("MANAGER"))}, email: {q(evil("MGRMAIL"))}}}
  {q(evil("MGRKEY"))}: {q(evil("MGR2"))}
domains: [housing, income, {q(evil("DOMAINLIST"))}]
"""

CLIENT = f"""\
id: rc-0001
name: {q(evil("NAME", markup=True))}
born: 1988-07-14
status: active
opened: 2026-01-05
manager: jdoe
program: {q(evil("PROGRAM", markup=True))}
phone: {q(evil("PHONE"))}
email: {q(evil("EMAIL"))}
address: {q(evil("ADDRESS"))}
{q(evil("CLIENTKEY"))}: {q(evil("UNKNOWNVALUE"))}
"""

CLOSED_CLIENT = f"""\
id: rc-0002
name: {q(evil("CLOSEDNAME", markup=True))}
status: closed
opened: 2026-01-05
manager: jdoe
closed: {{date: 2026-03-01, reason: moved, note: {q(evil("CLOSENOTE", markup=True))}}}
"""

ASSESSMENT = f"""\
assessments:
  - date: 2026-01-10
    by: jdoe
    domains:
      housing: {{score: 2, note: {q(evil("DOMAINNOTE", markup=True))}}}
      {q(evil("DOMAINKEY", markup=True))}: {{score: 3}}
    strengths: [{q(evil("STRENGTH", markup=True))}]
    summary: {q(evil("SUMMARY", markup=True))}
  - date: 2026-02-10
    by: jdoe
    domains:
      housing: {{score: 3}}
      {q(evil("DOMAINKEY", markup=True))}: {{score: 4}}
"""

PLAN = f"""\
created: 2026-01-12
goals:
  - id: {q(evil("GOALID", markup=True))}
    domain: {q(evil("GOALDOMAIN", markup=True))}
    goal: {q(evil("GOALTEXT", markup=True))}
    target: 2026-02-01
    status: active
    actions:
      - action: {q(evil("ACTION", markup=True))}
        who: {q(evil("WHO", markup=True))}
        due: 2026-02-01
"""

LOG = f"""\
- id: {q(evil("NOTEID", markup=True))}
  date: 2026-01-10 10:00
  by: jdoe
  type: referral
  to: {q(evil("REFERREDTO", markup=True))}
  text: {q(evil("NOTETEXT", markup=True) + chr(10) + "second line" + chr(10))}
- id: 20260111-1000-jdoe
  date: 2026-01-11 10:00
  by: {q(evil("NOTEBY"))}
  type: amendment
  amends: {q(evil("NOTEID", markup=True))}
  text: {q(evil("AMENDTEXT", markup=True))}
"""

# Every label planted above that a read command may show somewhere.
LABELS = (
    "AGENCY", "MANAGER", "NAME", "PROGRAM", "GOALTEXT", "ACTION", "NOTETEXT", "CLIENTKEY",
)  # fmt: skip


def hostile_agency(root: Path, git: bool = True) -> Path:
    """An agency with an active and a closed client whose every text field is hostile,
    plus a client folder whose very name is an escape sequence."""
    files = {"client.yaml": CLIENT, "assessment.yaml": ASSESSMENT, "plan.yaml": PLAN,
             "log.yaml": LOG}  # fmt: skip
    closed = {"client.yaml": CLOSED_CLIENT, "assessment.yaml": "assessments: []\n",
              "plan.yaml": "goals: []\n", "log.yaml": "[]\n"}  # fmt: skip
    made = make_agency(
        root,
        {"rc-0001": files, "rc-0002": closed, f"bad{CLEAR}{RLO}dir": {"client.yaml": "x: 1\n"}},
        agency_yaml=AGENCY,
        git=git,
    )
    return made
