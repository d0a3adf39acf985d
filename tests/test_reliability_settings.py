"""A remembered failure is executed again once a setting that can change its outcome changed."""

from __future__ import annotations

from buildutil import build, copy_project


def test_raising_the_timeout_or_allowing_errors_runs_a_failure_again(
    make_app, rootdir, tmp_path, monkeypatch
) -> None:
    project = copy_project(rootdir, "reliability-settings", tmp_path, monkeypatch)

    def run(**conf: object) -> dict:
        build(make_app, project.src, confoverrides=conf)
        return project.report()["flaky"]

    # a 3 s cell under a 1 s timeout fails, and is remembered while nothing changes
    row = run(nbcache_timeout=1)
    assert project.executed() == ["flaky"]
    assert row["status"] == "failed" and "timed out" in row["error"]
    assert run(nbcache_timeout=1)["status"] == "failed"
    assert project.executed() == []

    # the timeout the message advises to raise: it runs again, and now fails further on
    row = run(nbcache_timeout=30)
    assert project.executed() == ["flaky"]
    assert row["reason"] == "settings changed since it failed: timeout 1 -> 30"
    assert row["status"] == "failed" and row["error"] == "cell 3: ValueError: boom"
    assert run(nbcache_timeout=30)["status"] == "failed"
    assert project.executed() == []

    # allowing errors: it runs again, and the error is an output of the page
    row = run(nbcache_timeout=30, nbcache_allow_errors=True)
    assert project.executed() == ["flaky"]
    assert row["status"] == "executed"
    assert "ValueError Traceback (most recent call last)" in project.text("flaky")
