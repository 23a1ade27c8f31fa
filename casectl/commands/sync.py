"""``casectl sync [--remote R] [--branch B] [--timeout S] [--accept-rewrite]``: pull
(rebase) and push the agency repo.

What a careful git user would do by hand, made safe for people who are not:

1. refuse (exit 2) while case files have uncommitted changes: sync commits nothing;
2. make sure this clone uses casectl's log merge driver (a plain ``git clone`` does
   not copy git config);
3. fetch; stop (exit 1) when the remote branch no longer holds the commit sync last
   saw there (a force-push rewrote it: the vanished commits are named; nothing is
   re-pushed), and when the incoming commits change notes that already existed (the
   audit's findings are listed; nothing changes in this clone), unless the user
   accepts either with ``--accept-rewrite``;
4. stop (exit 1) when the local commits change notes that already existed;
5. rebase local commits onto the remote branch: the merge driver joins notes added on
   both sides; on a real conflict the rebase is aborted, the clone is left exactly as
   it was, the files are named and nothing is pushed (exit 1);
6. validate the result: errors are shown and nothing is pushed (exit 1);
7. push (fast-forward only). If someone pushed in between, wait a little (jittered,
   doubling each time) and start again from 3, until the time budget (``--timeout``,
   60 s) is spent (exit 2: nothing lost, run sync again).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from casectl.commands._common import agency_context
from casectl.core.model import CLIENT_ID_RE
from casectl.errors import CasectlError
from casectl.git import guards, mergedriver
from casectl.git import run as gitrun
from casectl.git import sync as gitsync
from casectl.git.audit import Finding, audit_revisions
from casectl.present.audit import finding_line
from casectl.present.output import Output
from casectl.present.problems import problem_line
from casectl.read.scan import scan
from casectl.store import layout
from casectl.store.restricted import MAGIC

DEFAULT_TIMEOUT = 60.0  # seconds for all fetch-rebase-push rounds together
BACKOFF_FIRST = 0.1  # seconds to wait after the first rejected push (then doubled)
# Never wait longer than this between two rounds: a clone that has waited long must not
# lose every race to colleagues who just started syncing (their first pauses are short).
BACKOFF_MAX = 1.0
_CASE_SUFFIXES = (".yaml", ".yml")


def run(
    out: Output,
    directory: Path | None,
    remote: str,
    branch: str | None,
    timeout: float = DEFAULT_TIMEOUT,
    accept_rewrite: bool = False,
) -> int:
    if not timeout >= 0:  # also refuses NaN
        raise CasectlError(f"--timeout: give a number of seconds, 0 or more (not {timeout:g})")
    ctx = agency_context(directory, out=out)
    root = ctx.root
    busy = guards.operation_in_progress(root)
    if busy:
        raise CasectlError(
            f"{busy} is in progress in this clone; finish it (git status says how) "
            "or abort it, then run casectl sync again"
        )
    if gitrun.resolve_commit(root, "HEAD") is None:
        raise CasectlError("this clone has no commit yet; nothing to sync")
    branch = branch or gitsync.current_branch(root)
    if branch is None:
        raise CasectlError("HEAD is detached (not on a branch); check out a branch or use --branch")
    if gitsync.remote_url(root, remote) is None:
        raise CasectlError(
            f"no remote named {remote!r}; add the shared repository with "
            f"`git remote add {remote} URL`, or name another with --remote"
        )
    changes = guards.work_tree_changes(root)
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
    syncer = _Sync(out, directory, root, remote, branch, autostash, accept_rewrite)
    return syncer.run(timeout)


class _Sync:
    """One ``casectl sync``: rounds of fetch, checks, rebase, validate and push."""

    def __init__(
        self,
        out: Output,
        directory: Path | None,
        root: Path,
        remote: str,
        branch: str,
        autostash: bool,
        accept_rewrite: bool,
    ) -> None:
        self.out = out
        self.directory = directory
        self.root = root
        self.remote = remote
        self.branch = branch
        self.autostash = autostash
        self.accept_rewrite = accept_rewrite
        self.upstream = f"refs/remotes/{remote}/{branch}"
        self.seen_ref = gitsync.last_seen_ref(remote, branch)
        self.pulled = 0
        self.audited: str | None = None  # HEAD when its outgoing commits were last audited
        self.unchecked: set[str] = set()  # restricted logs the guard could not read (said)

    @property
    def where(self) -> str:
        return f"{self.remote}/{self.branch}"

    def run(self, timeout: float) -> int:
        began = time.monotonic()
        seen = gitrun.resolve_commit(self.root, self.seen_ref)
        if seen is None:
            # Never synced here: what `git clone` (or a fetch) last saw is the start.
            seen = gitrun.resolve_commit(self.root, self.upstream)
            if seen is not None:
                gitsync.set_ref(self.root, self.seen_ref, seen)
        tries = 0
        while True:
            tries += 1
            outcome = self._round(seen)
            if isinstance(outcome, int):
                return outcome
            seen = outcome  # the push was rejected: someone pushed in between
            delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (tries - 1)) * random.uniform(0.5, 1)
            spent = time.monotonic() - began
            if spent + delay > timeout:
                raise CasectlError(
                    f"{self.where} kept changing while syncing ({tries} "
                    f"{'try' if tries == 1 else 'tries'} in {spent:.0f} s, --timeout "
                    f"{timeout:g}); nothing is lost: run casectl sync again later, or allow "
                    "more time with --timeout SECONDS"
                )
            time.sleep(delay)

    def _round(self, seen: str | None) -> int | str | None:
        """One fetch-rebase-push round: an exit code, or (push rejected) what the remote
        branch held, to start the next round from."""
        gitsync.fetch(self.root, self.remote)
        remote_head = gitrun.resolve_commit(self.root, self.upstream)
        replay_after = remote_head
        if seen is not None and (
            remote_head is None or not gitsync.is_ancestor(self.root, seen, remote_head)
        ):
            if not self.accept_rewrite:
                self._report_rewrite(seen, remote_head)
                return 1
            self.out.warn(
                f"accepted the rewritten history of {self.where} (--accept-rewrite): "
                f"only this clone's commits made since {seen[:12]} are replayed onto it"
            )
            replay_after = seen
        incoming = 0
        if remote_head is not None:
            incoming = gitsync.count_commits(self.root, remote_head, exclude="HEAD")
            if incoming and not self.accept_rewrite:
                audited = audit_revisions(self.root, [remote_head, "^HEAD"])
                if audited.findings:
                    self._report_findings(audited.findings, incoming=True)
                    return 1
                self._report_unchecked(audited.unchecked)
        # --accept-rewrite accepts what the remote held at this fetch, not whatever
        # else someone pushes while this sync retries.
        self.accept_rewrite = False
        if remote_head is not None:
            gitsync.set_ref(self.root, self.seen_ref, remote_head)
        else:
            gitsync.delete_ref(self.root, self.seen_ref)
        if self._outgoing_rewrites(replay_after):
            return 1
        if remote_head is not None and (incoming or replay_after != remote_head):
            # Notes replayed in this process (a few git calls per commit); git's own
            # rebase, with the merge driver, for anything else: other uncommitted
            # files, a conflict to report, a merge commit.
            replayed = None
            if not self.autostash:
                cache = mergedriver.MergeCache()  # each version read once in the series
                replayed = gitsync.replay(
                    self.root,
                    remote_head,
                    replay_after or remote_head,
                    lambda path, base, ours, theirs: merge_log(
                        path, base, ours, theirs, cache, root=self.root
                    ),
                )
            if replayed is not None:
                # Each replayed commit adds to its new parent what it added to its old
                # one (audited above): a log merge keeps every entry of the remote's
                # version as it is. Nothing for a second audit to find.
                self.audited = replayed
            else:
                rebased = gitsync.rebase(
                    self.root,
                    remote_head,
                    autostash=self.autostash,
                    since=replay_after if replay_after != remote_head else None,
                )
                if not rebased.ok:
                    _report_conflict(self.out, rebased, self.remote, self.branch, self.pulled)
                    return 1
            self.pulled += incoming
            if self._outgoing_rewrites(remote_head):
                return 1
        errors = _validation_errors(self.directory)
        if errors:
            _report_invalid(self.out, errors, self.pulled)
            return 1
        outgoing = gitsync.count_commits(self.root, "HEAD", exclude=remote_head)
        if not outgoing:
            self.out.line(summary_line(self.pulled, 0))
            return 0
        pushed = gitsync.push(self.root, self.remote, self.branch)
        if pushed.ok:
            head = gitrun.resolve_commit(self.root, "HEAD")
            if head is not None:
                gitsync.set_ref(self.root, self.seen_ref, head)
            new_branch = (
                f" (new branch {self.branch} on {self.remote})" if remote_head is None else ""
            )
            self.out.line(summary_line(self.pulled, outgoing) + new_branch)
            return 0
        if not pushed.rejected:
            raise CasectlError(f"push to {self.remote} failed: {pushed.message}")
        return remote_head

    def _outgoing_rewrites(self, base: str | None) -> bool:
        """Report (and return True) when a local commit after ``base`` changes notes
        that already existed. A retry after a rejected push skips the audit: the commits
        were audited on top of an earlier remote head, and the new one only adds."""
        head = gitrun.resolve_commit(self.root, "HEAD")
        if head is not None and head == self.audited:
            return False
        found = audit_revisions(self.root, ["HEAD", f"^{base}"] if base else ["HEAD"]).findings
        if found:
            self._report_findings(found, incoming=False)
            return True
        self.audited = head
        return False

    def _report_unchecked(self, clients: list[str]) -> None:
        """Restricted logs the incoming commits change that this clone cannot read: not
        checked by the guard (contract 5.6), said once per sync."""
        new = [c for c in clients if c not in self.unchecked]
        if not new:
            return
        self.unchecked.update(new)
        self.out.warn(
            f"not checked: the incoming commits change the log of {_list(new)}, restricted "
            "and locked here (no key for their group in this clone); a member of the group "
            "checks them with casectl audit"
        )

    def _report_findings(self, found: list[Finding], incoming: bool) -> None:
        for finding in found:
            self.out.line(finding_line(finding))
        commits = len({f.commit for f in found})
        if incoming:
            self.out.error(
                f"sync stopped: {commits} new commit{'s' if commits != 1 else ''} on "
                f"{self.where} {'change' if commits != 1 else 'changes'} notes that already "
                "existed (above); nothing changed in this clone and nothing was pushed. "
                "Notes are never edited: ask whoever made them (casectl audit lists them). "
                "If the agency agreed to the change, accept it with "
                "`casectl sync --accept-rewrite`"
            )
        else:
            done = f"pulled {_commits(self.pulled)}; " if self.pulled else ""
            self.out.error(
                f"{done}not pushed: {commits} of your commits "
                f"{'change' if commits != 1 else 'changes'} notes that already existed "
                "(above). Notes are never edited: take the change back (git revert COMMIT, "
                "or git reset for commits never shared) and write the correction as a new "
                "note (casectl note ID --amends NOTE_ID); then run casectl sync again"
            )

    def _report_rewrite(self, seen: str, remote_head: str | None) -> None:
        lines = gitsync.commit_lines(self.root, seen, remote_head)
        count = len(lines)
        state = f"now holds {remote_head[:12]}" if remote_head is not None else "no longer exists"
        self.out.error(
            f"sync stopped: the history of {self.where} was rewritten (a force-push): "
            f"{count} commit{'s' if count != 1 else ''} this clone saw there "
            f"{'are' if count != 1 else 'is'} gone, and the branch {state}. Nothing was "
            "pushed and nothing changed in this clone."
        )
        for line in lines[:20]:
            commit, _, rest = line.partition(" ")
            self.out.stderr.write(f"  gone: {commit[:12]} {rest}\n")
        if count > 20:
            self.out.stderr.write(f"  ... and {count - 20} more\n")
        purged = purged_by_rewrite(self.root, seen, remote_head)
        if purged:
            url = gitsync.remote_url(self.root, self.remote) or "URL"
            self.out.stderr.write(
                f"The rewrite removed the purged client{'s' if len(purged) != 1 else ''} "
                f"{_list(purged)} from all history (casectl purge, then git filter-repo). "
                "This clone still holds their files in its objects: do not use\n"
                "--accept-rewrite here (it would keep them, and a later push could bring them\n"
                "back). Clone afresh instead, then delete this clone:\n"
                f"  git clone {url} NEW-FOLDER\n"
                "  (then `git-crypt unlock KEYFILE` there, where restricted clients are used)\n"
                "Commits of yours not pushed yet are listed by\n"
                f"  git log {self.seen_ref}..HEAD\n"
                'redo them in the new clone (docs/security.md, "Retention and purge").\n'
            )
            self.out.stderr.flush()
            return
        self.out.stderr.write(
            "Ask the agency's administrator whether the rewrite was deliberate (a purge, a\n"
            "correction of history). If it was, accept it with\n"
            "  casectl sync --accept-rewrite     # replays only this clone's own new commits\n"
            "If it was not, the vanished commits are still in this clone, under\n"
            f'{self.seen_ref}: see docs/collaboration.md ("When sync says the history was\n'
            'rewritten") for how to put them back.\n'
        )
        self.out.stderr.flush()


def purged_by_rewrite(root: Path, seen: str, remote_head: str | None) -> list[str]:
    """The clients a history rewrite of the remote removed after their purge: a commit
    this clone saw there (``seen`` and its history, gone from ``remote_head``) or one
    the remote holds carries ``Casectl-Purge: ID``, and the remote's history no longer
    holds ``clients/ID/`` at all."""
    ranges = [[seen, f"^{remote_head}"], [remote_head]] if remote_head else [[seen]]
    named: set[str] = set()
    for revs in ranges:
        done = gitrun.run_git(
            root, "log", "-i", "-E", "--grep=^casectl-purge:",
            "--format=%(trailers:key=Casectl-Purge,valueonly,separator=%x00)",
            *revs, "--", check=False,
        )  # fmt: skip
        text = done.stdout.decode("utf-8", "replace")
        named.update(v.strip() for v in text.replace("\n", "\0").split("\0") if v.strip())
    gone = []
    for cid in sorted(c for c in named if CLIENT_ID_RE.fullmatch(c)):
        if remote_head is not None:
            still = gitrun.run_git(
                root, "log", "-1", "--format=%H", remote_head, "--", f"clients/{cid}/",
                check=False,
            )  # fmt: skip
            if still.stdout.strip():
                continue
        gone.append(cid)
    return gone


def merge_log(
    path: str,
    base: bytes,
    ours: bytes,
    theirs: bytes,
    cache: mergedriver.MergeCache | None = None,
    root: Path | None = None,
) -> bytes | None:
    """The log merge driver's merge of one file both sides changed, in this process;
    None for any other file, or when the driver would refuse (git's rebase then runs
    the driver itself and reports why). A restricted client's log (git-crypt blobs)
    is decrypted and the merge encrypted again with the group's key, where ``root``
    holds it, exactly as the driver does."""
    if not _is_log(path):
        return None
    group: str | None = None
    sides = [base, ours, theirs]
    if any(raw.startswith(MAGIC) for raw in sides):
        if root is None:
            return None
        from casectl.vault import crypt

        opened = crypt.open_for_merge(root, path, sides)
        if isinstance(opened, str):
            return None
        sides, group = opened
    try:
        old, mine, other = (raw.decode("utf-8") for raw in sides)
    except UnicodeDecodeError:
        return None
    merged = mergedriver.merge_logs(old, mine, other, cache)
    if merged.text is None:
        return None
    if group is None:
        return merged.text.encode("utf-8")
    from casectl.vault import crypt

    return crypt.encrypt(root or Path.cwd(), merged.text.encode("utf-8"), group)


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
    return path == layout.CONFIG_NAME or path.startswith("clients/")


def uncommitted_case_files(changes: list[guards.TreeChange]) -> list[str]:
    """Case files with uncommitted changes: modified, staged, deleted, or new YAML
    files under clients/ that were never committed."""
    return sorted(
        change.path
        for change in changes
        if is_case_path(change.path)
        and (not change.untracked or change.path.endswith(_CASE_SUFFIXES))
    )


def _ensure_merge_driver(out: Output, root: Path) -> None:
    setting = gitsync.merge_driver_setting(root)
    if setting is None or _stale(setting):
        gitsync.configure_merge_driver(root)
        out.line("registered casectl's log merge driver in this clone (.git/config)")
    if gitsync.merge_attribute(root) != gitsync.MERGE_DRIVER:
        out.warn(
            ".gitattributes does not route clients/*/log.yaml to the merge driver: "
            f"add the line '{gitsync.GITATTRIBUTES_LINE}' to .gitattributes and commit it "
            "(sync commits nothing itself); meanwhile this clone uses .git/info/attributes"
        )
        gitsync.add_local_attributes(root)


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
    return [problem_line(p) for p in problems if p.severity == "error"]


def _report_conflict(
    out: Output, outcome: gitsync.RebaseOutcome, remote: str, branch: str, pulled: int
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
    logs = [path for path in outcome.conflicts if _is_log(path)]
    others = [path for path in outcome.conflicts if not _is_log(path)]
    lines = [
        "Nothing was pushed, and this clone is exactly as it was before sync.",
        "To combine the changes by hand:",
        f"  git pull --rebase {where}     # stops at the conflicting files",
    ]
    if others or not logs:
        lines.append(
            "  edit each file named above so it keeps both changes (remove the <<<<<<< ======= "
            ">>>>>>> lines)"
        )
    for log in logs:
        lines += [
            f"  {log} is a log: git leaves no <<<<<<< markers in it (the merge driver",
            f"  refused, for the reason above); it holds the version of {remote}/{branch}:",
            f"  copy your new notes into it from `git show :3:{log}`, keep every",
            "  old note as it is, give a note whose id is taken a new id (e.g. ID-2), and",
            "  write a correction as a new amendment note",
        ]
    lines += [
        "  git add FILE... && git rebase --continue",
        "  casectl validate && casectl sync",
        "Or talk to whoever made the other change first (git log -p "
        f"{remote}/{branch} -- FILE shows who).",
    ]
    out.stderr.write("".join(line + "\n" for line in lines))
    if pulled:  # an earlier round already rebased: say what did happen
        out.stderr.write(f"(earlier in this sync: pulled {_commits(pulled)})\n")
    out.stderr.flush()


def _is_log(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 3 and parts[0] == "clients" and parts[2] == "log.yaml"


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
