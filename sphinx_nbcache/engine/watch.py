"""Which run changed which file of a folder that several runs share.

The probe sees only files opened from Python. A subprocess (``echo hi > a.txt``), a C
library (HDF5, Arrow, SQLite) or an ``os.replace`` writes files it never sees, so the folder
is also compared before and after. Notebooks of one folder run side by side, so a change is
blamed on every run of that folder going on between two comparisons: the folder is compared
whenever one of its runs starts or ends. A file only one run can have changed is that run's
artefact; a file another run's probe saw writing is that run's; a file two runs may have
changed and neither's probe saw is nobody's, and the last of them to end says so.

Nothing here can see a file changed by another process (another build, an editor) while a
run goes on: it is blamed on the run. Callers exclude what they know is not an artefact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .files import SNAPSHOT_LIMIT, changed_files, snapshot


@dataclass
class Attribution:
    """What one run's folder comparison found."""

    #: files only this run can have changed (relative POSIX paths)
    files: list[str] = field(default_factory=list)
    #: why some changed files are not this run's artefacts, or why none were looked for
    warnings: list[str] = field(default_factory=list)


class FolderWatch:
    """Compare one folder whenever a run in it starts or ends, and blame the changes."""

    def __init__(
        self, folder: Path, exclude: Iterable[Path] = (), limit: int = SNAPSHOT_LIMIT
    ) -> None:
        self.folder = Path(folder)
        self.exclude = list(exclude)
        self.limit = limit
        self._state: dict[str, tuple[int, int]] | None = None
        self._started = False
        self._running: dict[int, str] = {}  # run id -> name
        self._names: dict[int, str] = {}
        self._blame: dict[str, set[int]] = {}
        self._claims: dict[int, set[str]] = {}  # what each ended run's probe saw it write
        self._truncated = False

    def _compare(self) -> None:
        now = snapshot(self.folder, self.exclude, self.limit)
        if now is None:
            self._truncated = True
        elif self._started and self._state is not None and self._running:
            for rel in changed_files(self._state, now):
                self._blame.setdefault(rel, set()).update(self._running)
        self._state, self._started = now, True

    def start(self, run: int, name: str) -> None:
        """A run is about to execute its first cell."""
        self._compare()
        self._running[run] = self._names[run] = name

    def end(self, run: int, claimed: Iterable[str]) -> Attribution:
        """A run ended; ``claimed``: the files in the folder its probe saw it write."""
        self._compare()
        self._running.pop(run, None)
        self._claims[run] = set(claimed)
        found = Attribution()
        if self._truncated:
            found.warnings.append(
                f"the folder {self.folder} holds more than {self.limit} files: only the files "
                "written from Python's open() are recorded as artefacts, not those written by "
                "subprocesses or C libraries"
            )
        unclaimed = []
        for rel, runs in sorted(self._blame.items()):
            if run not in runs or rel in self._claims[run]:
                continue
            if runs == {run}:
                found.files.append(rel)
            elif any(rel in self._claims.get(other, ()) for other in runs):
                continue  # another run's own write
            elif not any(other in self._running for other in runs):
                unclaimed.append((rel, runs))  # the last of them to end says so
        for rel, runs in unclaimed:
            names = ", ".join(sorted(self._names[r] for r in runs))
            found.warnings.append(
                f"'{rel}' changed while several notebooks ran in the same folder ({names}) "
                "and it cannot be told which wrote it: it is recorded for none of them. "
                "Write it from Python's open(), or run them one at a time (nbcache_jobs = 1)"
            )
        return found
