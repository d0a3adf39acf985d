"""Caches with real records (tiny executed notebooks, artefacts, dependencies) for the tests
of bundles, archives and remotes: no kernel is needed to make them."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import nbformat
from nbformat import v4

from sphinx_nbcache.engine import CacheEntry, NotebookCache


def executed_nb(*sources: str) -> nbformat.NotebookNode:
    """A notebook as it looks after a run: counts 1, 2... and one output per cell."""
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = v4.new_notebook(metadata={"kernelspec": spec})
    for n, source in enumerate(sources, start=1):
        cell = v4.new_code_cell(source, execution_count=n)
        cell.outputs = [v4.new_output("stream", name="stdout", text=f"{source}\n")]
        nb.cells.append(cell)
    return nb


def add_record(cache: NotebookCache, tmp: Path, name: str, code: str) -> CacheEntry:
    """A record of ``name.ipynb`` with two artefacts (one in a subfolder) and dependencies."""
    src = tmp / f"src-{name}"
    (src / "fig").mkdir(parents=True, exist_ok=True)
    (src / "out.txt").write_text(f"result of {name}\n")
    (src / "fig" / "plot.png").write_bytes(b"\x89PNG" + name.encode() * 10)
    deps = {"files": {"data.csv": "ab" * 32}, "python": "3.x", "packages": {"numpy": "2.0"}}
    return cache.add_notebook(
        executed_nb(code),
        f"docs/{name}.ipynb",
        artefacts={"out.txt": src / "out.txt", "fig/plot.png": src / "fig" / "plot.png"},
        data={"seconds": 0.5},
        dependencies=deps,
    )


def record_view(cache: NotebookCache, entry: CacheEntry) -> dict:
    """What a record holds, minus what differs between caches (ids, folders, times)."""
    return {
        "key": entry.hashkey,
        "uri": entry.uri,
        "data": {k: v for k, v in entry.data.items() if k != "origin"},
        "inputs": entry.inputs,
        "dependencies": entry.dependencies,
        "notebook": cache.notebook_path(entry).read_bytes(),
        "artefacts": {rel: cache.artefact_path(entry, rel).read_bytes() for rel in entry.artefacts},
    }


def rewrite_bundle(data: bytes, change) -> bytes:
    """A bundle's bytes with ``change(members: dict[name, bytes], manifest: dict)`` applied
    (a forger's tool: the result is a well-formed tar that may lie)."""
    members: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode="r:") as tar:
        for info in tar:
            handle = tar.extractfile(info)
            members[info.name] = handle.read() if handle else b""
    manifest = json.loads(members.pop("manifest.json"))
    change(members, manifest)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, blob in [("manifest.json", json.dumps(manifest).encode()), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return gzip.compress(raw.getvalue())


#: moto accepts any credentials; these let the tests check that none is ever shown
SECRET = "s3cr3t-never-shown"


def s3_options(endpoint: str) -> dict:
    """fsspec options for moto's S3 server at ``endpoint``, with the secret tests look for."""
    return {
        "key": "testing",
        "secret": SECRET,
        "endpoint_url": endpoint,
        "client_kwargs": {"region_name": "eu-west-1"},
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Process:
    """moto's S3 API server in a process of its own on a free localhost port, with one
    bucket: a server that can die for real (``kill``), as a remote does in the middle of a
    build."""

    def __init__(self, bucket: str = "nbcache-team") -> None:
        from sphinx_nbcache.engine import RemoteStore

        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.options = s3_options(self.endpoint)
        self.bucket = bucket
        self._wait_listening()
        RemoteStore(f"s3://{bucket}", self.options).fs.mkdir(bucket)

    def _wait_listening(self, bound: float = 60.0) -> None:
        deadline = time.monotonic() + bound  # a bound on start-up, not a measure of it
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto's server exited with {self.process.returncode}")
            with socket.socket() as sock, contextlib.suppress(OSError):
                sock.connect(("127.0.0.1", self.port))
                return
            time.sleep(0.05)
        raise RuntimeError(f"moto's server is not listening on port {self.port}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
