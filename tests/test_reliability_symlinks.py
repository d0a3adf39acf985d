"""Neither recording nor restoring artefacts follows a symbolic link out of the project."""

from __future__ import annotations

import shutil
from pathlib import Path

from buildutil import build, copy_project, warnings
from test_engine_execute import make_nb

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.executor import execute_notebook


def test_a_file_reached_through_a_link_out_is_not_recorded(tmp_path: Path) -> None:
    folder, outside = tmp_path / "docs", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (folder / "gen").symlink_to(outside, target_is_directory=True)
    nb = make_nb("open('gen/out.txt', 'w').write('out')\nopen('mine.txt', 'w').write('mine')")
    result = execute_notebook(nb, folder)
    assert result.ok, result.error
    assert sorted(result.artefacts) == ["mine.txt"]
    assert result.warnings == [
        f"'gen/out.txt' is not recorded as an artefact: it resolves to {outside / 'out.txt'}, "
        "outside the notebook's folder (a symbolic link?)"
    ]


def test_restoring_does_not_write_through_a_link_out(make_app, rootdir, tmp_path, monkeypatch):
    project = copy_project(rootdir, "reliability-symlink", tmp_path, monkeypatch)
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["gen_writer"]
    (record,) = NotebookCache(project.src / ".nbcache").list_records()
    assert list(record.artefacts) == ["gen/out.txt"]

    # a fresh clone in which gen/ is a link to a folder outside the project
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(project.src / "gen")
    shutil.rmtree(project.src / "_build")
    (project.src / "gen").symlink_to(outside, target_is_directory=True)
    app = build(make_app, project.src)
    assert project.executed() == []
    assert list(outside.iterdir()) == []
    (line,) = warnings(app)
    assert "gen_writer.ipynb: WARNING: artefact 'gen/out.txt' is not restored:" in line
    assert f"resolves to {outside / 'out.txt'}, outside the notebook's folder" in line
    assert "[nbcache.artefact]" in line
