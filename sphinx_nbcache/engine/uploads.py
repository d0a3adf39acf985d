"""``BackgroundUploads``: push records to a :class:`~.remote.RemoteStore` while the caller
goes on (the build executes its other notebooks, reads and writes pages).

A few daemon threads, started by the first :meth:`~BackgroundUploads.add`, take records
from a queue as they are stored. The threads never log, never touch the database (a bundle
is built from the record's files alone) and never raise: what went wrong is collected and
returned by :meth:`~BackgroundUploads.finish`, which the front end calls once, from its
own thread, before it ends. The first :class:`~.remote.RemoteError` stops every upload
after it (a remote that is down is one problem, not one per notebook). ``finish`` waits a
bounded time; uploads still running then are abandoned (daemon threads never hold up the
interpreter's exit), and said so.
"""

from __future__ import annotations

import queue
import threading

from .bundle import BundleError
from .records import CacheEntry
from .remote import RemoteError, RemoteStore
from .store import NotebookCache

#: threads per build: uploads wait on the network, not on the CPU
DEFAULT_WORKERS = 2
#: seconds :meth:`BackgroundUploads.finish` waits for the uploads still running
DEFAULT_FINISH_TIMEOUT = 60.0

__all__ = ["BackgroundUploads"]


class BackgroundUploads:
    """Upload records to ``remote`` in the background (mode ``read-write`` only).

    :param remote: where to upload.
    :param cache: the local cache holding the records (only its files are read).
    :param workers: how many uploads run at once.
    """

    def __init__(
        self, remote: RemoteStore, cache: NotebookCache, *, workers: int = DEFAULT_WORKERS
    ) -> None:
        self.remote = remote
        self.cache = cache
        self.workers = max(1, workers)
        #: how many records were uploaded (a key already there is not counted)
        self.pushed = 0
        self._queue: queue.SimpleQueue[CacheEntry | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._done = threading.Condition()
        self._pending = 0
        self._failed = False
        self._finished = False
        self._problems: list[str] = []

    @property
    def enabled(self) -> bool:
        return self.remote.mode == "read-write"

    def add(self, entry: CacheEntry) -> None:
        """Upload ``entry`` soon (nothing when the mode forbids it or the remote failed)."""
        if not self.enabled or self._failed or self._finished:
            return
        with self._done:
            self._pending += 1
        if not self._threads:
            for n in range(self.workers):
                thread = threading.Thread(
                    target=self._work, name=f"nbcache-upload-{n}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        self._queue.put(entry)

    def _work(self) -> None:
        while True:
            entry = self._queue.get()
            if entry is None:
                return
            try:
                if not self._failed:
                    pushed = self.remote.push(self.cache, entry)
                    with self._done:
                        self.pushed += pushed
            except RemoteError as exc:
                with self._done:
                    if not self._failed:  # the first one says it; the rest are skipped
                        self._failed = True
                        self._problems.append(str(exc))
            except BundleError as exc:
                with self._done:
                    self._problems.append(f"{exc}; not uploaded")
            except Exception as exc:  # a thread must not die silently with work queued
                with self._done:
                    self._problems.append(str(self.remote.fail("uploading", exc, entry.hashkey)))
            finally:
                with self._done:
                    self._pending -= 1
                    self._done.notify_all()

    def finish(self, timeout: float | None = None) -> list[str]:
        """Wait up to ``timeout`` seconds for the uploads; stop the threads.

        :returns: the problems, one line each (empty when every upload went, or none began).
        """
        self._finished = True
        timeout = DEFAULT_FINISH_TIMEOUT if timeout is None else timeout
        with self._done:
            self._done.wait_for(lambda: self._pending == 0, max(0.0, timeout))
            left = self._pending
            problems = list(self._problems)
        for _ in self._threads:
            self._queue.put(None)
        if left:
            problems.append(
                f"remote cache {self.remote.public_url}: {left} upload"
                f"{'s' if left > 1 else ''} did not finish within {timeout:g} s and "
                f"{'were' if left > 1 else 'was'} abandoned (the local cache has "
                f"{'them' if left > 1 else 'it'}: `nbcache remote push` uploads "
                f"{'them' if left > 1 else 'it'})"
            )
        return problems
