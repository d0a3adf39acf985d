"""Section anchors and labels in nbsphinx's form, so links written for nbsphinx keep working.

nbsphinx gives each notebook section the id Jupyter gives it: the heading text with spaces
as ``-``, case kept (``#Links-to-Other-Notebooks``), and ``"`` written ``%22`` (Jupyter's
links do so). Sphinx's own ids stay first (toctrees and ``:ref:`` use them); ours are added
after them. (A literal ``"`` cannot be an id: docutils writes extra ids unescaped; a Markdown
link's decoded ``"`` is looked up as ``%22`` by :mod:`.links`.)

nbsphinx also defines, on every page (notebook or not), the std-domain labels
``/path/to/page.ipynb`` (the whole page) and ``/path/to/page.ipynb#section-id`` (lower case),
usable with ``:ref:``; :mod:`.links` resolves notebook links through them.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform

from ..sources import notebook_format


def nbsphinx_anchor(title: str) -> str:
    """The id nbsphinx (and Jupyter) gives a section titled ``title``."""
    return title.replace(" ", "-").replace('"', "%22")


def page_label(docname: str, suffix: str) -> str:
    """The label nbsphinx defines for a whole page: ``/docname.suffix`` (docname lower case)."""
    return "/" + docname.lower() + suffix


def section_label(docname: str, suffix: str, anchor: str) -> str:
    """The label nbsphinx defines for a section of a page, all lower case."""
    return ("/" + docname + suffix + "#" + anchor).lower()


def source_suffix(env, docname: str) -> str:  # type: ignore[no-untyped-def]
    """The suffix of ``docname``'s source file, as written (``.ipynb``, ``.pct.py``, ...)."""
    return str(env.doc2path(docname, base=False))[len(docname) :]


class NotebookSectionAnchors(SphinxTransform):
    """Add nbsphinx's section ids to every section of a notebook page.

    Runs before the std domain's labels (:class:`SectionLabels`) and myst-parser's
    ``[text](#id)`` resolution (879), which look the ids up.
    """

    default_priority = 200

    def apply(self, **kwargs: object) -> None:
        env = self.env
        if notebook_format(env.config, env.doc2path(env.docname)) is None:
            return
        self.document["nbcache_nbsphinx_anchors"] = True
        for section in self.document.findall(nodes.section):
            if not section.children or not isinstance(section[0], nodes.title):
                continue
            anchor = nbsphinx_anchor(section[0].astext())
            # the first section with a title keeps the anchor, as in nbsphinx
            if anchor and anchor not in self.document.ids:
                section["ids"].append(anchor)
                self.document.ids[anchor] = section
                section["nbcache_anchor"] = anchor


class SectionLabels(SphinxTransform):
    """Define nbsphinx's page and section labels (and object labels) on every page."""

    default_priority = 250

    def apply(self, **kwargs: object) -> None:
        env = self.env
        docname = env.docname
        suffix = source_suffix(env, docname)
        # the std domain's own data, as its ``labels``/``anonlabels`` properties hand it out
        std_data = env.domaindata["std"]
        labels, anonlabels = std_data["labels"], std_data["anonlabels"]
        page_done = False
        for section in self.document.findall(nodes.section):
            if not section.children or not isinstance(section[0], nodes.title):
                continue
            title = section[0].astext()
            anchor = section.get("nbcache_anchor")
            if anchor is None or anchor not in section["ids"]:
                if not section["ids"]:
                    continue
                anchor = section["ids"][0]
            label = section_label(docname, suffix, anchor)
            # a label of the project's own (``.. _x:``) is never replaced
            labels.setdefault(label, (docname, anchor, title))
            anonlabels.setdefault(label, (docname, anchor))
            if not page_done:
                labels.setdefault(page_label(docname, suffix), (docname, "", title))
                anonlabels.setdefault(page_label(docname, suffix), (docname, ""))
                page_done = True
        # nbsphinx: ``page.rst#example_python_function`` names an object's signature
        for sig in self.document.findall(addnodes.desc_signature):
            if not sig["ids"]:
                continue
            anchor = sig["ids"][0]
            label = section_label(docname, suffix, anchor.replace(" ", "-"))
            labels.setdefault(label, (docname, anchor, sig.astext()))
            anonlabels.setdefault(label, (docname, anchor))
