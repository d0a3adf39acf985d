"""Structure from notebooks as nbsphinx makes it: toctree cells, galleries and thumbnails."""

from __future__ import annotations

import pytest
from buildutil import build, copy_project, warnings


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "nbsphinx-structure", tmp_path, monkeypatch)


def _gallery(project):
    """(title, href, img src, tooltip) of each gallery entry."""
    grid = project.page("gallery").find_all("div", class_="nbcache-gallery")[0]
    return [
        (a.find_all("div")[1].get_text(), a["href"], a.find("img")["src"], a.get("title"))
        for a in grid.find_all("a")
    ]


def test_toctree_cell_and_gallery(make_app, project):
    app = build(make_app, project.src)
    assert warnings(app) == []
    assert project.executed() == ["fromconf", "last", "meta", "none", "tagged"]

    # the toctree cell: its links, numbered, its heading as the caption, no text of its own
    toc = project.page("toc").find("div", class_="toctree-wrapper")
    assert toc.find(class_="caption-text").get_text() == "Chapters"
    assert [(a.get_text(), a["href"]) for a in toc.find_all("a")] == [
        ("1. The first one", "first.html"),
        ("2. Second", "sub/second.html"),
    ]
    assert "Text before." in project.text("toc")
    # maxdepth 1: the pages are still in the navigation of the master page
    assert project.page("index").find("a", href="sub/second.html") is not None

    entries = _gallery(project)
    assert [e[:2] for e in entries] == [
        ("Tagged", "tagged.html"),
        ("Meta title", "meta.html"),  # a link without text: the page title
        ("Last", "last.html"),
        ("Conf", "fromconf.html"),
        ("None", "none.html"),
    ]
    src = {title: img for title, _, img, _ in entries}
    # tag: the tagged cell's image, not the later one
    tagged = (project.html / src["Tagged"]).read_text()
    assert "tagged" in tagged and "later" not in tagged
    # metadata: output-index 0 (an SVG, where the last image is a PNG), with its tooltip
    assert "m0" in (project.html / src["Meta title"]).read_text()
    assert dict((e[0], e[3]) for e in entries)["Meta title"] == "a tip"
    # implicit: the last image output of the notebook
    assert src["Last"].endswith(".png") and (project.html / src["Last"]).is_file()
    # nbsphinx_thumbnails beats the implicit image
    assert src["Conf"] == "./thumbs/conf.png" and (project.html / "thumbs/conf.png").is_file()
    assert src["None"] == "./_static/nbcache-no-thumbnail.svg"
    assert (project.html / "_static/nbcache-no-thumbnail.svg").is_file()
    # the gallery page lists its pages as thumbnails only, but the navigation has them
    assert project.page("gallery").find(attrs={"role": "main"}).find("li") is None
    assert project.page("index").find("a", href="tagged.html") is not None

    # nbsphinx-link-gallery: thumbnails of links, its pages not added to the navigation
    links = project.page("gallery").find_all("div", class_="nbcache-gallery")[1]
    assert [(a["href"], a.get_text(" ").strip()) for a in links.find_all("a")] == [
        ("first.html", "First page")
    ]
    assert "Linked" in project.text("gallery")

    # a cached build: the notebooks are read again, the thumbnails come from the cache
    for name in ("gallery", "tagged", "meta", "last"):
        (project.src / f"{name}.ipynb").touch()
    build(make_app, project.src)
    assert project.executed() == []
    assert _gallery(project) == entries


def test_gallery_thumbnail_problems_warn(make_app, project):
    import nbformat

    path = project.src / "meta.ipynb"
    nb = nbformat.read(path, 4)
    nb.cells[2].metadata["nbsphinx-thumbnail"] = {"output-index": 7}
    nbformat.write(nb, path)
    app = build(make_app, project.src)
    lines = warnings(app)
    assert len(lines) == 1, lines
    assert "meta" in lines[0] and 'invalid "output-index": 7' in lines[0]
    assert dict((e[0], e[2]) for e in _gallery(project))["Meta title"] == (
        "./_static/nbcache-broken-thumbnail.svg"
    )
