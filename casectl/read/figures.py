"""Every client's typed records, as they stood at the end of the run's as-of day: the
read path of ``stats``, ``export`` and ``search`` (contract 5.2, 5.4).

``client_records(ctx)`` reads each client once (``store.records.read_client`` and
``checks.check_client``, the loader and checks every command shares), keeps what is
valid in its files and yields it as :class:`casectl.figures.ClientRecords`, one client
at a time (memory stays flat: ``export`` streams them).

The as-of view is ``read.asof.checked_as_of``, applied to each client as it is read.

A client whose client.yaml cannot be read has no records to count: it is left out and
named in ``Skipped`` so the command can say so on stderr (never silently).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from casectl.checks import CheckedClient, check_client
from casectl.core.context import RunContext
from casectl.core.model import AssessmentFile, Plan
from casectl.figures import ClientRecords
from casectl.read.agency import refuse_link
from casectl.read.asof import checked_as_of, past
from casectl.store import layout, load, records, restricted


@dataclass
class Skipped:
    """The clients left out: their client.yaml has errors (``ids``), or they are
    restricted clients this clone has no key for (``locked``, contract 5.6)."""

    ids: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What to say on stderr about them (nothing when none was left out)."""
        said = [] if (m := self.message()) is None else [f"warning: {m}"]
        if self.locked:
            said.append(restricted.locked_message(len(self.locked)))
        return said

    def message(self) -> str | None:
        if not self.ids:
            return None
        n = len(self.ids)
        shown = ", ".join(self.ids[:5]) + (", ..." if n > 5 else "")
        return (
            f"{n} client{'s' if n != 1 else ''} left out: client.yaml has errors ({shown}); "
            "run `casectl validate`"
        )


def records_of(check: CheckedClient) -> ClientRecords | None:
    """The valid part of a checked client's files (None without a valid client.yaml)."""
    if check.client is None:
        return None
    return ClientRecords(
        client=check.client,
        assessments=check.assessments or AssessmentFile(),
        plan=check.plan or Plan(),
        log=tuple(check.log),
    )


def client_records(
    ctx: RunContext,
    only: Iterable[str] | None = None,
    skipped: Skipped | None = None,
    log_filter: Callable[[bytes], bool] | None = None,
) -> Iterator[ClientRecords]:
    """Every client's records (``only``: these ids), in id order, as of ``ctx.as_of``.

    ``log_filter`` (``search``): given the bytes of a client's log.yaml, False when
    nothing in it can be wanted; such a client is not parsed or checked at all (a
    log.yaml that cannot be read as a regular file always is)."""
    if (ctx.root / "clients").is_symlink():
        refuse_link(False, "clients")
    ids = layout.client_ids(ctx.root)
    if only is not None:
        wanted = set(only)
        ids = [cid for cid in ids if cid in wanted]
    env = ctx.env
    day = past(ctx)
    base = ctx.root / "clients"
    locked = set(restricted.locked_clients(ctx.root))
    for cid in ids:
        if not (base / cid).is_dir():
            continue  # a stray file (validate warns, CM605)
        if cid in locked:  # ciphertext here: never parsed, counted instead
            if skipped is not None:
                skipped.locked.append(cid)
            continue
        if log_filter is not None:
            raw = load.read_regular(base / cid / "log.yaml")
            if isinstance(raw, bytes) and not log_filter(raw):
                continue
        fresh = check_client(records.read_client(ctx.root, cid), env)
        check = checked_as_of(fresh, ctx.agency, day)
        if check is None:
            continue  # opened after the as-of day
        found = records_of(check)
        if found is None:
            if skipped is not None:
                skipped.ids.append(cid)
            continue
        yield found
