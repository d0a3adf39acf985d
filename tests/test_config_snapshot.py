"""The configuration snapshot: every ``nbcache_*`` value, built once per run at config-inited."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest
from buildutil import build, copy_project, soup, warnings, write_later

from sphinx_nbcache.sphinxext.config import CONFIG_VALUES
from sphinx_nbcache.sphinxext.snapshot import NbcacheConfig, nbcache_config

#: the snapshot's fields that are not nbcache_* values
NOT_CONF_VALUES = {"confdir", "srcdir", "input_prompt", "output_prompt"}


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    # every notebook renders what is stored in it: no kernel starts here
    return copy_project(rootdir, "nbsphinx-links", tmp_path, monkeypatch)


def _conf(project, text: str) -> None:
    conf = project.src / "conf.py"
    write_later(conf, conf.read_text() + "\n" + text + "\n")


def test_one_field_per_config_value_with_its_default():
    names = [f.name for f in dataclasses.fields(NbcacheConfig) if f.name not in NOT_CONF_VALUES]
    assert names == [value.name for value in CONFIG_VALUES]
    defaults = NbcacheConfig()
    for value in CONFIG_VALUES:
        got = getattr(defaults, value.name)
        if isinstance(value.default, dict):
            got = dict(got)
        elif isinstance(value.default, list):
            assert isinstance(got, tuple), value.name
            got = list(got)
        assert got == value.default, value.name


def test_values_after_the_command_line_texts_are_converted(make_app, project):
    overrides = {
        "nbcache_jobs": "4",
        "nbcache_timeout": "2.5",
        "nbcache_allow_errors": "true",
        "nbcache_notebook_timeout": "none",
        "nbcache_path": "cache-here",
        "nbcache_dependency_root": "subdir",
    }
    app = make_app("html", srcdir=project.src, confoverrides=overrides)
    conf = nbcache_config(app)
    assert (conf.jobs, conf.timeout, conf.allow_errors) == (4, 2.5, True)
    assert conf.notebook_timeout is None
    assert conf.execution_mode == "off"  # from conf.py
    assert conf.cache_path == project.src.absolute() / "cache-here"
    assert conf.tracked_root == project.src.absolute() / "subdir"
    # one snapshot per run, however it is reached
    assert nbcache_config(app.env) is conf and nbcache_config(app.config) is conf
    assert nbcache_config(conf) is conf


def test_defaults_derived_values_and_peer_values(make_app, project):
    _conf(
        project,
        'nbsphinx_input_prompt = "In [%s]:"\n'
        "nbsphinx_execute_arguments = ['--InlineBackend.figure_formats={\"svg\"}']\n"
        'nbcache_env_fingerprint = ["requirements.txt"]',
    )
    app = make_app("html", srcdir=project.src)
    conf = nbcache_config(app)
    assert conf.cache_path == project.src.absolute() / ".nbcache"
    assert conf.tracked_root == project.src.absolute()
    assert conf.input_prompt == "In [%s]:" and conf.output_prompt == "[%s]:"
    assert conf.kernel_arguments == ('--InlineBackend.figure_formats={"svg"}',)
    assert conf.lock_files == ("requirements.txt",) and not conf.fingerprints_packages


def test_frozen_and_picklable():
    conf = NbcacheConfig(env={"A": "1"}, exclude_patterns=["drafts/*"], dependencies={"*": ["x"]})
    assert conf.exclude_patterns == ("drafts/*",)
    assert conf.dependencies["*"] == ("x",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        conf.timeout = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        conf.env["A"] = "2"  # type: ignore[index]
    again = pickle.loads(pickle.dumps(conf))
    assert again == conf and dict(again.env) == {"A": "1"}


def test_a_changed_conf_py_is_used_by_the_next_build(make_app, project):
    first = build(make_app, project.src)
    assert warnings(first) == []
    assert not soup(first, "nb.html").select(".nbcache-prompt")
    assert nbcache_config(first).prompts is False
    # the environment is pickled without the snapshot
    saved = pickle.loads((Path(first.doctreedir) / "environment.pickle").read_bytes())
    assert "_nbcache_snapshot" not in vars(saved.config)

    _conf(project, 'nbsphinx_input_prompt = "In [%s]:"')
    second = build(make_app, project.src)  # the environment is loaded from the first build
    assert warnings(second) == []
    conf = nbcache_config(second)
    assert conf.prompts is True and conf.input_prompt == "In [%s]:"
    prompts = soup(second, "nb.html").select(".nbcache-prompt-input")
    assert prompts and prompts[0].get_text().strip() == "In [3]:"


def test_parallel_readers_render_with_the_snapshot(make_app, project):
    _conf(project, 'nbcache_prompts = True\nnbsphinx_output_prompt = "Out[%s]:"')
    app = build(make_app, project.src, parallel=2)
    assert warnings(app) == []
    page = soup(app, "nb.html")
    outputs = [p.get_text().strip() for p in page.select(".nbcache-prompt-output")]
    assert "Out[3]:" in outputs
