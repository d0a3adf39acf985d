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
from .reader import read_notebook
from .records import CacheEntry, FailureEntry, StagedEntry
from .store import NotebookCache, default_cache_path

__all__ = [
    "ArtefactError",
    "CacheDatabaseError",
    "CacheEntry",
    "ExecutionError",
    "FailureEntry",
    "KeyInputs",
    "NbCacheError",
    "NotebookCache",
    "NotebookReadError",
    "RecordNotFoundError",
    "StagedEntry",
    "ValidationError",
    "default_cache_path",
    "key_inputs",
    "notebook_key",
    "read_notebook",
]
