"""``nbcache status`` and ``nbcache invalidate`` judge notebooks as the build does."""

from __future__ import annotations

import json
import shutil

import pytest
from buildutil import build, copy_project, write_later

from sphinx_nbcache.engine import NotebookCache


@pytest.fixture
def project(rootdir, tmp_path, monkeypatch):
    return copy_project(rootdir, "build-deps", tmp_path, monkeypatch)


def _status(nbcache, src, *args):
    result = nbcache("status", src, "--json", *args)
    return result, {row["docname"]: row for row in json.loads(result.stdout)}


def test_status_explains_each_decision(make_app, nbcache, project):
    _, rows = _status(nbcache, project.src)
    assert {r["status"] for r in rows.values()} == {"stale"}
    assert {r["reason"] for r in rows.values()} == {"new"}

    build(make_app, project.src)
    project.executed()
    result, rows = _status(nbcache, project.src)
    assert result.exit_code == 0
    assert {r["status"] for r in rows.values()} == {"up-to-date"}
    assert all(r["record_id"] and r["seconds"] > 0 for r in rows.values())
    assert nbcache("status", project.src, "--check").exit_code == 0

    # each kind of change, with the reason the build will give
    write_later(project.src / "helpers.py", 'def greet():\n    return "v2"\n')
    nb = project.src / "reads_open.ipynb"
    write_later(nb, nb.read_text().replace("print('open saw'", "print('open now saw'"))
    cache = NotebookCache(project.src / ".nbcache")
    independent = next(r for r in cache.list_records() if r.uri == "independent.ipynb")
    # pretend the record was made with another numpy (edit the stored record, not the code)
    deps = dict(independent.dependencies, packages={"numpy": "0.0.1"})
    cache.models.CacheRecord.update(deps=json.dumps(deps)).where(
        cache.models.CacheRecord.id == independent.id
    ).execute()
    declared = next(r for r in cache.list_records() if r.uri == "declared.ipynb")
    cache.remove(declared.id)
    cache.close()

    result, rows = _status(nbcache, project.src)
    assert rows["helper_user"]["status"] == "stale"
    assert rows["helper_user"]["reason"] == "`helpers.py` changed"
    assert rows["reads_open"]["reason"].startswith("code cell 2 changed")
    assert rows["independent"]["reason"] == "`numpy` 0.0.1 -> " + _numpy_version()
    assert rows["declared"]["reason"] == "record evicted or removed"
    assert rows["reads_pandas"]["status"] == "up-to-date"
    assert nbcache("status", project.src, "--check").exit_code == 1

    # the text table says the same
    text = nbcache("status", project.src).stdout
    assert "`helpers.py` changed" in text and "4 stale" in text

    # and the build executes exactly those, with the same reasons in its report
    build(make_app, project.src)
    assert project.executed() == ["declared", "helper_user", "independent", "reads_open"]
    report = project.report()
    assert report["helper_user"]["reason"] == "`helpers.py` changed"
    assert report["independent"]["reason"] == "`numpy` 0.0.1 -> " + _numpy_version()


def _numpy_version():
    from importlib.metadata import version

    return version("numpy")


def test_status_failed_and_excluded(make_app, nbcache, rootdir, tmp_path, monkeypatch):
    project = copy_project(rootdir, "build-failing", tmp_path, monkeypatch)
    with (project.src / "conf.py").open("a") as conf:
        conf.write('\nnbcache_exclude_patterns = ["good.ipynb"]\n')
    build(make_app, project.src)
    _, rows = _status(nbcache, project.src)
    assert rows["broken"]["status"] == "failed"
    assert rows["broken"]["error"].startswith("cell 4: ZeroDivisionError")
    assert rows["good"]["status"] == "excluded"
    assert rows["allowed"]["status"] == "up-to-date"


def test_invalidate_forces_the_next_build(make_app, nbcache, project):
    build(make_app, project.src)
    project.executed()
    result = nbcache("invalidate", "-C", project.src, "helper_*.ipynb")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "invalidated helper_user.ipynb"
    _, rows = _status(nbcache, project.src)
    assert rows["helper_user"]["status"] == "stale"
    build(make_app, project.src)
    assert project.executed() == ["helper_user"]

    missing = nbcache("invalidate", "-C", project.src, "nothing-*.ipynb")
    assert missing.exit_code == 1
    assert "no cached notebook matches nothing-*.ipynb" in missing.stderr


def test_status_outside_a_project(nbcache, tmp_path):
    result = nbcache("status", tmp_path)
    assert result.exit_code == 1
    assert "no conf.py here" in result.stderr


def test_status_and_report_say_which_store_each_result_came_from_without_credentials(
    make_app, nbcache, rootdir, tmp_path, monkeypatch
):
    first = copy_project(rootdir, "build-basic", tmp_path / "a", monkeypatch)
    second = tmp_path / "b" / "src"
    shutil.copytree(first.src, second)
    remote = (tmp_path / "remote").as_uri()
    build(make_app, first.src, confoverrides={"nbcache_remote": remote})
    build(make_app, second, confoverrides={"nbcache_remote": remote})
    assert sorted(first.executed()) == ["alpha", "beta", "gamma"]  # A's runs only

    _, rows = _status(nbcache, first.src)
    assert {r["where"] for r in rows.values()} == {"local"}
    assert "from remote cache" not in nbcache("status", first.src).stdout
    _, rows = _status(nbcache, second)
    assert {(r["status"], r["where"]) for r in rows.values()} == {("up-to-date", remote)}
    assert f"from remote cache {remote}" in nbcache("status", second).stdout

    # a remote whose URL carried credentials (user:password@, a query token)
    secret, token = "s3cr3t-in-the-url", "t0ken-in-the-query"
    cache = NotebookCache(second / ".nbcache")
    for entry in cache.list_records():
        origin = dict(entry.data["origin"], **{
            "from": f"s3://AKIAEXAMPLE:{secret}@team-bucket/docs?X-Amz-Security-Token={token}"
        })  # fmt: skip
        cache.models.CacheRecord.update(data=json.dumps({**entry.data, "origin": origin})).where(
            cache.models.CacheRecord.id == entry.id
        ).execute()
    cache.close()
    text = nbcache("status", second).stdout
    listed = nbcache("status", second, "--json").stdout
    assert "from remote cache s3://team-bucket/docs" in text
    assert {r["where"] for r in json.loads(listed)} == {"s3://team-bucket/docs"}
    build(make_app, second)  # nothing read again: the report renders each row's store
    report = (second / "_build/html/nbcache-report.json").read_text()
    assert {r["where"] for r in json.loads(report)["notebooks"]} == {"s3://team-bucket/docs"}
    for shown in (text, listed, report):
        assert secret not in shown and token not in shown and "AKIAEXAMPLE" not in shown
