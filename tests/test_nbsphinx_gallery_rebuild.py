"""A gallery page is written again when a listed notebook's thumbnail changes, and only then."""

from __future__ import annotations

import pytest
from buildutil import build, copy_project, reread, warnings, write_later


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "nbsphinx-gallery-rebuild", tmp_path, monkeypatch)


def _thumbnails(project, page: str = "index") -> dict[str, str]:
    """Each gallery entry's title -> the text of the image file its thumbnail shows."""
    grid = project.page(page).find("div", class_="nbcache-gallery")
    return {
        a.find_all("div")[1].get_text(): (project.html / a.find("img")["src"]).read_text()
        for a in grid.find_all("a")
    }


def _words(thumbnails: dict[str, str]) -> dict[str, str]:
    found = {}
    for title, svg in thumbnails.items():
        found[title] = svg.split("<text>")[1].split("</text>")[0]
    return found


def test_gallery_follows_its_notebooks_thumbnails(make_app, project):
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["drawn"]
    assert _words(_thumbnails(project)) == {"Drawn": "first", "From conf": "conf-a"}
    assert _words(_thumbnails(project, "links")) == {"Drawn": "first"}

    # nothing changed: nothing is read, the gallery page is not written again
    pages = [project.html / "index.html", project.html / "links.html"]
    before = [page.stat().st_mtime_ns for page in pages]
    app = build(make_app, project.src)
    assert reread(app) == (0, 0) and project.executed() == []
    assert [page.stat().st_mtime_ns for page in pages] == before

    # the file the notebook reads changes: it executes again, its last image is new, and the
    # gallery page (whose source did not change) shows the new thumbnail
    write_later(project.src / "shape.txt", "second\n")
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["drawn"]
    assert _words(_thumbnails(project)) == {"Drawn": "second", "From conf": "conf-a"}
    # a link gallery is no toctree (Sphinx would not write it again by itself)
    assert _words(_thumbnails(project, "links")) == {"Drawn": "second"}

    # nbsphinx_thumbnails points elsewhere: the gallery shows the new image
    conf = project.src / "conf.py"
    write_later(conf, conf.read_text().replace("thumbs/a.svg", "thumbs/b.svg"))
    build(make_app, project.src)
    assert project.executed() == []
    assert _words(_thumbnails(project)) == {"Drawn": "second", "From conf": "conf-b"}

    # the image nbsphinx_thumbnails names is edited in place: the copy in the output follows
    write_later(
        project.src / "thumbs" / "b.svg",
        '<svg xmlns="http://www.w3.org/2000/svg"><text>conf-b2</text></svg>\n',
    )
    build(make_app, project.src)
    assert _words(_thumbnails(project)) == {"Drawn": "second", "From conf": "conf-b2"}
