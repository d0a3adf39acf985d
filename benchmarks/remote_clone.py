"""The fresh clone with a warm remote cache against the fresh clone with the cache kept.

On the shared 24-notebook corpus (``../shared/bench/make_corpus.py``, as ``run_bench.py``
builds it for the sphinx-nbcache peer):

- fill: one cold build with ``NBCACHE_REMOTE`` set: every notebook executes and is uploaded
  to moto's S3 server (its own process, on localhost);
- (i) ``kept``: a fresh copy of the sources (no ``_build``) with the filled ``.nbcache``
  copied in, no remote: what CI does when it restores the cache folder;
- (ii) ``remote``: a fresh copy of the sources with no ``.nbcache`` at all and the warm
  remote: every notebook is fetched, none executes.

Both are ``sphinx-build -b html`` in a subprocess, alternated, ``--reps`` times each. Prints
the wall and CPU seconds (the build and its children; the S3 server's own CPU apart) per
run, the medians and the ratio (ii)/(i); each run's report must show 0 executions and 24
notebooks cached, or the script fails. Usage::

    python benchmarks/remote_clone.py [--reps 5] [-n 24] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: the shared corpus generator, beside the main checkout (or beside a worktree's parent)
CORPUS = (
    next(
        (p for p in (HERE.parents[1] / "shared", HERE.parents[2] / "shared") if p.is_dir()),
        HERE.parents[1] / "shared",
    )
    / "bench"
    / "make_corpus.py"
)
BUCKET = "bench"
#: conf.py lines appended to the corpus's: the remote's options from the environment (the
#: URL comes from $NBCACHE_REMOTE, which the build reads itself)
CONF_EXTRA = """
import json as _json, os as _os
nbcache_remote_options = _json.loads(_os.environ.get("BENCH_REMOTE_OPTIONS", "{}"))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen[bytes], dict[str, object]]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.connect(("127.0.0.1", port))
            break
        time.sleep(0.05)
    options = {
        "key": "bench",
        "secret": "bench-secret",
        "endpoint_url": f"http://127.0.0.1:{port}",
        "client_kwargs": {"region_name": "eu-west-1"},
    }
    from sphinx_nbcache.engine import RemoteStore

    RemoteStore(f"s3://{BUCKET}", options).fs.mkdir(BUCKET)
    return server, options


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def build(src: Path, env: dict[str, str]) -> tuple[float, float]:
    """``sphinx-build`` of ``src``: (wall, CPU of it and its children) seconds."""
    sphinx = Path(sys.executable).with_name("sphinx-build")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(sphinx), "-q", "-b", "html", "-d", "_build/doctrees", ".", "_build/html"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"build of {src} failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def report(src: Path) -> dict[str, int]:
    rows = json.loads((src / "_build/html/nbcache-report.json").read_text())["notebooks"]
    counts: dict[str, int] = {}
    for row in rows:
        key = f"{row['status']}@{'remote' if '://' in (row.get('where') or '') else 'local'}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("-n", type=int, default=24)
    parser.add_argument("--keep", type=Path, help="work here (kept) instead of a temp folder")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="nbcache-clone-"))
    work.mkdir(parents=True, exist_ok=True)
    extra = work / "conf_extra.py"
    extra.write_text((HERE / "nbcache_conf.py").read_text() + CONF_EXTRA)
    pristine = work / "pristine"
    subprocess.run(
        [sys.executable, str(CORPUS), str(pristine), "-n", str(args.n), "--peer", "custom",
         "--extensions", "sphinx_nbcache", "--conf-extra", str(extra),
         "--formats", "ipynb,md,pct", "--force"],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    server, options = start_moto()
    url = f"s3://{BUCKET}/docs"
    base = {k: v for k, v in os.environ.items() if not k.startswith("NBCACHE_REMOTE")}
    with_remote = {**base, "NBCACHE_REMOTE": url, "BENCH_REMOTE_OPTIONS": json.dumps(options)}
    try:
        filled = work / "filled"
        shutil.rmtree(filled, ignore_errors=True)
        shutil.copytree(pristine, filled)
        wall, cpu = build(filled, with_remote)
        print(f"fill (cold, uploads): {wall:.2f} s wall, {cpu:.2f} s CPU, {report(filled)}")
        runs: dict[str, list[tuple[float, float]]] = {"kept": [], "remote": []}
        for rep in range(args.reps):
            for kind in ("kept", "remote"):
                clone = work / f"clone-{kind}"
                shutil.rmtree(clone, ignore_errors=True)
                shutil.copytree(pristine, clone)
                if kind == "kept":
                    shutil.copytree(filled / ".nbcache", clone / ".nbcache")
                server_before = process_cpu(server.pid)
                wall, cpu = build(clone, base if kind == "kept" else with_remote)
                server_cpu = process_cpu(server.pid) - server_before
                counts = report(clone)
                expected = {"cached@local": args.n} if kind == "kept" else {"cached@remote": args.n}
                if counts != expected:
                    raise SystemExit(f"{kind} run {rep}: expected {expected}, got {counts}")
                runs[kind].append((wall, cpu))
                print(
                    f"rep {rep} {kind:6}: {wall:.2f} s wall, {cpu:.2f} s CPU "
                    f"(S3 server {server_cpu:.2f} s CPU), {counts}",
                    flush=True,
                )
    finally:
        server.kill()
        server.wait()
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in runs.items()}  # fmt: skip
    for kind, (wall, cpu) in med.items():
        print(f"median {kind:6}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    print(
        f"ratio (ii) remote / (i) kept: {med['remote'][0] / med['kept'][0]:.2f}x wall, "
        f"{med['remote'][1] / med['kept'][1]:.2f}x CPU (target <= 1.5x)"
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
