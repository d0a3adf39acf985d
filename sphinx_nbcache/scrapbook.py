"""Gluing values into a notebook's outputs, in the kernel: ``from sphinx_nbcache import glue``.

The outputs are those of ``myst_nb.glue`` (the scrapbook format of papermill): a
``display_data`` whose MIME keys are the value's representations, prefixed with
:data:`GLUE_PREFIX` when the value is not to be shown, and whose metadata carries
``{"scrapbook": {"name": ..., "mime_prefix": ...}}``. Notebooks written for MyST-NB and for
sphinx-nbcache are read the same way.

This module runs inside kernels: it imports IPython only when :func:`glue` is called, and
nothing of Sphinx.
"""

from __future__ import annotations

from typing import Any

#: the prefix of the MIME keys of a value glued with ``display=False``
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value: Any, display: bool = True) -> None:
    """Glue ``value`` under ``name``, to be pasted into pages with ``{glue}`name```.

    :param name: the key pages refer to; unique within the notebook.
    :param value: any object; what is kept is its display representations (text, HTML,
        images, LaTeX...), as Jupyter would show it, not the object itself.
    :param display: also show the value in the notebook's own page, as an output.
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipython_display

    bundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata = dict(metadata)
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipython_display(
        {prefix + mime: data for mime, data in bundle.items()}, raw=True, metadata=metadata
    )
