"""A build with ``nbcache_remote``: clone B takes what clone A executed from a shared remote
(issue 13). The remote is a real folder through fsspec's ``file://``, or moto's S3 server
in a process of its own (so that it can die in the middle of a build)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from buildutil import Project, build, copy_project, warnings, write_later
from remoteutil import SECRET, S3Process, rewrite_bundle

from sphinx_nbcache.engine import NotebookCache, RemoteStore


@pytest.fixture
def clones(rootdir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    first = copy_project(rootdir, "build-basic", tmp_path / "a", monkeypatch)
    second = tmp_path / "b" / "src"
    shutil.copytree(first.src, second)
    remote = tmp_path / "remote"
    remote.mkdir()
    return first, second, remote


def test_a_fresh_clone_builds_from_the_remote_and_executes_nothing(clones, make_app):
    first, second_src, remote = clones
    overrides = {"nbcache_remote": remote.as_uri()}
    app = build(make_app, first.src, confoverrides=overrides)
    assert warnings(app) == []
    assert first.executed() == ["alpha", "beta", "gamma"]
    assert len(RemoteStore(remote.as_uri()).list()) == 3  # uploaded
    # clone B: no .nbcache, no artefacts, the same remote
    app = build(make_app, second_src, confoverrides=overrides)
    assert warnings(app) == []
    assert first.executed() == []  # the kernels log to the same file
    page = (second_src / "_build/html/alpha.html").read_text()
    assert "alpha says 42" in page
    assert (second_src / "generated/alpha.csv").read_text() == "x,y\n1,2\n"  # artefact restored
    rows = json.loads((second_src / "_build/html/nbcache-report.json").read_text())["notebooks"]
    reasons = {row["docname"]: row["reason"] for row in rows}
    assert reasons["alpha"] == f"from the remote cache {remote.as_uri()}"
    assert {row["status"] for row in rows} == {"cached"}
    assert {row["where"] for row in rows} == {remote.as_uri()}


def test_a_read_only_remote_uploads_nothing_and_a_dead_one_is_one_warning(clones, make_app):
    first, _second, remote = clones
    build(
        make_app,
        first.src,
        confoverrides={"nbcache_remote": remote.as_uri(), "nbcache_remote_mode": "read"},
    )
    assert first.executed() == ["alpha", "beta", "gamma"]
    assert RemoteStore(remote.as_uri()).list() == []
    # an unknown protocol stands for a remote that cannot be used: the build goes on
    (first.src / "alpha.ipynb").write_text(
        (first.src / "alpha.ipynb").read_text().replace("6 * 7", "6 * 8")
    )
    app = build(make_app, first.src, confoverrides={"nbcache_remote": "nosuchfs://bucket/x"})
    found = [w for w in warnings(app) if "nbcache.remote" in w]
    assert len(found) == 1 and "nosuchfs://bucket/x" in found[0], warnings(app)
    assert first.executed() == ["alpha"]


def test_uploads_run_in_the_background_as_each_result_is_stored(
    rootdir, tmp_path, make_app, monkeypatch
):
    """``b_second`` executes after ``a_first`` was stored and finds its bundle in the remote
    already: the upload did not wait for the other notebooks. Both are there at the end."""
    project = copy_project(rootdir, "remote-background", tmp_path, monkeypatch)
    remote = tmp_path / "remote"  # where b_second looks: next to the kernels' log
    app = build(make_app, project.src, confoverrides={"nbcache_remote": remote.as_uri()})
    assert warnings(app) == []
    assert project.executed() == ["a_first", "b_second"]
    assert "bundles in the remote while executing: 1" in project.text("b_second")
    assert "first says 42" in project.text("a_first")
    cache = NotebookCache(project.src / ".nbcache")
    stored = {entry.hashkey for entry in cache.list_records()}
    cache.close()
    assert set(RemoteStore(remote.as_uri()).list()) == stored and len(stored) == 2
    report = project.report()
    assert {row["where"] for row in report.values()} == {"local"}
    assert "nbcache: uploaded 2 records to " + remote.as_uri() in app.status.getvalue()


@pytest.fixture
def s3_process():
    server = S3Process()
    yield server
    server.kill()


def test_the_s3_server_killed_mid_build_is_one_warning_and_the_build_completes(
    clones, make_app, s3_process, nbcache
):
    """Clone A fills an S3 remote; in clone B, ``beta`` and ``gamma`` come from it and
    ``alpha`` (edited) executes and kills the server while it runs, so its upload fails:
    one warning naming the bucket, no credentials, every page complete, nothing wrong
    cached, and the report and ``nbcache status`` say which store each result came from."""
    first, second_src, _ = clones
    url = f"s3://{s3_process.bucket}/docs"
    overrides = {"nbcache_remote": url, "nbcache_remote_options": s3_process.options}
    app = build(make_app, first.src, confoverrides=overrides)
    assert warnings(app) == []
    assert first.executed() == ["alpha", "beta", "gamma"]
    assert len(RemoteStore(url, s3_process.options).list()) == 3

    pid_file = first.log.parent / "server.pid"
    pid_file.write_text(str(s3_process.process.pid))
    alpha = second_src / "alpha.ipynb"
    nb = json.loads(alpha.read_text())
    (cell,) = [c for c in nb["cells"] if "alpha says" in "".join(c["source"])]
    cell["source"] = (
        "import pathlib, signal\n"
        "pid = pathlib.Path(os.environ['NBCACHE_TEST_LOG']).with_name('server.pid')\n"
        "os.kill(int(pid.read_text()), signal.SIGKILL)\n"
        "print('alpha says', 6 * 8)"
    )
    write_later(alpha, json.dumps(nb))
    app = build(make_app, second_src, confoverrides=overrides)
    assert first.executed() == ["alpha"]
    assert s3_process.process.wait(timeout=60) != 0  # the kernel killed it
    found = warnings(app)
    assert len(found) == 1, found
    assert "nbcache.remote" in found[0] and url in found[0] and "uploading" in found[0]
    assert SECRET not in app.warning.getvalue() + app.status.getvalue()
    # every page, from the remote or from this run
    html = second_src / "_build" / "html"
    assert "alpha says 48" in (html / "alpha.html").read_text()
    assert "beta says 1024" in (html / "beta.html").read_text()
    assert "gamma says 10" in (html / "gamma.html").read_text()
    rows = {
        r["docname"]: r for r in json.loads((html / "nbcache-report.json").read_text())["notebooks"]
    }
    assert {d: (r["status"], r["where"]) for d, r in rows.items()} == {
        "alpha": ("executed", "local"),
        "beta": ("cached", url),
        "gamma": ("cached", url),
    }
    assert SECRET not in (html / "nbcache-report.json").read_text()
    # B's cache holds what it ran and what it fetched, each under its own key
    cache = NotebookCache(second_src / ".nbcache")
    records = {e.uri: e for e in cache.list_records()}
    assert sorted(records) == ["alpha.ipynb", "beta.md", "gamma.pct.py"]
    assert "alpha says 48" in cache.notebook_path(records["alpha.ipynb"]).read_text()
    assert {records[u].hashkey for u in ("alpha.ipynb", "beta.md", "gamma.pct.py")} == {
        rows[d]["key"] for d in rows
    }
    cache.close()
    # nbcache status says the same, in text and in JSON, without the credentials
    text = nbcache("status", second_src)
    assert text.exit_code == 0, text.output
    assert f"from remote cache {url}" in text.output and SECRET not in text.output
    listed = json.loads(nbcache("status", second_src, "--json").stdout)
    assert {r["docname"]: r["where"] for r in listed} == {
        "alpha": "local",
        "beta": url,
        "gamma": url,
    }


def test_in_a_fresh_clone_an_edited_data_file_executes_exactly_its_reader(
    rootdir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_app
):
    """A fetched record is used only if the files its run read are the same here: clone B
    edits ``open.csv``, and only the notebook that read it executes; the others come from
    the remote."""
    first = copy_project(rootdir, "build-deps", tmp_path / "a", monkeypatch)
    second = Project(tmp_path / "b" / "src", first.log)
    shutil.copytree(first.src, second.src)
    remote = tmp_path / "remote"
    remote.mkdir()
    overrides = {"nbcache_remote": remote.as_uri()}
    build(make_app, first.src, confoverrides=overrides)
    ran = first.executed()
    assert "reads_open" in ran and len(ran) == len(RemoteStore(remote.as_uri()).list())

    (second.src / "open.csv").write_text("a,b\n1,77\n")
    app = build(make_app, second.src, confoverrides=overrides)
    assert warnings(app) == []
    assert first.executed() == ["reads_open"]
    assert "open saw 1,77" in second.text("reads_open")
    report = second.report()
    assert report["reads_open"]["status"] == "executed"
    assert {d for d, row in report.items() if row["where"] == remote.as_uri()} == set(ran) - {
        "reads_open"
    }


def test_a_corrupted_bundle_is_one_warning_and_its_notebook_executes_here(clones, make_app):
    """A remote bundle whose notebook does not match its manifest's hash is refused, named
    in one warning, and its notebook executed locally; the page shows the true output."""
    first, second_src, remote = clones
    overrides = {"nbcache_remote": remote.as_uri()}
    build(make_app, first.src, confoverrides=overrides)
    assert first.executed() == ["alpha", "beta", "gamma"]
    store = RemoteStore(remote.as_uri())
    cache = NotebookCache(first.src / ".nbcache")
    gamma = next(e for e in cache.list_records() if e.uri == "gamma.pct.py")
    cache.close()

    def forge(members: dict, manifest: dict) -> None:
        members["notebook.ipynb"] = members["notebook.ipynb"].replace(b"says", b"lies")

    path = store.path_for(gamma.hashkey)
    store.fs.pipe_file(path, rewrite_bundle(store.download(gamma.hashkey), forge))

    app = build(make_app, second_src, confoverrides=overrides)
    found = warnings(app)
    assert len(found) == 1 and gamma.hashkey in found[0] and "SHA-256" in found[0], found
    assert first.executed() == ["gamma"]
    page = (second_src / "_build/html/gamma.html").read_text()
    assert "gamma says 10" in page and "lies" not in page
