"""How hidden code cells fold in HTML: ``hide-cell`` as ONE fold, as MyST-NB shows it."""

from __future__ import annotations

import pytest
from buildutil import soup, warnings_of


def cells_by_name(app) -> dict[str, object]:
    """Each rendered code cell, named by the ``src_<name>()`` call of its source or output."""
    found = {}
    for cell in soup(app, "nb.html").select("div.nbcache-cell"):
        text = cell.get_text()
        name = text.split("src_")[1].split("()")[0] if "src_" in text else text.split("out-")[1]
        found[name.strip()] = cell
    return found


@pytest.mark.sphinx("html", testroot="render-folds")
def test_hide_cell_is_one_fold_around_input_and_outputs(app):
    app.build()
    assert warnings_of(app) == []
    cells = cells_by_name(app)
    assert sorted(cells) == ["both", "prompt", "whole", "whole_no_input"]

    whole = cells["whole"]
    folds = whole.select("details")
    assert len(folds) == 1
    fold = folds[0]
    assert fold.summary.get_text() == "Show code cell content"  # MyST-NB's words
    assert {"hide", "above-input"} <= set(fold["class"])
    # both parts inside the one fold, in order, and nothing of the cell outside it
    parts = [div["class"][0] for div in fold.select(":scope > div")]
    assert parts == ["nbcache-cell-input", "nbcache-cell-output"]
    assert "src_whole()" in fold.get_text() and "out-whole" in fold.get_text()
    assert whole.select(":scope > details") == folds

    # with its input removed, the outputs alone fold (MyST-NB: "above-output")
    alone = cells["whole_no_input"]
    assert len(alone.select("details")) == 1
    assert alone.details.summary.get_text() == "Show code cell output"
    assert "above-output" in alone.details["class"]
    assert "out-whole_no_input" in alone.details.get_text()
    assert not alone.select("div.nbcache-cell-input")

    # hide-input with hide-output: two folds, each part its own (as MyST-NB does)
    both = cells["both"]
    summaries = [d.summary.get_text() for d in both.select(":scope > details")]
    assert summaries == ["Show code cell source", "Show code cell output"]
    assert both.select_one("details.above-input > div.nbcache-cell-input")
    assert both.select_one("details.below-input > div.nbcache-cell-output")

    # the underscore spelling, and the cell's own prompt from its mystnb metadata
    prompt = cells["prompt"]
    assert [d.summary.get_text() for d in prompt.select("details")] == ["Reveal content"]


@pytest.mark.sphinx("text", testroot="render-folds", srcdir="render-folds-text")
def test_folded_cells_show_in_text(app):
    app.build()
    assert warnings_of(app) == []
    text = (app.outdir / "nb.txt").read_text(encoding="utf-8")
    for name in ("whole", "both", "prompt"):
        assert f"src_{name}()" in text and f"out-{name}" in text
    assert "out-whole_no_input" in text and "src_whole_no_input" not in text
