"""Images from outputs and attachments: written once by content, referenced so Sphinx copies them.

Files go to ``<doctreedir>/nbcache-images/<sha256>.<ext>``: they live exactly as long as the
pickled doctrees that reference them, are shared by every builder of a ``-M`` build, and are
never inside the published output. Several ``-j`` workers may write the same image at once:
each writes a temporary file and renames it into place, so a reader never sees half a file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.environment import BuildEnvironment

from sphinx_nbcache.engine import atomic_write_bytes

#: file suffix per MIME type of a file we write
SUFFIXES: dict[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/svg+xml": ".svg",
    "application/pdf": ".pdf",
}

#: MIME types whose notebook representation is text rather than base64
TEXT_TYPES = frozenset({"image/svg+xml"})

FOLDER_NAME = "nbcache-images"


def image_folder(doctreedir: str | os.PathLike[str]) -> Path:
    """The folder images are written to, for a build whose doctrees are in ``doctreedir``."""
    return Path(doctreedir) / FOLDER_NAME


def decode(mime: str, data: str | list[str]) -> bytes:
    """The bytes of a notebook output value (base64 for binary types, text for SVG).

    :raises ValueError: the base64 text is invalid.
    """
    if isinstance(data, list):
        data = "".join(data)
    if mime in TEXT_TYPES:
        return data.encode("utf-8")
    try:
        return base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"invalid base64 data for {mime}: {exc}") from None


def write_image(folder: Path, content: bytes, mime: str) -> Path:
    """Write ``content`` to ``folder`` under its SHA-256 name, once, atomically.

    :returns: the path of the file (existing or just written).
    """
    suffix = SUFFIXES.get(mime, ".bin")
    path = folder / (hashlib.sha256(content).hexdigest() + suffix)
    if not path.exists():
        atomic_write_bytes(path, content)
    return path


def source_uri(srcdir: str | os.PathLike[str], path: Path) -> str:
    """The image URI Sphinx resolves to ``path``: absolute URIs are taken from ``srcdir``.

    Sphinx's image collector then records the file (even outside the source folder, as a
    ``../`` path) and every builder copies it to its own image folder.
    """
    return "/" + Path(os.path.relpath(path, srcdir)).as_posix()


def image_node(
    env: BuildEnvironment,
    content: bytes,
    mime: str,
    metadata: Mapping[str, Any],
    source: str,
    line: int,
) -> nodes.image:
    """An image node for ``content``, written under the build's image folder.

    ``metadata`` is the output's metadata for this MIME type (``width``, ``height`` in px).
    """
    path = write_image(image_folder(env.doctreedir), content, mime)
    node = nodes.image(uri=source_uri(env.srcdir, path), alt="")
    for key in ("width", "height"):
        if isinstance(metadata.get(key), int | float):
            node[key] = f"{metadata[key]}px"
    node.source, node.line = source, line
    return node
