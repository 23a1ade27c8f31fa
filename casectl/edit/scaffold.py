"""Text of the files casectl creates: a new agency's settings, a new client's files.

Values are written as JSON strings, which are valid YAML double-quoted scalars, so a
name such as ``O'Brien: "Jr"`` can never break the file.
"""

from __future__ import annotations

import json
import re
from datetime import date

SCHEMA_DIR = "schemas"


def q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def manager_entry(name: str, email: str | None) -> str:
    """A ``managers:`` value: ``{name: "...", email: "..."}``, or the name alone."""
    return f"{{name: {q(name)}, email: {q(email)}}}" if email else q(name)


def agency_yaml(agency: str, timezone: str, manager: str, name: str, email: str | None) -> str:
    """casectl.yaml of a new agency; ``manager`` (a key) is its first case manager."""
    who = manager_entry(name, email)
    return f"""\
# yaml-language-server: $schema={SCHEMA_DIR}/casectl.schema.json
# casectl agency settings. See docs/format.md of casectl for every key.
format: 1
agency: {q(agency)}
timezone: {q(timezone)}
cadence:
  plan_review: 90 days
  reassessment: 180 days
  initial_assessment: 14 days
  contact: 30 days
  due_soon: 14 days
managers:              # every manager and --by must be a key here: add your colleagues
  {manager}: {who}
#   mkim: {{name: Min Kim, email: min.kim@example.org}}
# shared_group: true   # case files 0660 and client folders 0770 instead of 0600 / 0700
"""


def manager_key(email: str | None) -> str | None:
    """A manager key from an e-mail address: its local part, lower-cased, every run of
    characters outside ``[a-z0-9]`` made one '-' (``Jane.Doe@x.org`` -> ``jane-doe``);
    None when nothing usable is left."""
    if not email:
        return None
    local = email.rpartition("@")[0] or email
    key = re.sub(r"[^a-z0-9]+", "-", local.lower()).strip("-")[:64].rstrip("-")
    return key or None


def _header(kind: str) -> str:
    return f"# yaml-language-server: $schema=../../{SCHEMA_DIR}/{kind}.schema.json\n"


def client_yaml(client_id: str, name: str, manager: str, opened: date, program: str | None) -> str:
    text = _header("client") + (
        f"id: {client_id}\n"
        f"name: {q(name)}\n"
        f"status: active\n"
        f"opened: {opened.isoformat()}\n"
        f"manager: {q(manager)}\n"
    )
    if program:
        text += f"program: {q(program)}\n"
    return text


def intake_lines(
    born: date | None,
    phone: str | None,
    email: str | None,
    address: str | None,
    consent: tuple[date, date] | None,
    consents_list: bool,
) -> str:
    """client.yaml lines of ``new``'s intake fields (after ``client_yaml``'s). The
    consent is a ``consents:`` item in a format 2 repository, else the format 1
    ``consent:`` block."""
    text = f"born: {born.isoformat()}\n" if born else ""
    for key, value in (("phone", phone), ("email", email), ("address", address)):
        if value:
            text += f"{key}: {q(value)}\n"
    if consent is not None:
        signed, expires = consent
        if consents_list:
            text += f"consents:\n  - signed: {signed.isoformat()}\n"
            text += f"    expires: {expires.isoformat()}\n"
        else:
            text += f"consent:\n  signed: {signed.isoformat()}\n  expires: {expires.isoformat()}\n"
    return text


def assessment_yaml() -> str:
    return _header("assessment") + "assessments: []\n"


def plan_yaml(created: date) -> str:
    return _header("plan") + f"created: {created.isoformat()}\ngoals: []\n"


def log_yaml() -> str:
    return (
        _header("log")
        + "# Progress notes, oldest first. Append with `casectl note`; never edit.\n[]\n"
    )


GITIGNORE = (
    "# casectl's cache: personal data, never committed\n.casectl/\n"
    "# temp files of an interrupted casectl write (safe to delete)\n.*.tmp\n"
)
