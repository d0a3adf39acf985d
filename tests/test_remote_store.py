"""``RemoteStore`` against a ``file://`` remote and a real S3 API (moto's server on
localhost, through s3fs): push, fetch into a fresh cache, list, modes, damaged bundles, a
server that goes away, and the ``nbcache remote`` commands."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from remoteutil import (
    SECRET,
    add_record,
    free_port,
    record_view,
    rewrite_bundle,
    s3_options,
)

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.bundle import (
    BundleError,
    bundle_bytes,
    bundle_from_entry,
    import_bundle,
    read_bundle,
)
from sphinx_nbcache.engine.remote import RemoteError, RemoteStore, public_url, record_where
from sphinx_nbcache.engine.uploads import BackgroundUploads


class S3Server:
    """moto's S3 API server on a free localhost port, with one bucket."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.options = s3_options(self.endpoint)
        # moto's servers in one process share their state: one bucket each
        self.bucket = f"nbcache-{self.port}"
        self.fs = RemoteStore(f"s3://{self.bucket}", self.options).fs
        self.fs.mkdir(self.bucket)

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="module")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(params=["file", "s3"])
def remote(request, tmp_path: Path):
    """``(url, options)`` of an empty remote of each kind."""
    if request.param == "file":
        return (tmp_path / "remote").absolute().as_uri(), {}
    server = request.getfixturevalue("s3_server")
    return f"s3://{server.bucket}/{tmp_path.name}", dict(server.options)


def test_push_list_and_fetch_into_a_fresh_cache(
    tmp_path: Path, remote, cache_a: NotebookCache, cache_b: NotebookCache
) -> None:
    url, opts = remote
    one = add_record(cache_a, tmp_path, "one", "x = 1")
    two = add_record(cache_a, tmp_path, "two", "y = 2")
    store = RemoteStore(url, opts)
    assert store.list() == []
    assert store.fetch(cache_b, one.hashkey) is None  # a miss, not an error
    assert store.push(cache_a, one) and store.push(cache_a, two)
    assert store.list() == sorted([one.hashkey, two.hashkey])

    fetched = RemoteStore(url, opts, "read").fetch(cache_b, one.hashkey)
    assert fetched is not None
    assert record_view(cache_b, fetched) == record_view(cache_a, one)
    assert fetched.data["origin"] == {"from": public_url(url), "created": one.created}
    assert [e.hashkey for e in cache_b.list_records()] == [one.hashkey]


def test_objects_are_immutable(
    tmp_path: Path, remote, cache_a: NotebookCache, cache_b: NotebookCache
) -> None:
    url, opts = remote
    first = add_record(cache_a, tmp_path, "one", "x = 1")
    store = RemoteStore(url, opts)
    assert store.push(cache_a, first)
    stored = store.download(first.hashkey)
    other = add_record(cache_b, tmp_path / "b", "one", "x = 1")  # same key, run elsewhere
    assert not RemoteStore(url, opts).push(cache_b, other)
    assert store.download(first.hashkey) == stored
    assert [p for p in store.fs.find(store._root) if ".tmp-" in p] == []


def test_two_uploaders_of_one_key_never_corrupt_it(
    tmp_path: Path, remote, cache_a: NotebookCache, cache_b: NotebookCache
) -> None:
    import threading

    url, opts = remote
    entries = [
        (cache, add_record(cache, tmp_path / name, "one", "x = 1"))
        for cache, name in ((cache_a, "a-src"), (cache_b, "b-src"))
    ]
    start = threading.Barrier(len(entries) * 2)
    errors: list[BaseException] = []

    def upload(cache: NotebookCache, entry) -> None:
        start.wait()
        try:
            RemoteStore(url, opts).push(cache, entry)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=pair) for pair in entries * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = RemoteStore(url, opts)
    key = entries[0][1].hashkey
    assert store.list() == [key]
    with NotebookCache(tmp_path / "c" / ".nbcache") as fresh:
        got = store.fetch(fresh, key)  # one whole bundle, whichever won
        assert got is not None
        assert record_view(fresh, got) in [record_view(c, e) for c, e in entries]
    assert [p for p in store.fs.find(store._root) if ".tmp-" in p] == []


def test_read_mode_uploads_nothing_and_off_reads_nothing(
    tmp_path: Path, remote, cache_a: NotebookCache, cache_b: NotebookCache
) -> None:
    url, opts = remote
    entry = add_record(cache_a, tmp_path, "one", "x = 1")
    assert not RemoteStore(url, opts, "read").push(cache_a, entry)
    assert RemoteStore(url, opts).list() == []
    RemoteStore(url, opts).push(cache_a, entry)
    off = RemoteStore(url, opts, "off")
    assert off.list() == [] and off.fetch(cache_b, entry.hashkey) is None
    assert not off.push(cache_a, entry)
    assert cache_b.list_records() == []


def test_a_corrupted_bundle_is_rejected_and_nothing_is_cached(
    tmp_path: Path, remote, cache_a: NotebookCache, cache_b: NotebookCache
) -> None:
    url, opts = remote
    entry = add_record(cache_a, tmp_path, "one", "x = 1")
    store = RemoteStore(url, opts)
    store.push(cache_a, entry)
    path = store.path_for(entry.hashkey)
    good = store.download(entry.hashkey)

    def tamper(members: dict, manifest: dict) -> None:
        members["notebook.ipynb"] = members["notebook.ipynb"].replace(b"x = 1", b"x = 666")

    for damaged, message in [
        (rewrite_bundle(good, tamper), "'notebook.ipynb' does not match its SHA-256"),
        (good[: len(good) // 2], "not a readable bundle"),
    ]:
        store.fs.pipe_file(path, damaged)
        with pytest.raises(BundleError, match=message) as info:
            RemoteStore(url, opts, "read").fetch(cache_b, entry.hashkey)
        assert f"bundle {entry.hashkey}" in str(info.value)
        assert cache_b.list_records() == []


def test_a_bundle_under_another_key_is_rejected(
    tmp_path: Path, remote, cache_a: NotebookCache, cache_b: NotebookCache
) -> None:
    url, opts = remote
    one = add_record(cache_a, tmp_path, "one", "x = 1")
    two = add_record(cache_a, tmp_path, "two", "y = 2")
    store = RemoteStore(url, opts)
    store.push(cache_a, one)
    store.fs.pipe_file(store.path_for(two.hashkey), store.download(one.hashkey))
    with pytest.raises(BundleError, match=f"holds key {one.hashkey}, not {two.hashkey}"):
        store.fetch(cache_b, two.hashkey)
    assert cache_b.list_records() == []


def test_the_server_stopped_midway_is_one_clear_error(
    tmp_path: Path, cache_a: NotebookCache, cache_b: NotebookCache
) -> None:
    server = S3Server()
    try:
        url = f"s3://{server.bucket}/midway"
        one = add_record(cache_a, tmp_path, "one", "x = 1")
        two = add_record(cache_a, tmp_path, "two", "y = 2")
        store = RemoteStore(url, server.options, timeout=2)
        assert store.push(cache_a, one)
        assert store.fetch(cache_b, one.hashkey) is not None
    finally:
        server.stop()
    for call in (
        lambda: store.push(cache_a, two),
        lambda: store.fetch(cache_b, two.hashkey),
        store.list,
    ):
        with pytest.raises(RemoteError) as info:
            call()
        message = str(info.value)
        assert message.startswith(f"remote cache s3://{server.bucket}/midway: ")
        assert "the build goes on with the local cache" in message
        assert SECRET not in message and "\n" not in message
    assert [e.hashkey for e in cache_b.list_records()] == [one.hashkey]


def test_an_unreachable_remote_is_a_remote_error(tmp_path: Path, cache_b: NotebookCache) -> None:
    store = RemoteStore(
        "s3://bucket/x",
        {"endpoint_url": f"http://127.0.0.1:{free_port()}", "key": "k", "secret": SECRET},
        timeout=1,
    )
    with pytest.raises(RemoteError, match=r"remote cache s3://bucket/x: downloading"):
        store.fetch(cache_b, "0" * 64)


def test_background_uploads_push_everything_and_count_it(
    tmp_path: Path, remote, cache_a: NotebookCache
) -> None:
    url, opts = remote
    entries = [add_record(cache_a, tmp_path, f"nb{i}", f"x = {i}") for i in range(4)]
    uploads = BackgroundUploads(RemoteStore(url, opts), cache_a)
    for entry in entries:
        uploads.add(entry)
    assert uploads.finish() == []
    assert uploads.pushed == 4
    assert RemoteStore(url, opts).list() == sorted(e.hashkey for e in entries)
    read_only = BackgroundUploads(RemoteStore(url, opts, "read"), cache_a)
    read_only.add(add_record(cache_a, tmp_path, "late", "z = 0"))
    assert read_only.finish() == [] and read_only.pushed == 0
    assert len(RemoteStore(url, opts).list()) == 4


def test_background_uploads_to_a_dead_remote_are_one_problem(
    tmp_path: Path, cache_a: NotebookCache
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = RemoteStore(
        "s3://bucket/dead", {"endpoint_url": endpoint, "key": "k", "secret": SECRET}, timeout=1
    )
    uploads = BackgroundUploads(store, cache_a)
    for i in range(3):
        uploads.add(add_record(cache_a, tmp_path, f"nb{i}", f"x = {i}"))
    (problem,) = uploads.finish()
    assert problem.startswith("remote cache s3://bucket/dead: uploading ")
    assert SECRET not in problem and uploads.pushed == 0


def test_background_uploads_that_cannot_finish_are_abandoned_with_one_problem(
    tmp_path: Path, cache_a: NotebookCache
) -> None:
    """A server that accepts connections and never answers: ``finish`` does not wait for it
    longer than it was told, and says what was left."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        store = RemoteStore(
            "s3://bucket/slow",
            {"endpoint_url": endpoint, "key": "k", "secret": SECRET},
            timeout=600,
        )
        uploads = BackgroundUploads(store, cache_a, workers=1)
        uploads.add(add_record(cache_a, tmp_path, "one", "x = 1"))
        uploads.add(add_record(cache_a, tmp_path, "two", "y = 2"))
        problems = uploads.finish(timeout=0.5)
    assert problems == [
        "remote cache s3://bucket/slow: 2 uploads did not finish within 0.5 s and were "
        "abandoned (the local cache has them: `nbcache remote push` uploads them)"
    ]
    assert uploads.pushed == 0


def test_record_where_names_the_store_without_credentials(
    tmp_path: Path, cache_a: NotebookCache
) -> None:
    local = add_record(cache_a, tmp_path, "one", "x = 1")
    assert record_where(local) == "local"
    bundle = read_bundle(bundle_bytes(bundle_from_entry(cache_a, local)), "t")
    with NotebookCache(tmp_path / "c" / ".nbcache") as other:
        source = "s3://AKIAEXAMPLE:" + SECRET + "@team-bucket/docs?X-Amz-Security-Token=tok3n"
        fetched, imported = import_bundle(other, bundle, source)
        assert imported and record_where(fetched) == "s3://team-bucket/docs"
        assert fetched.created == local.created  # when it ran, not when it was fetched
        assert fetched.accessed > local.created


def test_public_url_strips_credentials() -> None:
    assert public_url("s3://AKIA:secret@bucket/p") == "s3://bucket/p"
    assert public_url("https://u:p@host:8080/c?sig=abc") == "https://host:8080/c"
    assert public_url("file:///shared/cache") == "file:///shared/cache"


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(RemoteError, match="mode 'write' is not one of read-write, read, off"):
        RemoteStore("file:///x", mode="write")


# -- the command line -------------------------------------------------------------------------
def test_cli_push_list_pull(
    tmp_path: Path, remote, cache_a: NotebookCache, cache_b: NotebookCache, nbcache
) -> None:
    url, opts = remote
    flags = [f for name, value in opts.items() for f in ("-o", _option(name, value))]
    one = add_record(cache_a, tmp_path, "one", "x = 1")
    result = nbcache("-p", cache_a.path, "remote", "push", "--remote", url, *flags)
    assert result.exit_code == 0, result.output
    assert "Uploaded 1 record to" in result.output and SECRET not in result.output
    assert (
        "Uploaded 0 records"
        in nbcache("-p", cache_a.path, "remote", "push", "-r", url, *flags).output
    )

    listing = nbcache("-p", cache_b.path, "remote", "list", "-r", url, *flags, "--json")
    assert listing.exit_code == 0, listing.output
    assert '"local": false' in listing.output and one.hashkey in listing.output
    result = nbcache("-p", cache_b.path, "remote", "pull", "-r", url, *flags)
    assert result.exit_code == 0, result.output
    assert "Downloaded 1 record from" in result.output
    assert [e.hashkey for e in cache_b.list_records()] == [one.hashkey]


def test_cli_environment_read_mode_uploads_nothing(
    tmp_path: Path, cache_a: NotebookCache, nbcache
) -> None:
    url = (tmp_path / "remote").as_uri()
    add_record(cache_a, tmp_path, "one", "x = 1")
    env = {"NBCACHE_REMOTE": url, "NBCACHE_REMOTE_MODE": "read"}
    result = nbcache("-p", cache_a.path, "remote", "push", env=env)
    assert result.exit_code == 0, result.output
    assert f"Remote {url} is in read mode: nothing uploaded" in result.output
    assert RemoteStore(url).list() == []
    assert "No records in" in nbcache("remote", "list", env=env).output


def test_cli_remote_errors_are_one_line(tmp_path: Path, nbcache) -> None:
    port = free_port()
    result = nbcache(
        "-p",
        tmp_path / "c",
        "remote",
        "list",
        "-r",
        f"s3://k:{SECRET}@bucket",
        "-o",
        f"endpoint_url=http://127.0.0.1:{port}",
        "-o",
        f"secret={SECRET}",
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: remote cache s3://bucket: listing failed")
    assert SECRET not in result.output
    assert nbcache("remote", "list").exit_code == 2  # no --remote: a usage error


def _option(name: str, value) -> str:
    import json

    return f"{name}={value if isinstance(value, str) else json.dumps(value)}"


def test_a_missing_bucket_is_an_error_not_created(
    tmp_path: Path, s3_server: S3Server, cache_a: NotebookCache
) -> None:
    entry = add_record(cache_a, tmp_path, "one", "x = 1")
    bucket = f"{s3_server.bucket}-typo"
    with pytest.raises(RemoteError, match=f"remote cache s3://{bucket}/p: uploading"):
        RemoteStore(f"s3://{bucket}/p", s3_server.options).push(cache_a, entry)
    assert not s3_server.fs.exists(bucket)
