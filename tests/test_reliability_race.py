"""A notebook edited while the build executes it is never shown with the old run's outputs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import nbformat
import pytest
from buildutil import build, copy_project, warnings

from sphinx_nbcache.engine import NotebookCache


def _edit_while_running(notebook: Path, started: Path, go: Path) -> threading.Thread:
    """Once the kernel says it started, save the notebook with 'V2', then let the kernel go on."""

    def edit() -> None:
        deadline = time.monotonic() + 120
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        nb = nbformat.read(notebook, as_version=4)
        nb.cells[3].source = nb.cells[3].source.replace("V1", "V2")
        nbformat.write(nb, notebook)
        go.touch()

    thread = threading.Thread(target=edit, daemon=True)
    thread.start()
    return thread


def test_an_edit_during_execution_is_executed_by_the_next_build(
    make_app, rootdir, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_project(rootdir, "reliability-race", tmp_path, monkeypatch)
    started, go = tmp_path / "started", tmp_path / "go"
    monkeypatch.setenv("NBCACHE_TEST_STARTED", str(started))
    monkeypatch.setenv("NBCACHE_TEST_GO", str(go))
    thread = _edit_while_running(project.src / "race.ipynb", started, go)

    app = build(make_app, project.src)
    thread.join(5)
    assert project.executed() == ["race"]
    # the page shows the new code: never with the outputs of the old one
    text = project.text("race")
    assert "'V2'" in text
    assert "V1" not in text
    lines = warnings(app)
    assert len(lines) == 1, lines
    assert "race.ipynb: WARNING: the notebook changed while the build executed it" in lines[0]
    assert "[nbcache.cache]" in lines[0]
    # what ran is stored under the key of the code that ran
    store = NotebookCache(project.src / ".nbcache")
    (record,) = store.list_records()
    assert "output of V1" in str(store.load_notebook(record).cells[3].outputs)

    # the next build executes the edited notebook and shows its outputs
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["race"]
    text = project.text("race")
    assert "output of V2" in text and "V1" not in text
    assert project.report()["race"]["status"] == "executed"

    # and then it is up to date
    build(make_app, project.src)
    assert project.executed() == []
    assert "output of V2" in project.text("race")
