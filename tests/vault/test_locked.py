"""Which restricted clients a clone cannot read: ``.gitattributes`` names them and their
group (no key needed), one ten-byte read per restricted folder says whether it is
ciphertext here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casectl.core.model import CLIENT_ID_RE
from casectl.vault import crypt
from tests.builders import MAGIC

ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,63}", fullmatch=True)
groups = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", fullmatch=True).filter(
    lambda g: g != "default"
)


@given(ids, groups)
def test_the_line_restrict_writes_reads_back(client: str, group: str) -> None:
    line = crypt.attribute_line(client, group)
    text = f"clients/*/log.yaml merge=casectl-log\n{line}\n*.pdf binary\n"
    assert crypt.parse_restricted(text) == {client: group}
    assert crypt.parse_restricted(crypt._without_client(text, client)) == {}
    assert (
        crypt._without_client(text, client)
        == "clients/*/log.yaml merge=casectl-log\n*.pdf binary\n"
    )


@given(st.text())
def test_any_text_parses_without_error(text: str) -> None:
    found = crypt.parse_restricted(text)
    assert all(CLIENT_ID_RE.fullmatch(c) for c in found)


def test_what_counts_as_restricted() -> None:
    text = "\n".join(
        [
            "# clients/rc-0009/** filter=git-crypt-dv",  # a comment
            "clients/rc-0001/** filter=git-crypt-dv diff=git-crypt-dv",
            "/clients/rc-0002/** filter=git-crypt diff=git-crypt",  # the unnamed key
            "clients/rc-0003/** filter=git-crypt-youth",
            "clients/rc-0003/** -filter",  # a later line lifts it, as in git
            "clients/*/log.yaml merge=casectl-log",
            "clients/Bad_Id/** filter=git-crypt-dv",  # not a client id
            '"clients/rc-0004/**" filter=git-crypt-dv',  # quoted: not read
            "other/** filter=git-crypt-dv",
        ]
    )
    assert crypt.parse_restricted(text) == {"rc-0001": "dv", "rc-0002": "default"}


def _client(root: Path, cid: str, first: bytes, name: str = "client.yaml") -> Path:
    folder = root / "clients" / cid
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(first)
    return folder


def test_is_locked_reads_the_start_of_one_file(tmp_path: Path) -> None:
    assert crypt.is_locked(_client(tmp_path, "a", MAGIC + b"\x01\x02ciphertext"))
    assert not crypt.is_locked(_client(tmp_path, "b", b"id: b\n"))
    assert not crypt.is_locked(_client(tmp_path, "c", b"\0GITCR"))  # too short to be one
    assert crypt.is_locked(_client(tmp_path, "d", MAGIC + b"x", name="log.yaml"))
    assert not crypt.is_locked(tmp_path / "clients" / "missing")
    link = tmp_path / "clients" / "e"
    link.mkdir()
    os.symlink(tmp_path / "clients" / "a" / "client.yaml", link / "client.yaml")
    assert not crypt.is_locked(link)  # never read through a link


def test_only_restricted_folders_are_looked_at(tmp_path: Path) -> None:
    (tmp_path / ".gitattributes").write_text(
        crypt.attribute_line("rc-0001", "dv")
        + "\n"
        + crypt.attribute_line("rc-0002", "dv")
        + "\n"
        + crypt.attribute_line("rc-0003", "dv")
        + "\n"
    )
    _client(tmp_path, "rc-0001", MAGIC + b"...")  # locked here
    _client(tmp_path, "rc-0002", b"id: rc-0002\n")  # restricted, key present: readable
    # rc-0003 restricted but its folder is gone (purged): not locked
    _client(tmp_path, "rc-0004", MAGIC + b"...")  # not restricted: not this function's business
    assert crypt.locked_clients(tmp_path) == ["rc-0001"]
    assert crypt.locked_clients(tmp_path, ["rc-0002", "rc-0004"]) == ["rc-0004"]


def test_no_attributes_file_means_nothing_is_restricted(tmp_path: Path) -> None:
    _client(tmp_path, "rc-0001", MAGIC + b"...")
    assert crypt.restricted_clients(tmp_path) == {}
    assert crypt.locked_clients(tmp_path) == []


@pytest.mark.parametrize(
    ("count", "said"),
    [(1, "1 restricted client is locked here"), (2, "2 restricted clients are locked here")],
)
def test_the_count_line(count: int, said: str) -> None:
    assert crypt.locked_message(count).startswith(said)


def test_a_linked_or_odd_attributes_file_restricts_nothing(tmp_path: Path) -> None:
    """git ignores a .gitattributes that is a link; the readers go on without one."""
    target = tmp_path / "elsewhere"
    target.write_text(crypt.attribute_line("rc-0001", "dv") + "\n")
    os.symlink(target, tmp_path / ".gitattributes")
    _client(tmp_path, "rc-0001", MAGIC + b"...")
    assert crypt.restricted_clients(tmp_path) == {}
    assert crypt.locked_clients(tmp_path) == []
