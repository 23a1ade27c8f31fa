"""The Jinja environment every renderer shares.

Lookup order: the agency repository's own ``templates/`` first, then casectl's
built-in templates (shipped inside the wheel as ``casectl/templates``; in a source
checkout, the top-level ``templates/``). HTML templates are autoescaped; undefined
variables are errors (``StrictUndefined``) so a typo in an agency template is
reported with its file and line instead of printing nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from casectl.errors import CasectlError

if TYPE_CHECKING:
    import jinja2


def builtin_dir() -> Path:
    here = Path(__file__).resolve().parent
    shipped = here / "templates"
    if shipped.is_dir():
        return shipped
    return here.parent / "templates"


def environment(root: Path | None) -> jinja2.Environment:
    import jinja2

    search = []
    if root is not None and (root / "templates").is_dir():
        search.append(str(root / "templates"))
    search.append(str(builtin_dir()))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2", "htm.j2", "xml.j2"),
            default_for_string=False,
            default=False,
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(
    root: Path | None, name: str, context: dict[str, Any], env: jinja2.Environment | None = None
) -> str:
    """Render template ``name``; template mistakes become a CasectlError naming file:line."""
    import jinja2

    env = env or environment(root)
    try:
        template = env.get_template(name)
        return template.render(**context)
    except jinja2.TemplateNotFound as exc:
        raise CasectlError(
            f"template {exc.name!r} not found (looked in the agency's "
            "templates/ and casectl's built-in templates)"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise CasectlError(f"{where}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise CasectlError(f"{_where(exc, name)}: template error: {exc.message}") from None
    except Exception as exc:  # an error raised while rendering an agency's template
        raise CasectlError(
            f"{_where(exc, name)}: template error: {type(exc).__name__}: {exc}"
        ) from None


def _where(exc: BaseException, name: str) -> str:
    """file:line of the template frame that raised, from the traceback."""
    tb = exc.__traceback__
    found = name
    while tb is not None:
        frame = tb.tb_frame
        filename = frame.f_code.co_filename
        if filename.endswith(".j2") or "/templates/" in filename:
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found
