"""Where the parser gets a notebook's outputs from (the cache, a failure, or the file itself).

PLACEHOLDER: returns the notebook unchanged (as execution mode ``off`` does). The build layer
replaces this with a look-up in the cache; the signature stays.
"""

from __future__ import annotations

from nbformat import NotebookNode
from sphinx.environment import BuildEnvironment


def notebook_for_rendering(env: BuildEnvironment, docname: str, nb: NotebookNode) -> NotebookNode:
    """The notebook to render for ``docname``: the source ``nb`` with outputs filled in.

    Markdown comes from the current source (so a prose edit needs no execution); code outputs
    come from the cache record of the notebook's key.
    """
    return nb
