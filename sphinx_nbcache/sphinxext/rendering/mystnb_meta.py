"""MyST-NB's display options of a code cell: ``conf.py``, then notebook, then cell metadata.

Options are read from ``nbcache_*`` values (MyST-NB's ``nb_*`` map to them), then the
notebook's ``mystnb`` metadata (MyST-NB's field names: ``number_source_lines``,
``render_image_options`` ...), then the cell's ``mystnb`` metadata (MyST-NB's cell keys:
``image``, ``figure``, ``text_lexer`` ...). The cell nodes also get MyST-NB's classes
(``cell``, ``cell_input``, ``cell_output``, ``tag_<tag>``) so that themes' and users' CSS
(``margin``, ``full-width``, ``scroll-output`` ...) applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from docutils import nodes

from ..snapshot import nbcache_config
from .outputs import merge_stream_outputs

#: option -> (nbcache value without the prefix, notebook-level key, cell-level key)
_OPTIONS: dict[str, tuple[str, str, str]] = {
    "remove_code_source": ("remove_code_source", "remove_code_source", "remove_code_source"),
    "remove_code_outputs": ("remove_code_outputs", "remove_code_outputs", "remove_code_outputs"),
    "number_source_lines": ("number_source_lines", "number_source_lines", "number_source_lines"),
    "scroll_outputs": ("scroll_outputs", "scroll_outputs", "scroll_outputs"),
    "code_prompt_show": ("code_prompt_show", "code_prompt_show", "code_prompt_show"),
    "code_prompt_hide": ("code_prompt_hide", "code_prompt_hide", "code_prompt_hide"),
    "text_lexer": ("text_lexer", "render_text_lexer", "text_lexer"),
    "error_lexer": ("error_lexer", "render_error_lexer", "error_lexer"),
    "image": ("image_options", "render_image_options", "image"),
    "figure": ("figure_options", "render_figure_options", "figure"),
    "merge_streams": ("merge_streams", "merge_streams", "merge_streams"),
    "output_stderr": ("output_stderr", "output_stderr", "output_stderr"),
}

#: our names of a cell's parts -> MyST-NB's ``{type}`` in ``code_prompt_show``
_PROMPT_TYPES = {"outputs": "output"}

#: image options copied onto image nodes, as the image directive has them
_IMAGE_KEYS = ("width", "height", "scale", "alt", "align")


@dataclass(frozen=True)
class CellLook:
    """MyST-NB's display options of one code cell, resolved."""

    options: Mapping[str, Any]
    tags: Sequence[str] = field(default_factory=tuple)

    def __getitem__(self, name: str) -> Any:
        return self.options[name]


def cell_look(config: Any, nb_metadata: Mapping[str, Any], cell: Mapping[str, Any]) -> CellLook:
    """The options of ``cell``: conf values, overridden by notebook then cell ``mystnb`` keys.

    :param config: this run's :class:`..snapshot.NbcacheConfig` (or what
        :func:`..snapshot.nbcache_config` takes).
    """
    conf = nbcache_config(config)
    nb_level = nb_metadata.get("mystnb")
    nb_level = nb_level if isinstance(nb_level, Mapping) else {}
    metadata = cell.get("metadata") or {}
    cell_level = metadata.get("mystnb")
    cell_level = cell_level if isinstance(cell_level, Mapping) else {}
    options: dict[str, Any] = {}
    for name, (ours, file_key, cell_key) in _OPTIONS.items():
        value = getattr(conf, ours)
        if file_key in nb_level:
            value = nb_level[file_key]
        if cell_key in cell_level:
            value = cell_level[cell_key]
        options[name] = value
    tags = [t for t in metadata.get("tags", []) if isinstance(t, str)]
    return CellLook(options, tuple(tags))


def filter_outputs(
    look: CellLook, outputs: Sequence[Mapping[str, Any]], merge_streams: bool
) -> list[Mapping[str, Any]]:
    """``outputs`` without what the cell removes (``remove-stdout``, ``output_stderr: remove``).

    A cell that asks for merged streams gets them even when the project does not.
    """
    kept: list[Mapping[str, Any]] = list(outputs)
    if "remove-stdout" in look.tags:
        kept = [o for o in kept if not _is_stream(o, "stdout")]
    if look["output_stderr"] in ("remove", "remove-warn"):
        kept = [o for o in kept if not _is_stream(o, "stderr")]
    if look["merge_streams"] is True and not merge_streams:
        kept = [*merge_stream_outputs(kept)]
    return kept


def _is_stream(output: Mapping[str, Any], name: str) -> bool:
    return output.get("output_type") == "stream" and output.get("name", "stdout") == name


def cell_classes(look: CellLook) -> list[str]:
    """MyST-NB's classes of the cell container."""
    classes = ["cell", *(f"tag_{tag.replace(' ', '_')}" for tag in look.tags)]
    scroll_tags = {"scroll-output", "output_scroll"}
    if look["scroll_outputs"] is True and not scroll_tags & set(look.tags):
        classes.append("config_scroll_outputs")
    return classes


def prompt(look: CellLook, part: str) -> str:
    """The summary of a folded part: ``source``, ``outputs`` or ``content``.

    ``{type}`` takes MyST-NB's words ("Show code cell source", "Show code cell output").
    """
    text = str(look["code_prompt_show"])
    try:
        return text.format(type=_PROMPT_TYPES.get(part, part))
    except (KeyError, IndexError, ValueError):
        return text


def decorate_input(look: CellLook, code: nodes.literal_block) -> None:
    """Line numbers on the source, as ``number_source_lines`` asks."""
    if look["number_source_lines"] is True:
        code["linenos"] = True


def decorate_outputs(look: CellLook, output_nodes: Sequence[nodes.Element]) -> None:
    """Lexers of text and tracebacks, and the image options, on the rendered outputs."""
    for container in output_nodes:
        classes = container.get("classes", [])
        lexer = look["error_lexer"] if "nbcache-error" in classes else look["text_lexer"]
        if isinstance(lexer, str) and lexer and lexer != "none":
            for block in container.findall(nodes.literal_block):
                if block.get("language") == "none":
                    block["language"] = lexer
        image = look["image"]
        if isinstance(image, Mapping) and image:
            for node in container.findall(nodes.image):
                for key in _IMAGE_KEYS:
                    if key in image:
                        node[key] = (
                            _length(image[key]) if key in ("width", "height") else image[key]
                        )
                if image.get("classes"):
                    node["classes"] += str(image["classes"]).split()


def _length(value: Any) -> str:
    return f"{value}px" if isinstance(value, (int, float)) else str(value)


def figure_options(look: CellLook) -> Mapping[str, Any] | None:
    """The cell's figure options, when its outputs are to be a figure."""
    figure = look["figure"]
    return figure if isinstance(figure, Mapping) and figure else None


def wrap_in_figure(
    renderer: Any, options: Mapping[str, Any], children: Sequence[nodes.Node], line: int
) -> nodes.figure:
    """A figure holding ``children``, with MyST-NB's ``caption`` and ``name`` (a label).

    :param renderer: the MyST renderer (it parses the caption and registers the label).
    """
    figure = nodes.figure("", *children)
    figure.source, figure.line = renderer.document["source"], line
    if options.get("classes"):
        figure["classes"] += str(options["classes"]).split()
    if options.get("align") in ("center", "left", "right"):
        figure["align"] = options["align"]
    if options.get("name"):
        figure["names"].append(nodes.fully_normalize_name(str(options["name"])))
        renderer.document.note_explicit_target(figure, figure)
    if options.get("caption"):
        holder = nodes.Element()
        with renderer.current_node_context(holder):
            renderer.nested_render_text(str(options["caption"]), line - 1)
        first = holder.children[0] if holder.children else None
        if isinstance(first, nodes.paragraph):
            caption = nodes.caption(first.rawsource, "", *first.children)
            caption.source, caption.line = renderer.document["source"], line
            if options.get("caption_before"):
                figure.insert(0, caption)
            else:
                figure += caption
            if len(holder.children) > 1:
                figure += nodes.legend("", *holder.children[1:])
        else:
            renderer.warn("a figure caption must be one paragraph", "figure", line)
    return figure
