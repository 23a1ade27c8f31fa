"""log.yaml rules (CM4xx).

| code | rule |
|---|---|
| CM402 | the file is a list of entries (`- id: ...`) |
| CM420 | note ids are unique in the log |
| CM421 | notes are oldest first (`recorded` where present, else `date`) |
| CM422 | no note is dated in the future |
| CM423 | `by` is a key of casectl.yaml `managers` (when that list exists) |
| CM424 | `amends` names an earlier entry of the same log |
| CM425 | `amends` appears only on entries of type `amendment` |
| CM426 | an `amendment` names the entry it corrects with `amends` |
| CM427 | `to` appears only on `referral` and `transfer` entries (warning) |
| CM428 | a note is not dated before the case was opened (warning) |
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from casectl.checks import schema
from casectl.checks.result import CheckedClient
from casectl.core.context import Env
from casectl.core.model import Agency, Client, LogEntry, describe
from casectl.core.problems import Problem
from casectl.store.load import Loaded


def _local(moment: datetime, zone: tzinfo | None) -> datetime:
    if moment.tzinfo is None:
        return moment  # nearly every note time: no copy (40 per client)
    if zone is not None:
        return moment.astimezone(zone).replace(tzinfo=None)
    return moment.replace(tzinfo=None)


# Keys that belong to some entry types only (CM425 error, CM427 warning), and keys some
# types must have (CM426). `casectl note` reads these to refuse an option early.
ONLY_ON: dict[str, tuple[str, ...]] = {"amends": ("amendment",), "to": ("referral", "transfer")}
REQUIRED_ON: dict[str, str] = {"amendment": "amends"}


def check(
    loaded: Loaded,
    entries: list[tuple[int, LogEntry]],
    client: Client | None,
    agency: Agency,
    today: date,
    zone: tzinfo | None,
) -> list[Problem]:
    """``entries`` are the valid entries with their index in the file."""
    out: list[Problem] = []
    first_at: dict[str, int] = {}
    previous: datetime | None = None
    for i, e in entries:
        at: tuple[str | int, ...] = (i,)
        if e.id in first_at:
            out.append(
                loaded.problem(
                    (*at, "id"),
                    "CM420",
                    f"note id {describe(e.id)} is already used by entry [{first_at[e.id]}]",
                )
            )
        moment = _local(e.date, zone)
        # A late entry (`recorded:`) is in order by when it was written (contract 5.1).
        order = moment if e.recorded is None else _local(e.recorded, zone)
        if previous is not None and order < previous:
            key = "date" if e.recorded is None else "recorded"
            out.append(
                loaded.problem(
                    (*at, key),
                    "CM421",
                    f"{e.order_time:%Y-%m-%d %H:%M} is earlier than the entry before it; "
                    "the log is oldest first (by `recorded` where present, else `date`)",
                )
            )
        previous = order if previous is None else max(previous, order)
        if moment.date() > today:
            out.append(
                loaded.problem((*at, "date"), "CM422", f"{e.date:%Y-%m-%d %H:%M} is in the future")
            )
        if agency.managers is not None and e.by not in agency.managers:
            out.append(
                loaded.problem(
                    (*at, "by"), "CM423", f"{describe(e.by)} is not a manager in casectl.yaml"
                )
            )
        if e.amends is not None:
            if e.type not in ONLY_ON["amends"]:
                out.append(
                    loaded.problem(
                        (*at, "amends"),
                        "CM425",
                        f"`amends` is only allowed on type amendment (type is {e.type})",
                        key=True,
                    )
                )
            if e.amends not in first_at:
                out.append(
                    loaded.problem(
                        (*at, "amends"),
                        "CM424",
                        f"{describe(e.amends)} is not an earlier entry of this log",
                    )
                )
        elif REQUIRED_ON.get(e.type) == "amends":
            out.append(
                loaded.problem(
                    at, "CM426", "an amendment must name the entry it corrects with `amends:`"
                )
            )
        if e.to is not None and e.type not in ONLY_ON["to"]:
            out.append(
                loaded.problem(
                    (*at, "to"),
                    "CM427",
                    "`to` is meant for referral and transfer entries",
                    severity="warning",
                    key=True,
                )
            )
        if client is not None and moment.date() < client.opened:
            out.append(
                loaded.problem(
                    (*at, "date"),
                    "CM428",
                    f"{e.date:%Y-%m-%d} is before the case was opened ({client.opened})",
                    severity="warning",
                )
            )
        first_at.setdefault(e.id, i)
    return out


def run(c: CheckedClient, env: Env) -> list[Problem]:
    """The entries of log.yaml (CM401..CM407 for the invalid ones) and the rules over
    the valid ones; ``c.log_entries`` keeps their positions for ``links``."""
    c.contact_types = env.agency.effective_contact_types()
    ll = c.loaded.get("log.yaml")
    if ll is None or not (ll.ok or ll.data == []):
        return []
    out: list[Problem] = []
    c.log_entries = entries(ll, out)
    c.log = [e for _, e in c.log_entries]
    c.log_complete = isinstance(ll.data, list) and len(c.log_entries) == len(ll.data)
    return out + check(ll, c.log_entries, c.client, env.agency, env.today, env.zone)


def entries(loaded: Loaded, problems: list[Problem]) -> list[tuple[int, LogEntry]]:
    """The valid entries of log.yaml with their positions; the problems of the others
    (the first ones built, the rest counted) and the unknown keys of the valid ones."""
    data = loaded.data
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(
            loaded.problem(
                (),
                "CM402",
                f"log.yaml must be a list of entries (`- id: ...`), got {describe(data)}",
            )
        )
        return []
    valid, positions = schema.valid_items_of(LogEntry, data)
    entries = list(zip(positions, valid, strict=True))
    if len(entries) < len(data):
        ok = set(positions)
        bad = [i for i in range(len(data)) if i not in ok]
        budget = schema.Budget()
        for n, i in enumerate(bad):
            if budget.left <= 0:
                # One problem per error (LogEntry has no union), one for a non-mapping.
                rest = [data[j] for j in bad[n:]]
                mappings = [item for item in rest if type(item) is dict]
                count = len(rest) - len(mappings) + schema.count_errors(LogEntry, mappings)
                loaded.skip(count=count)
                break
            problems += schema.validate(loaded, LogEntry, 4, data[i], (i,), budget)[1]
    unknown = schema.Budget()
    for i, entry in entries:
        problems += schema.unknown_keys(loaded, entry, 4, (i,), unknown)
    return entries
