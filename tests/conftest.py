"""Shared test set-up: Sphinx's testing fixtures and the test projects under ``roots/``."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["sphinx.testing.fixtures"]


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """The folder of the ``test-<case>`` projects used by ``@pytest.mark.sphinx``."""
    return Path(__file__).parent / "roots"


# -- the `nbcache` command line (tests/test_cli_*.py) ------------------------------------------
@pytest.fixture
def nb_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of ``tests/notebooks`` in ``tmp_path/notebooks``; the current folder is
    ``tmp_path``, so the default cache is ``tmp_path/.nbcache`` and URIs read ``notebooks/...``.
    """
    import shutil

    shutil.copytree(Path(__file__).parent / "notebooks", tmp_path / "notebooks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBCACHE_PATH", raising=False)
    return tmp_path


@pytest.fixture
def nbcache():
    """Run ``nbcache ARGS...`` in-process (click's ``CliRunner``; stdin is not a terminal)."""
    from click.testing import CliRunner

    from sphinx_nbcache.cli import main

    runner = CliRunner()

    def run(*args: object, input: str | None = None, env: dict[str, str] | None = None):
        return runner.invoke(
            main, [str(a) for a in args], input=input, env=env, catch_exceptions=False
        )

    return run


# -- the same warning lines on every supported Sphinx -------------------------------------------
@pytest.fixture
def make_app(make_app):
    """Sphinx's ``make_app``, with ``show_warning_types`` on (Sphinx 8's default; 7.x's is off),
    so that every warning ends with its ``[nbcache.<subtype>]`` on every supported version.
    """

    def make(*args, **kwargs):
        kwargs["confoverrides"] = {"show_warning_types": True, **kwargs.get("confoverrides", {})}
        return make_app(*args, **kwargs)

    return make


# -- two caches, of clone A (executes) and clone B (fresh): archive and remote tests ---------
@pytest.fixture
def cache_a(tmp_path):
    from sphinx_nbcache.engine import NotebookCache

    with NotebookCache(tmp_path / "a" / ".nbcache") as cache:
        yield cache


@pytest.fixture
def cache_b(tmp_path):
    from sphinx_nbcache.engine import NotebookCache

    with NotebookCache(tmp_path / "b" / ".nbcache") as cache:
        yield cache
