"""Generate a synthetic agency repository for benchmarks and tests.

    python benchmarks/generate.py OUT_DIR --clients N [--seed 1] [--git] [--check]

The layout and fields follow section 1 of the contract (casectl.yaml plus
``clients/<id>/{client,assessment,plan,log}.yaml``). Everyone in the data is invented.

Standard library and PyYAML only, and no ``import casectl``: the same script must be
able to produce data for any casectl version being measured. YAML is written as text
(with conservative quoting) rather than through ``yaml.safe_dump`` because that is
several times faster and lets the files look like hand-kept ones (block scalars for
note text, flow lists for short lists).

Each client draws from its own ``random.Random("<seed>:<index>")`` so output is
deterministic for a seed, independent of hash randomisation, and client k is the same
whatever ``--clients`` is.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

START = date(2024, 1, 1)
CAP = date(2026, 11, 20)  # no event in the generated data is dated after this day
START_ORD = START.toordinal()
CAP_ORD = CAP.toordinal()

DOMAINS = (
    "housing", "income", "employment", "food", "health", "mental_health", "substance_use",
    "legal", "education", "transportation", "family", "safety",
)  # fmt: skip
CADENCE_DEFAULTS = (
    ("plan_review", "90 days"),
    ("reassessment", "180 days"),
    ("initial_assessment", "14 days"),
    ("contact", "30 days"),
    ("due_soon", "14 days"),
)
MANAGERS = (
    ("abaker", "Alma Baker", None),
    ("bchen", "Boris Chen", "boris.chen@example.org"),
    ("cdiaz", "Carla Diaz", None),
    ("dokafor", "Dayo Okafor", "dayo.okafor@example.org"),
    ("eward", "Elin Ward", None),
    ("fnguyen", "Fen Nguyen", None),
    ("gpatel", "Gita Patel", "gita.patel@example.org"),
    ("hmoreau", "Hugo Moreau", None),
    ("ikowalski", "Ida Kowalski", None),
    ("jbrandt", "Jonas Brandt", "jonas.brandt@example.org"),
)
MANAGER_KEYS = tuple(m[0] for m in MANAGERS)

FIRST = (
    "Ada", "Bela", "Cyrus", "Dara", "Emil", "Fiona", "Gus", "Hana", "Ivo", "Jade", "Kofi",
    "Lena", "Milo", "Nora", "Omar", "Pia", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Vic",
    "Wren", "Xena", "Yuri", "Zoe", "Amir", "Bri", "Cole", "Dina", "Eli", "Faye", "Gil",
    "Hugo", "Iris", "Joel", "Kira", "Lior", "Mara", "Nico", "Olga", "Paz", "Rhea", "Seth",
)  # fmt: skip
LAST = (
    "Alder", "Brook", "Castell", "Dunmore", "Ellery", "Fairbanks", "Greer", "Holloway",
    "Ingram", "Jessup", "Kettering", "Lindqvist", "Marlow", "Northcott", "Oakes", "Pryor",
    "Quarry", "Redfern", "Sorensen", "Thackery", "Umber", "Vance", "Whitlock", "Yardley",
    "Zeller", "Ashby", "Birch", "Crane", "Delacroix", "Eastwood", "Finch", "Garrow",
)  # fmt: skip
STREETS = ("Elm St", "Oak Ave", "River Rd", "Mill Ln", "Cedar Ct", "Hill St", "Lake Dr")
TOWNS = ("Springfield", "Riverton", "Fairview", "Lakeside", "Milltown")
PROGRAMS = ("housing", "employment", "family_support", "reentry", "youth", "senior")
STRENGTHS = (
    "motivated", "supportive sister", "stable income", "good health", "strong faith community",
    "completed high school", "work history", "keeps appointments", "resourceful",
    "supportive neighbour", "sober 2 years", "has a car", "speaks two languages",
)  # fmt: skip
PLACES = (
    "the shelter", "the client's apartment", "the office", "the library", "the food bank",
    "the clinic", "a coffee shop near the bus station", "the community centre",
)  # fmt: skip
ORGS = (
    "Springfield Legal Aid", "Riverton Food Pantry", "Lakeside Mental Health Clinic",
    "County Housing Authority", "Fairview Job Centre", "Milltown Recovery Services",
    "Community Health Partners", "Adult Learning Centre", "Transit Access Program",
)  # fmt: skip
DOMAIN_NOTES = {
    "housing": ("Staying at a shelter", "Renting a room", "Behind on rent", "Stable lease"),
    "income": ("No income", "Benefits pending", "Part-time wages", "Irregular income"),
    "employment": ("Unemployed", "Looking for work", "Part-time job", "Full-time job"),
    "food": ("Uses the pantry weekly", "Food stamps approved", "Skips meals"),
    "health": ("No primary care", "Diabetes managed", "Needs dental care"),
    "mental_health": ("Anxiety reported", "Sees a counsellor", "Low mood"),
    "substance_use": ("In recovery", "Daily alcohol use", "No current use"),
    "legal": ("Pending court date", "Fines outstanding", "No legal issues"),
    "education": ("No diploma", "Enrolled in GED classes", "Wants training"),
    "transportation": ("No car", "Bus pass", "Relies on family for rides"),
    "family": ("Estranged from family", "Sister helps", "Custody hearing ahead"),
    "safety": ("Safety plan in place", "Feels safe", "Past domestic violence"),
}
GOALS = {
    "housing": ("Move into stable housing", "Keep the current lease", "Pay off rent arrears"),
    "income": ("Secure benefits", "Build a monthly budget", "Open a bank account"),
    "employment": ("Find part-time work", "Complete a job readiness course", "Get a CV"),
    "food": ("Enrol in food assistance", "Cook meals at home three times a week"),
    "health": ("Register with a primary care doctor", "Attend dental appointments"),
    "mental_health": ("Attend counselling regularly", "Reduce anxiety symptoms"),
    "substance_use": ("Stay in recovery", "Attend support group meetings"),
    "legal": ("Resolve outstanding fines", "Attend the court hearing with counsel"),
    "education": ("Enrol in GED classes", "Finish a vocational certificate"),
    "transportation": ("Obtain a reduced-fare bus pass", "Get a driving licence"),
    "family": ("Rebuild contact with family", "Prepare for the custody hearing"),
    "safety": ("Keep the safety plan current", "Move away from the unsafe address"),
}
ACTIONS = (
    "Apply for a housing voucher", "Gather ID documents", "Call the benefits office",
    "Book an appointment at the clinic", "Visit the job centre", "Complete the application",
    "Bring pay slips to the office", "Register for the course", "Meet the landlord",
    "Fill in the food assistance form", "Ask the court for a payment plan",
)  # fmt: skip
CLOSE_REASONS = (
    "goals_met", "goals_met", "goals_met", "moved", "declined", "transferred",
    "lost_contact", "lost_contact", "other", "deceased",
)  # fmt: skip
GOAL_STATUS_ODDS: dict[str, tuple[tuple[str, float], ...]] = {
    "closed": (("met", 0.5), ("partly_met", 0.25), ("not_met", 0.15), ("dropped", 0.1)),
    "past": (("active", 0.2), ("met", 0.55), ("partly_met", 0.15), ("not_met", 0.05),
             ("dropped", 0.05)),
    "open": (("active", 0.8), ("met", 0.1), ("partly_met", 0.05), ("dropped", 0.05)),
}  # fmt: skip

# Note type for a regular (non-scripted) entry, weighted.
_TYPES = (
    ("visit", 25), ("phone", 25), ("email", 9), ("meeting", 10), ("note", 12),
    ("referral", 6), ("contact", 6), ("crisis", 2), ("review", 5),
)  # fmt: skip
TYPE_POOL = tuple(t for t, w in _TYPES for _ in range(w))

OPENERS = {
    "visit": (
        "Home visit at {place}.",
        "Visited {first} at {place}.",
        "Met {first} at {place} as planned.",
    ),
    "phone": ("Phone call with {first}.", "{first} called the office.", "Called {first} back."),
    "email": ("Email exchange with {first}.", "{first} emailed an update."),
    "meeting": ("Meeting with {first} and {org}.", "Case meeting at the office with {first}."),
    "contact": ("Brief contact with {first} at {place}.", "Saw {first} in passing at {place}."),
    "note": ("Case note.", "File note after checking records.", "Note for the file."),
    "crisis": ("Crisis call from {first} late afternoon.", "Urgent contact: {first} in crisis."),
    "referral": ("Referred {first} to {org}.", "Made a referral to {org} for {first}."),
    "review": ("Plan review with {first}.", "Reviewed the care plan together with {first}."),
    "assessment": ("Completed the assessment with {first}.", "Reassessment done with {first}."),
}
MIDDLES = (
    "{first} reports the week went better than the last one.",
    "Discussed progress on the goal to {goal}.",
    "Went through the budget line by line; rent is the largest cost.",
    "{first} is worried about the next court date and asked for a reminder.",
    "Landlord has agreed to a payment plan for the arrears.",
    "Benefits letter arrived; the first payment is due next month.",
    "{first} missed the clinic appointment and we rebooked it.",
    "Talked about sleep, appetite and mood; no safety concerns raised.",
    "Sister was present and offered to help with transport.",
    "Gave a bus pass for the next two weeks.",
    "Filled in the application together; copies kept in the paper file.",
    "{first} has started the job readiness course and enjoys it.",
    "Food pantry visit arranged for Friday.",
    "Checked in about the safety plan; it is still current.",
    "{first} said the new medication helps with anxiety.",
    "Housing search: two viewings booked, one was unsuitable.",
    "Phone was cut off; {first} now has a new number on file.",
    "Discussed what to bring to the benefits interview.",
)  # fmt: skip
CLOSERS = (
    "Next contact planned in two weeks.",
    "Follow up on the application next visit.",
    "{first} will call if anything changes.",
    "Agreed next steps: gather documents, book the appointment.",
    "No further action needed today.",
    "Will check with {org} on progress.",
)  # fmt: skip

_PLAIN_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 .,'()/+&_-]*$")
_PLAIN_FLOW_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 .'()/+&_-]*$")
_YAML_WORDS = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "tilde"}
)


def q(text: str, flow: bool = False) -> str:
    """``text`` as a YAML scalar that reads back as the same string.

    Plain when it is unmistakably a string (letters first, a small set of characters,
    not a YAML 1.1 keyword); otherwise double-quoted with JSON escapes, which YAML
    accepts as a double-quoted scalar. ``flow`` also quotes commas (inside ``[...]``
    and ``{...}``).
    """
    pattern = _PLAIN_FLOW_RE if flow else _PLAIN_RE
    if pattern.match(text) and text.lower() not in _YAML_WORDS and not text.endswith(" "):
        return text
    return json.dumps(text)


def _d(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def agency_yaml(clients: int, seed: int) -> str:
    """casectl.yaml text: settings with every cadence default spelled out."""
    lines = [
        f"# Synthetic agency: benchmarks/generate.py --clients {clients} --seed {seed}",
        "format: 1",
        "agency: Riverside Community Services",
        "timezone: America/Chicago",
        "cadence:",
        *(f"  {k}: {v}" for k, v in CADENCE_DEFAULTS),
        "managers:",
    ]
    for key, name, email in MANAGERS:
        if email:
            lines.append(f"  {key}: {{name: {q(name, True)}, email: {q(email, True)}}}")
        else:
            lines.append(f"  {key}: {q(name)}")
    lines.append(f"domains: [{', '.join(DOMAINS)}]")
    return "\n".join(lines) + "\n"


class ClientGen:
    """Everything about one synthetic client, drawn from one RNG in a fixed order."""

    def __init__(self, seed: int, index: int, width: int) -> None:
        self.rng = rng = random.Random(f"{seed}:{index}")
        self.id = f"rc-{index:0{width}d}"
        self.first = rng.choice(FIRST)
        self.last = rng.choice(LAST)
        self.manager = MANAGER_KEYS[index % len(MANAGER_KEYS)]
        self.big = rng.random() < 0.005  # about 1 in 200 has a 400-entry log
        roll = rng.random()
        self.status = "active" if roll < 0.80 else "on_hold" if roll < 0.88 else "closed"
        self._pick_span()
        self.goal_ids: list[str] = []
        self.assessment_days: list[int] = []
        self.plan_created = self.opened

    def _pick_span(self) -> None:
        """Choose ``opened`` and ``end`` (the last day anything happens) as ordinals."""
        rng = self.rng
        if self.status == "closed":
            self.end = rng.randint(START_ORD + 90, CAP_ORD)
            earliest_gap = 60
        elif self.status == "on_hold":
            self.end = CAP_ORD - rng.randint(0, 90)
            earliest_gap = 45
        else:
            stale = rng.random() < 0.1  # some active clients have gone quiet: overdue items
            self.end = CAP_ORD - (rng.randint(45, 200) if stale else rng.randint(0, 20))
            earliest_gap = 30
        if self.big:
            self.opened = rng.randint(START_ORD, START_ORD + 120)
            self.end = max(self.end, self.opened + 500)
        else:
            self.opened = rng.randint(START_ORD, self.end - earliest_gap)

    # ---------------------------------------------------------------- client.yaml

    def client_yaml(self) -> str:
        rng = self.rng
        out = [
            f"id: {self.id}",
            f"name: {q(self.first + ' ' + self.last)}",
        ]
        if rng.random() < 0.9:
            born = date(rng.randint(1940, 2007), rng.randint(1, 12), rng.randint(1, 28))
            out.append(f"born: {born.isoformat()}")
        out += [f"status: {self.status}", f"opened: {_d(self.opened)}", f"manager: {self.manager}"]
        if rng.random() < 0.7:
            out.append(f"program: {rng.choice(PROGRAMS)}")
        if rng.random() < 0.8:
            out.append(f'phone: "+1 555 {rng.randint(0, 9999):04d}"')
        if rng.random() < 0.5:
            email = f"{self.first}.{self.last}{rng.randint(1, 99)}@example.org".lower()
            out.append(f"email: {q(email)}")
        if rng.random() < 0.6:
            addr = f"{rng.randint(1, 250)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}"
            out.append(f"address: {q(addr)}")
        if rng.random() < 0.08:
            expires = min(self.opened + 365, CAP_ORD)
            out += ["consent:", f"  signed: {_d(self.opened)}", f"  expires: {_d(expires)}"]
        if rng.random() < 0.05:
            key, value = rng.choice(
                (("contact", "14 days"), ("contact", "2 weeks"), ("plan_review", "60 days"),
                 ("reassessment", "6 months"), ("due_soon", "7 days"))
            )  # fmt: skip
            out += ["cadence:", f"  {key}: {value}"]
        if self.status == "closed":
            reason = rng.choice(CLOSE_REASONS)
            out += ["closed:", f"  date: {_d(self.end)}", f"  reason: {reason}"]
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------ assessment.yaml

    def assessment_yaml(self) -> str:
        rng = self.rng
        day = self.opened + rng.randint(1, 13)
        days = [day]
        while len(days) < 3 and rng.random() < 0.75:
            day += rng.randint(150, 200)
            if day > self.end:
                break
            days.append(day)
        self.assessment_days = days
        out = ["assessments:"]
        for n, day in enumerate(days):
            by = self.manager if rng.random() < 0.9 else rng.choice(MANAGER_KEYS)
            out += [f"  - date: {_d(day)}", f"    by: {by}", "    domains:"]
            chosen = sorted(rng.sample(range(len(DOMAINS)), rng.randint(6, 10)))
            for k in chosen:
                domain = DOMAINS[k]
                score = min(5, rng.randint(1, 4) + (n if rng.random() < 0.5 else 0))
                if rng.random() < 0.4:
                    note = q(rng.choice(DOMAIN_NOTES[domain]), flow=True)
                    out.append(f"      {domain}: {{score: {score}, note: {note}}}")
                else:
                    out.append(f"      {domain}: {{score: {score}}}")
            if rng.random() < 0.6:
                picks = rng.sample(STRENGTHS, rng.randint(1, 3))
                out.append(f"    strengths: [{', '.join(q(s, True) for s in picks)}]")
            if rng.random() < 0.7:
                focus = DOMAINS[rng.choice(chosen)].replace("_", " ")
                out.append(f"    summary: {q(f'Main need is {focus}; review in six months.')}")
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------------- plan.yaml

    @staticmethod
    def _planned(ordinal: int) -> int | None:
        """A planned date, or None (left out) when it would fall after CAP."""
        return ordinal if ordinal <= CAP_ORD else None

    def plan_yaml(self) -> str:
        rng = self.rng
        created = min(self.assessment_days[0] + rng.randint(0, 7), self.end)
        self.plan_created = created
        out = [f"created: {_d(created)}", "goals:"]
        n_goals = rng.randint(3, 6)
        self.goal_ids = [f"G{i}" for i in range(1, n_goals + 1)]
        for gid in self.goal_ids:
            domain = rng.choice(DOMAINS)
            out += [
                f"  - id: {gid}",
                f"    domain: {domain}",
                f"    goal: {q(rng.choice(GOALS[domain]))}",
            ]
            target = None
            if rng.random() < 0.8:
                target = self._planned(created + rng.randint(60, 365))
                if target is not None:
                    out.append(f"    target: {_d(target)}")
            status = self._goal_status(target)
            out.append(f"    status: {status}")
            n_actions = rng.randint(0, 3)
            if n_actions:
                out.append("    actions:")
            for _ in range(n_actions):
                due = self._planned(created + rng.randint(7, 120))
                who = rng.choice(("client", "client", self.manager, "client and manager"))
                out += [f"      - action: {q(rng.choice(ACTIONS))}", f"        who: {q(who)}"]
                if due is not None:
                    out.append(f"        due: {_d(due)}")
                # Old actions are nearly all done; a met goal has every action done (else
                # casectl warns, rightly); recent ones are often still open.
                odds = (
                    0.0 if due is None or due > self.end else 0.93 if due < self.end - 60 else 0.6
                )
                if status == "met" or rng.random() < odds:
                    when = created + rng.randint(7, 120) if due is None else due
                    done = min(max(created, when + rng.randint(-10, 10)), self.end)
                    out.append(f"        done: {_d(done)}")
        return "\n".join(out) + "\n"

    def _goal_status(self, target: int | None) -> str:
        """Closed cases' goals are settled; so are most goals whose target is well past."""
        if self.status == "closed":
            odds = GOAL_STATUS_ODDS["closed"]
        elif target is not None and target < self.end - 30:
            odds = GOAL_STATUS_ODDS["past"]
        else:
            odds = GOAL_STATUS_ODDS["open"]
        r = self.rng.random()
        for status, p in odds:
            r -= p
            if r < 0:
                return status
        return odds[-1][0]

    # -------------------------------------------------------------------- log.yaml

    def _note_count(self) -> int:
        if self.big:
            return 400
        count = max(3, round(self.rng.gauss(38, 12)))  # + the 1 in 200 at 400: ~40
        return min(count, self.end - self.opened)

    def log_yaml(self) -> str:
        rng = self.rng
        fmt = {"first": self.first, "place": "", "org": "", "goal": ""}
        # (minute-of-epoch, type) events; minutes since day 0 keep ordering cheap.
        events: list[tuple[int, str]] = [(self.opened * 1440 + 9 * 60 + 30, "meeting")]
        events += [(d * 1440 + 14 * 60, "assessment") for d in self.assessment_days]
        if self.status == "active" and self.end >= CAP_ORD - 20:
            # Busy cases: reviews about every quarter, and a recent contact.
            day = self.plan_created + rng.randint(60, 100)
            while day < self.end:
                events.append((day * 1440 + 11 * 60, "review"))
                day += rng.randint(60, 100)
            events.append((self.end * 1440 + 15 * 60, rng.choice(("visit", "phone"))))
        last_regular = self.end - 1 if self.status == "closed" else self.end
        for _ in range(self._note_count() - len(events)):
            day = rng.randint(self.opened, last_regular)
            weekday = date.fromordinal(day).weekday()  # weekends are rare in case notes
            if weekday == 5 and day - 1 >= self.opened:
                day -= 1
            elif weekday == 6 and day + 1 <= last_regular:
                day += 1
            events.append((day * 1440 + rng.randint(16, 35) * 30, rng.choice(TYPE_POOL)))
        events.sort()
        if self.status == "closed":
            events.append((self.end * 1440 + 17 * 60 + 30, "closure"))
        limit = self.end * 1440 + 23 * 60 + 59
        out: list[str] = []
        ids: list[tuple[str, str]] = []  # (id, type) of the entries so far
        prev = -1
        for minute, kind in events:
            minute = max(minute, prev + 1)  # strictly increasing: ids unique, order kept
            if minute > limit:
                break
            prev = minute
            by = self.manager if rng.random() < 0.9 else rng.choice(MANAGER_KEYS)
            day, mins = divmod(minute, 1440)
            stamp = date.fromordinal(day)
            hhmm = f"{mins // 60:02d}{mins % 60:02d}"
            nid = f"{stamp:%Y%m%d}-{hhmm}-{by}"
            kind_here = kind
            if ids and kind not in ("closure", "assessment") and rng.random() < 0.02:
                kind_here = "amendment"
            out += [
                f"- id: {nid}",
                f"  date: {stamp.isoformat()} {hhmm[:2]}:{hhmm[2:]}",
                f"  by: {by}",
                f"  type: {kind_here}",
            ]
            if kind_here in ("visit", "meeting", "phone", "crisis", "review", "assessment"):
                out.append(f"  minutes: {rng.choice((10, 15, 20, 30, 45, 60, 90))}")
            if kind_here in ("visit", "meeting", "review", "phone") and rng.random() < 0.4:
                refs = sorted(
                    rng.sample(self.goal_ids, rng.randint(1, 2)), key=lambda g: int(g[1:])
                )
                out.append(f"  goals: [{', '.join(refs)}]")
            if kind_here == "amendment":
                # People correct what they wrote recently, and correct notes, not corrections.
                recent = [i for i, k in ids[-6:] if k != "amendment"] or [ids[-1][0]]
                target = rng.choice(recent)
                out.append(f"  amends: {target}")
                lines = self._amendment_text(target)
            elif kind_here == "closure":
                lines = [
                    f"Case closed today. {self.first} and I went over what was achieved.",
                    "Closing letter sent; file archived.",
                ]
            else:
                fmt["place"] = rng.choice(PLACES)
                fmt["org"] = rng.choice(ORGS)
                fmt["goal"] = rng.choice(GOALS[rng.choice(DOMAINS)]).lower()
                lines = self._note_text(kind_here, fmt)
                if kind_here == "referral":
                    out.append(f"  to: {q(fmt['org'])}")
            out.append("  text: |")
            out += [f"    {line}" for line in lines]
            ids.append((nid, kind_here))
        return "\n".join(out) + "\n"

    def _note_text(self, kind: str, fmt: dict[str, str]) -> list[str]:
        rng = self.rng
        lines = [rng.choice(OPENERS[kind]).format_map(fmt)]
        for i in rng.sample(range(len(MIDDLES)), rng.randint(1, 4)):
            lines.append(MIDDLES[i].format_map(fmt))
        if rng.random() < 0.7:
            lines.append(rng.choice(CLOSERS).format_map(fmt))
        if rng.random() < 0.3:  # join two sentences: lines of uneven length, as people write
            lines[0:2] = [lines[0] + " " + lines[1]]
        return lines

    def _amendment_text(self, target: str) -> list[str]:
        rng = self.rng
        fix = rng.choice(
            (
                "the time spent was 45 minutes, not 30.",
                "the appointment is on Thursday, not Tuesday.",
                f"the referral was made by {self.first}'s sister, not by {self.first}.",
                "the benefits letter was dated last month.",
                "wrong client name in the first line; the rest is correct.",
            )
        )
        return [f"Correction to entry {target}: {fix}", "Original entry left unchanged."]

    def files(self) -> dict[str, str]:
        """The four files' text; order of calls matters (later files use earlier draws)."""
        client = self.client_yaml()
        assessment = self.assessment_yaml()
        plan = self.plan_yaml()
        log = self.log_yaml()
        return {
            "client.yaml": client,
            "assessment.yaml": assessment,
            "plan.yaml": plan,
            "log.yaml": log,
        }


def generate(out_dir: Path, clients: int, seed: int = 1) -> int:
    """Write the agency into ``out_dir`` (created if needed); return the number of files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "casectl.yaml").write_text(agency_yaml(clients, seed), encoding="utf-8")
    (out_dir / ".gitattributes").write_text(
        "clients/*/log.yaml merge=casectl-log\n", encoding="utf-8"
    )
    (out_dir / ".gitignore").write_text(".casectl/\n", encoding="utf-8")
    root = out_dir / "clients"
    root.mkdir(exist_ok=True)
    width = max(4, len(str(clients)))
    written = 1
    for index in range(1, clients + 1):
        gen = ClientGen(seed, index, width)
        folder = root / gen.id
        folder.mkdir(exist_ok=True)
        for name, text in gen.files().items():
            with open(folder / name, "w", encoding="utf-8") as fh:
                fh.write(text)
            written += 1
    return written


def git_commit(out_dir: Path) -> None:
    """``git init`` and commit everything, with a local (never global) identity."""

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(out_dir), *args], check=True, stdout=subprocess.DEVNULL)

    git("init", "-q")
    git("config", "user.name", "Benchmark Generator")
    git("config", "user.email", "generator@example.org")
    git("config", "commit.gpgsign", "false")
    git("add", "-A", ".")
    git("commit", "-q", "-m", "Synthetic agency for benchmarks", "--no-verify")


# ------------------------------------------------------------------------ checking


def _reporter(problems: list[str], where: str) -> Callable[[str], None]:
    def say(message: str) -> None:
        problems.append(f"{where}: {message}")

    return say


def check_agency(out_dir: Path) -> list[str]:
    """Parse every file with ``yaml.safe_load`` and check the contract's rules that
    the generator is responsible for. Returns human-readable problems (empty = good)."""
    import yaml

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    problems: list[str] = []
    agency = yaml.load((out_dir / "casectl.yaml").read_text(encoding="utf-8"), Loader=loader)
    managers = set(agency["managers"])
    domains = set(agency["domains"])
    id_re = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
    note_re = re.compile(r"^(\d{8})-(\d{4})-([a-z]+)$")
    for folder in sorted((out_dir / "clients").iterdir()):
        say = _reporter(problems, folder.name)
        docs = {
            n: yaml.load((folder / n).read_text(encoding="utf-8"), Loader=loader)
            for n in ("client.yaml", "assessment.yaml", "plan.yaml", "log.yaml")
        }
        client, plan, log = docs["client.yaml"], docs["plan.yaml"], docs["log.yaml"]
        if client["id"] != folder.name or not id_re.match(folder.name):
            say("bad id")
        if client["manager"] not in managers:
            say("unknown manager")
        if (client["status"] == "closed") != ("closed" in client):
            say("closed block does not match status")
        if not isinstance(client["name"], str) or not isinstance(client.get("phone", ""), str):
            say("name/phone not text")
        dated: list[date] = [client["opened"]]
        dated += [v for v in (client.get("consent") or {}).values()]
        dated += [client["closed"]["date"]] if "closed" in client else []
        last = None
        for a in docs["assessment.yaml"]["assessments"]:
            dated.append(a["date"])
            if last and a["date"] < last:
                say("assessments out of order")
            last = a["date"]
            if a["by"] not in managers or not set(a["domains"]) <= domains:
                say("assessment by/domain unknown")
            if not all(1 <= s["score"] <= 5 for s in a["domains"].values()):
                say("score out of range")
        goal_ids = [g["id"] for g in plan["goals"]]
        if len(set(goal_ids)) != len(goal_ids) or not 3 <= len(goal_ids) <= 6:
            say("goal ids")
        dated.append(plan["created"])
        for g in plan["goals"]:
            if g["domain"] not in domains:
                say("goal domain unknown")
            dated += [g["target"]] if "target" in g else []
            for act in g.get("actions", []):
                dated += [act[k] for k in ("due", "done") if k in act]
                if g["status"] == "met" and "done" not in act:
                    say(f"goal {g['id']} is met with an open action")
        seen: set[str] = set()
        prev = ""
        for e in log:
            m = note_re.match(e["id"])
            stamp = e["date"]
            if not m or e["id"] in seen or not isinstance(stamp, str):
                say(f"note id {e['id']}")
                continue
            if f"{m[1][:4]}-{m[1][4:6]}-{m[1][6:]} {m[2][:2]}:{m[2][2:]}" != stamp:
                say(f"note id does not match date {e['id']}")
            if m[3] != e["by"] or e["by"] not in managers:
                say(f"note by {e['id']}")
            if stamp < prev:
                say(f"notes out of order at {e['id']}")
            prev = stamp
            dated.append(date.fromisoformat(stamp[:10]))
            if not set(e.get("goals", [])) <= set(goal_ids):
                say(f"unknown goal in {e['id']}")
            if (e["type"] == "amendment") != ("amends" in e):
                say(f"amendment type and amends: disagree in {e['id']}")
            if "amends" in e and e["amends"] not in seen:
                say(f"{e['id']} amends an entry that is not earlier")
            if not isinstance(e["text"], str) or not e["text"].strip():
                say(f"empty text {e['id']}")
            seen.add(e["id"])
        if client["status"] == "closed" and log[-1]["type"] != "closure":
            say("closed without a closure note")
        if any(not START <= d <= CAP for d in dated):
            say("event date out of range")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--git", action="store_true", help="git init and commit everything")
    parser.add_argument(
        "--check", action="store_true", help="afterwards, parse and check every file"
    )
    args = parser.parse_args(argv)
    if args.clients < 1:
        parser.error("--clients must be at least 1")
    if (args.out_dir / "clients").exists() and any((args.out_dir / "clients").iterdir()):
        parser.error(f"{args.out_dir}/clients is not empty; choose a new OUT_DIR")
    started = time.perf_counter()
    files = generate(args.out_dir, args.clients, args.seed)
    generated = time.perf_counter() - started
    print(f"generated {files} files for {args.clients} clients in {generated:.2f} s")
    if args.git:
        started = time.perf_counter()
        git_commit(args.out_dir)
        print(f"committed in {time.perf_counter() - started:.2f} s")
    if args.check:
        problems = check_agency(args.out_dir)
        for line in problems[:50]:
            print(line, file=sys.stderr)
        print(f"check: {len(problems)} problems")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
