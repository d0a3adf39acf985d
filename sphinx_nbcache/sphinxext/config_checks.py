"""The checks of ``conf.py`` values (:mod:`.config`): each says what is wrong, or ``None``."""

from __future__ import annotations

import re
from typing import Any

from sphinx_nbcache.engine import check_preload


def positive_or_none(value: Any) -> str | None:
    if value is not None and (isinstance(value, bool) or value <= 0):
        return "must be a positive number, or None for no limit"
    return None


def str_dict(value: Any) -> str | None:
    if any(not isinstance(k, str) or not isinstance(v, str) for k, v in value.items()):
        return "must map strings to strings"
    return None


def str_list(value: Any) -> str | None:
    if any(not isinstance(v, str) for v in value):
        return "must be a list of strings"
    return None


def preload(value: Any) -> str | None:
    try:
        check_preload(value)
    except ValueError as exc:
        return str(exc).removeprefix("preload: ").removeprefix("preload ")
    return None


def suffix_map(value: Any) -> str | None:
    problem = str_dict(value)
    if problem:
        return problem
    bad = [k for k in value if not k.startswith(".")]
    if bad:
        return f"suffixes must start with a dot: {', '.join(bad)}"
    if ".py" in value:
        return "'.py' would make conf.py a page; use a compound suffix such as '.pct.py'"
    return None


def _lists_of_str(value: Any, keys: str, lists: str, item: str) -> str | None:
    """What is wrong with ``value`` as a mapping of strings (``keys``) to lists of strings
    (``lists``, each an ``item``); ``None`` if nothing."""
    for key, listed in value.items():
        if not isinstance(key, str) or not isinstance(listed, (list, tuple)):
            return f"must map {keys} to lists of {lists}"
        if any(not isinstance(entry, str) for entry in listed):
            return f"the list for {key!r} must hold {item} strings"
    return None


def dependency_map(value: Any) -> str | None:
    return _lists_of_str(value, "notebook glob patterns", "file glob patterns", "glob pattern")


def regex_map(value: Any) -> str | None:
    problem = str_dict(value)
    if problem:
        return problem
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"{pattern!r} is not a regular expression: {exc}"
    return None


def fingerprint(value: Any) -> str | None:
    if isinstance(value, str):
        return None if value in ("off", "packages") else "must be 'off', 'packages' or a list"
    return str_list(value)


def mime_priority(value: Any) -> str | None:
    return _lists_of_str(value, "builder names", "MIME types", "MIME type")


def regex(value: Any) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a regular expression ({exc})"
    return None


def output_limit(value: Any) -> str | None:
    if value is not None and (isinstance(value, bool) or value < 0):
        return "must be a number of characters, or None (or 0) for no limit"
    return None
