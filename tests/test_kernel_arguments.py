"""Kernel command-line arguments: ``nbcache_kernel_arguments``, nbsphinx's ``execute_arguments``."""

from __future__ import annotations

import pytest
from buildutil import build, copy_project, warnings


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "kernel-arguments", tmp_path, monkeypatch)


def test_arguments_reach_the_kernel_and_the_key(make_app, project):
    app = build(make_app, project.src)
    assert app.config.nbcache_kernel_arguments == ["--IPKernelApp.exec_lines=['answer = 42']"]
    assert warnings(app) == []
    assert project.executed() == ["args"]
    assert "the answer is 42" in project.text("args")

    # the same arguments: served from the cache
    (project.src / "args.ipynb").touch()
    build(make_app, project.src)
    assert project.executed() == []
    assert project.report()["args"]["status"] == "cached"

    # other arguments are another key: the notebook runs again, and shows their effect
    app = build(
        make_app,
        project.src,
        confoverrides={"nbcache_kernel_arguments": ["--IPKernelApp.exec_lines=['answer = 43']"]},
    )
    assert warnings(app) == []
    assert project.executed() == ["args"]
    assert "the answer is 43" in project.text("args")
