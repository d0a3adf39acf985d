"""``nbcache_kernel_start`` / ``nbcache_preload`` (conf.py) and ``nbcache execute
--kernel-start`` / ``--preload`` reach the kernels: a module the warm template preloads is
already imported in a forked kernel, and not in a spawned one (issue 11)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from buildutil import build, warnings
from nbformat import v4
from sphinx.errors import ConfigError

SPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
# colorsys: in the standard library, imported by neither IPython nor ipykernel
PROBE = "import sys\nprint('preloaded:', 'colorsys' in sys.modules)"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["sphinx_nbcache"]\nnbcache_execution_mode = "cache"\n'
    )
    (src / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   probe\n")
    nb = v4.new_notebook(metadata={"kernelspec": SPEC})
    nb.cells = [v4.new_markdown_cell("# Probe"), v4.new_code_cell(PROBE)]
    nbformat.write(nb, src / "probe.ipynb")
    return src


@pytest.mark.parametrize(
    ("start", "expected"), [("fork", "preloaded: True"), ("spawn", "preloaded: False")]
)
def test_conf_py_chooses_how_kernels_start(project: Path, make_app, start, expected) -> None:
    overrides = {"nbcache_kernel_start": start, "nbcache_preload": ["colorsys"]}
    app = build(make_app, project, confoverrides=overrides)
    assert warnings(app) == []
    assert expected in (project / "_build/html/probe.html").read_text()


def test_bad_kernel_start_and_preload_values_are_named(project: Path, make_app) -> None:
    import io

    errors = io.StringIO()
    with pytest.raises(ConfigError, match="2 invalid nbcache configuration values"):
        make_app(
            "html",
            srcdir=project,
            warning=errors,
            confoverrides={"nbcache_kernel_start": "sideways", "nbcache_preload": ["no such"]},
        )
    message = errors.getvalue()
    assert "nbcache_kernel_start" in message and "sideways" in message
    assert "nbcache_preload" in message and "no such" in message


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--preload", "colorsys"], "preloaded: True"),
        (["--kernel-start", "spawn", "--preload", "colorsys"], "preloaded: False"),
    ],
)
def test_the_command_line_chooses_how_kernels_start(project: Path, nbcache, args, expected):
    from sphinx_nbcache.engine import NotebookCache

    cache_dir = project / ".nbcache"
    nbcache("-p", cache_dir, "stage", "add", project / "probe.ipynb")
    ran = nbcache("-p", cache_dir, "execute", *args)
    assert ran.exit_code == 0, ran.stdout
    with NotebookCache(cache_dir) as cache:
        (record,) = cache.list_records()
        text = "".join(cache.load_notebook(record).cells[1].outputs[0]["text"])
    assert expected in text


def test_a_preload_that_is_no_module_name_is_refused_by_the_command_line(project, nbcache):
    nbcache("-p", project / ".nbcache", "stage", "add", project / "probe.ipynb")
    ran = nbcache("-p", project / ".nbcache", "execute", "--preload", "no such")
    assert ran.exit_code == 2 and "no such" in ran.output
