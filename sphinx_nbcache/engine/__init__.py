"""The cache engine: notebooks in, executed notebooks and artefacts out. No Sphinx here."""

from .errors import (
    ArtefactError,
    CacheDatabaseError,
    ExecutionError,
    NbCacheError,
    NotebookReadError,
    RecordNotFoundError,
    ValidationError,
)
from .hashing import KeyInputs, key_inputs, notebook_key
from .interfaces import ExecutorBackend, ResultStore
from .options import ExecutionOptions, resolve_cache_path
from .outcome import Outcome, Status
from .reader import read_notebook
from .records import CacheEntry, FailureEntry, StagedEntry
from .store import NotebookCache, default_cache_path

__all__ = [
    "ArtefactError",
    "CacheDatabaseError",
    "CacheEntry",
    "ExecutionError",
    "ExecutionOptions",
    "ExecutorBackend",
    "FailureEntry",
    "KeyInputs",
    "NbCacheError",
    "NotebookCache",
    "NotebookReadError",
    "Outcome",
    "RecordNotFoundError",
    "ResultStore",
    "StagedEntry",
    "Status",
    "ValidationError",
    "default_cache_path",
    "key_inputs",
    "notebook_key",
    "read_notebook",
    "resolve_cache_path",
]
