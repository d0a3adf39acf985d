"""Links written for nbsphinx: ``other.ipynb#Section-Title``, ``#Section-Title``, ``#``.

Markdown links to project files are ``pending_xref`` nodes made by myst-parser. Those whose
fragment is an nbsphinx anchor (see :mod:`.anchors`) are resolved here, through the labels
nbsphinx defines, just before myst-parser's own resolver, which would not know these ids.
reStructuredText pages link with plain URIs (`` `text <nb.ipynb#Title>`_ ``): those to
source files become ``:doc:``/``:ref:`` cross-references, as nbsphinx makes them.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any
from urllib.parse import unquote

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import NoUri
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.nodes import make_refnode

from .anchors import section_label, source_suffix


def _label(env: Any, docname: str, fragment: str) -> tuple[str, str, str] | None:
    """The nbsphinx label ``(docname, id, title)`` for ``fragment`` of ``docname``, if any."""
    labels = env.domaindata["std"]["labels"]
    suffix = source_suffix(env, docname)
    for anchor in dict.fromkeys((fragment, fragment.replace('"', "%22"))):
        found = labels.get(section_label(docname, suffix, anchor))
        if found is not None:
            return found
    return None


class ResolveNbsphinxLinks(SphinxPostTransform):
    """Resolve myst-parser's links whose fragment is an nbsphinx section id."""

    # before myst-parser's MystReferenceResolver (9)
    default_priority = 8

    def run(self, **kwargs: Any) -> None:
        env = self.env
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst":
                continue
            fromdoc = node.get("refdoc", env.docname)
            if node.get("refdomain") == "doc":
                target, fragment = node["reftarget"], node.get("reftargetid") or ""
                if not fragment or target not in env.all_docs:
                    continue
            elif not node.get("refdomain"):
                # ``[text](#Title)``, or a source file that is not there as written
                # (``other.ipynb`` for ``other.pct.py``): myst-parser left it unresolved
                reftarget = node["reftarget"]
                if reftarget and _label(env, fromdoc, reftarget) is not None:
                    target, fragment = fromdoc, reftarget
                else:
                    found_doc, fragment = self._source_link(fromdoc, reftarget)
                    if found_doc is None:
                        continue
                    target = found_doc
            else:
                continue
            if fragment:
                found = _label(env, target, fragment)
                if found is None:
                    continue
                docname, anchor, title = found
            else:
                # ``[text](#)`` (the top of this page), or a whole page
                docname, anchor = target, ""
                title = self.env.titles[target].astext() if target in self.env.titles else ""
            self._replace(node, fromdoc, docname, anchor, title)

    def _source_link(self, fromdoc: str, reftarget: str) -> tuple[str | None, str]:
        """``(docname, fragment)`` of an unresolved link, as nbsphinx reads it.

        nbsphinx takes any link ending in a source suffix as a link to the document of that
        name, whatever the suffix of its file (the ``.ipynb`` of a jupytext script).
        """
        path, _, fragment = reftarget.partition("#")
        if not path:
            return fromdoc, fragment
        suffix = next(
            (
                s
                for s in sorted(self.env.config.source_suffix, key=len, reverse=True)
                if path.lower().endswith(s.lower())
            ),
            None,
        )
        if suffix is None:
            return None, ""
        base = posixpath.dirname(fromdoc)
        docname = posixpath.normpath(posixpath.join(base, unquote(path[: -len(suffix)])))
        if docname not in self.env.all_docs:
            return None, ""
        return docname, fragment

    def _replace(
        self, node: addnodes.pending_xref, fromdoc: str, docname: str, anchor: str, title: str
    ) -> None:
        inner = node[0] if node.children else nodes.inline()
        if node.get("refexplicit") or inner.astext():
            content = nodes.inline("", "", *inner.children, classes=["std", "std-ref"])
        else:
            content = nodes.inline(title, title, classes=["std", "std-ref"])
        try:
            # Sphinx 9 deprecates ``.app``; older ones have no ``env._app``
            app = getattr(self.env, "_app", None) or self.app
            ref = make_refnode(app.builder, fromdoc, docname, anchor, content)
        except NoUri:
            ref = content
        uri = ref.get("refuri", "") if isinstance(ref, nodes.reference) else ""
        if uri.startswith("#") and uri.count("#") > 1:
            # singlehtml: every page is on one page, "#document-x#Title" would lead nowhere
            ref["refuri"] = uri[uri.index("#", 1) :]
        if isinstance(ref, nodes.reference) and "reftitle" in node:
            ref["reftitle"] = node["reftitle"]
        node.replace_self(ref)


_FRAGMENT = re.compile(r"^([^#]*)(#.*)$")


def _local_target(node: nodes.reference, document: nodes.document) -> tuple[str, str]:
    """``(file, fragment)`` of a reference to a local path, else ``("", "")``."""
    refuri = node.get("refuri")
    if not refuri:
        refname = node.get("refname")
        refid = document.nameids.get(refname) if refname else node.get("refid")
        target = document.ids.get(refid) if refid else None
        refuri = target.get("refuri") if target is not None else None
        if not refuri:
            return "", ""
    if "://" in refuri or refuri.startswith(("mailto:", "#")):
        return "", ""
    match = _FRAGMENT.match(refuri)
    if match:
        return unquote(match.group(1)), match.group(2)
    return unquote(refuri), ""


class RewriteLocalLinks(SphinxTransform):
    """Turn URI links to source files (``nb.ipynb``, ``page.rst#x``) into cross-references."""

    # after docutils' anonymous hyperlinks (440), before its external targets (640)
    default_priority = 500

    def apply(self, **kwargs: Any) -> None:
        env = self.env
        suffixes = sorted(env.config.source_suffix, key=len, reverse=True)
        for node in list(self.document.findall(nodes.reference)):
            filename, fragment = _local_target(node, self.document)
            if not filename:
                continue
            suffix = next((s for s in suffixes if filename.lower().endswith(s.lower())), None)
            if suffix is None:
                continue
            base = posixpath.dirname(env.docname)
            target = posixpath.normpath(posixpath.join(base, filename[: -len(suffix)]))
            if target not in env.found_docs:
                continue  # excluded, or not a page: leave the link as written
            if fragment and fragment != "#":
                reftype, reftarget = "ref", section_label(target, suffix, fragment[1:])
            else:
                reftype, reftarget = "doc", "/" + target
            xref = addnodes.pending_xref(
                "",
                nodes.inline(node.astext(), node.astext()),
                reftype=reftype,
                reftarget=reftarget,
                refdomain="std",
                refwarn=True,
                refexplicit=True,
                refdoc=env.docname,
            )
            node.replace_self(xref)
