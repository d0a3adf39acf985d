"""The cache engine: notebooks in, executed notebooks and artefacts out. No Sphinx here."""

from .ansi import ESCAPE, clean_controls, strip_ansi
from .backends import DEFAULT_EXECUTOR, backend_for
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
