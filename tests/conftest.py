"""Shared test set-up: Sphinx's testing fixtures and the test projects under ``roots/``."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["sphinx.testing.fixtures"]


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """The folder of the ``test-<case>`` projects used by ``@pytest.mark.sphinx``."""
    return Path(__file__).parent / "roots"
