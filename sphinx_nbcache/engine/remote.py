"""``RemoteStore``: bundles of cache records shared through any fsspec URL, in front of the
local :class:`~.store.NotebookCache`.

Layout under the URL: ``bundles/<key>.nbbundle`` (see :mod:`.bundle`). Objects are
immutable and named by their key: a key already there is never uploaded again, and a
bundle whose content does not hash to its name is refused. An upload appears whole or not
at all: object stores (S3, GCS, Azure, memory) put an object atomically; on file systems
(``file://``, ``sftp://``...) it is written under a temporary name and moved into place, so
two uploaders of one key each move a complete bundle and neither can corrupt the other.

Every failure of the remote (unreachable, slow, refused) is a :class:`RemoteError` naming
the URL with any credentials removed; front ends warn and carry on locally. A bundle that
fails its checks is a :class:`~.bundle.BundleError`, and nothing is stored. Timeouts are
short (``timeout`` seconds; on S3 one retry): a remote cache that is down must cost a build
seconds, not minutes.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .bundle import (
    MAX_BUNDLE_BYTES,
    ORIGIN,
    SUFFIX,
    BundleError,
    bundle_bytes,
    bundle_from_entry,
    import_bundle,
    read_bundle,
)
from .errors import NbCacheError
from .records import CacheEntry
from .store import NotebookCache

MODES = ("read-write", "read", "off")
DEFAULT_TIMEOUT = 10.0
#: protocols whose single put is atomic; the others get a temporary name and a move
_ATOMIC_PUT = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"})
_KEY = re.compile(r"[0-9a-f]{64}")
#: ``user:password@`` in any URL quoted by a library's message
_USERINFO = re.compile(r"([A-Za-z][\w+.-]*://)?[^\s/@'\"]*:[^\s/@'\"]*@")
_SECRET_NAMES = ("secret", "token", "password", "passwd", "key", "credential", "sas")

__all__ = [
    "MODES",
    "BundleError",
    "RemoteError",
    "RemoteStore",
    "public_url",
    "record_origin",
    "record_where",
]


class RemoteError(NbCacheError):
    """The remote cache could not be reached or refused a request (named without credentials)."""


def public_url(url: str) -> str:
    """``url`` with user, password and query string removed (fit for logs and messages)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def record_origin(entry: CacheEntry) -> str | None:
    """The remote (its URL without credentials) or archive a record was fetched or imported
    from, or ``None`` for a record made in this cache."""
    origin = entry.data.get(ORIGIN)
    if isinstance(origin, Mapping) and isinstance(origin.get("from"), str) and origin["from"]:
        source = origin["from"]
        # a URL loses its credentials; a file path (an archive) stays as it is
        return public_url(source) if "://" in source else source
    return None


def record_where(entry: CacheEntry) -> str:
    """Where a record's result came from, fit for the report and ``nbcache status``: the
    remote or archive it was fetched or imported from (:func:`record_origin`), else where it
    ran (``"local"``, or what the executor stored)."""
    origin = record_origin(entry)
    if origin is not None:
        return origin
    where = entry.data.get("where")
    return public_url(where) if isinstance(where, str) and where else "local"


def _secrets(options: Mapping[str, Any]) -> list[str]:
    """The option values that look like credentials, nested dicts included."""
    found: list[str] = []
    for name, value in options.items():
        if isinstance(value, Mapping):
            found.extend(_secrets(value))
        elif isinstance(value, str) and any(s in name.lower() for s in _SECRET_NAMES):
            found.append(value)
    return [s for s in found if len(s) >= 4]


class RemoteStore:
    """Bundles of cache records at an fsspec URL.

    :param url: e.g. ``s3://bucket/prefix``, ``file:///shared/nbcache``.
    :param options: passed to the fsspec file system (endpoint, profile, credentials...).
    :param mode: ``read-write`` (fetch and push), ``read`` (fetch only) or ``off``.
    :param timeout: seconds for connecting and for each request, where the file system
        supports it (S3).
    :raises RemoteError: an unknown mode, or fsspec (or the URL's file system) missing.
    """

    def __init__(
        self,
        url: str,
        options: Mapping[str, Any] | None = None,
        mode: str = "read-write",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_BUNDLE_BYTES,
    ) -> None:
        self.url = url.rstrip("/")
        self.public_url = public_url(self.url)
        if mode not in MODES:
            raise RemoteError(
                f"remote cache {self.public_url}: mode {mode!r} is not one of {', '.join(MODES)}"
            )
        self.mode = mode
        self.options = dict(options or {})
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._fs: Any = None
        self._root = ""
        self._opening = threading.Lock()  # background uploads share the file system

    def __repr__(self) -> str:
        return f"RemoteStore({self.public_url!r}, mode={self.mode!r})"

    # -- the file system ---------------------------------------------------------------------
    @property
    def fs(self) -> Any:
        """The fsspec file system (created on first use)."""
        with self._opening:
            if self._fs is None:
                self._fs, self._root = self._open()
        return self._fs

    def _open(self) -> tuple[Any, str]:
        try:
            import fsspec
        except ImportError:
            raise RemoteError(
                f"remote cache {self.public_url}: needs fsspec; "
                "pip install 'sphinx-nbcache[remote]' (or [s3] for S3)"
            ) from None
        with self._errors("opening"):
            fs, root = fsspec.core.url_to_fs(self.url, **self._fs_options())
        if hasattr(fs, "retries"):
            fs.retries = 2  # s3fs retries five times with back-off by default
        return fs, str(root).rstrip("/")

    def _fs_options(self) -> dict[str, Any]:
        options = {"skip_instance_cache": True, **self.options}
        if urlsplit(self.url).scheme in ("s3", "s3a"):
            config = dict(options.get("config_kwargs") or {})
            config.setdefault("connect_timeout", self.timeout)
            config.setdefault("read_timeout", self.timeout)
            config.setdefault("retries", {"max_attempts": 1})
            options["config_kwargs"] = config
        return options

    def path_for(self, key: str) -> str:
        """Where the bundle of ``key`` is kept, in the file system's terms."""
        if not _KEY.fullmatch(key):
            raise RemoteError(f"remote cache {self.public_url}: {key!r} is not a cache key")
        self.fs  # noqa: B018 (sets the root)
        return f"{self._root}/bundles/{key}{SUFFIX}"

    @contextmanager
    def _errors(self, doing: str, key: str = "") -> Iterator[None]:
        """Every failure but ours, inside, becomes a :class:`RemoteError`."""
        try:
            yield
        except NbCacheError:
            raise
        except Exception as exc:
            raise self.fail(doing, exc, key) from None

    def fail(self, doing: str, exc: BaseException, key: str = "") -> RemoteError:
        """The :class:`RemoteError` for ``exc``: one line, credentials removed from its text."""
        text = f"{type(exc).__name__}: {exc}".replace(self.url, self.public_url)
        password = urlsplit(self.url).password
        for secret in [*_secrets(self.options), *([password] if password else [])]:
            text = text.replace(secret, "***")
        text = _USERINFO.sub(r"\1", " ".join(text.split()))
        if len(text) > 300:
            text = text[:300] + "..."
        what = f" {key}" if key else ""
        return RemoteError(
            f"remote cache {self.public_url}: {doing}{what} failed ({text}); "
            "the build goes on with the local cache"
        )

    # -- the API -----------------------------------------------------------------------------
    def list(self) -> list[str]:
        """The keys of every bundle in the remote, sorted (``[]`` when it has none yet)."""
        if self.mode == "off":
            return []
        with self._errors("listing"):
            fs = self.fs
            fs.invalidate_cache()
            try:
                names = fs.ls(f"{self._root}/bundles", detail=False)
            except FileNotFoundError:
                names = []  # nothing pushed yet
        stems = (str(name).rsplit("/", 1)[-1].removesuffix(SUFFIX) for name in names)
        return sorted(stem for stem in stems if _KEY.fullmatch(stem))

    def download(self, key: str) -> bytes | None:
        """The bundle file of ``key``, or ``None`` when the remote has none."""
        if self.mode == "off":
            return None
        path = self.path_for(key)
        data: bytes | None = None
        with self._errors("downloading", key), suppress(FileNotFoundError):  # a miss
            data = bytes(self.fs.cat_file(path))
        return data

    def fetch(self, cache: NotebookCache, key: str) -> CacheEntry | None:
        """Download the bundle of ``key`` into ``cache``: the record now there, else ``None``.

        A local record at least as new is kept (and returned).

        :raises RemoteError: the remote failed.
        :raises BundleError: the bundle is damaged or unsafe; nothing was stored.
        """
        data = self.download(key)
        if data is None:
            return None
        where = f"remote cache {self.public_url}: bundle {key}"
        bundle = read_bundle(data, where, expect_key=key, max_bytes=self.max_bytes)
        entry, _imported = import_bundle(cache, bundle, self.public_url)
        return entry

    def push(self, cache: NotebookCache, entry: CacheEntry) -> bool:
        """Upload ``entry``'s bundle unless the remote has its key already (or mode forbids).

        :returns: whether it was uploaded.
        :raises RemoteError: the remote failed.
        :raises BundleError: the record cannot be bundled (too large, a linked artefact).
        """
        if self.mode != "read-write":
            return False
        path = self.path_for(entry.hashkey)
        data = bundle_bytes(bundle_from_entry(cache, entry, self.max_bytes))
        with self._errors("uploading", entry.hashkey):
            fs = self.fs
            fs.invalidate_cache(path)
            if fs.exists(path):
                return False  # immutable: the key's result is there already
            if _protocols(fs) & _ATOMIC_PUT:
                # no folders to make: s3fs's makedirs would create a mistyped bucket
                fs.pipe_file(path, data)
            else:
                fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
                tmp = f"{path}.tmp-{uuid.uuid4().hex}"
                try:
                    fs.pipe_file(tmp, data)
                    fs.mv(tmp, path)
                finally:
                    if fs.exists(tmp):
                        fs.rm(tmp)
        return True


def _protocols(fs: Any) -> set[str]:
    protocol = fs.protocol
    return set(protocol) if isinstance(protocol, (tuple, list)) else {protocol}
