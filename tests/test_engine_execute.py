"""Executing notebooks with real ipykernel kernels: outputs, artefacts, failures, scheduling.

Each kernel start costs about a second, so every notebook here is tiny and each test runs as
few as it can.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import ipykernel
import nbformat
import pytest
from nbformat import v4

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.executor import ExecutionResult, execute_notebook
from sphinx_nbcache.engine.options import ExecutionOptions
from sphinx_nbcache.engine.scheduler import Job, execute_many
from sphinx_nbcache.engine.store import validate_executed

HAS_NUMPY = importlib.util.find_spec("numpy") is not None


def make_nb(*cells: str | tuple[str, list[str]]) -> nbformat.NotebookNode:
    """A notebook of code cells; a ``(source, tags)`` pair gives a cell tags."""
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = v4.new_notebook(metadata={"kernelspec": spec})
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        nb.cells.append(v4.new_code_cell(source, metadata={"tags": tags} if tags else {}))
    return nb


def write_nb(path: Path, nb: nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def text_of(cell) -> str:
    """All stream and plain-text output of a cell."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out:
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


# -- a successful run ---------------------------------------------------------------------------
def test_runs_in_its_folder_and_written_files_become_artefacts(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "input.txt").write_text("41\n")
    outside = tmp_path / "outside.txt"
    numpy_cell = (
        "import numpy\nnumpy.savetxt('generated/array.txt', numpy.arange(3))"
        if HAS_NUMPY
        else "pass"
    )
    nb = make_nb(
        "value = int(open('data/input.txt').read())\nprint(value + 1)",
        "import os, pathlib\n"
        "os.makedirs('generated', exist_ok=True)\n"
        "with open('generated/out.csv', 'w') as f:\n"
        "    f.write('a,b\\n1,2\\n')\n"
        "pathlib.Path('generated/notes.txt').write_text('notes')\n"
        f"pathlib.Path({str(outside)!r}).write_text('not ours')",
        numpy_cell,
        "names = sorted(n for n in dir() if 'nbcache' in n.lower())\n"
        "print(len(In), names, '_nbcache_probe' in globals())",
    )
    path = write_nb(folder / "nb.ipynb", nb)

    result = execute_notebook(nb, folder, source_path=path)

    assert result.ok, result.error
    cells = code_cells(result.nb)
    assert text_of(cells[0]) == "42\n"
    # the probe leaves no trace: no names, no history entry, no execution count of its own
    assert text_of(cells[3]) == "5 [] False\n"
    assert [c.execution_count for c in cells] == [1, 2, 3, 4]
    validate_executed(result.nb)
    assert all(out.get("output_type") != "error" for c in cells for out in c.outputs)

    expected = {"generated/out.csv", "generated/notes.txt"}
    if HAS_NUMPY:
        expected.add("generated/array.txt")
    assert set(result.artefacts) == expected  # read files, the notebook, outside files: no
    assert result.artefacts["generated/out.csv"] == folder / "generated" / "out.csv"
    assert str(folder / "data" / "input.txt") in result.io["reads"]

    data = result.data()
    assert 0 < data["seconds"] < 60
    assert [i for i, _ in data["cells"]] == [0, 1, 2, 3]
    assert all(s >= 0 for _, s in data["cells"])
    assert data["python"] == platform.python_version()
    assert data["ipykernel"] == ipykernel.__version__
    assert data["kernel"] == "python3"
    assert data["language_version"] == platform.python_version()

    # and the result stores as a cache record, artefacts included
    with NotebookCache(tmp_path / "cache", root=tmp_path) as cache:
        entry = cache.add_notebook(
            result.nb, cache.uri_for(path), artefacts=result.artefacts, data=data
        )
        assert cache.artefact_path(entry, "generated/out.csv").read_text() == "a,b\n1,2\n"
        assert cache.load_notebook(entry).cells[0].outputs == cells[0].outputs


def test_tags_raises_exception_and_skip_execution(tmp_path: Path) -> None:
    nb = make_nb(
        "print('before')",
        ("raise ValueError('expected')", ["raises-exception"]),
        ("open('skipped.txt', 'w').close()", ["skip-execution"]),
        "print('after')",
    )
    result = execute_notebook(nb, tmp_path)
    assert result.ok, result.error
    cells = code_cells(result.nb)
    assert cells[1].outputs[0].output_type == "error"
    assert cells[1].outputs[0].ename == "ValueError"
    assert cells[2].outputs == []
    assert cells[2].execution_count is None
    assert not (tmp_path / "skipped.txt").exists()
    assert text_of(cells[3]) == "after\n"
    assert [c.execution_count for c in cells] == [1, 2, None, 3]
    # a notebook with a skipped cell is a normal, storable result
    validate_executed(result.nb)
    with NotebookCache(tmp_path / "cache") as cache:
        assert cache.add_notebook(result.nb, "tags.ipynb").uri == "tags.ipynb"


# -- failures -----------------------------------------------------------------------------------
def test_cell_error_with_and_without_allow_errors(tmp_path: Path) -> None:
    source = make_nb("print('ok')", "x = 1\n1 / 0", "print('never')")
    strict, lenient = execute_many(
        [
            Job(nb=v4.reads(v4.writes(source)), cwd=tmp_path, name="strict"),
            Job(
                nb=v4.reads(v4.writes(source)),
                cwd=tmp_path,
                name="lenient",
                options=ExecutionOptions(allow_errors=True),
            ),
        ],
        max_jobs=2,
    )

    error = strict.error
    assert error is not None
    assert str(error) == "cell 2: ZeroDivisionError: division by zero"
    assert (error.cell_index, error.ename) == (1, "ZeroDivisionError")
    # the kernel's own traceback, without nbclient's preamble or colour codes
    assert "An error occurred while executing" not in error.traceback
    assert "\x1b[" not in error.traceback
    assert "1 / 0" in error.traceback
    assert error.traceback.rstrip().endswith("ZeroDivisionError: division by zero")
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.cell_index, again.traceback) == (
        str(error),
        error.cell_index,
        error.traceback,
    )
    cells = code_cells(strict.nb)
    assert text_of(cells[0]) == "ok\n"  # outputs up to the failure are kept
    assert cells[1].outputs[0].output_type == "error"
    assert cells[2].outputs == []

    assert lenient.ok, lenient.error
    assert text_of(code_cells(lenient.nb)[2]) == "never\n"


def test_cell_timeout(tmp_path: Path) -> None:
    nb = make_nb("print('start')", "import time\ntime.sleep(60)", "print('never')")
    result = execute_notebook(nb, tmp_path, ExecutionOptions(timeout=1))
    assert result.error is not None
    assert "timed out" in str(result.error)
    assert str(result.error).startswith("cell 2: ")
    assert result.error.cell_index == 1
    assert text_of(code_cells(result.nb)[0]) == "start\n"


def test_notebook_timeout_stops_a_long_notebook(tmp_path: Path) -> None:
    # no cell timeout, and the kernel is busy when the notebook's time is up
    nb = make_nb("print('start')", "import time\ntime.sleep(60)", "print('never')")
    # 8 s: room for a kernel start on a loaded CI machine, far below the 60 s of the cell; a
    # deadline that did not work would let the cell finish and the notebook succeed
    result = execute_notebook(nb, tmp_path, ExecutionOptions(timeout=None, notebook_timeout=8))
    assert result.error is not None
    assert str(result.error) == "cell 2: the notebook ran longer than 8 s and was stopped"
    assert result.error.ename == "NotebookTimeoutError"
    assert text_of(code_cells(result.nb)[0]) == "start\n"
    assert code_cells(result.nb)[2].outputs == []


def test_unknown_kernel_is_an_error_not_an_exception(tmp_path: Path) -> None:
    result = execute_notebook(
        make_nb("1"), tmp_path, ExecutionOptions(kernel_name="no-such-kernel-xyz")
    )
    assert result.error is not None
    assert "'no-such-kernel-xyz' is not installed" in str(result.error)
    assert "jupyter kernelspec list" in str(result.error)


def test_dead_kernel_fails_alone(tmp_path: Path) -> None:
    dying = make_nb("print('alive')", "import os\nos._exit(1)", "print('never')")
    fine = make_nb("print('fine')")
    dead, ok = execute_many(
        [Job(nb=dying, cwd=tmp_path, name="dying"), Job(nb=fine, cwd=tmp_path, name="fine")],
        max_jobs=2,
    )
    assert dead.error is not None
    assert "kernel died" in str(dead.error)
    assert dead.error.cell_index == 1
    assert text_of(code_cells(dead.nb)[0]) == "alive\n"
    assert ok.ok, ok.error
    assert text_of(code_cells(ok.nb)[0]) == "fine\n"


# the kernel process's own output (not a cell's): fd 2 as it was before ipykernel took it over
KERNEL_STDERR = "import os, sys\nfd = getattr(sys.stderr, '_original_stdstream_copy', 2)"


def test_kernel_process_noise_stays_out_of_the_log(tmp_path: Path, capfd) -> None:
    # tornado and zmq log shutdown races on the kernel's stderr; it must not reach the build log
    nb = make_nb(
        KERNEL_STDERR + "\nimport atexit\natexit.register(os.write, fd, b'noise at exit\\n')",
        "print('done')",
    )
    result = execute_notebook(nb, tmp_path)
    assert result.ok, result.error
    assert text_of(code_cells(result.nb)[1]) == "done\n"
    assert "noise at exit" not in capfd.readouterr().err


def test_dead_kernel_error_carries_the_kernel_output(tmp_path: Path, capfd) -> None:
    nb = make_nb(KERNEL_STDERR + "\nos.write(fd, b'fatal: out of widgets\\n')\nos._exit(3)")
    result = execute_notebook(nb, tmp_path)
    assert result.error is not None
    assert str(result.error).startswith("cell 1: the kernel died")
    assert result.error.traceback.endswith("the kernel process printed:\nfatal: out of widgets")
    assert "out of widgets" not in capfd.readouterr().err


# -- many notebooks -----------------------------------------------------------------------------
def test_execute_many_in_order_and_own_artefacts(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    # all three share one folder and overlap in time; the first one finishes last: it waits
    # until the result of nb1 has been handed over (a flag outside the folder), however slowly
    # the kernels start on a loaded machine
    flag = tmp_path / "nb1-finished"
    wait = (
        "import pathlib, time\n"
        f"flag, deadline = pathlib.Path({str(flag)!r}), time.monotonic() + 60\n"
        "while not flag.exists():\n"
        "    assert time.monotonic() < deadline, 'nb1 never finished while nb0 ran'\n"
        "    time.sleep(0.05)"
    )
    jobs = [
        Job(
            nb=make_nb(first, f"open('out-{n}.txt', 'w').write('{n}')\nprint({n})"),
            cwd=folder,
            name=f"nb{n}",
        )
        for n, first in enumerate([wait, "pass", "pass"])
    ]
    started, finished = [], []

    def on_result(job: Job, result: object, done: int, total: int) -> None:
        finished.append(job.name)
        if job.name == "nb1":
            flag.touch()

    results = execute_many(
        jobs,
        max_jobs=2,
        on_start=lambda job, i, total: started.append((job.name, total)),
        on_result=on_result,
    )
    assert [text_of(code_cells(r.nb)[1]) for r in results] == ["0\n", "1\n", "2\n"]
    assert [sorted(r.artefacts) for r in results] == [["out-0.txt"], ["out-1.txt"], ["out-2.txt"]]
    assert all(r.ok for r in results), [str(r.error) for r in results]
    assert sorted(started) == [("nb0", 3), ("nb1", 3), ("nb2", 3)]
    # nb0 waited for nb1, started with it, to finish: they ran side by side
    assert finished.index("nb1") < finished.index("nb0")
    assert execute_many([]) == []


#: on one CPU, with no max_jobs: nb0 waits for a file nb1 writes, so both must run at once
ONE_CPU = """
import json, os, sys
from pathlib import Path
from nbformat import v4
from sphinx_nbcache.engine.scheduler import Job, execute_many
os.sched_setaffinity(0, {next(iter(os.sched_getaffinity(0)))})
folder = Path(sys.argv[1])
flag = folder / "nb1-ran"
wait = (
    "import pathlib, time\\n"
    f"flag, deadline = pathlib.Path({str(flag)!r}), time.monotonic() + 60\\n"
    "while not flag.exists():\\n"
    "    assert time.monotonic() < deadline, 'nb1 never ran while nb0 waited'\\n"
    "    time.sleep(0.05)"
)
nbs = [v4.new_notebook(cells=[v4.new_code_cell(wait)]),
       v4.new_notebook(cells=[v4.new_code_cell(f"open({str(flag)!r}, 'w').close()")])]
for nb in nbs:
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
results = execute_many([Job(nb, folder, f"nb{i}") for i, nb in enumerate(nbs)])
print(json.dumps([str(r.error) if r.error else None for r in results]))
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
def test_the_default_runs_two_kernels_per_cpu(tmp_path: Path) -> None:
    # a kernel's life is partly waiting: by default two notebooks run at once even on one CPU
    done = subprocess.run(
        [sys.executable, "-c", ONE_CPU, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [None, None]


def test_assets_run_in_a_folder_holding_only_them(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "in.csv").write_text("1,2\n")
    (folder / "other.txt").write_text("not an asset")
    nb = make_nb(
        "import os, pathlib\n"
        "print(sorted(p.as_posix() for p in pathlib.Path('.').rglob('*')))\n"
        "print(os.getcwd())",
        "open('result.txt', 'w').write(open('data/in.csv').read())",
    )
    seen: dict[str, object] = {}

    def on_result(job: Job, result: ExecutionResult, done: int, total: int) -> None:
        seen["artefacts"] = {rel: p.read_text() for rel, p in result.artefacts.items()}
        seen["cwd"] = result.artefacts["result.txt"].parent

    (result,) = execute_many(
        [Job(nb=nb, cwd=folder, name="assets", assets=["data/in.csv"])], on_result=on_result
    )
    assert result.ok, result.error
    listing, cwd = text_of(code_cells(result.nb)[0]).splitlines()
    assert listing == "['data', 'data/in.csv']"
    assert Path(cwd) != folder
    assert seen["artefacts"] == {"result.txt": "1,2\n"}
    assert not Path(cwd).exists()  # the temporary folder is gone afterwards
    assert not (folder / "result.txt").exists()


def test_a_missing_or_escaping_asset_fails_only_its_own_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    # a temporary folder of our own: other test processes create run folders in /tmp too
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    before = set(scratch.iterdir())
    results = execute_many(
        [
            Job(nb=make_nb("print(1)"), cwd=folder, name="missing", assets=["nope.csv"]),
            Job(nb=make_nb("print(2)"), cwd=folder, name="escape", assets=["../secret.txt"]),
            Job(nb=make_nb("print('fine')"), cwd=folder, name="fine"),
        ],
        max_jobs=3,
    )
    missing, escape, fine = results
    assert missing.error is not None and "nope.csv" in str(missing.error)
    assert escape.error is not None and "secret.txt" in str(escape.error)
    assert fine.ok, fine.error
    assert text_of(code_cells(fine.nb)[0]) == "fine\n"
    assert set(scratch.iterdir()) == before


# -- a kernel that does not start ---------------------------------------------------------------
FLAKY_LAUNCHER = """\
import sys
from pathlib import Path

marker = Path(__file__).with_name("starts")
starts = int(marker.read_text()) if marker.exists() else 0
marker.write_text(str(starts + 1))
if starts < {fails}:
    sys.stderr.write("zmq.error.ZMQError: Address already in use (start %d)\\n" % (starts + 1))
    sys.exit(1)
from ipykernel import kernelapp

kernelapp.launch_new_instance()
"""


def flaky_kernel(tmp_path: Path, monkeypatch, fails: int) -> Path:
    """A kernelspec whose first ``fails`` starts exit at once, as on a port taken meanwhile."""
    spec = tmp_path / "jupyter" / "kernels" / "flaky"
    spec.mkdir(parents=True)
    (spec / "launch.py").write_text(FLAKY_LAUNCHER.format(fails=fails))
    argv = [sys.executable, str(spec / "launch.py"), "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Flaky", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return spec / "starts"


def test_kernel_that_failed_to_start_is_started_again(tmp_path: Path, monkeypatch, capfd) -> None:
    starts = flaky_kernel(tmp_path, monkeypatch, fails=1)
    result = execute_notebook(
        make_nb("print('ran')"), tmp_path, ExecutionOptions(kernel_name="flaky")
    )
    assert result.ok, result.error
    assert text_of(code_cells(result.nb)[0]) == "ran\n"
    assert starts.read_text() == "2"
    err = capfd.readouterr().err
    assert "Address already in use" not in err and "ERROR" not in err, err


NEVER_STARTS = """\
import json, sys
from nbformat import v4
from sphinx_nbcache.engine.executor import execute_notebook
from sphinx_nbcache.engine.options import ExecutionOptions

nb = v4.new_notebook(cells=[v4.new_code_cell("print('ran')")])
error = execute_notebook(nb, sys.argv[1], ExecutionOptions(kernel_name="flaky")).error
print(json.dumps([str(error), error.ename, error.cell_index, error.traceback, nb.cells[0].outputs]))
"""


def test_kernel_that_never_starts_fails_with_its_output(tmp_path: Path, monkeypatch) -> None:
    starts = flaky_kernel(tmp_path, monkeypatch, fails=99)
    # in a process of its own, to see all it prints up to its exit
    proc = subprocess.run(
        [sys.executable, "-c", NEVER_STARTS, str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no log line, no exit hook of nbclient failing
    message, ename, cell_index, traceback, outputs = json.loads(proc.stdout)
    assert message.startswith("kernel 'flaky' did not start: Kernel died")
    assert message.endswith("(3 attempts)")
    assert ename == "KernelStartError"
    assert cell_index is None
    assert traceback.endswith("printed:\nzmq.error.ZMQError: Address already in use (start 3)")
    assert outputs == []
    assert starts.read_text() == "3"


@pytest.mark.skipif(platform.system() == "Windows", reason="zmq has no Unix sockets there")
def test_kernel_talks_over_private_unix_sockets(tmp_path: Path) -> None:
    # no TCP port a concurrent process could take between jupyter_client's choice and the bind
    nb = make_nb(
        "import json\nfrom ipykernel import get_connection_info\n"
        "info = json.loads(get_connection_info())\nprint(info['transport'], info['ip'])"
    )
    result = execute_notebook(nb, tmp_path)
    assert result.ok, result.error
    transport, ip = text_of(code_cells(result.nb)[0]).split()
    assert transport == "ipc"
    assert tmp_path not in Path(ip).parents  # never in the notebook's folder
    assert not Path(ip).parent.exists()  # removed with its sockets after the run
    assert list(tmp_path.iterdir()) == []


def test_an_assets_folder_is_named_for_the_orphan_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a killed process cannot remove the copy of a job's assets: named as the kernels'
    # folders are (nbcache-<pid>-...), the next process's sweep removes it
    from sphinx_nbcache.engine.kernels import _OURS

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "data.csv").write_text("1\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    code = "import os; print(os.path.basename(os.getcwd()), sorted(os.listdir()))"
    (result,) = execute_many([Job(nb=make_nb(code), cwd=folder, name="a", assets=["data.csv"])])
    assert result.ok, result.error
    name, listed = text_of(code_cells(result.nb)[0]).split(" ", 1)
    assert _OURS.match(name) and name.startswith(f"nbcache-{os.getpid()}-"), name
    assert "data.csv" in listed
