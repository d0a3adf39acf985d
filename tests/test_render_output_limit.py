"""Long text outputs are cut in the page to ``nbcache_output_limit``; the cache keeps them whole.

The root's limit is 10_000 characters; its notebook prints 300_000 (37_500 numbered lines
``L000000`` .. ``L037499``) and returns a 20_002-character string.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from buildutil import build, copy_project, warnings

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.sphinxext.rendering.truncate import notebook_limit

LIMIT = 10_000
PRINTED = "".join(f"L{i:06d}\n" for i in range(37_500))
MARKER = "\u2026 output truncated: "


def _outputs(project) -> tuple[str, str]:
    """The text of the page's stdout block and of its execute result."""
    page = project.page("long")
    streams = page.select("div.nbcache-stream-stdout")
    assert len(streams) == 2  # the long one and "short and whole"
    result = page.select_one("div.nbcache-execute-result")
    return streams[0].get_text(), result.get_text()


def _check_cut_page(project) -> None:
    stream, result = _outputs(project)
    # at most the limit, then the marker
    shown = project.page("long").select("div.nbcache-stream-stdout pre")[0].get_text()
    assert len(shown) <= LIMIT
    assert PRINTED.startswith(shown.rstrip("\n"))
    assert f"{MARKER}10,000 of 300,000 characters shown; full text" in stream
    assert f"{MARKER}10,000 of 20,002 characters shown" in result
    assert "short and whole" in project.text("long")
    # nothing of the rest reached the page or the search index
    html = (project.html / "long.html").read_text("utf-8")
    assert "L037499" not in html and "L000001" in html
    assert len(html) < 3 * LIMIT + 20_000
    index = (project.html / "searchindex.js").read_text("utf-8")
    assert "l037499" not in index.lower()
    # the full text is a download, copied into the build
    links = project.page("long").select("p.nbcache-truncated a.download")
    assert len(links) == 2
    full = (project.html / links[0]["href"]).read_text("utf-8")
    assert full == PRINTED
    assert (project.html / links[1]["href"]).read_text("utf-8") == repr("y" * 20_000)


def test_a_long_output_is_cut_in_the_page_and_whole_in_the_cache(
    make_app, rootdir, tmp_path, monkeypatch
) -> None:
    project = copy_project(rootdir, "render-output-limit", tmp_path, monkeypatch)
    app = build(make_app, project.src)
    assert project.executed() == ["long"]
    said = warnings(app)
    assert len(said) == 1, said
    (warning,) = said
    assert "long.ipynb:" in warning and warning.endswith("[nbcache.output]")
    assert "an output of 300,000 characters is shown cut to its first 10,000" in warning
    _check_cut_page(project)

    # the cache record holds the whole output
    (record,) = NotebookCache(project.src / ".nbcache").list_records()
    nb = NotebookCache(project.src / ".nbcache").load_notebook(record)
    (stdout,) = nb.cells[2].outputs
    assert stdout.text == PRINTED

    # a second build from the cache, from fresh doctrees and output: the same page
    for folder in ("html", "doctrees"):
        path = project.src / "_build" / folder
        if path.exists():
            shutil.rmtree(path)
    app = build(make_app, project.src)
    assert project.executed() == []
    assert len(warnings(app)) == 1
    _check_cut_page(project)


@pytest.mark.parametrize(
    ("overrides", "metadata"),
    [
        ({"nbcache_output_limit": None}, None),
        ({"nbcache_output_limit": "0"}, None),  # as ``sphinx-build -D`` gives it
        ({}, {"output_limit": None}),  # the notebook's own
    ],
    ids=["none", "dash-D-zero", "metadata"],
)
def test_no_limit_shows_the_output_whole(
    make_app, rootdir, tmp_path, monkeypatch, overrides, metadata
) -> None:
    project = copy_project(rootdir, "render-output-limit", tmp_path, monkeypatch)
    if metadata is not None:
        path = project.src / "long.ipynb"
        nb = json.loads(path.read_text("utf-8"))
        nb["metadata"]["nbcache"] = metadata
        path.write_text(json.dumps(nb), "utf-8")
    app = build(make_app, project.src, confoverrides=overrides)
    assert warnings(app) == []
    stream, result = _outputs(project)
    assert MARKER not in stream and MARKER not in result
    assert stream.strip() == PRINTED.strip()
    # (which is why the limit matters: all of it is in the search index)
    assert "l037499" in (project.html / "searchindex.js").read_text("utf-8").lower()
    assert not Path(project.src / "_build" / "html" / "_downloads").exists()


def test_the_limit_of_a_notebook() -> None:
    assert notebook_limit(10, {}) == (10, None)
    assert notebook_limit(None, {}) == (None, None)
    assert notebook_limit(0, {}) == (None, None)
    assert notebook_limit(10, {"nbcache": {"output_limit": 5}}) == (5, None)
    assert notebook_limit(10, {"nbcache": {"output_limit": None}}) == (None, None)
    limit, problem = notebook_limit(10, {"nbcache": {"output_limit": "lots"}})
    assert limit == 10
    assert problem == (
        "output_limit 'lots' in the notebook metadata is not a number of characters or null; "
        "nbcache_output_limit applies"
    )
