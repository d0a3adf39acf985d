"""Input and output prompts (``[1]:``) beside code cells, as nbsphinx shows them.

Off unless ``nbcache_prompts`` is on; a project that set nbsphinx's ``nbsphinx_input_prompt``
or ``nbsphinx_output_prompt`` gets them on (see :mod:`..compat`), in the format it set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils import nodes

from ..snapshot import DEFAULT_PROMPT, NbcacheConfig, nbcache_config

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: nbsphinx's default format
DEFAULT_FORMAT = DEFAULT_PROMPT


def prompt_text(config: Any, which: str, count: object) -> str:
    """The prompt of ``which`` (``input`` or ``output``) for an execution count.

    :param config: this run's :class:`NbcacheConfig` (or what :func:`nbcache_config` takes).
    """
    conf: NbcacheConfig = nbcache_config(config)
    shown = " " if count is None else str(count)
    text = conf.input_prompt if which == "input" else conf.output_prompt
    return text.replace("%s", shown, 1)


def add_prompt(config: Any, part: nodes.Element, cell: NotebookNode, which: str) -> None:
    """Put the prompt first in an input or output ``part`` of a code cell, when prompts are on.

    An output part gets a prompt only when it holds the cell's result (``execute_result``),
    as in Jupyter and nbsphinx; otherwise an empty one keeps the columns aligned.
    """
    if not nbcache_config(config).prompts:
        return
    count = cell.get("execution_count")
    text = prompt_text(config, which, count)
    if which == "output" and not any(
        o.get("output_type") == "execute_result" for o in cell.get("outputs", [])
    ):
        text = ""
    prompt = nodes.container("", classes=["nbcache-prompt", f"nbcache-prompt-{which}"])
    if text:
        prompt += nodes.literal(text, text)
    part.insert(0, prompt)
    part["classes"].append("nbcache-has-prompt")
