"""The Jinja environment every renderer shares.

Lookup order: the agency repository's own ``templates/`` first, then casectl's
built-in templates (shipped inside the wheel as ``casectl/templates``; in a source
checkout, the top-level ``templates/``). HTML templates are autoescaped; undefined
variables are errors (``StrictUndefined``) so a typo in an agency template is
reported with its file and line instead of printing nothing.

An agency's templates come from the shared repository: anyone who can push can
change them, and ``digest`` renders them from cron. So every template runs in
Jinja's immutable sandbox (no attribute starting with ``_``, no method that changes
a list or dict, no Python functions): a template can format the data it is given
and do nothing else. A file under the agency's ``templates/`` that is a symbolic
link (or lies under one), or ``templates/`` itself being a link, is refused rather
than followed: a link to ``/etc/passwd`` must not be rendered into a report.
Every rendered text passes ``output.visible``, so a record cannot put a raw control
character into any output, to a terminal or into a file (``-o``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casectl.errors import CasectlError
from casectl.present.output import visible

if TYPE_CHECKING:
    import jinja2


def builtin_dir() -> Path:
    package = Path(__file__).resolve().parents[1]  # casectl/
    shipped = package / "templates"
    if shipped.is_dir():
        return shipped
    return package.parent / "templates"


def agency_dir(root: Path) -> Path | None:
    """The agency's ``templates/`` folder, None when it has none; refused when a link."""
    folder = root / "templates"
    try:
        mode = os.lstat(folder).st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        raise CasectlError(
            f"{folder}: is a symbolic link; refusing to use templates from outside "
            "the repository (make templates/ a real folder)"
        )
    return folder if stat.S_ISDIR(mode) else None


def _agency_loader(folder: Path) -> jinja2.BaseLoader:
    import jinja2
    from jinja2.loaders import split_template_path

    class AgencyLoader(jinja2.BaseLoader):
        """Templates from the agency's folder, never through a symbolic link."""

        def get_source(
            self, environment: jinja2.Environment, template: str
        ) -> tuple[str, str, Callable[[], bool]]:
            pieces = split_template_path(template)
            path = folder
            for i, piece in enumerate(pieces):
                path = path / piece
                try:
                    mode = os.lstat(path).st_mode
                except OSError:
                    raise jinja2.TemplateNotFound(template) from None
                if stat.S_ISLNK(mode):
                    raise CasectlError(
                        f"{path}: is a symbolic link; refusing to follow it "
                        "(templates must be real files inside templates/)"
                    )
                last = i == len(pieces) - 1
                if (last and not stat.S_ISREG(mode)) or (not last and not stat.S_ISDIR(mode)):
                    raise jinja2.TemplateNotFound(template)
            try:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                with os.fdopen(fd, "rb") as f:
                    source = f.read().decode("utf-8")
            except UnicodeDecodeError:
                raise CasectlError(f"{path}: not UTF-8 text; save the template as UTF-8") from None
            except OSError as exc:
                raise CasectlError(f"{path}: cannot read: {exc.strerror or exc}") from None
            mtime = os.lstat(path).st_mtime

            def uptodate() -> bool:
                try:
                    return os.lstat(path).st_mtime == mtime
                except OSError:
                    return False

            return source, str(path), uptodate

    return AgencyLoader()


_DICT_ATTRIBUTES = frozenset(dir(dict))


def environment(root: Path | None) -> jinja2.Environment:
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    loaders: list[jinja2.BaseLoader] = []
    folder = agency_dir(root) if root is not None else None
    if folder is not None:
        loaders.append(_agency_loader(folder))
    loaders.append(jinja2.FileSystemLoader(str(builtin_dir())))

    class Sandbox(ImmutableSandboxedEnvironment):
        """The sandbox, with a fast path for what report contexts are made of: a
        plain dict's key that no dict attribute shadows is its item, exactly what the
        sandbox finds after its own ``getattr`` fails (and an exception per lookup was
        most of the caseload's time at 10,000 clients)."""

        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    return Sandbox(
        loader=jinja2.ChoiceLoader(loaders),
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


def render(
    root: Path | None,
    name: str,
    context: dict[str, Any],
    filters: Mapping[str, Callable[..., Any]] | None = None,
) -> str:
    """Render template ``name`` (with ``filters`` added, e.g. ``markdown.FILTERS``);
    template mistakes become a CasectlError naming file:line."""
    import jinja2
    from jinja2.exceptions import SecurityError

    env = environment(root)
    if filters:
        env.filters.update(filters)
    try:
        template = env.get_template(name)
        # Whatever the template printed, no control character from the records (or
        # from the template) leaves raw: the whole text passes output.visible once.
        return visible(template.render(**context), multiline=True)
    except CasectlError:
        raise
    except jinja2.TemplateNotFound as exc:
        raise CasectlError(
            f"template {exc.name!r} not found (looked in the agency's "
            "templates/ and casectl's built-in templates)"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise CasectlError(f"{where}:{exc.lineno}: template syntax error: {exc.message}") from None
    except SecurityError as exc:
        reason = str(exc).rstrip(".")
        raise CasectlError(
            f"{_where(exc, name)}: refused by the template sandbox: {reason}; templates may "
            "only format the data they are given (docs/templates.md)"
        ) from None
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
