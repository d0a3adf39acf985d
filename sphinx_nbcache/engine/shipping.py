"""What a task carries to a worker that does not see the project, and what comes back.

Without a shared file system a worker gets, with the notebook, a *parcel*: the files of the
notebook's folder (its sub-folders too) as bytes, minus the build, the cache, version control
and hidden folders (:data:`~.files.IGNORED_DIRS`, any ``.name``) and the paths the runner
excludes; or, when the notebook declares assets, exactly those. The parcel is capped by a
ship limit: past it, the error names the largest files and what to do. On the worker the
parcel is unpacked in a temporary folder and the notebook runs there; the result comes back
with its artefacts as bytes, and every path the kernel reported (files read and written,
modules imported) mapped from the temporary folder back to the notebook's own folder, so that
the build records dependencies and artefacts as if it had run in place.

A file outside the notebook's folder (``../data.csv``) is not shipped: a notebook that reads
one needs a shared file system (``nbcache_shared_filesystem = True``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ArtefactError, NbCacheError
from .files import IGNORED_DIRS, relative_inside, safe_join
from .kernels import FOLDER_PREFIX

#: bytes a notebook's parcel may hold unless configured (``nbcache_ship_limit``)
DEFAULT_SHIP_LIMIT = 100 * 1024 * 1024
#: how many of the largest files a ship-limit error names
LARGEST_NAMED = 5


class ShipLimitError(NbCacheError):
    """The files a notebook's task would carry to its worker are more than the ship limit."""


@dataclass
class Parcel:
    """A notebook's folder as a worker gets it: relative POSIX path -> bytes."""

    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(data) for data in self.files.values())


def human(size: float) -> str:
    """``size`` bytes as a short text (``12.3 MB``)."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def folder_files(folder: Path, exclude: Iterable[Path] = ()) -> dict[str, Path]:
    """The files a parcel of ``folder`` holds: relative POSIX path -> file.

    Hidden folders and files, :data:`IGNORED_DIRS` and ``exclude`` are left out; symbolic
    links to folders are not followed (one could lead anywhere, or back to a parent).
    """
    root = Path(folder).absolute()
    skip = {os.path.abspath(p) for p in exclude}
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in IGNORED_DIRS
            and not d.startswith(".")
            and os.path.join(dirpath, d) not in skip
        )
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if name.startswith(".") or full in skip or not os.path.isfile(full):
                continue
            found[os.path.relpath(full, root).replace(os.sep, "/")] = Path(full)
    return found


def asset_files(folder: Path, assets: Sequence[str]) -> dict[str, Path]:
    """The files of a notebook's declared assets (files or folders, relative to ``folder``).

    :raises ShipLimitError: an asset is missing or outside the folder (named).
    """
    found: dict[str, Path] = {}
    for rel in assets:
        try:
            clean = relative_inside(rel, folder)
        except ArtefactError as exc:
            raise ShipLimitError(f"asset '{rel}' cannot be shipped: {exc}") from None
        path = Path(folder) / clean
        if path.is_dir():
            found.update({f"{clean}/{k}": v for k, v in folder_files(path).items()})
        elif path.is_file():
            found[clean] = path
        else:
            raise ShipLimitError(f"asset '{rel}' cannot be shipped: no such file in {folder}")
    return found


def pack(
    folder: Path,
    *,
    name: str,
    limit: int = DEFAULT_SHIP_LIMIT,
    exclude: Iterable[Path] = (),
    assets: Sequence[str] | None = None,
) -> Parcel:
    """The parcel for a notebook that runs in ``folder``.

    :param name: how errors name the notebook.
    :param assets: ship exactly these (relative to ``folder``) instead of the whole folder.
    :raises ShipLimitError: past ``limit`` bytes (naming the largest files), or an asset
        that cannot be read.
    """
    files = folder_files(folder, exclude) if assets is None else asset_files(folder, assets)
    sizes = {rel: path.stat().st_size for rel, path in files.items()}
    total = sum(sizes.values())
    if total > limit:
        largest = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[:LARGEST_NAMED]
        named = ", ".join(f"{rel} ({human(size)})" for rel, size in largest)
        raise ShipLimitError(
            f"{name}: the files shipped with it to the worker come to {human(total)}, more "
            f"than the ship limit of {human(limit)} (nbcache_ship_limit); the largest: "
            f"{named}. Move data out of the notebook's folder, declare the notebook's "
            "assets, raise nbcache_ship_limit, or set nbcache_shared_filesystem = True if "
            "the workers see the project at the same path"
        )
    try:
        return Parcel({rel: path.read_bytes() for rel, path in files.items()})
    except OSError as exc:
        message = f"{name}: '{exc.filename}' cannot be shipped: {exc.strerror}"
        raise ShipLimitError(message) from None


def unpack(parcel: Parcel) -> Path:
    """A new temporary folder holding ``parcel``'s files (the caller removes it).

    Named as the kernels' folders are, so that the folder of a killed worker is swept.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
    try:
        for rel, data in parcel.files.items():
            target = safe_join(folder, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def moved(path: str | os.PathLike[str], src: Path, dst: Path) -> Path:
    """``path`` under ``dst`` if it is under ``src``, else unchanged."""
    candidate = Path(path)
    try:
        return dst / candidate.relative_to(src)
    except ValueError:
        return candidate


def map_io(io: Mapping[str, Any], src: Path, dst: Path) -> dict[str, Any]:
    """The probe's report with the paths under ``src`` (the worker's folder) moved to
    ``dst`` (the notebook's folder in the project)."""
    out = dict(io)
    for key in ("reads", "writes"):
        if key in io:
            out[key] = [str(moved(p, src, dst)) for p in io[key]]
    if "modules" in io:
        out["modules"] = {name: str(moved(p, src, dst)) for name, p in io["modules"].items()}
    return out


def artefact_bytes(artefacts: Mapping[str, Path]) -> dict[str, bytes]:
    """The artefacts' content, to carry back (their worker paths mean nothing elsewhere)."""
    return {rel: Path(path).read_bytes() for rel, path in artefacts.items()}


def write_artefacts(files: Mapping[str, bytes], folder: Path) -> dict[str, Path]:
    """Write artefacts that came back into ``folder``; relative path -> file."""
    out: dict[str, Path] = {}
    for rel, data in files.items():
        target = safe_join(folder, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        out[rel] = target
    return out
