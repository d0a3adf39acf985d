"""A failing notebook is a located warning; the rest of the build goes on."""

from __future__ import annotations

import json
import sys

import pytest
from buildutil import build, copy_project, warnings
from sphinx.errors import SphinxError

from sphinx_nbcache.engine import NotebookCache


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "build-failing", tmp_path, monkeypatch)


def test_failures_are_located_warnings_and_remembered(make_app, project, monkeypatch):
    app = build(make_app, project.src)
    found = warnings(app)
    assert len(found) == 2, found
    broken = next(w for w in found if "broken.ipynb" in w)
    # located at the document and the failing cell, with the error and the traceback's end
    assert "broken.ipynb:4: WARNING: notebook execution failed: cell 4: ZeroDivisionError" in broken
    assert app.warning.getvalue().count("[nbcache.exec]") == 2
    nokernel = next(w for w in found if "nokernel.ipynb" in w)
    assert "kernel 'no-such-kernel' is not installed" in nokernel
    assert app.warning.getvalue().count("ZeroDivisionError: division by zero") >= 2

    # the others are unaffected; the expected error is shown, not a failure
    assert project.executed() == ["allowed", "broken", "good"]  # no kernel: nothing ran
    assert "good output" in project.text("good")
    allowed = project.text("allowed")
    assert "ValueError" in allowed and "after the expected error" in allowed
    # the failing page shows the outputs up to the failure
    broken_page = project.text("broken")
    assert "before the failure" in broken_page
    assert "ZeroDivisionError" in broken_page
    outputs = " ".join(
        div.get_text(" ") for div in project.page("broken").find_all(class_="nbcache-cell-output")
    )
    assert "before the failure" in outputs
    assert "never printed" not in outputs
    report = project.report()
    assert report["broken"]["status"] == "failed"
    assert report["nokernel"]["status"] == "failed"
    assert report["good"]["status"] == "executed"
    # failures are not cache records
    uris = {r.uri for r in NotebookCache(project.src / ".nbcache").list_records()}
    assert uris == {"good.ipynb", "allowed.ipynb"}

    # an unchanged failing notebook is not executed again; its failure is reported again
    (project.src / "broken.ipynb").touch()
    app = build(make_app, project.src)
    assert project.executed() == []
    again, nokernel = sorted(warnings(app))
    assert "broken.ipynb:4: WARNING: notebook execution failed (remembered" in again
    assert "ZeroDivisionError" in again
    # a missing kernel is the machine's fault, not the notebook's: looked for again each build
    assert "remembered" not in nokernel and "'no-such-kernel' is not installed" in nokernel
    assert project.report()["nokernel"]["reason"].startswith(
        "retrying: kernel 'no-such-kernel' is not installed"
    )
    # so installing it is enough, with no change to the notebook
    spec = project.src.parent / "jupyter" / "kernels" / "no-such-kernel"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Installed", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(spec.parent.parent))
    app = build(make_app, project.src)
    assert project.executed() == ["nokernel"]
    assert "kernel found" in project.text("nokernel")
    assert project.report()["nokernel"]["status"] == "executed"
    assert project.report()["nokernel"]["error"] == ""  # the old failure is not reported
    assert [w for w in warnings(app) if "nokernel" in w] == []

    # unless asked to retry
    (project.src / "broken.ipynb").touch()
    build(make_app, project.src, confoverrides={"nbcache_retry_failed": True})
    assert project.executed() == ["broken"]


def test_suppressed_warning(make_app, project):
    app = build(make_app, project.src, confoverrides={"suppress_warnings": ["nbcache.exec"]})
    assert warnings(app) == []


def test_raise_on_error_fails_after_every_notebook_ran(make_app, project):
    with pytest.raises(SphinxError) as info:
        build(make_app, project.src, confoverrides={"nbcache_raise_on_error": True})
    message = str(info.value)
    assert "2 notebooks failed" in message
    assert "broken.ipynb: cell 4: ZeroDivisionError" in message
    assert "nokernel.ipynb" in message
    assert project.executed() == ["allowed", "broken", "good"]


def test_bad_configuration_names_each_value(make_app, project):
    from sphinx.errors import ConfigError

    with pytest.raises(ConfigError, match="2 invalid nbcache configuration values"):
        make_app(
            "html",
            srcdir=project.src,
            confoverrides={"nbcache_execution_mode": "sometimes", "nbcache_jobs": 0},
        )


def test_damaged_cache_stops_the_build_with_what_to_do(make_app, project):
    cache_dir = project.src / ".nbcache"
    cache_dir.mkdir()
    (cache_dir / "nbcache.db").write_bytes(b"not a database at all" * 10)
    with pytest.raises(SphinxError) as info:
        build(make_app, project.src)
    message = str(info.value)
    assert "nbcache.db: database error (file is not a database)" in message
    assert "run `nbcache clear`" in message
    assert f"nbcache -p {cache_dir}" in message
    assert (cache_dir / "nbcache.db").read_bytes() == b"not a database at all" * 10
    assert project.executed() == []


def test_a_result_that_cannot_be_stored_is_shown_and_said_unstored(
    make_app, rootdir, tmp_path, monkeypatch
):
    # issue 14: only the records folder unwritable; the run happened, so its page shows it
    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    cache_dir = project.src / ".nbcache"
    cache_dir.mkdir()
    (cache_dir / "records").write_text("a file where the cache keeps its records folder")
    app = build(make_app, project.src)
    # every notebook still ran; each result that could not be stored is a warning
    assert project.executed() == ["alpha", "beta", "gamma"]
    found = [w for w in warnings(app) if "could not store the result" in w]
    assert len(found) == 3, warnings(app)
    assert all(w.endswith("[nbcache.cache]") for w in found)
    report = project.report()
    assert {r["status"] for r in report.values()} == {"executed"}
    assert all("could not be stored" in r["error"] for r in report.values())
    assert "alpha says 42" in project.text("alpha")
    # nothing was kept, so the next build executes them again (and shows them again)
    app = build(make_app, project.src)
    assert project.executed() == ["alpha", "beta", "gamma"]
    assert "alpha says 42" in project.text("alpha")
