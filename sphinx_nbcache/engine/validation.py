"""The check that a notebook handed to the store was executed top to bottom in one go."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import hashing
from .errors import ValidationError

if TYPE_CHECKING:
    from nbformat import NotebookNode


def validate_executed(nb: NotebookNode, source: str = "<notebook>") -> None:
    """Check that the code cells' execution counts go 1, 2, 3... in order.

    :raises ValidationError: naming the first cell out of order.
    """
    expected = 1
    for index, cell in hashing.code_cells(nb):
        if "skip-execution" in hashing.cell_tags(cell):
            continue  # never run, so no count; the next cell's count follows the previous
        count = cell.get("execution_count")
        if count != expected:
            raise ValidationError(
                f"{source}: cell {index + 1} has execution count {count}, expected {expected}: "
                "the notebook was not executed top to bottom in one go; re-run it "
                "(Restart & Run All) or pass --no-validate"
            )
        expected += 1
