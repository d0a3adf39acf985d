"""Exceptions raised by the cache engine.

Every exception carries a message meant for users: it names the file (and cell) involved and what
to do. The Sphinx layer and the command line translate them; none of them is a traceback to show.
They are picklable, so that they cross process boundaries intact.
"""

from __future__ import annotations


class NbCacheError(Exception):
    """Base class of every error raised by the cache engine."""


class NotebookReadError(NbCacheError):
    """A notebook could not be read: missing, unreadable, invalid JSON or an unknown format."""


class CacheDatabaseError(NbCacheError):
    """The cache database is corrupt, foreign, too new, or otherwise unusable."""


class RecordNotFoundError(NbCacheError, KeyError):
    """No cache or staged record has the requested id, key or URI."""

    def __str__(self) -> str:
        # KeyError would quote the message; users should read it as a sentence.
        return str(self.args[0]) if self.args else ""


class ArtefactError(NbCacheError):
    """An artefact path is outside the notebook's folder or cannot be read."""


class ValidationError(NbCacheError):
    """An executed notebook's outputs look inconsistent (e.g. execution counts out of order)."""


class ExecutionError(NbCacheError):
    """A notebook failed to execute (cell error, timeout, dead or unknown kernel)."""

    def __init__(
        self,
        message: str,
        *,
        cell_index: int | None = None,
        traceback: str = "",
        ename: str = "",
    ) -> None:
        super().__init__(message)
        self.cell_index = cell_index
        self.traceback = traceback
        self.ename = ename

    def __reduce__(self):  # keep keyword state when pickled between processes
        return (
            _rebuild_execution_error,
            (str(self), self.cell_index, self.traceback, self.ename),
        )


def _rebuild_execution_error(
    message: str, cell_index: int | None, traceback: str, ename: str
) -> ExecutionError:
    return ExecutionError(message, cell_index=cell_index, traceback=traceback, ename=ename)


class ClusterError(NbCacheError):
    """The Dask executor cannot be used (``distributed`` missing, a bad setting)."""


class ClusterUnavailableError(ClusterError):
    """The scheduler cannot be reached, or was lost during the run; nothing is marked failed."""
