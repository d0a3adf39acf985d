"""A project configured for nbsphinx or MyST-NB keeps its behaviour after the switch."""

from __future__ import annotations

import pytest
from buildutil import build, copy_project, warnings

from sphinx_nbcache.sphinxext.snapshot import nbcache_config


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "build-modes", tmp_path, monkeypatch)


def _conf(project, text):
    with (project.src / "conf.py").open("a") as conf:
        conf.write("\n" + text + "\n")


def test_nbsphinx_execute_never(make_app, project):
    _conf(project, 'nbsphinx_execute = "never"\nnbsphinx_timeout = -1')
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == []
    assert "stored in the file" in project.text("stored")
    assert app.config.nbcache_execution_mode == "off"
    assert app.config.nbcache_timeout is None
    conf = nbcache_config(app)
    assert (conf.execution_mode, conf.timeout) == ("off", None)


def test_myst_nb_auto_and_custom_formats(make_app, project):
    _conf(
        project,
        'nb_execution_mode = "auto"\n'
        'nb_custom_formats = {".py.txt": ["jupytext.reads", {"fmt": "py:percent"}]}',
    )
    (project.src / "script.py.txt").write_text(
        "# %% [markdown]\n# # Script\n\n# %%\nprint('from a custom format')\n"
    )
    with (project.src / "index.rst").open("a") as index:
        index.write("   script\n")
    app = build(make_app, project.src)
    assert warnings(app) == []
    # auto: the notebook with stored outputs is not executed (auto is also the default: the
    # log line shows that the value was taken over)
    assert project.executed() == ["fresh", "rich"]
    assert "(from nb_execution_mode in conf.py)" in app.status.getvalue()
    assert "from a custom format" in project.text("script")
    assert app.config.nbcache_custom_formats == {".pct.py": "py:percent", ".py.txt": "py:percent"}
    assert dict(nbcache_config(app).custom_formats) == app.config.nbcache_custom_formats


def test_our_own_value_wins(make_app, project):
    _conf(project, 'nbsphinx_execute = "never"\nnbcache_execution_mode = "cache"')
    build(make_app, project.src)
    assert project.executed() == ["fresh", "rich", "stored"]
