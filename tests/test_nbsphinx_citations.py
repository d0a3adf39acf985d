"""nbconvert's HTML citations (``<cite data-cite="key">``) in notebooks, as nbsphinx reads them."""

from __future__ import annotations

import json

import pytest
from buildutil import build, copy_project, warnings

pytest.importorskip("sphinxcontrib.bibtex")


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "nbsphinx-citations", tmp_path, monkeypatch)


def _main(project, name):
    return project.page(name).find(attrs={"role": "main"})


def test_html_citations_become_bibtex_citations(make_app, project):
    app = build(make_app, project.src)
    assert warnings(app) == []
    main = _main(project, "cites")
    first, second = main.find_all("span", class_="bibtex-citation")
    # data-cite: parenthetical, linked to the entry of the bibliography on the index page
    link = first.find("a")
    assert link.get_text() == "Knuth, 1984" and link["href"].startswith("index.html#")
    entry = _main(project, "index").find(id=link["href"].split("#")[1])
    assert entry is not None and "The TeXbook" in entry.parent.get_text()
    # data-cite-t on another tag: textual, as bibtex's :cite:t: makes it
    assert second.get_text() == "Turing [1936]"
    # data-footcite: a footnote of this page, listed by its footbibliography
    foot = main.find("a", class_="footnote-reference")
    assert "computable numbers" in main.find(id=foot["href"][1:]).get_text()
    # the author's text and the tags are gone; other HTML and code blocks are left alone
    text = " ".join(main.get_text(" ").split())
    assert "(Knuth 1984)" not in text and "(Turing)" not in text
    assert main.find("cite").get_text() == "not a citation"
    assert 'data-cite="knuth1984">in code' in main.find("pre").get_text()


def test_without_bibtex_the_text_stays(make_app, project):
    app = build(make_app, project.src, confoverrides={"extensions": ["sphinx_nbcache"]})
    # only the bibliography directives are unknown; the citations themselves say nothing
    assert [w for w in warnings(app) if "Unknown directive type" not in w] == []
    main = _main(project, "cites")
    assert main.find("span", class_="bibtex-citation") is None
    cites = [c.get_text() for c in main.find_all("cite")]
    assert cites == ["(Knuth 1984)", "(Turing)", "not a citation"]
    assert main.find("strong").get_text() == "Turing (1936)"


def test_unclosed_citation_tag_warns_with_its_location(make_app, project):
    path = project.src / "cites.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][0]["source"] = '# Cites\n\nOpen <cite data-cite="knuth1984">(Knuth) and no end.\n'
    path.write_text(json.dumps(nb))
    app = build(make_app, project.src)
    found = [w for w in warnings(app) if "citation" in w]
    assert len(found) == 1
    assert "cites.ipynb" in found[0] and "[nbcache.citation]" in found[0]
    assert "'knuth1984' is not closed" in found[0]
