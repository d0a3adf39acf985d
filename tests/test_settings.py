"""Per-notebook settings from notebook metadata (ours, nbsphinx's, MyST-NB's)."""

from __future__ import annotations

from dataclasses import replace

from sphinx_nbcache.sphinxext.settings import kernel_name, notebook_settings
from sphinx_nbcache.sphinxext.snapshot import NbcacheConfig

CONF = NbcacheConfig(
    execution_mode="cache",
    timeout=30,
    notebook_timeout=None,
    allow_errors=False,
    exclude_patterns=("drafts/*",),
    kernel="python3",
    kernel_aliases={"py": "python3"},
    kernel_rgx_aliases={},
)


def test_precedence_ours_over_nbsphinx_over_mystnb():
    metadata = {
        "mystnb": {"execution_mode": "force", "execution_timeout": 5},
        "nbsphinx": {"execute": "never", "allow_errors": True},
        "nbcache": {"execution_mode": "auto"},
    }
    settings, problems = notebook_settings(CONF, metadata, "a.ipynb")
    assert problems == []
    assert settings.execution_mode == "auto"
    assert settings.timeout == 5
    assert settings.allow_errors is True


def test_no_limit_spellings_and_exclusion():
    settings, _ = notebook_settings(CONF, {"nbsphinx": {"timeout": -1}}, "drafts/x.ipynb")
    assert settings.timeout is None
    assert settings.excluded is True


def test_bad_values_are_reported_and_ignored():
    metadata = {"nbcache": {"execution_mode": "sometimes", "timeout": "soon", "kernel": 3}}
    settings, problems = notebook_settings(CONF, metadata, "a.ipynb")
    assert settings.execution_mode == "cache" and settings.timeout == 30
    assert len(problems) == 3
    assert problems[0].startswith("execution_mode 'sometimes' in the notebook metadata")


def test_kernel_name_resolution():
    settings, _ = notebook_settings(CONF, {}, "a.ipynb")
    assert kernel_name(CONF, settings, {}) == "python3"
    assert kernel_name(CONF, settings, {"kernelspec": {"name": "py"}}) == "python3"
    override, _ = notebook_settings(CONF, {"nbcache": {"kernel": "ir"}}, "a.ipynb")
    assert kernel_name(CONF, override, {"kernelspec": {"name": "py"}}) == "ir"


def test_kernel_regex_aliases_apply_after_the_exact_ones():
    conf = replace(CONF, kernel_rgx_aliases={"conda-.*": "ir", ".*": "python3"})
    settings, _ = notebook_settings(conf, {}, "a.ipynb")
    assert kernel_name(conf, settings, {"kernelspec": {"name": "conda-env-r"}}) == "ir"
    assert kernel_name(conf, settings, {"kernelspec": {"name": "my-venv"}}) == "python3"
    # the whole name must match: "conda-" inside another name is not "conda-.*"
    conf2 = replace(CONF, kernel_rgx_aliases={"conda-.*": "ir"})
    assert kernel_name(conf2, settings, {"kernelspec": {"name": "x-conda-r"}}) == "x-conda-r"


def test_execution_options_from_the_snapshot_and_the_notebook():
    from sphinx_nbcache.engine.options import ExecutionOptions
    from sphinx_nbcache.sphinxext.settings import execution_options

    conf = replace(CONF, env={"A": "1"}, kernel_arguments=("--x",), notebook_timeout=60)
    settings, _ = notebook_settings(conf, {"mystnb": {"execution_timeout": -1}}, "a.ipynb")
    assert execution_options(conf, settings, "ir") == ExecutionOptions(
        kernel_name="ir",
        timeout=None,
        notebook_timeout=60,
        allow_errors=False,
        env={"A": "1"},
        kernel_arguments=("--x",),
    )


def test_peer_notebook_metadata_in_our_names():
    from sphinx_nbcache.sphinxext.compat import peer_notebook_settings

    assert peer_notebook_settings(
        {
            "mystnb": {"execution_mode": "cache", "execution_timeout": 5, "other": 1},
            "nbsphinx": {"execute": "always", "allow_errors": True},
        }
    ) == {"execution_mode": "force", "timeout": 5, "allow_errors": True}
    # an unknown nbsphinx execute value is not translated (nor reported here)
    assert peer_notebook_settings({"nbsphinx": {"execute": "sometimes"}}) == {}
    assert peer_notebook_settings({"mystnb": "not a mapping"}) == {}
