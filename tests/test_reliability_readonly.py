"""A read-only cache is called read-only, never damaged (``nbcache clear`` would wipe it).

Root ignores file permissions, so the cache sits on a tmpfs remounted read-only; the test is
skipped where mounting is not allowed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from nbformat import v4

from sphinx_nbcache.engine import NotebookCache
from sphinx_nbcache.engine.errors import CacheDatabaseError


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[Path]:
    point = tmp_path / "mnt"
    point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(point)], check=False).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)


def test_a_read_only_cache_is_said_read_only(mount: Path) -> None:
    cache = NotebookCache(mount / ".nbcache")
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells.append(v4.new_code_cell("1", execution_count=1))
    cache.add_notebook(nb, "a.ipynb", validate=False)
    cache.close()
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)

    with pytest.raises(CacheDatabaseError) as info:
        NotebookCache(mount / ".nbcache").list_records()
    message = str(info.value)
    assert "the cache is read-only" in message
    assert "damaged" not in message and "nbcache clear" not in message
