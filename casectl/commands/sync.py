"""``casectl sync [--remote R] [--branch B]``: pull (rebase) and push the agency repo.

What a careful git user would do by hand, made safe for people who are not:

1. refuse (exit 2) while case files have uncommitted changes: sync commits nothing;
2. make sure this clone uses casectl's log merge driver (a plain ``git clone`` does
   not copy git config);
3. fetch, then rebase local commits onto the remote branch: the merge driver joins
   notes added on both sides; on a real conflict the rebase is aborted, the clone is
   left exactly as it was, the files are named and nothing is pushed (exit 1);
4. validate the result: errors are shown and nothing is pushed (exit 1);
5. push (fast-forward only). If someone pushed in between, start again from 3.
"""

from __future__ import annotations

from pathlib import Path

from casectl import render, repo
from casectl.agency import scan
from casectl.commands._common import agency_context
from casectl.errors import CasectlError
from casectl.output import Output

ATTEMPTS = 5  # fetch-rebase-push rounds when others keep pushing in between
_CASE_SUFFIXES = (".yaml", ".yml")


def run(out: Output, directory: Path | None, remote: str, branch: str | None) -> int:
    ctx = agency_context(directory, out=out)
    root = ctx.root
    busy = repo.operation_in_progress(root)
    if busy:
        raise CasectlError(
            f"{busy} is in progress in this clone; finish it (git status says how) "
            "or abort it, then run casectl sync again"
        )
    if repo.resolve_commit(root, "HEAD") is None:
        raise CasectlError("this clone has no commit yet; nothing to sync")
    branch = branch or repo.current_branch(root)
    if branch is None:
        raise CasectlError("HEAD is detached (not on a branch); check out a branch or use --branch")
    if repo.remote_url(root, remote) is None:
        raise CasectlError(
            f"no remote named {remote!r}; add the shared repository with "
            f"`git remote add {remote} URL`, or name another with --remote"
        )
    changes = repo.work_tree_changes(root)
    dirty = uncommitted_case_files(changes)
    if dirty:
        raise CasectlError(
            f"uncommitted changes to case files: {_list(dirty)}; sync commits nothing itself: "
            "commit them (git add + git commit) or undo them, then run casectl sync again"
        )
    _ensure_merge_driver(out, root)
    # Other tracked files (say a template being edited) are set aside by git during
    # the rebase and put back afterwards.
    autostash = any(not change.untracked for change in changes)
    return _sync(out, directory, root, remote, branch, autostash)


def _sync(
    out: Output, directory: Path | None, root: Path, remote: str, branch: str, autostash: bool
) -> int:
    upstream = f"refs/remotes/{remote}/{branch}"
    pulled = 0
    for _ in range(ATTEMPTS):
        repo.fetch(root, remote)
        remote_head = repo.resolve_commit(root, upstream)
        if remote_head is not None:
            incoming = repo.count_commits(root, remote_head, exclude="HEAD")
            if incoming:
                outcome = repo.rebase(root, remote_head, autostash=autostash)
                if not outcome.ok:
                    _report_conflict(out, outcome, remote, branch, pulled)
                    return 1
                pulled += incoming
        errors = _validation_errors(directory)
        if errors:
            _report_invalid(out, errors, pulled)
            return 1
        outgoing = repo.count_commits(root, "HEAD", exclude=remote_head)
        if not outgoing:
            out.line(summary_line(pulled, 0))
            return 0
        pushed = repo.push(root, remote, branch)
        if pushed.ok:
            new_branch = f" (new branch {branch} on {remote})" if remote_head is None else ""
            out.line(summary_line(pulled, outgoing) + new_branch)
            return 0
        if not pushed.rejected:
            raise CasectlError(f"push to {remote} failed: {pushed.message}")
        # Someone pushed since our fetch: fetch and rebase again.
    raise CasectlError(
        f"{remote}/{branch} kept changing while syncing ({ATTEMPTS} tries); "
        "nothing is lost: run casectl sync again"
    )


def summary_line(pulled: int, pushed: int) -> str:
    """``pulled 3 commits, pushed 2`` (or ``already up to date``)."""
    if not pulled and not pushed:
        return "already up to date"
    parts = []
    if pulled:
        parts.append(f"pulled {_commits(pulled)}")
    if pushed:
        parts.append(f"pushed {pushed}" if pulled else f"pushed {_commits(pushed)}")
    elif pulled:
        parts.append("nothing to push")
    return ", ".join(parts)


def is_case_path(path: str) -> bool:
    return path == repo.CONFIG_NAME or path.startswith("clients/")


def uncommitted_case_files(changes: list[repo.TreeChange]) -> list[str]:
    """Case files with uncommitted changes: modified, staged, deleted, or new YAML
    files under clients/ that were never committed."""
    return sorted(
        change.path
        for change in changes
        if is_case_path(change.path)
        and (not change.untracked or change.path.endswith(_CASE_SUFFIXES))
    )


def _ensure_merge_driver(out: Output, root: Path) -> None:
    setting = repo.merge_driver_setting(root)
    if setting is None or _stale(setting):
        repo.configure_merge_driver(root)
        out.line("registered casectl's log merge driver in this clone (.git/config)")
    if repo.merge_attribute(root) != repo.MERGE_DRIVER:
        out.warn(
            ".gitattributes does not route clients/*/log.yaml to the merge driver: "
            f"add the line '{repo.GITATTRIBUTES_LINE}' to .gitattributes and commit it "
            "(sync commits nothing itself); meanwhile this clone uses .git/info/attributes"
        )
        repo.add_local_attributes(root)


def _stale(setting: str) -> bool:
    """True when the registered driver runs a Python that no longer exists (a moved or
    deleted virtual environment): git would then fail every log merge."""
    import shlex

    try:
        program = shlex.split(setting)[0]
    except (ValueError, IndexError):
        return True
    return Path(program).is_absolute() and not Path(program).exists()


def _validation_errors(directory: Path | None) -> list[str]:
    # Read the agency afresh: the rebase may have changed casectl.yaml too.
    ctx = agency_context(directory)
    problems = scan(ctx).problems()
    return [render.problem_line(p) for p in problems if p.severity == "error"]


def _report_conflict(
    out: Output, outcome: repo.RebaseOutcome, remote: str, branch: str, pulled: int
) -> None:
    if outcome.conflicts:
        out.error(
            "sync stopped: your commits and the ones on "
            f"{remote}/{branch} both change {_list(outcome.conflicts)}"
        )
    else:
        out.error(f"sync stopped: git could not replay your commits on {remote}/{branch}")
    for message in outcome.messages:
        out.stderr.write(f"  {message}\n")
    where = f"{remote} {branch}"
    out.stderr.write(
        "Nothing was pushed, and this clone is exactly as it was before sync.\n"
        "To combine the changes by hand:\n"
        f"  git pull --rebase {where}     # stops at the conflicting files\n"
        "  edit each file named above so it keeps both changes (remove the <<<<<<< ======= "
        ">>>>>>> lines; for a log, add a new amendment note instead of editing an old one)\n"
        "  git add FILE... && git rebase --continue\n"
        "  casectl validate && casectl sync\n"
        "Or talk to whoever made the other change first (git log -p "
        f"{remote}/{branch} -- FILE shows who).\n"
    )
    if pulled:  # an earlier round already rebased: say what did happen
        out.stderr.write(f"(earlier in this sync: pulled {_commits(pulled)})\n")
    out.stderr.flush()


def _report_invalid(out: Output, errors: list[str], pulled: int) -> None:
    for line in errors:
        out.line(line)
    done = f"pulled {_commits(pulled)}; " if pulled else ""
    out.error(
        f"{done}not pushed: the records have {len(errors)} validation "
        f"error{'s' if len(errors) != 1 else ''} (above); fix them, commit, "
        "and run casectl sync again"
    )


def _commits(n: int) -> str:
    return f"{n} commit{'s' if n != 1 else ''}"


def _list(paths: tuple[str, ...] | list[str], limit: int = 10) -> str:
    shown = ", ".join(paths[:limit])
    more = len(paths) - limit
    return shown + (f" and {more} more" if more > 0 else "")
