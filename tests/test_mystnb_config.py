"""MyST-NB's ``nb_*`` values converted to ours (the pure conversions)."""

from __future__ import annotations

from sphinx_nbcache.sphinxext.compat import PEER_VALUES
from sphinx_nbcache.sphinxext.mystnb_config import INAPPLICABLE, custom_formats, mime_priority

#: every nb_* value of MyST-NB 1.4's Sphinx configuration (NbParserConfig without the
#: docutils-only fields); eval_name_regex belongs to eval
MYSTNB_VALUES = {
    "custom_formats", "metadata_key", "cell_metadata_key", "kernel_rgx_aliases",
    "execution_mode", "execution_cache_path", "execution_excludepatterns", "execution_timeout",
    "execution_in_temp", "execution_allow_errors", "execution_raise_on_error",
    "execution_show_tb", "merge_streams", "render_plugin", "remove_code_source",
    "remove_code_outputs", "scroll_outputs", "code_prompt_show", "code_prompt_hide",
    "number_source_lines", "mime_priority_overrides", "output_stderr", "render_text_lexer",
    "render_error_lexer", "render_image_options", "render_figure_options",
    "render_markdown_format", "ipywidgets_js",
}  # fmt: skip


def test_every_mystnb_value_is_mapped_or_reported():
    handled = {name[3:] for name in (*PEER_VALUES, *INAPPLICABLE) if name.startswith("nb_")}
    assert sorted(MYSTNB_VALUES - handled) == []


def test_custom_formats_in_every_spelling():
    assert custom_formats(
        {
            ".Rmd": ["jupytext.reads", {"fmt": "Rmd"}],
            ".myst": ["jupytext.reads", {"fmt": "mystnb"}, False],
            ".txt": "mypkg.read",
            ".x": ["mypkg.read_x", {"strict": True}],
        }
    ) == {
        ".Rmd": "Rmd",
        ".myst": "md:myst",
        ".txt": "reader:mypkg.read",
        ".x": 'reader:mypkg.read_x:{"strict": true}',
    }


def test_mime_priority_overrides():
    value = [("html", "image/png", 5), ("html", "text/html", 60), ("latex", "image/png", 1)]
    assert mime_priority(value) == {"html": ["image/png", "text/html"], "latex": ["image/png"]}
