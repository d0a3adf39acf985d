"""A no-op rebuild pays for Sphinx and our check only (issue 11, "Faster no-op").

Each build runs in a fresh interpreter, as ``sphinx-build`` does, so that ``sys.modules``
and the SQLite statements it sent say what that build alone imported and asked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from buildutil import copy_project

#: run one build; print what it imported and which SQL statements it sent
BUILD = """
import json, sqlite3, sys
statements = []
_connect = sqlite3.connect
def connect(*args, **kwargs):
    conn = _connect(*args, **kwargs)
    conn.set_trace_callback(statements.append)
    return conn
sqlite3.connect = connect
from sphinx.cmd.build import main
rc = main(["-q", "-b", "html", "-d", "_build/doctrees", ".", "_build/html"])
print(json.dumps({"rc": rc, "modules": sorted(sys.modules), "sql": statements}))
"""

#: what only executing needs: a no-op build must not import any of them
EXECUTION_ONLY = {"nbclient", "jupyter_client", "zmq", "matplotlib", "IPython", "ipykernel"}
#: our own modules that only executing needs, and those only a remote cache needs (the
#: engine imports a module when one of its names is first used)
OURS_EXECUTING = {f"sphinx_nbcache.engine.{m}" for m in ("executor", "scheduler", "runner")}
OURS_REMOTE = {f"sphinx_nbcache.engine.{m}" for m in ("remote", "bundle", "uploads")}
#: what only reading a notebook needs: a no-op reads none (nbformat brings jsonschema)
READING_ONLY = {"nbformat", "jsonschema", "jupytext"}


def run_build(src: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", BUILD], cwd=src, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rc"] == 0, done.stderr
    return result


def test_noop_imports_nothing_of_execution_and_reads_once(rootdir, tmp_path, monkeypatch):
    project = copy_project(rootdir, "build-basic", tmp_path, monkeypatch)
    first = run_build(project.src)
    assert project.executed() == ["alpha", "beta", "gamma"]
    # the first build did execute, with what executing imports (the check below can fail)
    assert EXECUTION_ONLY & {m.partition(".")[0] for m in first["modules"]}
    assert {m.partition(".")[0] for m in first["modules"]} >= READING_ONLY
    assert set(first["modules"]) >= OURS_EXECUTING
    assert set(first["modules"]) & OURS_REMOTE == set()  # no remote configured
    # finding the kernelspec did not import all of IPython into the build (0.1 s)
    assert "IPython" not in {m.partition(".")[0] for m in first["modules"]}

    again = run_build(project.src)
    assert project.executed() == []
    imported = {m.partition(".")[0] for m in again["modules"]}
    assert imported & EXECUTION_ONLY == set()
    assert imported & READING_ONLY == set()
    assert set(again["modules"]) & (OURS_EXECUTING | OURS_REMOTE) == set()
    assert "filelock" not in imported  # the check takes no lock
    verbs = [s.split(None, 1)[0].upper() for s in again["sql"] if s.strip()]
    # the cache is opened without a write lock and checked in one read transaction
    assert "INSERT" not in verbs and "UPDATE" not in verbs and "CREATE" not in verbs
    assert not [s for s in again["sql"] if "IMMEDIATE" in s.upper()]
    assert verbs.count("BEGIN") == 1, again["sql"]
    assert verbs.count("SELECT") >= 3  # one per notebook, at least: inside that transaction
    begin = verbs.index("BEGIN")
    commit = verbs.index("COMMIT", begin)
    assert verbs[begin + 1 : commit].count("SELECT") >= 3
    assert "alpha says 42" in project.text("alpha")
