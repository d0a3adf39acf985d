"""Thumbnail galleries of notebooks: the ``nbgallery`` directive and ``nbsphinx-gallery`` cells.

A gallery is a toctree (so its pages are in the navigation) shown on its own page as a grid
of thumbnails instead of a list. Each notebook's thumbnail, in nbsphinx's order: the output
of the cell tagged ``nbsphinx-thumbnail`` (or with ``nbsphinx-thumbnail`` metadata:
``tooltip``, ``output-index``), else ``nbsphinx_thumbnails`` in ``conf.py`` (page glob pattern
-> image path in the output, as nbsphinx reads it), else the notebook's last image output,
else a placeholder. The outputs are those the page shows: from the cache on a cached build.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.directives.other import TocTree
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.matching import patmatch
from sphinx.util.osutil import relative_uri

from .rendering import images
from .sphinx_versions import conf_py_values

if TYPE_CHECKING:
    from nbformat import NotebookNode

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "rendering" / "static"
CSS_FILE = "nbcache-gallery.css"
NO_THUMBNAIL = "nbcache-no-thumbnail.svg"
BROKEN_THUMBNAIL = "nbcache-broken-thumbnail.svg"
#: best first, as nbsphinx prefers them
THUMBNAIL_TYPES = ("image/svg+xml", "image/png", "image/jpeg", "image/gif")
TAG = "nbsphinx-thumbnail"


class gallery_toc(nodes.General, nodes.Element):
    """A toctree to show as a thumbnail gallery on HTML pages."""


@dataclass(frozen=True)
class Thumbnail:
    """A notebook's thumbnail: an image output, or why the requested one is broken."""

    mime: str = ""
    data: str | list[str] = ""
    tooltip: str = ""
    explicit: bool = False  # from the tag or metadata (beats nbsphinx_thumbnails)
    problem: str = ""


def _image_of(cell: Mapping[str, Any], index: int) -> str | tuple[str, Any]:
    """The best image ``(mime, data)`` of output ``index``, or what is wrong with it."""
    outputs = cell.get("outputs") or []
    if not outputs:
        return "the cell has no outputs"
    if not isinstance(index, int) or not 0 <= index < len(outputs):
        return f'invalid "output-index": {index!r}'
    data = outputs[index].get("data") or {}
    for mime in THUMBNAIL_TYPES:
        if mime in data:
            return mime, data[mime]
    return f"output {index} has no image ({', '.join(sorted(data)) or 'no data'})"


def choose_thumbnail(nb: NotebookNode) -> Thumbnail | None:
    """The thumbnail of ``nb`` from its cells, or ``None`` (conf.py or a placeholder then)."""
    for index, cell in enumerate(nb.cells):
        metadata = cell.get("metadata") or {}
        if TAG in metadata:
            spec = metadata[TAG]
            if not isinstance(spec, Mapping):
                return Thumbnail(problem=f"cell {index + 1}: {TAG} metadata must be a mapping")
            unknown = set(spec) - {"tooltip", "output-index"}
            if unknown:
                return Thumbnail(
                    problem=f"cell {index + 1}: unknown {TAG} keys: {', '.join(sorted(unknown))}"
                )
        elif TAG in (metadata.get("tags") or []):
            spec = {}
        else:
            continue
        if cell.get("cell_type") != "code":
            return Thumbnail(problem=f"cell {index + 1}: {TAG} is only for code cells")
        found = _image_of(cell, spec.get("output-index", len(cell.get("outputs") or []) - 1))
        if isinstance(found, str):
            return Thumbnail(problem=f"cell {index + 1}: {found}")
        return Thumbnail(found[0], found[1], str(spec.get("tooltip") or ""), explicit=True)
    for cell in reversed(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        for index in reversed(range(len(cell.get("outputs") or []))):
            found = _image_of(cell, index)
            if not isinstance(found, str):
                return Thumbnail(found[0], found[1])
    return None


def _thumbnails(env: BuildEnvironment) -> dict[str, dict[str, Any]]:
    if not hasattr(env, "nbcache_thumbnails"):
        env.nbcache_thumbnails = {}  # type: ignore[attr-defined]
    return env.nbcache_thumbnails  # type: ignore[attr-defined]


def collect_thumbnail(env: BuildEnvironment, nb: NotebookNode) -> None:
    """Parse time: remember the thumbnail of the notebook being read (image written once)."""
    found = choose_thumbnail(nb)
    record: dict[str, Any] = {}
    if found is not None and found.problem:
        logger.warning(
            "%s; the gallery shows a broken-image placeholder",
            found.problem,
            type="nbcache",
            subtype="thumbnail",
            location=env.docname,
        )
        record = {"broken": True}
    elif found is not None:
        try:
            content = images.decode(found.mime, found.data)
        except ValueError as exc:
            logger.warning(
                "thumbnail: %s", exc, type="nbcache", subtype="thumbnail", location=env.docname
            )
            record = {"broken": True}
        else:
            path = images.write_image(images.image_folder(env.doctreedir), content, found.mime)
            record = {"file": str(path), "tooltip": found.tooltip, "explicit": found.explicit}
    if record:
        _thumbnails(env)[env.docname] = record
    else:
        _thumbnails(env).pop(env.docname, None)


def _galleries(env: BuildEnvironment) -> dict[str, set[str]]:
    """Page -> the pages its galleries (of any kind) list."""
    if not hasattr(env, "nbcache_galleries"):
        env.nbcache_galleries = {}  # type: ignore[attr-defined]
    return env.nbcache_galleries  # type: ignore[attr-defined]


def _shown(env: BuildEnvironment) -> dict[str, tuple[Any, ...]]:
    """Listed page -> what its gallery entry showed when galleries were last checked."""
    if not hasattr(env, "nbcache_gallery_shown"):
        env.nbcache_gallery_shown = {}  # type: ignore[attr-defined]
    return env.nbcache_gallery_shown  # type: ignore[attr-defined]


def purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _thumbnails(env).pop(docname, None)
    _galleries(env).pop(docname, None)


def merge_info(
    app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    theirs = _thumbnails(other)
    _thumbnails(env).update({d: theirs[d] for d in docnames if d in theirs})
    galleries = _galleries(other)
    _galleries(env).update({d: galleries[d] for d in docnames if d in galleries})


def _entry_state(app: Sphinx, doc: str) -> tuple[Any, ...]:
    """All that a gallery entry of ``doc`` shows: thumbnail record, conf image, title."""
    env = app.env
    record = _thumbnails(env).get(doc, {})
    conf = _conf_thumbnail(app, doc, warn=False)
    stamp = None
    if conf:
        image = Path(env.srcdir) / conf
        stamp = image.stat().st_mtime_ns if image.is_file() else None
    title = env.titles[doc].astext() if doc in env.titles else None
    return (tuple(sorted(record.items())), conf, stamp, title)


def galleries_to_write(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-get-updated``: the gallery pages with an entry that changed since last checked.

    A listed notebook that executes again (a new last image), a new ``nbsphinx_thumbnails``
    (conf.py values Sphinx does not know of re-read nothing), its image edited in place, a new
    title: the gallery page's own source did not change, so Sphinx would keep the page as it
    was (it does write a toctree's pages again, but a link gallery is no toctree).
    """
    shown = _shown(env)
    listed = set().union(*_galleries(env).values()) if _galleries(env) else set()
    changed = set()
    for doc in listed:
        state = _entry_state(app, doc)
        if shown.get(doc) != state:
            shown[doc] = state
            changed.add(doc)
    for doc in set(shown) - listed:
        del shown[doc]
    return sorted(page for page, docs in _galleries(env).items() if docs & changed)


class NbGallery(TocTree):
    """``nbgallery``: a toctree shown as thumbnails (takes every ``toctree`` option)."""

    def run(self) -> list[nodes.Node]:
        result = super().run()
        wrappers = [n for n in result if isinstance(n, nodes.compound)]
        if not wrappers or not wrappers[-1].children:
            return result
        listed = _galleries(self.env).setdefault(self.env.docname, set())
        for toctree in wrappers[-1].findall(addnodes.toctree):
            listed.update(toctree["includefiles"])
        holder = gallery_toc()
        holder.extend(result)
        return [holder]


class link_gallery(nodes.General, nodes.Element):
    """The entries of an ``nblinkgallery``: a gallery of links, not part of the navigation."""


class NbLinkGallery(NbGallery):
    """``nblinkgallery``: thumbnails of links; its pages are not added to the navigation."""

    option_spec = {
        k: v for k, v in TocTree.option_spec.items() if k in ("name", "caption", "glob", "reversed")
    }

    def run(self) -> list[nodes.Node]:
        result = super().run()
        for toctree in list(result[0].findall(addnodes.toctree)) if result else []:
            entries = link_gallery(
                entries=toctree["entries"],
                includefiles=toctree["includefiles"],
                caption=toctree.get("caption"),
            )
            toctree.replace_self(entries)
        return result


def _conf_thumbnail(app: Sphinx, doc: str, warn: bool = True) -> str | None:
    """The ``nbsphinx_thumbnails`` image of ``doc``: an exact name beats a pattern.

    :param warn: warn when several patterns match (once per page written, not when checking).
    """
    # nbsphinx's value is not registered (both extensions may be loaded): read conf.py's own
    conf = conf_py_values(app.config).get("nbsphinx_thumbnails") or {}
    if not isinstance(conf, Mapping):
        return None
    if doc in conf:
        return str(conf[doc])
    matches = [p for p in conf if patmatch(doc, p)]
    if len(matches) > 1 and warn:
        logger.warning(
            "page %s matches several patterns in nbsphinx_thumbnails: %s; using the first",
            doc,
            ", ".join(repr(m) for m in matches),
            type="nbcache",
            subtype="thumbnail",
        )
    return str(conf[matches[0]]) if matches else None


def _publish(app: Sphinx, source: Path, relpath: str) -> None:
    """Copy ``source`` to ``relpath`` in the output folder, unless the same is already there."""
    target = Path(app.outdir) / relpath
    if not source.is_file():
        return
    if target.is_file() and target.read_bytes() == source.read_bytes():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _entry_html(app: Sphinx, fromdocname: str, title: str | None, doc: str) -> str:
    builder, env = app.builder, app.env
    base = relative_uri(builder.get_target_uri(fromdocname), "")
    record = _thumbnails(env).get(doc, {})
    tooltip = str(record.get("tooltip") or "")
    conf = _conf_thumbnail(app, doc)
    imagedir = getattr(builder, "imagedir", "_images")
    if record.get("broken"):
        src = base + "_static/" + BROKEN_THUMBNAIL
    elif record.get("file") and (record.get("explicit") or not conf):
        name = "nbcache-thumb-" + Path(record["file"]).name
        _publish(app, Path(record["file"]), f"{imagedir}/{name}")
        src = f"{base}{imagedir}/{name}"
    elif conf:
        _publish(app, Path(env.srcdir) / conf, conf)
        src = base + conf
    else:
        src = base + "_static/" + NO_THUMBNAIL
    if title is None:
        title = env.titles[doc].astext() if doc in env.titles else doc
    uri = builder.get_relative_uri(fromdocname, doc)
    title_attr = f' title="{html.escape(tooltip)}"' if tooltip else ""
    return (
        f'<a class="reference internal" href="{html.escape(uri)}"{title_attr}>\n'
        f'  <div><img alt="" src="{html.escape(src)}"></div>\n'
        f"  <div>{html.escape(title)}</div>\n</a>\n"
    )


def resolve_galleries(app: Sphinx, doctree: nodes.document, fromdocname: str) -> None:
    """``doctree-resolved``: on HTML pages, the gallery's list becomes thumbnails.

    The toctree stays in the doctree (hidden on this page only), so the navigation lists the
    gallery's pages; other builders show the toctree as it is.
    """
    for holder in list(doctree.findall(gallery_toc)):
        toctrees = list(holder.findall(addnodes.toctree)) + list(holder.findall(link_gallery))
        if app.builder.format != "html" or not toctrees:
            for links in list(holder.findall(link_gallery)):
                links.parent.remove(links)  # nblinkgallery: nothing outside HTML, as nbsphinx
            holder.replace_self(holder.children)
            continue
        toctree = toctrees[0]
        parts = ['<div class="nbsphinx-gallery nbcache-gallery">\n']
        for title, doc in toctree["entries"]:
            if doc in toctree["includefiles"]:
                parts.append(_entry_html(app, fromdocname, title, doc))
            else:
                logger.warning(
                    "external links are not supported in a gallery: %s",
                    doc,
                    type="nbcache",
                    subtype="gallery",
                    location=fromdocname,
                )
        parts.append("</div>\n")
        out: list[nodes.Node] = []
        caption = toctree.get("caption")
        if caption:
            para = nodes.paragraph("", "", classes=["caption"])
            para += nodes.inline(caption, caption, classes=["caption-text"])
            out.append(para)
        if isinstance(toctree, link_gallery):
            toctree.parent.remove(toctree)
        else:
            toctree["hidden"] = True  # this page shows thumbnails instead of the list
        out.extend(holder.children)
        out.append(nodes.raw("", "".join(parts), format="html"))
        holder.replace_self(out)


def _copy_static(app: Sphinx, exception: BaseException | None) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        for name in (CSS_FILE, NO_THUMBNAIL, BROKEN_THUMBNAIL):
            shutil.copyfile(STATIC / name, static / name)


def setup_gallery(app: Sphinx) -> None:
    """Register the directive, its node, the thumbnail bookkeeping and the static files."""
    app.add_node(gallery_toc)
    app.add_node(link_gallery)
    app.add_directive("nbgallery", NbGallery)
    app.add_directive("nblinkgallery", NbLinkGallery)
    app.connect("env-purge-doc", purge_doc)
    app.connect("env-merge-info", merge_info)
    app.connect("env-get-updated", galleries_to_write)
    app.connect("doctree-resolved", resolve_galleries)
    app.connect("build-finished", _copy_static)
    app.add_css_file(CSS_FILE)
