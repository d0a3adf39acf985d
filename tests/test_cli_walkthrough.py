"""The jupyter-cache README walk-through, command by command, with ``nbcache``.

Real notebooks run in a real ipykernel and the cache is a real SQLite file under ``tmp_path``.
"""

from __future__ import annotations

import json
from pathlib import Path

from sphinx_nbcache.engine import NotebookCache


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def table_row(output: str, first_cell: object) -> list[str]:
    """The cells of the table row whose first cell is ``first_cell``."""
    for line in lines(output):
        cells = line.split()
        if cells and cells[0] == str(first_cell):
            return cells
    raise AssertionError(f"no row {first_cell} in:\n{output}")


def test_readme_walkthrough(nb_project: Path, nbcache) -> None:
    cache_dir = nb_project / ".nbcache"

    # an empty cache lists nothing, and listing does not create it
    result = nbcache("cache", "list")
    assert result.exit_code == 0
    assert result.stdout.strip() == "No cached notebooks"
    assert not cache_dir.exists()

    # cache an executed notebook; one not executed in one go is refused without a terminal
    result = nbcache("cache", "add", "notebooks/basic.ipynb")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Cached notebooks/basic.ipynb as record 1\n"
    result = nbcache("cache", "add", "notebooks/basic_unrun.ipynb")
    assert result.exit_code == 1
    assert "basic_unrun.ipynb: cell 2 has execution count None" in result.stderr
    assert "--yes" in result.stderr

    result = nbcache("cache", "list")
    assert result.exit_code == 0
    assert lines(result.stdout)[0].split() == ["ID", "Origin", "URI", "Created", "Accessed"]
    assert table_row(result.stdout, 1)[1] == "notebooks/basic.ipynb"

    result = nbcache("cache", "show", "1")
    assert result.exit_code == 0
    hashkey = NotebookCache(cache_dir).get(1).hashkey
    assert f"Hash key: {hashkey}" in lines(result.stdout)
    assert "Origin URI: notebooks/basic.ipynb" in lines(result.stdout)

    # the same notebook again, now with an artefact: the record is replaced (same key)
    result = nbcache(
        "cache",
        "add-with-artefacts",
        "-nb",
        "notebooks/basic.ipynb",
        "notebooks/artefact_folder/artefact.txt",
    )
    assert result.exit_code == 0, result.output
    assert "with 1 artefact(s)" in result.stdout
    (record,) = NotebookCache(cache_dir).list_records()
    result = nbcache("cache", "show", record.id)
    assert "  - artefact_folder/artefact.txt" in lines(result.stdout)
    result = nbcache("cache", "cat-artifact", record.id, "artefact_folder/artefact.txt")
    assert result.exit_code == 0
    assert result.stdout_bytes == b"an artefact\n"

    # diff a cached notebook against an edited copy
    edited = json.loads(Path("notebooks/basic.ipynb").read_text())
    edited["cells"][2]["source"] = ["print(a + 2)"]
    Path("edited.ipynb").write_text(json.dumps(edited))
    result = nbcache("cache", "diff-nb", record.id, "edited.ipynb")
    assert result.exit_code == 0
    assert f"--- cached record {record.id} (notebooks/basic.ipynb)" in result.stdout
    assert "+++ edited.ipynb" in result.stdout
    assert "-  print(a + 1)" in lines(result.stdout)
    assert "+  print(a + 2)" in lines(result.stdout)
    assert "\x1b[" not in result.stdout  # no colours without a terminal
    result = nbcache("cache", "diff-nb", record.id, "notebooks/basic.ipynb")
    assert "No differences" in result.stdout

    # stage notebooks, one with assets
    result = nbcache(
        "stage",
        "add",
        "notebooks/basic_unrun.ipynb",
        "notebooks/basic_failing.ipynb",
        "notebooks/basic.ipynb",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Staged ") == 3
    result = nbcache(
        "stage",
        "add-with-assets",
        "-nb",
        "notebooks/uses_asset/uses_asset.ipynb",
        "notebooks/uses_asset/data/input.txt",
    )
    assert result.exit_code == 0, result.output
    staged = {e.uri: e for e in NotebookCache(cache_dir).list_staged()}
    unrun = staged["notebooks/basic_unrun.ipynb"]
    failing = staged["notebooks/basic_failing.ipynb"]
    basic = staged["notebooks/basic.ipynb"]
    with_assets = staged["notebooks/uses_asset/uses_asset.ipynb"]
    assert with_assets.assets == ("data/input.txt",)

    result = nbcache("stage", "list")
    assert result.exit_code == 0
    assert lines(result.stdout)[0].split() == [
        "ID",
        "URI",
        "Created",
        "Assets",
        "Status",
        "Cache",
        "ID",
    ]
    # the already cached notebook shows its record; the others have none
    assert table_row(result.stdout, basic.id)[-1] == str(record.id)
    assert table_row(result.stdout, unrun.id)[-1] == "-"
    assert table_row(result.stdout, with_assets.id)[-3:] == ["1", "staged", "-"]

    # execute: the cached one is skipped, one fails, the others are cached
    result = nbcache("execute", "--jobs", "2")
    assert result.exit_code == 1, result.output
    out = lines(result.stdout)
    assert out[0] == "Executing 3 notebook(s)"
    progress = sorted(line for line in out if line.startswith("["))
    assert len(progress) == 3
    assert {p.split(" ", 1)[0] for p in progress} == {"[1/3]", "[2/3]", "[3/3]"}
    assert any(
        p.endswith("notebooks/basic_failing.ipynb: failed: cell 2: ValueError: oops")
        for p in progress
    )
    assert any("notebooks/basic_unrun.ipynb: executed in " in p for p in progress)
    assert any("notebooks/uses_asset/uses_asset.ipynb: executed in " in p for p in progress)
    assert out[-1].endswith(": 2 executed, 1 failed, 1 up to date")
    assert "1 notebook(s) failed" in result.stderr

    cache = NotebookCache(cache_dir)
    by_uri = {r.uri: r for r in cache.list_records()}
    assert set(by_uri) == {
        "notebooks/basic.ipynb",
        "notebooks/basic_unrun.ipynb",
        "notebooks/uses_asset/uses_asset.ipynb",
    }
    assert {e.uri: e.status for e in cache.list_staged()} == {
        "notebooks/basic_unrun.ipynb": "executed",
        "notebooks/basic_failing.ipynb": "failed",
        "notebooks/basic.ipynb": "staged",
        "notebooks/uses_asset/uses_asset.ipynb": "executed",
    }

    result = nbcache("stage", "list")
    assert table_row(result.stdout, unrun.id)[-2:] == [
        "executed",
        str(by_uri["notebooks/basic_unrun.ipynb"].id),
    ]
    assert table_row(result.stdout, failing.id)[-2:] == ["failed", "-"]

    # the failure's traceback is kept with the staged notebook
    result = nbcache("stage", "show", failing.id)
    assert result.exit_code == 0
    assert "Status: failed" in lines(result.stdout)
    assert "Error: cell 2: ValueError: oops" in lines(result.stdout)
    assert "Traceback:" in lines(result.stdout)
    assert "----> 1 raise ValueError('oops')" in result.stdout

    # the success has its execution time and the artefact its run wrote
    executed = by_uri["notebooks/basic_unrun.ipynb"]
    result = nbcache("cache", "show", executed.id)
    assert result.exit_code == 0
    seconds = [line for line in lines(result.stdout) if line.startswith("  seconds: ")]
    assert len(seconds) == 1 and float(seconds[0].split(": ")[1]) > 0
    assert "  - artefact_out.txt" in lines(result.stdout)
    result = nbcache("cache", "cat-artifact", executed.id, "artefact_out.txt")
    assert result.stdout_bytes == b"made by a run"
    # the notebook staged with assets ran in a folder holding only them (it asserts that
    # not_an_asset.txt is absent) and printed the asset
    outputs = cache.load_notebook(by_uri["notebooks/uses_asset/uses_asset.ipynb"]).cells[0]
    assert outputs.outputs[0]["text"] == "asset data\n\n"

    # without the failing notebook, nothing is left to execute (no kernel starts)
    assert nbcache("stage", "remove-ids", failing.id).exit_code == 0
    result = nbcache("execute")
    assert result.exit_code == 0
    assert result.stdout == "Nothing to execute: 3 notebook(s) up to date\n"

    # remove a record, then clear everything
    result = nbcache("cache", "remove", executed.id)
    assert result.exit_code == 0
    assert executed.id not in [r.id for r in NotebookCache(cache_dir).list_records()]
    result = nbcache("clear")
    assert result.exit_code == 1
    assert "pass --yes" in result.stderr
    assert len(NotebookCache(cache_dir).list_records()) == 2
    result = nbcache("clear", "--yes")
    assert result.exit_code == 0
    assert nbcache("cache", "list").stdout.strip() == "No cached notebooks"
    assert nbcache("stage", "list").stdout.strip() == "No staged notebooks"
