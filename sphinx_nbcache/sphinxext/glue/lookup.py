"""Finding the value a role or directive names: ``key`` of this notebook, or ``path::key``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from sphinx_nbcache.engine import DEFAULT_NAME_REGEX, Status

from ..snapshot import nbcache_config
from ..state import env_state
from .deps import note_paste
from .page import ValuesUnavailable, page_values, values_of
from .values import GluedValue, digest

logger = logging.getLogger(__name__)


def warn(env: BuildEnvironment, line: int, subtype: str, message: str, *args: Any) -> None:
    """A warning ``nbcache.<subtype>`` located at the page and line."""
    logger.warning(message, *args, type="nbcache", subtype=subtype, location=(env.docname, line))


def split_reference(text: str) -> tuple[str | None, str]:
    """``"path/nb.ipynb::key"`` -> ``("path/nb.ipynb", "key")``; ``"key"`` -> ``(None, "key")``."""
    if "::" in text:
        path, key = text.split("::", 1)
        return path.strip(), key.strip()
    return None, text.strip()


def glued_value(env: BuildEnvironment, text: str, line: int) -> GluedValue | None:
    """The value ``text`` names, or ``None`` after a located warning saying why."""
    path, key = split_reference(text)
    here = Path(env.doc2path(env.docname)).name
    if path is None:
        page = page_values(env)
        if page is None:
            warn(
                env,
                line,
                "glue",
                "glue key %r: this page is not a notebook; paste from one with "
                "`path/to/notebook.ipynb::%s`",
                key,
                key,
            )
            return None
        value = page.glue.get(key)
        if value is None:
            warn(env, line, "glue", "glue key %r not found in notebook %s", key, here)
        return value
    _, filename = env.relfn2path(path, env.docname)
    source = env.path2doc(filename)
    if source is None:
        warn(env, line, "glue", "glue key %r: %s is not a document of this project", key, path)
        return None
    if source == env.docname:
        return glued_value(env, key, line)
    try:
        values = values_of(env, source)
    except ValuesUnavailable as exc:
        note_paste(env, source, key, "")
        warn(env, line, "glue", "glue key %r of %s: %s", key, path, exc)
        return None
    value = values.get(key)
    note_paste(env, source, key, digest(value))
    if value is None:
        outcome = env_state(env).outcomes.get(source)
        failed = outcome is not None and outcome.status is Status.FAILED
        failed_text = " (its execution failed)" if failed else ""
        warn(env, line, "glue", "glue key %r not found in notebook %s%s", key, path, failed_text)
    return value


def evaluated(
    env: BuildEnvironment, expression: str, line: int, renderer: Any | None = None
) -> list[dict[str, Any]] | None:
    """The outputs of ``{eval}`expression``` at ``line``, or ``None`` after a warning.

    :param renderer: the page's renderer, which knows the markdown cell being rendered.
    """

    page = page_values(env)
    regex = nbcache_config(env).eval_name_regex or DEFAULT_NAME_REGEX
    if page is None:
        warn(env, line, "eval", "{eval} %r: this page is not a notebook", expression)
        return None
    if not re.match(regex, expression):
        warn(
            env,
            line,
            "eval",
            "{eval} %r is not evaluated: it does not match nbcache_eval_name_regex (%s)",
            expression,
            regex,
        )
        return None
    cell = (getattr(renderer, "md_env", None) or {}).get("nbcache_cell")
    if isinstance(cell, int):
        outputs = page.evals.get(cell, {}).get(expression)
    else:
        # markdown cell tokens carry their cell's line, its index + 1 (see rendering/tokens.py)
        candidates = sorted((i for i in page.evals if i <= line - 1), reverse=True)
        outputs = next(
            (page.evals[i][expression] for i in candidates if expression in page.evals[i]), None
        )
    if outputs is None:
        if not page.inline:
            why = "it is evaluated in execution mode 'inline' only (nbcache_execution_mode)"
        else:
            why = "the notebook has not executed"
        warn(env, line, "eval", "{eval} %r has no value: %s", expression, why)
        return None
    for output in outputs:
        marker = (output.get("metadata") or {}).get("nbcache_eval") or {}
        if marker.get("error"):
            text = (output.get("data") or {}).get("text/plain", "")
            warn(env, line, "eval", "{eval} %r failed: %s", expression, text)
            return None
    return outputs


def as_value(output: dict[str, Any]) -> GluedValue:
    """An eval output as a value to render (its marker metadata left out)."""
    metadata = {k: v for k, v in (output.get("metadata") or {}).items() if k != "nbcache_eval"}
    return {"data": output.get("data") or {}, "metadata": metadata}
