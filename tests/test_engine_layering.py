"""The engine never imports Sphinx, docutils or myst-parser: it is usable from Python alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sphinx_nbcache.engine

ENGINE = Path(sphinx_nbcache.engine.__file__).parent
FORBIDDEN = ("sphinx", "docutils", "myst_parser")

# imports every engine module in a fresh interpreter, then lists what got loaded
PROBE = """
import importlib, json, pkgutil, sys
import sphinx_nbcache.engine as engine
for info in pkgutil.walk_packages(engine.__path__, "sphinx_nbcache.engine."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def test_engine_modules_import_no_sphinx_docutils_or_myst_parser() -> None:
    modules = sorted(p.stem for p in ENGINE.glob("*.py"))
    assert "store" in modules and "executor" in modules  # the walk below sees real modules
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    assert "sphinx_nbcache.engine.store" in loaded
    offenders = [name for name in loaded if name.split(".")[0] in FORBIDDEN]
    assert offenders == [], f"engine modules pulled in {offenders[:10]}"


def test_engine_sources_name_no_forbidden_package() -> None:
    # also the imports a function makes only when called (not seen by importing the module)
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            words = line.strip().split()
            imports = len(words) >= 2 and words[0] in ("import", "from")
            if imports and words[1].split(".")[0] in FORBIDDEN:
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert found == []


#: lists the imports of engine submodules outside the engine (run in a fresh interpreter:
#: CPython 3.11.7's ast keeps a process-wide recursion counter that another thread's or an
#: earlier failed conversion can leave off, gh-106905, and the test must not inherit that)
FIND_SUBMODULE_IMPORTS = """
import ast, json, pathlib, sys
package, engine = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
found = []
for path in sorted(package.rglob("*.py")):
    if engine in path.parents:
        continue
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found += [
            f"{path.relative_to(package)}:{node.lineno}: {name}"
            for name in names
            if name.startswith("sphinx_nbcache.engine.")
        ]
print(json.dumps(found))
"""


def test_other_layers_use_the_engine_through_its_public_face() -> None:
    # sphinxext/ and cli/ import `sphinx_nbcache.engine`, never its modules: what the engine
    # offers is engine/__init__.__all__, and its modules can be reorganised behind it
    package = ENGINE.parent
    done = subprocess.run(
        [sys.executable, "-c", FIND_SUBMODULE_IMPORTS, str(package), str(ENGINE)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout)
    assert found == []
    exported = set(sphinx_nbcache.engine.__all__)
    assert {"Runner", "RunItem", "LocalBackend", "NotebookCache", "Outcome"} <= exported
    assert all(hasattr(sphinx_nbcache.engine, name) for name in exported)
