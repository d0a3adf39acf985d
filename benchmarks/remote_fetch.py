"""What a remote cache costs per record: 24 records (a small notebook and a 50 kB artefact
each) pushed to moto's S3 server on localhost and to a ``file://`` remote, then fetched into
a fresh cache, and the same records through ``export`` / ``import``.

Usage: ``python benchmarks/remote_fetch.py [N]`` (N records, 24 by default). Needs
``moto[server]`` and s3fs. Prints seconds per phase, best of 3.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import time
from pathlib import Path

from nbformat import v4

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.bundle import export_archive, import_archive
from sphinx_nbcache.engine.remote import RemoteStore


def fill(cache: NotebookCache, tmp: Path, n: int) -> None:
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i in range(n):
        nb = v4.new_notebook(metadata={"kernelspec": spec})
        cell = v4.new_code_cell(f"x = {i}", execution_count=1)
        cell.outputs = [v4.new_output("stream", name="stdout", text=f"{i}\n" * 200)]
        nb.cells.append(cell)
        art = tmp / f"art{i}.bin"
        art.write_bytes(bytes(range(256)) * 200)
        cache.add_notebook(nb, f"nb{i}.ipynb", artefacts={"out.bin": art})


def timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def fetch_all(store: RemoteStore, tmp: Path, keys: list[str]) -> float:
    best = float("inf")
    for round_ in range(3):
        with NotebookCache(tmp / f"fresh-{store.url[:2]}-{round_}") as fresh:
            best = min(best, timed(lambda f=fresh: [store.fetch(f, k) for k in keys]))
            assert len(fresh.list_records()) == len(keys)
    return best


def main() -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        source = NotebookCache(tmp / "source")
        fill(source, tmp, n)
        entries = source.list_records()
        keys = [e.hashkey for e in entries]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            opts = {"key": "k", "secret": "s", "endpoint_url": f"http://127.0.0.1:{port}"}
            s3 = RemoteStore(
                "s3://bench/nbcache", {**opts, "client_kwargs": {"region_name": "eu-west-1"}}
            )
            s3.fs.mkdir("bench")
            for label, store in (("s3 (moto)", s3), ("file://", RemoteStore((tmp / "r").as_uri()))):
                push = timed(lambda st=store: [st.push(source, e) for e in entries])
                fetch = fetch_all(store, tmp, keys)
                print(f"{label:10} push {n}: {push:.2f} s   fetch {n} (fresh cache): {fetch:.2f} s")
        finally:
            server.stop()
        archive = tmp / "all.tar"
        export = timed(lambda: export_archive(source, archive))
        with NotebookCache(tmp / "imported") as fresh:
            imp = timed(lambda: import_archive(fresh, archive))
        print(f"archive    export {n}: {export:.2f} s   import {n}: {imp:.2f} s")


if __name__ == "__main__":
    main()
