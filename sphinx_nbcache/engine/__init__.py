"""The cache engine: notebooks in, executed notebooks and artefacts out. No Sphinx here."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers; at run time, __getattr__ below imports on use
    from .ansi import ESCAPE, clean_controls, strip_ansi
    from .backends import backend_for
    from .bundle import BundleError, export_archive, import_archive
    from .db import DB_NAME
    from .deps import FileHasher, InstalledVersions, dependency_changes
    from .errors import (
        ArtefactError,
        CacheDatabaseError,
        ClusterError,
        ClusterUnavailableError,
        ExecutionError,
        NbCacheError,
        NotebookReadError,
        RecordNotFoundError,
        ValidationError,
    )
    from .faults import ENVIRONMENT_FAULTS
    from .files import atomic_write_bytes, relative_inside, safe_join
    from .forking import shutdown_templates
    from .hashing import (
        EXECUTION_TAGS,
        KeyInputs,
        cell_tags,
        code_cells,
        explain_change,
        kernel_of,
        key_inputs,
        normalise_source,
        notebook_key,
    )
    from .inline import DEFAULT_NAME_REGEX, add_eval_cells, is_generated, split_eval_cells
    from .interfaces import ExecutorBackend, ResultStore
    from .kernels import sweep_once as sweep_kernel_folders
    from .options import (
        DEFAULT_EXECUTOR,
        DEFAULT_TIMEOUT,
        KERNEL_STARTS,
        ExecutionOptions,
        check_preload,
        limit,
        resolve_cache_path,
    )
    from .outcome import Outcome, Status
    from .reader import (
        cell_source_lines,
        read_notebook,
        read_notebook_text,
        reader_format,
        text_has_notebook_front_matter,
    )
    from .records import CacheEntry, FailureEntry, StagedEntry
    from .remote import RemoteError, RemoteStore, record_origin, record_where
    from .runner import Finished, RunItem, Runner
    from .scheduler import LocalBackend, default_jobs
    from .shipping import DEFAULT_SHIP_LIMIT, ShipLimitError
    from .store import DEFAULT_CACHE_LIMIT, NotebookCache, default_cache_path
    from .uploads import BackgroundUploads
    from .validation import validate_executed


#: each public name: (its module, its name there); a module is imported when one of its
#: names is first asked for, so a build imports only what it uses (a no-op: no executor,
#: scheduler, bundle or remote code; PEP 562)
_LAZY: dict[str, tuple[str, str]] = {
    "ESCAPE": ("ansi", "ESCAPE"),
    "clean_controls": ("ansi", "clean_controls"),
    "strip_ansi": ("ansi", "strip_ansi"),
    "DEFAULT_EXECUTOR": ("options", "DEFAULT_EXECUTOR"),
    "backend_for": ("backends", "backend_for"),
    "BundleError": ("bundle", "BundleError"),
    "export_archive": ("bundle", "export_archive"),
    "import_archive": ("bundle", "import_archive"),
    "DB_NAME": ("db", "DB_NAME"),
    "FileHasher": ("deps", "FileHasher"),
    "InstalledVersions": ("deps", "InstalledVersions"),
    "dependency_changes": ("deps", "dependency_changes"),
    "ArtefactError": ("errors", "ArtefactError"),
    "CacheDatabaseError": ("errors", "CacheDatabaseError"),
    "ClusterError": ("errors", "ClusterError"),
    "ClusterUnavailableError": ("errors", "ClusterUnavailableError"),
    "ExecutionError": ("errors", "ExecutionError"),
    "NbCacheError": ("errors", "NbCacheError"),
    "NotebookReadError": ("errors", "NotebookReadError"),
    "RecordNotFoundError": ("errors", "RecordNotFoundError"),
    "ValidationError": ("errors", "ValidationError"),
    "ENVIRONMENT_FAULTS": ("faults", "ENVIRONMENT_FAULTS"),
    "atomic_write_bytes": ("files", "atomic_write_bytes"),
    "relative_inside": ("files", "relative_inside"),
    "safe_join": ("files", "safe_join"),
    "shutdown_templates": ("forking", "shutdown_templates"),
    "EXECUTION_TAGS": ("hashing", "EXECUTION_TAGS"),
    "KeyInputs": ("hashing", "KeyInputs"),
    "cell_tags": ("hashing", "cell_tags"),
    "code_cells": ("hashing", "code_cells"),
    "explain_change": ("hashing", "explain_change"),
    "kernel_of": ("hashing", "kernel_of"),
    "key_inputs": ("hashing", "key_inputs"),
    "normalise_source": ("hashing", "normalise_source"),
    "notebook_key": ("hashing", "notebook_key"),
    "DEFAULT_NAME_REGEX": ("inline", "DEFAULT_NAME_REGEX"),
    "add_eval_cells": ("inline", "add_eval_cells"),
    "is_generated": ("inline", "is_generated"),
    "split_eval_cells": ("inline", "split_eval_cells"),
    "ExecutorBackend": ("interfaces", "ExecutorBackend"),
    "ResultStore": ("interfaces", "ResultStore"),
    "sweep_kernel_folders": ("kernels", "sweep_once"),
    "DEFAULT_TIMEOUT": ("options", "DEFAULT_TIMEOUT"),
    "ExecutionOptions": ("options", "ExecutionOptions"),
    "KERNEL_STARTS": ("options", "KERNEL_STARTS"),
    "check_preload": ("options", "check_preload"),
    "limit": ("options", "limit"),
    "resolve_cache_path": ("options", "resolve_cache_path"),
    "Outcome": ("outcome", "Outcome"),
    "Status": ("outcome", "Status"),
    "cell_source_lines": ("reader", "cell_source_lines"),
    "read_notebook": ("reader", "read_notebook"),
    "read_notebook_text": ("reader", "read_notebook_text"),
    "reader_format": ("reader", "reader_format"),
    "text_has_notebook_front_matter": ("reader", "text_has_notebook_front_matter"),
    "CacheEntry": ("records", "CacheEntry"),
    "FailureEntry": ("records", "FailureEntry"),
    "StagedEntry": ("records", "StagedEntry"),
    "RemoteError": ("remote", "RemoteError"),
    "RemoteStore": ("remote", "RemoteStore"),
    "record_origin": ("remote", "record_origin"),
    "record_where": ("remote", "record_where"),
    "Finished": ("runner", "Finished"),
    "RunItem": ("runner", "RunItem"),
    "Runner": ("runner", "Runner"),
    "LocalBackend": ("scheduler", "LocalBackend"),
    "default_jobs": ("scheduler", "default_jobs"),
    "DEFAULT_SHIP_LIMIT": ("shipping", "DEFAULT_SHIP_LIMIT"),
    "ShipLimitError": ("shipping", "ShipLimitError"),
    "DEFAULT_CACHE_LIMIT": ("store", "DEFAULT_CACHE_LIMIT"),
    "NotebookCache": ("store", "NotebookCache"),
    "default_cache_path": ("store", "default_cache_path"),
    "BackgroundUploads": ("uploads", "BackgroundUploads"),
    "validate_executed": ("validation", "validate_executed"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def warm_up(kernel_name: str = "python3", options: ExecutionOptions | None = None) -> bool:
    """Start the warm template that kernels of ``kernel_name`` with ``options`` fork from,
    without waiting for it (:func:`.provisioner.warm_up`; imported only when called, as it
    needs jupyter_client)."""
    from .provisioner import warm_up as start

    return start(kernel_name, options)


__all__ = [
    "DB_NAME",
    "DEFAULT_CACHE_LIMIT",
    "DEFAULT_EXECUTOR",
    "DEFAULT_NAME_REGEX",
    "DEFAULT_SHIP_LIMIT",
    "DEFAULT_TIMEOUT",
    "ENVIRONMENT_FAULTS",
    "ESCAPE",
    "EXECUTION_TAGS",
    "KERNEL_STARTS",
    "ArtefactError",
    "BackgroundUploads",
    "BundleError",
    "CacheDatabaseError",
    "CacheEntry",
    "ClusterError",
    "ClusterUnavailableError",
    "ExecutionError",
    "ExecutionOptions",
    "ExecutorBackend",
    "FailureEntry",
    "FileHasher",
    "Finished",
    "InstalledVersions",
    "KeyInputs",
    "LocalBackend",
    "NbCacheError",
    "NotebookCache",
    "NotebookReadError",
    "Outcome",
    "RecordNotFoundError",
    "RemoteError",
    "RemoteStore",
    "ResultStore",
    "RunItem",
    "Runner",
    "ShipLimitError",
    "StagedEntry",
    "Status",
    "ValidationError",
    "add_eval_cells",
    "atomic_write_bytes",
    "backend_for",
    "cell_source_lines",
    "cell_tags",
    "check_preload",
    "clean_controls",
    "code_cells",
    "default_cache_path",
    "default_jobs",
    "dependency_changes",
    "explain_change",
    "export_archive",
    "import_archive",
    "is_generated",
    "kernel_of",
    "key_inputs",
    "limit",
    "normalise_source",
    "notebook_key",
    "read_notebook",
    "read_notebook_text",
    "reader_format",
    "record_origin",
    "record_where",
    "relative_inside",
    "resolve_cache_path",
    "safe_join",
    "shutdown_templates",
    "split_eval_cells",
    "strip_ansi",
    "sweep_kernel_folders",
    "text_has_notebook_front_matter",
    "validate_executed",
    "warm_up",
]
