"""``casectl digest``: the plain-text morning digest that cron mails.

Rendered from ``digest.txt.j2`` (an agency's own ``templates/digest.txt.j2`` replaces
the built-in one). Prints nothing at all when nothing is due, so ``mail -E`` or
``ifne`` send no empty mail. Never colour: it is meant for mail, not a terminal.
The template context is documented in docs/monitoring.md; keep the two in step.
"""

from __future__ import annotations

from pathlib import Path

from casectl.commands._common import gather_due, say_locked
from casectl.present import templating
from casectl.present.output import Output
from casectl.present.reports import digest_context
from casectl.read.scan import warm_read

TEMPLATE = "digest.txt.j2"


@warm_read
def run(
    out: Output,
    directory: Path | None,
    as_of: str | None,
    manager: str | None,
    within: str | None,
    redact: bool = False,
) -> int:
    g = gather_due(out, directory, as_of, within, manager, redact=redact)
    if not g.items:  # nothing on stdout, so cron sends no mail; the count goes to stderr
        say_locked(out, g.locked, on_stdout=False)
        return 0
    context = digest_context(g.ctx.agency, g.items, g.ctx.as_of, g.within, locked=len(g.locked))
    text = templating.render(g.ctx.root, TEMPLATE, context)
    if text and not text.endswith("\n"):
        text += "\n"
    out.write(text)
    if g.locked and context["locked_message"] not in text:  # an agency template without it
        say_locked(out, g.locked, on_stdout=False)
    return 0
