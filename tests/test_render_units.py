"""Unit tests of the rendering layer's pure parts: tags, ANSI, images, MIME priority."""

from __future__ import annotations

import base64

import pytest
from nbformat.v4 import new_code_cell

from sphinx_nbcache.sphinxext.rendering.ansi import ansi_to_html, has_ansi, strip_ansi
from sphinx_nbcache.sphinxext.rendering.images import decode, source_uri, write_image
from sphinx_nbcache.sphinxext.rendering.mime import mime_priority
from sphinx_nbcache.sphinxext.rendering.outputs import latex_as_math, merge_stream_outputs
from sphinx_nbcache.sphinxext.rendering.tags import CellDisplay, cell_display


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({}, CellDisplay()),
        ({"tags": ["remove-cell"]}, CellDisplay(remove_cell=True)),
        ({"tags": ["remove_input"]}, CellDisplay(remove_input=True)),
        (
            {"tags": ["Remove-Output", "remove-stderr"]},
            CellDisplay(remove_output=True, remove_stderr=True),
        ),
        ({"tags": ["hide-input", "hide-output"]}, CellDisplay(hide_input=True, hide_output=True)),
        ({"tags": ["hide-cell"]}, CellDisplay(hide_input=True, hide_output=True)),
        ({"tags": ["raises-exception", "skip-execution"]}, CellDisplay()),
        ({"nbsphinx": "hidden"}, CellDisplay(remove_cell=True)),
        ({"nbsphinx": "shown"}, CellDisplay()),
        (
            {"mystnb": {"remove_code_source": True, "remove_code_outputs": True}},
            CellDisplay(remove_input=True, remove_output=True),
        ),
        ({"mystnb": {"remove_code_source": False}}, CellDisplay()),
    ],
)
def test_cell_display(metadata, expected):
    assert cell_display(new_code_cell("x", metadata=metadata)) == expected


def test_cell_display_tolerates_malformed_tags():
    # a string where a list belongs (hand-edited JSON); nbformat would reject it on validation
    assert cell_display({"metadata": {"tags": "remove-cell"}}) == CellDisplay(remove_cell=True)


def test_ansi_basic_colours_and_reset():
    text = "\x1b[0;31mError\x1b[0m: <bad> & \x1b[1;32mok\x1b[0m"
    assert ansi_to_html(text) == (
        '<span class="ansi-red-fg">Error</span>: &lt;bad&gt; &amp; '
        '<span class="ansi-green-fg ansi-bold">ok</span>'
    )
    assert strip_ansi(text) == "Error: <bad> & ok"
    assert has_ansi(text) and not has_ansi("plain")


def test_ansi_extended_colours():
    assert ansi_to_html("\x1b[38;5;241mx\x1b[39m") == '<span style="color: rgb(98,98,98)">x</span>'
    assert ansi_to_html("\x1b[38;5;1mx") == '<span class="ansi-red-fg">x</span>'
    assert (
        ansi_to_html("\x1b[48;2;1;2;3mx") == '<span style="background-color: rgb(1,2,3)">x</span>'
    )
    assert ansi_to_html("\x1b[94;41mx") == '<span class="ansi-blue-intense-fg ansi-red-bg">x</span>'


def test_ansi_other_sequences_dropped():
    assert ansi_to_html("a\x1b[2Kb\x1b[?25lc") == "abc"
    assert strip_ansi("a\x1b[2Kb") == "ab"


def test_write_image_once_by_content(tmp_path):
    first = write_image(tmp_path / "img", b"png-bytes", "image/png")
    second = write_image(tmp_path / "img", b"png-bytes", "image/png")
    assert first == second and first.suffix == ".png" and len(first.stem) == 64
    assert first.read_bytes() == b"png-bytes"
    assert [p.name for p in (tmp_path / "img").iterdir()] == [first.name]


def test_decode_and_uri(tmp_path):
    assert decode("image/png", base64.b64encode(b"abc").decode()) == b"abc"
    assert decode("image/svg+xml", ["<svg>", "</svg>"]) == b"<svg></svg>"
    src = tmp_path / "src"
    assert source_uri(src, tmp_path / "build" / "x.png") == "/../build/x.png"
    assert source_uri(src, src / "_build" / "x.png") == "/_build/x.png"


def test_mime_priority():
    assert mime_priority("html", "html")[:3] == [
        "application/vnd.jupyter.widget-view+json",
        "application/javascript",
        "text/html",
    ]
    assert mime_priority("dirhtml", "html") == mime_priority("html", "html")
    assert mime_priority("latex", "latex")[0] == "application/pdf"
    assert mime_priority("text", "text") == ["text/plain"]
    assert mime_priority("man", "man") == ["text/plain"]
    overridden = mime_priority("html", "html", {"html": ["text/plain"], "latex": ["x/y"]})
    assert overridden[0] == "text/plain" and overridden.count("text/plain") == 1


@pytest.mark.parametrize(
    ("latex", "math"),
    [
        ("$x$", "x"),
        ("$$\n\\alpha\n$$", "\\alpha"),
        ("\\begin{align}a\\end{align}", "\\begin{align}a\\end{align}"),
        ("\\begin{tabular}{r}1\\end{tabular}", None),
    ],
)
def test_latex_as_math(latex, math):
    assert latex_as_math(latex) == math


def test_merge_stream_outputs():
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "a\n"},
        {"output_type": "stream", "name": "stdout", "text": ["b\n"]},
        {"output_type": "stream", "name": "stderr", "text": "e\n"},
        {"output_type": "stream", "name": "stdout", "text": "c\n"},
    ]
    merged = merge_stream_outputs(outputs)
    assert [(o["name"], o["text"]) for o in merged] == [
        ("stdout", "a\nb\n"),
        ("stderr", "e\n"),
        ("stdout", "c\n"),
    ]
    assert outputs[0]["text"] == "a\n"  # the input is not modified


class _Context:
    """The least an OutputContext needs for bundles without images or markdown."""

    merge_streams = True
    has_widget_state = False
    stderr_mode = "show"

    def __init__(self):
        self.warnings = []

    def warn(self, message, subtype, line):
        self.warnings.append((subtype, message))


@pytest.mark.parametrize(
    ("data", "chosen"),
    [
        # plotly: its JSON for JupyterLab, its HTML (with the plotly.js script) for pages
        ({"application/vnd.plotly.v1+json": {}, "text/html": "<div>p</div>"}, "text/html"),
        # bokeh: a script that draws into the HTML element of the same output
        (
            {"application/javascript": "draw()", "application/vnd.bokehjs_exec.v0+json": ""},
            "application/javascript",
        ),
        # altair/vega: the HTML renderer's output
        ({"application/vnd.vegalite.v5+json": {}, "text/html": "<div id=v></div>"}, "text/html"),
        # a vega-lite bundle with only JSON and text: the text, as in MyST-NB
        ({"application/vnd.vegalite.v4+json": {}, "text/plain": "Chart"}, "text/plain"),
    ],
)
def test_library_bundles_render_as_in_mystnb(data, chosen):
    from sphinx_nbcache.sphinxext.rendering.mime import mime_priority, select_option
    from sphinx_nbcache.sphinxext.rendering.outputs import render_bundle

    ctx = _Context()
    bundle = render_bundle(ctx, data, {}, 1)
    assert ctx.warnings == []
    best = select_option(list(bundle.children), mime_priority("html", "html"), "html")
    assert best["mime_type"] == chosen


class _Config(dict):
    """Sphinx's Config is read with ``config[name]``."""


def test_mystnb_options_conf_then_notebook_then_cell():
    from sphinx_nbcache.sphinxext.config import CONFIG_VALUES
    from sphinx_nbcache.sphinxext.rendering import mystnb_meta

    conf = {v.full_name: v.default for v in CONFIG_VALUES}
    conf["nbcache_number_source_lines"] = True
    config = _Config(conf)
    nb_meta = {"mystnb": {"render_text_lexer": "python", "scroll_outputs": True}}
    cell = new_code_cell(
        "1", metadata={"tags": ["remove-stdout"], "mystnb": {"text_lexer": "text"}}
    )
    look = mystnb_meta.cell_look(config, nb_meta, cell)
    assert look["number_source_lines"] is True  # conf.py
    assert look["scroll_outputs"] is True  # notebook metadata
    assert look["text_lexer"] == "text"  # cell metadata wins
    assert "config_scroll_outputs" in mystnb_meta.cell_classes(look)
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "a"},
        {"output_type": "stream", "name": "stderr", "text": "b"},
    ]
    assert [o["name"] for o in mystnb_meta.filter_outputs(look, outputs, True)] == ["stderr"]
    assert mystnb_meta.prompt(look, "source") == "Show code cell source"
