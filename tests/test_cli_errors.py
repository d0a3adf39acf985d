"""Errors: one line on stderr naming the file or id, exit code 1 (2 for usage), cache unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from sphinx_nbcache.engine import NotebookCache

CACHE = ".nbcache"


def state(project: Path) -> Any:
    """Everything a command could change: records and staged notebooks (None: no cache)."""
    if not (project / CACHE / "nbcache.db").exists():
        return None
    with NotebookCache(project / CACHE) as cache:
        return (
            [r.to_json() for r in cache.list_records()],
            [s.to_json() for s in cache.list_staged()],
        )


def assert_error(result: Any, *needles: str, code: int = 1) -> str:
    """The command failed with one ``Error: ...`` line on stderr containing ``needles``."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    err = result.stderr
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.fixture
def populated(nb_project: Path, nbcache) -> Path:
    """A cache holding basic.ipynb (record 1) with staged basic_unrun.ipynb (ID 1)."""
    assert nbcache("cache", "add", "notebooks/basic.ipynb").exit_code == 0
    assert nbcache("stage", "add", "notebooks/basic_unrun.ipynb").exit_code == 0
    return nb_project


def edited_copy(name: str = "edited.ipynb") -> Path:
    """A valid executed notebook with other code than basic.ipynb."""
    nb = json.loads(Path("notebooks/basic.ipynb").read_text())
    nb["cells"][1]["source"] = ["a = 2"]
    path = Path("notebooks") / name
    path.write_text(json.dumps(nb))
    return path


def test_invalid_json_adds_nothing(populated: Path, nbcache) -> None:
    before = state(populated)
    good = edited_copy()
    Path("notebooks/bad.ipynb").write_text('{"cells": [')
    for command in (["cache", "add"], ["stage", "add"]):
        result = nbcache(*command, good, "notebooks/bad.ipynb")
        assert_error(result, "notebooks/bad.ipynb", "invalid JSON")
        assert result.stdout == ""
    assert state(populated) == before


def test_missing_file(nb_project: Path, nbcache) -> None:
    result = nbcache("cache", "add", "notebooks/basic.ipynb", "notebooks/nope.ipynb")
    assert_error(result, "notebooks/nope.ipynb", "no such file")
    result = nbcache("stage", "add", "notebooks/basic.ipynb", "notebooks/nope.ipynb")
    assert_error(result, "notebooks/nope.ipynb", "no such file")
    result = nbcache("cache", "diff-nb", "1", "notebooks/nope.ipynb")
    assert_error(result, "no cache in")
    # a failed command does not even create the cache folder
    assert not (nb_project / CACHE).exists()


def test_unknown_format_suffix(populated: Path, nbcache) -> None:
    before = state(populated)
    Path("notebooks/notebook.xyz").write_text("print(1)\n")
    assert_error(nbcache("cache", "add", "notebooks/notebook.xyz"), "notebooks/notebook.xyz")
    assert_error(nbcache("stage", "add", "notebooks/notebook.xyz"), "notebooks/notebook.xyz")
    Path("notebooks/noformat").write_text("{}")
    assert_error(nbcache("stage", "add", "notebooks/noformat"), "notebooks/noformat", "suffix")
    assert state(populated) == before


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["cache", "show", "99"], ["id 99", "nbcache cache list"]),
        (["cache", "show", "--json", "99"], ["id 99"]),
        (["cache", "cat-artifact", "99", "x.txt"], ["id 99"]),
        (["cache", "cat-artifact", "1", "x.txt"], ["record 1", "'x.txt'"]),
        (["cache", "diff-nb", "99", "notebooks/basic.ipynb"], ["id 99"]),
        (["cache", "remove", "1", "99"], ["id 99"]),
        (["stage", "show", "42"], ["id 42", "nbcache stage list"]),
        (["stage", "remove-ids", "1", "42"], ["id 42"]),
        (["stage", "remove-uris", "notebooks/basic_unrun.ipynb", "nope.ipynb"], ["nope.ipynb"]),
    ],
)
def test_unknown_id(populated: Path, nbcache, args: list[str], needles: list[str]) -> None:
    before = state(populated)
    assert_error(nbcache(*args), *needles)
    assert state(populated) == before


@pytest.mark.parametrize(
    "args",
    [
        ["cache", "show", "one"],
        ["cache", "remove"],
        ["cache", "remove", "--all", "1"],
        ["stage", "remove-ids"],
        ["config", "cache-limit", "0"],
        ["execute", "--jobs", "0"],
        ["cache", "add-with-artefacts", "notebooks/basic.ipynb"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(populated: Path, nbcache, args: list[str]) -> None:
    before = state(populated)
    result = nbcache(*args)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.stderr
    assert state(populated) == before


def test_artefact_outside_the_folder(populated: Path, nbcache) -> None:
    before = state(populated)
    Path("outside.txt").write_text("secret")
    os.symlink(Path("outside.txt").absolute(), "notebooks/link.txt")
    for artefact in ("notebooks/../outside.txt", "outside.txt", "notebooks/link.txt"):
        result = nbcache("cache", "add-with-artefacts", "-nb", "notebooks/basic.ipynb", artefact)
        assert_error(result, "Artifact Error: Path", artefact.rsplit("/", 1)[-1], "not in folder")
        result = nbcache("stage", "add-with-assets", "-nb", "notebooks/basic.ipynb", artefact)
        assert_error(result, "Artifact Error: Path", "not in folder")
    result = nbcache(
        "cache", "add-with-artefacts", "-nb", "notebooks/basic.ipynb", "notebooks/gone.txt"
    )
    assert_error(result, "notebooks/gone.txt", "no such artefact")
    result = nbcache(
        "cache", "add-with-artefacts", "-nb", "notebooks/basic.ipynb", "notebooks/artefact_folder"
    )
    assert_error(result, "notebooks/artefact_folder: not a file")
    result = nbcache("stage", "add-with-assets", "-nb", "notebooks/basic.ipynb", "notebooks/gone")
    assert_error(result, "notebooks/gone: no such asset")
    assert state(populated) == before


def test_corrupt_database(nb_project: Path, nbcache) -> None:
    db = nb_project / CACHE / "nbcache.db"
    db.parent.mkdir()
    db.write_bytes(b"this is not an SQLite database" * 100)
    for args in (
        ["cache", "list"],
        ["cache", "list", "--json"],
        ["stage", "list"],
        ["cache", "add", "notebooks/basic.ipynb"],
        ["execute"],
        ["config", "cache-limit"],
    ):
        result = nbcache(*args)
        assert_error(result, str(db), "`nbcache clear`")
        assert result.stdout == ""
    assert db.read_bytes() == b"this is not an SQLite database" * 100
    # and the way out works
    assert nbcache("clear", "--yes").exit_code == 0
    assert nbcache("cache", "list").stdout.strip() == "No cached notebooks"


def test_unknown_kernel_fails_only_its_notebook(nb_project: Path, nbcache) -> None:
    nbcache("stage", "add", "notebooks/unknown_kernel.ipynb")
    nbcache(
        "stage",
        "add-with-assets",
        "-nb",
        "notebooks/uses_asset/uses_asset.ipynb",
        "notebooks/uses_asset/data",
    )
    result = nbcache("execute")
    assert result.exit_code == 1
    assert (
        "notebooks/unknown_kernel.ipynb: failed: kernel 'no-such-kernel' is not installed"
        in result.stdout
    )
    assert "notebooks/uses_asset/uses_asset.ipynb: executed in" in result.stdout
    assert_error(result, "1 notebook(s) failed", "nbcache stage show")
    with NotebookCache(nb_project / CACHE) as cache:
        assert [r.uri for r in cache.list_records()] == ["notebooks/uses_asset/uses_asset.ipynb"]
        (staged,) = [s for s in cache.list_staged() if s.uri.endswith("unknown_kernel.ipynb")]
    assert staged.status == "failed"
    show = nbcache("stage", "show", staged.id).stdout
    assert "Error: kernel 'no-such-kernel' is not installed" in show
    assert "jupyter kernelspec list" in show


def test_staged_file_gone(populated: Path, nbcache) -> None:
    Path("notebooks/basic_unrun.ipynb").unlink()
    result = nbcache("stage", "list")
    assert result.exit_code == 0
    assert "staged (missing)" in result.stdout
    (entry,) = json.loads(nbcache("stage", "list", "--json").stdout)
    assert entry["file"] == "missing" and entry["cache_id"] is None
    assert "File: missing" in nbcache("stage", "show", "1").stdout
    # executing it fails that notebook, with a message naming the file; no kernel starts
    before = state(populated)[0]
    result = nbcache("execute")
    assert result.exit_code == 1
    assert "notebooks/basic_unrun.ipynb: failed: " in result.stdout
    assert "no such file" in result.stdout
    assert_error(result, "could not be read")
    assert state(populated)[0] == before
    assert nbcache("stage", "show", "1").stdout.count("Status: failed") == 1
