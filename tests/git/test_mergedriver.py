"""The log.yaml merge driver: splitting, three-way merging, and git really using it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import casectl
from casectl.git.mergedriver import main, merge_logs, moved_entries, split_entries
from casectl.git.sync import (
    GITATTRIBUTES_LINE,
    configure_merge_driver,
    ensure_gitattributes,
    merge_driver_command,
)

PROJECT_ROOT = Path(casectl.__file__).resolve().parent.parent

HEADER = "# Progress notes for rc-0001, oldest first. Append only.\n\n"
E1 = (
    "- id: 20260205-1030-jdoe\n"
    "  date: 2026-02-05 10:30\n"
    "  by: jdoe\n"
    "  type: visit\n"
    "  text: |\n"
    "    Met at the shelter.\n"
    "    - this dash is inside the text, not an entry\n"
    "  # a comment that travels with this entry\n"
    "\n"
)
E2 = (
    "- id: 20260210-0900-jdoe\n"
    "  date: 2026-02-10T09:00:00-06:00\n"
    "  by: jdoe\n"
    "  type: phone\n"
    "  text: Called about the voucher.\n"
)
BASE = HEADER + E1 + E2


def note(note_id: str, when: str, text: str = "A note.") -> str:
    return (
        f"- id: {note_id}\n  date: {when}\n  by: jdoe\n  type: note\n  text: {json.dumps(text)}\n"
    )


# ------------------------------------------------------------------ split_entries


def test_split_keeps_header_and_exact_chunks() -> None:
    text = "---\n" + BASE
    result = split_entries(text)
    assert result is not None
    header, entries = result
    assert header == "---\n" + HEADER
    assert entries == [("20260205-1030-jdoe", E1), ("20260210-0900-jdoe", E2)]
    assert header + "".join(chunk for _, chunk in entries) == text


def test_split_handles_indented_list_dash_alone_flow_items_and_crlf() -> None:
    text = "  - id: a\n    date: 2026-01-01\n  -\n    id: b\n  - {id: c, date: 2026-01-02}\n"
    assert split_entries(text) == (
        "",
        [("a", "  - id: a\n    date: 2026-01-01\n"), ("b", "  -\n    id: b\n"),
         ("c", "  - {id: c, date: 2026-01-02}\n")],
    )  # fmt: skip
    crlf = "# c\r\n- id: a\r\n  text: x\r\n- id: b\r\n"
    assert split_entries(crlf) == (
        "# c\r\n",
        [("a", "- id: a\r\n  text: x\r\n"), ("b", "- id: b\r\n")],
    )


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "---\n", "[]\n", "# c\n[]\n"])
def test_split_empty_log_is_all_header(text: str) -> None:
    assert split_entries(text) == (text, [])


@pytest.mark.parametrize(
    "text",
    [
        "[{id: a}, {id: b}]\n",  # flow style
        "id: a\ndate: 2026-01-01\n",  # a mapping, not a list
        "- id: a\n- text: no id here\n",  # an item without an id
        "- id: a\n- id: a\n",  # duplicate ids
        "- id: 12\n",  # an id that is not text
        "- id: a\n  id: b\n",  # two ids in one item
        "- just a string\n",  # an item that is not a mapping
        "- id: a\n  text: [unclosed\n",  # not YAML
        "title: x\n- id: a\n",  # content before the list
        # libyaml lets a quoted string run over a line that looks like a new item
        '- id: a\n  text: "hello\n- id: b"\n',
        "- id: a\n  extra: &x {k: 1}\n- id: b\n  extra: *x\n",  # alias across entries
        "- id: b\n  <<: {x: 1}\n",  # merge key
        "- id: a\n---\n- id: b\n",  # two documents
    ],
)
def test_split_refuses_what_it_cannot_cut_reliably(text: str) -> None:
    assert split_entries(text) is None


# -------------------------------------------------------------------- merge_logs


def test_merge_appends_from_both_sides_sorted_by_date_then_id() -> None:
    late = note("n-late", "2026-03-01 08:00")
    same_b = note("n-b", "2026-02-20 12:00")
    same_a = note("n-a", "2026-02-20 12:00")
    early = note("n-early", "2026-02-07 08:00")  # back-dated: appended last but sorts early
    ours = BASE + same_b + late
    theirs = BASE + same_a + early
    result = merge_logs(BASE, ours, theirs)
    assert result.conflicts == []
    assert result.text == HEADER + E1 + early + E2 + same_a + same_b + late
    data = yaml.safe_load(result.text)
    assert [item["id"] for item in data] == [
        "20260205-1030-jdoe", "n-early", "20260210-0900-jdoe", "n-a", "n-b", "n-late",
    ]  # fmt: skip


def test_entries_of_ours_never_move_even_out_of_date_order() -> None:
    # Ours holds a back-dated note appended last and two notes of the same minute whose
    # ids are not in order: the merge must not reorder them, only slot theirs in.
    tie_2 = note("20260301-1000-mkim", "2026-03-01 10:00")
    tie_1 = note("20260301-1000-jdoe", "2026-03-01 10:00")
    backdated = note("n-back", "2026-02-06 09:00")
    ours = BASE + tie_2 + tie_1 + backdated
    theirs = BASE + note("n-new", "2026-02-28 10:00") + note("n-last", "2026-03-05 10:00")
    result = merge_logs(BASE, ours, theirs)
    assert result.text is not None
    ids = [item["id"] for item in yaml.safe_load(result.text)]
    assert ids == [
        "20260205-1030-jdoe", "20260210-0900-jdoe", "n-new", "20260301-1000-mkim",
        "20260301-1000-jdoe", "n-back", "n-last",
    ]  # fmt: skip
    ours_ids = [i for i in ids if i not in ("n-new", "n-last")]
    assert moved_entries(ours_ids, ids) == []


def test_an_undated_entry_of_ours_is_kept_and_skipped_as_a_landmark() -> None:
    undated = "- id: n-undated\n  by: jdoe\n  type: note\n  text: no date\n"
    result = merge_logs(BASE, BASE + undated, BASE + note("n-1", "2026-02-08 10:00"))
    assert result.text is not None
    ids = [item["id"] for item in yaml.safe_load(result.text)]
    assert ids == ["20260205-1030-jdoe", "n-1", "20260210-0900-jdoe", "n-undated"]


@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_reordering_existing_entries_is_a_conflict(side: str) -> None:
    swapped = HEADER + E2 + E1
    other = BASE + note("n-1", "2026-03-01 10:00")
    ours, theirs = (swapped, other) if side == "ours" else (other, swapped)
    result = merge_logs(BASE, ours, theirs)
    assert result.text is None
    assert result.conflicts == [f"entry 20260210-0900-jdoe was moved on {side}"]


@pytest.mark.parametrize(
    ("before", "after", "moved"),
    [
        ("abcd", "abcd", ""),
        ("abcd", "xaybzcd", ""),  # insertions anywhere move nothing
        ("abcd", "bacd", "b"),
        ("abcd", "dabc", "d"),
        ("abcd", "bcda", "a"),
        ("abcd", "dcba", "dcb"),
        ("abcd", "acd", ""),  # removals are not moves
        ("", "ab", ""),
    ],
)
def test_moved_entries_is_a_minimal_set(before: str, after: str, moved: str) -> None:
    assert "".join(moved_entries(list(before), list(after))) == moved


def test_merge_orders_by_wall_clock_time_as_written() -> None:
    # 09:00 with an offset is compared as 09:00, like the naive times beside it.
    ours = BASE + note("n-2", "2026-02-10 09:01")
    theirs = BASE + note("n-1", "2026-02-10 08:59")
    result = merge_logs(BASE, ours, theirs)
    assert result.text is not None
    ids = [item["id"] for item in yaml.safe_load(result.text)]
    assert ids == ["20260205-1030-jdoe", "n-1", "20260210-0900-jdoe", "n-2"]


def test_identical_additions_appear_once() -> None:
    shared = note("n-shared", "2026-02-11 10:00", "Same note on both sides.")
    result = merge_logs(BASE, BASE + shared, BASE + shared + note("n-x", "2026-02-12 10:00"))
    assert result.text == BASE + shared + note("n-x", "2026-02-12 10:00")


def test_same_id_added_with_different_text_is_a_conflict() -> None:
    result = merge_logs(
        BASE, BASE + note("n-1", "2026-02-11 10:00", "one"), BASE + note("n-1", "2026-02-11 10:00")
    )
    assert result.text is None
    assert result.conflicts == [
        "entry n-1 was added on both sides with different text: two different notes got "
        "the same id; keep both by giving one of them a new id (for example n-1-2)"
    ]


@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_edit_on_either_side_is_a_conflict_naming_the_id(side: str) -> None:
    edited = BASE.replace("Called about the voucher.", "Called about the lease.")
    other = BASE + note("n-1", "2026-03-01 10:00")
    ours, theirs = (edited, other) if side == "ours" else (other, edited)
    result = merge_logs(BASE, ours, theirs)
    assert result.text is None
    assert result.conflicts == [f"entry 20260210-0900-jdoe was changed on {side}"]


@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_removal_on_either_side_is_a_conflict_naming_the_id(side: str) -> None:
    removed = HEADER + E2
    other = BASE + note("n-1", "2026-03-01 10:00")
    ours, theirs = (removed, other) if side == "ours" else (other, removed)
    result = merge_logs(BASE, ours, theirs)
    assert result.text is None
    assert result.conflicts == [f"entry 20260205-1030-jdoe was removed on {side}"]


def test_a_comment_added_inside_an_old_entry_is_an_edit() -> None:
    touched = BASE.replace("  type: phone\n", "  type: phone  # was email\n")
    result = merge_logs(BASE, touched, BASE)
    assert result.conflicts == ["entry 20260210-0900-jdoe was changed on ours"]


def test_edited_on_both_sides_reports_both() -> None:
    edited = BASE.replace("Met at the shelter.", "Met at the library.")
    result = merge_logs(BASE, edited, edited)
    assert result.conflicts == [
        "entry 20260205-1030-jdoe was changed on ours",
        "entry 20260205-1030-jdoe was changed on theirs",
    ]


def test_trailing_whitespace_at_a_chunk_end_is_not_an_edit() -> None:
    base = BASE.rstrip("\n")  # the last entry has no final newline
    ours = base + "\n" + note("n-1", "2026-03-01 10:00")
    theirs = base + "  \n\n" + note("n-2", "2026-03-02 10:00")
    result = merge_logs(base, ours, theirs)
    assert result.text == BASE + note("n-1", "2026-03-01 10:00") + note("n-2", "2026-03-02 10:00")


def test_unsplittable_input_is_refused_naming_the_side() -> None:
    flow = "[{id: 20260205-1030-jdoe, date: 2026-02-05 10:30}]\n"
    result = merge_logs(BASE, BASE, flow)
    assert result.text is None
    assert len(result.conflicts) == 1
    assert result.conflicts[0].startswith("theirs cannot be merged entry by entry: ")


def test_an_entry_without_a_valid_date_cannot_be_placed() -> None:
    result = merge_logs(BASE, BASE, BASE + note("n-1", "sometime in March"))
    assert result.conflicts == [
        "entry n-1 has no valid date, so its place in the log cannot be decided"
    ]


def test_header_is_merged_three_way() -> None:
    n1, n2 = note("n-1", "2026-03-01 10:00"), note("n-2", "2026-03-02 10:00")
    body = E1 + E2
    new_header = "# Progress notes (reviewed)\n"
    only_theirs = merge_logs(BASE, BASE + n1, new_header + body + n2)
    assert only_theirs.text == new_header + body + n1 + n2
    only_ours = merge_logs(BASE, new_header + body + n1, BASE + n2)
    assert only_ours.text == new_header + body + n1 + n2
    both = merge_logs(BASE, "# A\n" + body, "# B\n" + body)
    assert both.conflicts == ["the comments before the first entry were changed on both sides"]


def test_merge_into_an_empty_log() -> None:
    empty = "# Progress notes, oldest first.\n"
    n1, n2 = note("n-1", "2026-03-01 10:00"), note("n-2", "2026-03-02 10:00")
    assert merge_logs(empty, empty + n2, empty + n1).text == empty + n1 + n2
    # both sides created the file (git passes an empty base)
    assert merge_logs("", n2, n1).text == n1 + n2


def test_first_notes_on_both_sides_replace_the_scaffolded_empty_list() -> None:
    comments = "# Progress notes, oldest first. Append with `casectl note`; never edit.\n"
    n1, n2 = note("n-1", "2026-03-01 10:00"), note("n-2", "2026-03-02 10:00")
    result = merge_logs(comments + "[]\n", comments + n2, comments + n1)
    assert result.text == comments + n1 + n2


def test_crlf_logs_merge_and_keep_their_line_endings() -> None:
    base = BASE.replace("\n", "\r\n")
    n1 = note("n-1", "2026-03-01 10:00").replace("\n", "\r\n")
    n2 = note("n-2", "2026-03-02 10:00").replace("\n", "\r\n")
    assert merge_logs(base, base + n2, base + n1).text == base + n1 + n2


# ------------------------------------------------------- property: always the union


@dataclass(frozen=True)
class GenEntry:
    id: str
    when: datetime
    chunk: str


_LINE = (
    st.text(alphabet=st.sampled_from("abcXYZ019 éü中-#:'\",.{}[]&*!|>"), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)


@st.composite
def gen_entry(draw: st.DrawFn, entry_id: str) -> GenEntry:
    when = datetime(2026, 1, 1) + timedelta(minutes=15 * draw(st.integers(0, 40)))
    written = draw(
        st.sampled_from(
            [
                when.strftime("%Y-%m-%d %H:%M"),
                when.strftime("%Y-%m-%dT%H:%M:%S") + draw(st.sampled_from(["-06:00", "Z"])),
                json.dumps(when.strftime("%Y-%m-%d %H:%M")),
            ]
        )
    )
    lines = draw(st.lists(_LINE, min_size=1, max_size=3))
    style = draw(st.integers(0, 2))
    if style == 0:
        body = "  text: |\n" + "".join(f"    {line}\n" for line in lines)
        chunk = f"- id: {entry_id}\n  date: {written}\n  by: jdoe\n{body}"
    elif style == 1:
        chunk = f"-\n  id: {entry_id}\n  date: {written}\n  text: {json.dumps(' '.join(lines))}\n"
    else:
        chunk = f'- {{id: "{entry_id}", date: {written}, text: {json.dumps(lines[0])}}}\n'
    chunk += draw(st.sampled_from(["", "# follow-up planned\n", "\n", "  # aside\n\n"]))
    return GenEntry(entry_id, when, chunk)


@st.composite
def scenario(
    draw: st.DrawFn,
) -> tuple[list[GenEntry], list[GenEntry], list[GenEntry], bool, bool]:
    ids = draw(
        st.lists(st.from_regex(r"n-[a-z0-9]{1,6}", fullmatch=True), unique=True, max_size=14)
    )
    entries = [draw(gen_entry(entry_id)) for entry_id in ids]
    in_order = draw(st.booleans())
    if in_order:  # every version in date order, as valid logs are
        entries.sort(key=lambda e: (e.when, e.id))
    roles = [draw(st.sampled_from(["base", "ours", "theirs", "both"])) for _ in entries]
    base = [e for e, r in zip(entries, roles, strict=True) if r == "base"]
    ours = [e for e, r in zip(entries, roles, strict=True) if r in ("ours", "both")]
    theirs = [e for e, r in zip(entries, roles, strict=True) if r in ("theirs", "both")]
    if not in_order:  # files are in append order, which need not be date order
        base, ours, theirs = (draw(st.permutations(part)) for part in (base, ours, theirs))
    return base, ours, theirs, draw(st.booleans()), in_order


@settings(max_examples=200, deadline=None)
@given(scenario())
def test_appends_on_both_sides_always_merge_to_the_union(
    case: tuple[list[GenEntry], list[GenEntry], list[GenEntry], bool, bool],
) -> None:
    base, ours_new, theirs_new, no_final_newline, in_order = case
    if in_order:  # each side is in date order: its new entries sit among the old ones
        no_final_newline = False

        def side(new: list[GenEntry]) -> str:
            return HEADER + "".join(
                e.chunk for e in sorted([*base, *new], key=lambda e: (e.when, e.id))
            )

        base_text, ours_text, theirs_text = side([]), side(ours_new), side(theirs_new)
    else:  # appended at the end, in any order
        base_text = HEADER + "".join(e.chunk for e in base)
        if no_final_newline and base:
            base_text = base_text.rstrip("\n")
        ours_text = base_text + ("\n" if ours_new and no_final_newline and base else "")
        ours_text += "".join(e.chunk for e in ours_new)
        theirs_text = base_text + ("\n" if theirs_new and no_final_newline and base else "")
        theirs_text += "".join(e.chunk for e in theirs_new)

    result = merge_logs(base_text, ours_text, theirs_text)

    assert result.conflicts == []
    assert result.text is not None
    union = {e.id: e for e in [*base, *ours_new, *theirs_new]}
    split = split_entries(result.text)
    assert split is not None
    header, chunks = split
    assert header == HEADER
    merged_ids = [entry_id for entry_id, _ in chunks]
    assert sorted(merged_ids) == sorted(union)  # every entry, once
    ours_split = split_entries(ours_text)
    assert ours_split is not None
    ours_ids = [entry_id for entry_id, _ in ours_split[1]]
    assert [i for i in merged_ids if i in set(ours_ids)] == ours_ids  # ours never reordered
    if in_order:
        expected = sorted(union.values(), key=lambda e: (e.when, e.id))
        assert merged_ids == [e.id for e in expected]
        # the same merge from the other side gives the same file
        assert merge_logs(base_text, theirs_text, ours_text).text == result.text
    written = {e.id: e.chunk for e in union.values()}
    if no_final_newline and base:  # the last base entry lost its final newline(s)
        written[base[-1].id] = base[-1].chunk.rstrip("\n") + "\n"
    for entry_id, chunk in chunks:
        assert chunk == written[entry_id]  # byte for byte as written
    assert [item["id"] for item in yaml.safe_load(result.text) or []] == merged_ids


# -------------------------------------------------------------------------- main


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_main_writes_the_merge_into_ours(tmp_path: Path) -> None:
    n1, n2 = note("n-1", "2026-03-01 10:00"), note("n-2", "2026-03-02 10:00")
    o = write(tmp_path / "O", BASE)
    a = write(tmp_path / "A", BASE + n2)
    b = write(tmp_path / "B", BASE + n1)
    assert main([str(o), str(a), str(b), "clients/rc-0001/log.yaml"]) == 0
    assert a.read_bytes().decode() == BASE + n1 + n2


def test_main_on_conflict_leaves_ours_and_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = BASE.replace("Met at the shelter.", "Met at home.")
    o = write(tmp_path / "O", BASE)
    a = write(tmp_path / "A", ours)
    b = write(tmp_path / "B", HEADER + E1)
    assert main([str(o), str(a), str(b), "clients/rc-0001/log.yaml"]) == 1
    assert a.read_bytes().decode() == ours
    assert capsys.readouterr().err.splitlines() == [
        "casectl merge: clients/rc-0001/log.yaml: conflict: "
        "entry 20260205-1030-jdoe was changed on ours",
        "casectl merge: clients/rc-0001/log.yaml: conflict: "
        "entry 20260210-0900-jdoe was removed on theirs",
    ]


DEEP_FLOW = note("n-deep", "2026-03-01 10:00") + "  extra: " + "[" * 600 + "]" * 600 + "\n"
DEEP_BLOCK = (
    note("n-deep", "2026-03-01 10:00")
    + "  extra:\n"
    + "".join("  " * (level + 2) + "-\n" for level in range(600))
)


@pytest.mark.parametrize(
    ("deep", "line"), [(DEEP_FLOW, 22), (DEEP_BLOCK, 86)], ids=["flow", "block"]
)
@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_a_deeply_nested_entry_is_a_conflict_with_a_reason(deep: str, line: int, side: str) -> None:
    other = BASE + note("n-1", "2026-02-20 10:00")
    ours, theirs = (BASE + deep, other) if side == "ours" else (other, BASE + deep)
    result = merge_logs(BASE, ours, theirs)
    assert result.text is None
    assert result.conflicts == [
        f"{side} cannot be merged entry by entry: nested more than 64 levels deep (line {line})"
    ]


def test_the_driver_refuses_deep_nesting_without_a_traceback(tmp_path: Path) -> None:
    o = write(tmp_path / "O", BASE)
    a = write(tmp_path / "A", BASE + note("n-1", "2026-02-20 10:00"))
    b = write(tmp_path / "B", BASE + DEEP_FLOW)
    done = subprocess.run(
        [sys.executable, "-m", "casectl", "merge-log", o, a, b, "clients/rc-0001/log.yaml"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert done.returncode == 1
    assert done.stderr == (
        "casectl merge: clients/rc-0001/log.yaml: conflict: theirs cannot be merged entry "
        "by entry: nested more than 64 levels deep (line 22)\n"
    )
    assert a.read_text() == BASE + note("n-1", "2026-02-20 10:00")


def test_main_usage_and_unreadable_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["only-one"]) == 2
    o = write(tmp_path / "O", BASE)
    a = write(tmp_path / "A", BASE)
    (tmp_path / "B").write_bytes(b"- id: \xff\n")
    assert main([str(o), str(a), str(tmp_path / "B"), "log.yaml"]) == 2
    assert "casectl merge: log.yaml: cannot read" in capsys.readouterr().err
    assert a.read_bytes().decode() == BASE


# ---------------------------------------------------------- registration in git


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Jane Doe",
        GIT_AUTHOR_EMAIL="jane.doe@example.org",
        GIT_COMMITTER_NAME="Jane Doe",
        GIT_COMMITTER_EMAIL="jane.doe@example.org",
        GIT_AUTHOR_DATE="2026-03-01T12:00:00+00:00",
        GIT_COMMITTER_DATE="2026-03-01T12:00:00+00:00",
        GIT_EDITOR="true",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return env


def run_git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=git_env(repo.parent), capture_output=True, text=True
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


LOG = Path("clients/rc-0001/log.yaml")


def make_repo(tmp_path: Path, driver: bool = True) -> Path:
    repo = tmp_path / "agency"
    (repo / LOG.parent).mkdir(parents=True)
    run_git(repo, "init", "-q", "-b", "main")
    run_git(repo, "config", "user.name", "Jane Doe")
    run_git(repo, "config", "user.email", "jane.doe@example.org")
    if driver:
        configure_merge_driver(repo)
        assert ensure_gitattributes(repo)
    write(repo / LOG, BASE)
    run_git(repo, "add", ".")
    run_git(repo, "commit", "-q", "-m", "first notes")
    return repo


def commit_on_branch(repo: Path, branch: str, text: str, start: str = "main") -> None:
    run_git(repo, "checkout", "-q", "-b", branch, start)
    write(repo / LOG, text)
    run_git(repo, "commit", "-q", "-am", f"notes on {branch}")


N_ANA = note("20260301-1000-ana", "2026-03-01 10:00", "Ana's home visit.")
N_BEN = note("20260302-0900-ben", "2026-02-28 09:00", "Ben's phone call, entered late.")


def test_configure_and_gitattributes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    driver = run_git(repo, "config", "--get", "merge.casectl-log.driver").stdout.strip()
    assert driver == merge_driver_command()
    assert driver == f"{shlex.quote(sys.executable)} -m casectl merge-log %O %A %B %P"
    name = run_git(repo, "config", "--get", "merge.casectl-log.name").stdout.strip()
    assert name == "casectl log merge (append-only notes)"
    attr = run_git(repo, "check-attr", "merge", "--", str(LOG)).stdout.strip()
    assert attr == f"{LOG}: merge: casectl-log"
    assert not ensure_gitattributes(repo)
    assert (repo / ".gitattributes").read_text().count(GITATTRIBUTES_LINE) == 1


def test_gitattributes_appended_after_existing_lines(tmp_path: Path) -> None:
    (tmp_path / ".gitattributes").write_text("*.yaml text eol=lf")  # no final newline
    assert ensure_gitattributes(tmp_path)
    assert (tmp_path / ".gitattributes").read_text() == (
        f"*.yaml text eol=lf\n{GITATTRIBUTES_LINE}\n"
    )


def test_without_the_driver_git_conflicts(tmp_path: Path) -> None:
    # The control: plain git cannot merge two appends, so the tests below mean something.
    repo = make_repo(tmp_path, driver=False)
    commit_on_branch(repo, "ana", BASE + N_ANA)
    commit_on_branch(repo, "ben", BASE + N_BEN)
    assert run_git(repo, "merge", "--no-edit", "ana", check=False).returncode != 0
    assert "<<<<<<<" in (repo / LOG).read_text()


def test_git_merge_uses_the_driver(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    commit_on_branch(repo, "ana", BASE + N_ANA)
    commit_on_branch(repo, "ben", BASE + N_BEN)
    run_git(repo, "merge", "--no-edit", "ana")
    merged = (repo / LOG).read_text()
    assert merged == BASE + N_BEN + N_ANA
    assert run_git(repo, "status", "--porcelain").stdout == ""


def test_git_rebase_uses_the_driver(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    commit_on_branch(repo, "ana", BASE + N_ANA)
    commit_on_branch(repo, "ben", BASE + N_BEN)
    run_git(repo, "rebase", "ana")
    assert (repo / LOG).read_text() == BASE + N_BEN + N_ANA
    log = run_git(repo, "log", "--format=%s").stdout.splitlines()
    assert log == ["notes on ben", "notes on ana", "first notes"]


def test_git_merge_of_an_edited_entry_is_a_conflict(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    edited = BASE.replace("Called about the voucher.", "Called about the lease.")
    commit_on_branch(repo, "edit", edited)
    commit_on_branch(repo, "ben", BASE + N_BEN)
    done = run_git(repo, "merge", "--no-edit", "edit", check=False)
    assert done.returncode != 0
    assert (
        f"casectl merge: {LOG}: conflict: entry 20260210-0900-jdoe was changed on theirs"
        in done.stderr
    )
    assert (repo / LOG).read_text() == BASE + N_BEN  # ours, untouched, no markers
    unmerged = run_git(repo, "diff", "--name-only", "--diff-filter=U").stdout.split()
    assert unmerged == [str(LOG)]
