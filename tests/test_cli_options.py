"""Options and output: --json, the cache path, prompts, version, completion, ``python -m``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sphinx_nbcache import __version__
from sphinx_nbcache.cli import options
from sphinx_nbcache.engine import NotebookCache


def test_json_matches_the_records(nb_project: Path, nbcache) -> None:
    assert json.loads(nbcache("cache", "list", "--json").stdout) == []
    assert json.loads(nbcache("stage", "list", "--json").stdout) == []
    nbcache(
        "cache",
        "add-with-artefacts",
        "-nb",
        "notebooks/basic.ipynb",
        "notebooks/artefact_folder/artefact.txt",
    )
    nbcache("stage", "add", "notebooks/basic.ipynb", "notebooks/basic_failing.ipynb")
    with NotebookCache(nb_project / ".nbcache") as cache:
        records = cache.list_records()
        staged = cache.list_staged()

    listed = json.loads(nbcache("cache", "list", "--json").stdout)
    assert listed == [r.to_json() for r in records]
    shown = json.loads(nbcache("cache", "show", "--json", records[0].id).stdout)
    assert shown == records[0].to_json()
    assert shown["artefacts"] == ["artefact_folder/artefact.txt"]
    assert shown["uri"] == "notebooks/basic.ipynb"

    listed = json.loads(nbcache("stage", "list", "--json").stdout)
    assert [{k: v for k, v in e.items() if k not in ("cache_id", "file")} for e in listed] == [
        s.to_json() for s in staged
    ]
    assert [(e["uri"], e["cache_id"], e["file"]) for e in listed] == [
        ("notebooks/basic.ipynb", records[0].id, "ok"),
        ("notebooks/basic_failing.ipynb", None, "ok"),
    ]
    shown = json.loads(nbcache("stage", "show", "--json", staged[1].id).stdout)
    assert shown == listed[1]
    assert {"status", "error", "traceback", "executed"} <= set(shown)


def test_latest_only(nb_project: Path, nbcache) -> None:
    nbcache("cache", "add", "notebooks/basic.ipynb")
    edited = json.loads(Path("notebooks/basic.ipynb").read_text())
    edited["cells"][1]["source"] = ["a = 2"]
    Path("notebooks/basic.ipynb").write_text(json.dumps(edited))
    nbcache("cache", "add", "notebooks/basic.ipynb")
    assert len(json.loads(nbcache("cache", "list", "--json").stdout)) == 2
    (latest,) = json.loads(nbcache("cache", "list", "--latest-only", "--json").stdout)
    assert latest["id"] == 2


def test_print_path_and_cache_path_option(
    nb_project: Path, nbcache, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = nbcache("--print-path")
    assert result.exit_code == 0
    assert result.stdout == f"{nb_project / '.nbcache'}\n"
    assert nbcache("-p", "elsewhere", "--print-path").stdout == f"{nb_project / 'elsewhere'}\n"

    monkeypatch.setenv("NBCACHE_PATH", str(nb_project / "from-env"))
    assert nbcache("--print-path").stdout == f"{nb_project / 'from-env'}\n"
    # the option beats the environment variable
    assert nbcache("--print-path", "-p", "opt").stdout == f"{nb_project / 'opt'}\n"

    assert nbcache("cache", "add", "notebooks/basic.ipynb").exit_code == 0
    assert (nb_project / "from-env" / "nbcache.db").exists()
    assert not (nb_project / ".nbcache").exists()

    # -p works on the top level, on a group and on a command; the innermost wins
    for args in (
        ["-p", "c1", "cache", "add", "notebooks/basic.ipynb"],
        ["cache", "-p", "c2", "add", "notebooks/basic.ipynb"],
        ["-p", "nope", "cache", "add", "--cache-path", "c3", "notebooks/basic.ipynb"],
    ):
        assert nbcache(*args).exit_code == 0
    for name in ("c1", "c2", "c3"):
        with NotebookCache(nb_project / name) as cache:
            assert len(cache.list_records()) == 1
    assert not (nb_project / "nope").exists()
    # URIs are relative to the cache folder's parent
    assert json.loads(nbcache("-p", "c1", "cache", "list", "--json").stdout)[0]["uri"] == (
        "notebooks/basic.ipynb"
    )


def test_refuses_without_a_terminal_unless_yes(nb_project: Path, nbcache) -> None:
    result = nbcache("cache", "add", "notebooks/basic.ipynb", "notebooks/basic_unrun.ipynb")
    assert result.exit_code == 1
    assert "nothing was cached (--yes caches it anyway)" in result.stderr
    assert not (nb_project / ".nbcache").exists()

    result = nbcache("cache", "add", "--no-validate", "notebooks/basic_unrun.ipynb")
    assert result.exit_code == 0
    result = nbcache(
        "cache", "add", "--yes", "notebooks/basic.ipynb", "notebooks/basic_failing.ipynb"
    )
    assert result.exit_code == 0
    assert "caching it anyway (--yes)" in result.stderr
    assert len(json.loads(nbcache("cache", "list", "--json").stdout)) == 3

    result = nbcache("clear")
    assert result.exit_code == 1
    assert "not clearing the cache" in result.stderr and "--yes" in result.stderr
    assert len(json.loads(nbcache("cache", "list", "--json").stdout)) == 3


def test_prompts_on_a_terminal(nb_project: Path, nbcache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(options, "stdin_is_tty", lambda: True)
    result = nbcache("cache", "add", "notebooks/basic_unrun.ipynb", input="n\n")
    assert result.exit_code == 1
    assert "Cache it anyway?" in result.stdout
    assert "not confirmed; nothing was cached" in result.stderr
    assert not (nb_project / ".nbcache").exists()
    result = nbcache("cache", "add", "notebooks/basic_unrun.ipynb", input="y\n")
    assert result.exit_code == 0
    assert "Cached notebooks/basic_unrun.ipynb as record 1" in result.stdout

    assert nbcache("clear", input="n\n").exit_code == 1
    assert len(json.loads(nbcache("cache", "list", "--json").stdout)) == 1
    result = nbcache("clear", input="y\n")
    assert result.exit_code == 0
    assert json.loads(nbcache("cache", "list", "--json").stdout) == []


def test_config_cache_limit(nb_project: Path, nbcache) -> None:
    assert nbcache("config", "cache-limit").stdout == "1000\n"
    assert not (nb_project / ".nbcache").exists()
    nbcache("cache", "add", "notebooks/basic.ipynb")
    nbcache("cache", "add", "--no-validate", "notebooks/basic_unrun.ipynb")
    result = nbcache("config", "cache-limit", "1")
    assert result.exit_code == 0
    assert nbcache("config", "cache-limit").stdout == "1\n"
    assert len(json.loads(nbcache("cache", "list", "--json").stdout)) == 1


def test_remove_by_uri_and_all(nb_project: Path, nbcache) -> None:
    nbcache("stage", "add", "notebooks/basic.ipynb", "notebooks/basic_failing.ipynb")
    result = nbcache("stage", "remove-uris", str(nb_project / "notebooks" / "basic.ipynb"))
    assert result.exit_code == 0
    assert "Unstaged notebooks/basic.ipynb" in result.stdout
    assert nbcache("stage", "remove-ids", "--all").exit_code == 0
    assert json.loads(nbcache("stage", "list", "--json").stdout) == []
    nbcache("cache", "add", "notebooks/basic.ipynb")
    assert nbcache("cache", "remove", "--all").exit_code == 0
    assert json.loads(nbcache("cache", "list", "--json").stdout) == []


def test_version_help_and_completion(nbcache) -> None:
    assert nbcache("--version").stdout == f"nbcache, version {__version__}\n"
    result = nbcache()
    assert result.exit_code == 0
    assert "Commands:" in result.stdout
    help_text = nbcache("--help").stdout
    assert "_NBCACHE_COMPLETE=bash_source nbcache" in help_text
    assert {"cache", "stage", "execute", "clear", "config"} <= {
        line.split()[0] for line in help_text.split("Commands:")[1].splitlines() if line.strip()
    }
    result = nbcache(env={"_NBCACHE_COMPLETE": "bash_source"})
    assert result.exit_code == 0
    assert "_NBCACHE_COMPLETE=bash_complete" in result.stdout
    result = nbcache(
        env={"_NBCACHE_COMPLETE": "bash_complete", "COMP_WORDS": "nbcache st", "COMP_CWORD": "1"}
    )
    assert "stage" in result.stdout


def test_python_dash_m(nb_project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sphinx_nbcache", "cache", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "No cached notebooks"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx_nbcache", "cache", "show", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no cache in ")
