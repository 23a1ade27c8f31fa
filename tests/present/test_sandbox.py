"""Agency templates run in Jinja's sandbox and are never read through a symbolic link
(issue 11, item 7).

Anyone who can push to the shared repository can change its templates/, and cron
renders templates/digest.txt.j2 every morning. Each attack below would create a marker
file if it ran; the tests prove it does not, and that casectl stops with exit 2 and
the template's file and line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.builders import cli, cli_subprocess

AS_OF = "2026-12-01"


def _template(root: Path, name: str, body: str) -> Path:
    folder = root / "templates"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(body)
    return path


def test_the_digest_attack_from_cron_does_not_run(agency: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _template(
        agency,
        "digest.txt.j2",
        "Digest for {{ agency }}\n"
        f"{{{{ cycler.__init__.__globals__.os.popen('id > {marker}').read() }}}}\n",
    )
    result = cli_subprocess("-C", agency, "digest", "--as-of", AS_OF)
    assert not marker.exists()
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert f"{agency / 'templates' / 'digest.txt.j2'}:2: refused by the template sandbox" in (
        result.stderr
    )
    assert len(result.stderr.splitlines()) == 1


ATTACKS = [
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{{ joiner.__init__.__globals__['os'].system('touch MARKER') }}",
    "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
    "{{ namespace.__init__.__globals__.__builtins__['__import__']('os').system('touch MARKER') }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ 'touch MARKER' }}",
    "{{ self._TemplateReference__context }}MARKER",
    "{{ client.name.__class__.__base__.__subclasses__() }}MARKER",
    "{% set x = client.update({'name': 'MARKER'}) %}{{ client.name }}",
    "{% set x = plan.goals.append(1) %}{{ plan.goals }}MARKER",
    "{{ 'MARKER{0.__class__.__init__.__globals__}'.format(client) }}",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_report_template_attacks_are_refused(agency: Path, tmp_path: Path, attack: str) -> None:
    marker = tmp_path / "pwned"
    _template(agency, "client.md.j2", "line one\n" + attack.replace("MARKER", str(marker)))
    result = cli("-C", agency, "report", "rc-0001", "--as-of", AS_OF)
    assert not marker.exists()
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    assert "client.md.j2:2: refused by the template sandbox" in result.stderr


def test_a_plain_agency_template_still_works(agency: Path) -> None:
    _template(
        agency,
        "digest.txt.j2",
        "{% set ns = namespace(n=0) %}{% for m in managers %}{% set ns.n = ns.n + m.count %}"
        "{% endfor %}{{ agency }}: {{ ns.n }} {{ managers|map(attribute='key')|join(',') }}\n",
    )
    result = cli("-C", agency, "digest", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Test Agency: 6 jdoe\n"


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="no /etc/passwd here")
def test_a_template_that_links_to_etc_passwd_is_refused(agency: Path) -> None:
    (agency / "templates").mkdir()
    (agency / "templates" / "client.md.j2").symlink_to("/etc/passwd")
    result = cli("-C", agency, "report", "rc-0001", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "root:" not in result.stdout + result.stderr
    assert "client.md.j2: is a symbolic link" in result.stderr


def test_a_linked_templates_folder_is_refused(agency: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "client.md.j2").write_text("SECRET FROM OUTSIDE\n")
    (agency / "templates").symlink_to(outside)
    for args in (("report", "rc-0001"), ("digest",), ("caseload",)):
        result = cli("-C", agency, *args, "--as-of", AS_OF)
        assert result.exit_code == 2, args
        assert "SECRET" not in result.stdout
        assert "templates: is a symbolic link" in result.stderr


def test_a_linked_folder_or_include_inside_templates_is_refused(
    agency: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "part.j2").write_text("SECRET FROM OUTSIDE\n")
    _template(agency, "client.md.j2", "{% include 'sub/part.j2' %}\n")
    os.symlink(outside, agency / "templates" / "sub")
    result = cli("-C", agency, "report", "rc-0001", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "SECRET" not in result.stdout
    assert "sub: is a symbolic link" in result.stderr
    # The same file as a link beside a real template: refused when used.
    (agency / "templates" / "sub").unlink()
    (agency / "templates" / "part.j2").symlink_to(outside / "part.j2")
    _template(agency, "client.md.j2", "{% include 'part.j2' %}\n")
    result = cli("-C", agency, "report", "rc-0001", "--as-of", AS_OF)
    assert result.exit_code == 2 and "SECRET" not in result.stdout
    assert "part.j2: is a symbolic link" in result.stderr


def test_report_template_option_cannot_escape_the_folder(agency: Path) -> None:
    _template(agency, "ok.md.j2", "fine\n")
    for name in ("../casectl.yaml", "/etc/passwd", "templates/../../casectl.yaml"):
        result = cli("-C", agency, "report", "rc-0001", "--template", name)
        assert result.exit_code == 2, name
        assert "agency:" not in result.stdout and "root:" not in result.stdout


@pytest.mark.parametrize(
    "obj",
    [{"name": "Ann", "items": [1], "get": 2, "__class__": 3}, {}, {"mro": 1}, {1: "x"}],
)
@pytest.mark.parametrize(
    "attribute", ["name", "items", "get", "keys", "__class__", "mro", "missing", "_x"]
)
def test_dict_lookups_find_what_the_plain_sandbox_finds(
    obj: dict[object, object], attribute: str
) -> None:
    """The sandbox's fast path for dict keys (report contexts are dicts) finds the
    same thing as the sandbox it speeds up: shadowed names stay the dict's own."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from casectl.present.templating import environment

    ours = environment(None).getattr(obj, attribute)
    plain = ImmutableSandboxedEnvironment(undefined=StrictUndefined).getattr(obj, attribute)
    if isinstance(plain, StrictUndefined):
        assert isinstance(ours, StrictUndefined)
    else:
        assert ours == plain
