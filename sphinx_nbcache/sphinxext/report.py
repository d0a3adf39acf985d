"""What the build did with each notebook: the summary line, ``nbcache-report.json`` and the
``nbcache-execution-table`` directive."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from sphinx_nbcache.engine import NbCacheError, Status, atomic_write_bytes

from .remote_cache import finish_uploads
from .snapshot import nbcache_config
from .state import env_state, store_for

logger = logging.getLogger(__name__)

REPORT_NAME = "nbcache-report.json"


def notebook_report(env: BuildEnvironment) -> list[dict[str, Any]]:
    """One row per notebook document, as of the end of this build.

    A notebook not read in this build shows ``cached`` with the reason ``unchanged`` when
    its page came from the cache earlier.
    """
    state = env_state(env)
    this_build = state.outcomes
    rows = []
    # an unreadable notebook has an outcome but may have no data of its own yet
    for docname in sorted(set(state.data) | set(this_build)):
        if docname not in env.found_docs:
            continue
        doc = this_build.get(docname)
        if doc is None:
            doc = state.data[docname]
            if doc.status is Status.EXECUTED:
                doc = doc.with_outcome(status=Status.CACHED, reason="unchanged")
        rows.append(doc.row())
    _fill_where(env, rows)
    return rows


def _fill_where(env: BuildEnvironment, rows: list[dict[str, Any]]) -> None:
    """``where`` of the rows served by a record: the remote or archive it came from, else
    ``local`` (a run of this build says where it ran already)."""
    keys = [r["key"] for r in rows if not r.get("where") and r["status"] == "cached" and r["key"]]
    records = {}
    if keys:
        from sphinx_nbcache.engine import record_where  # with the remote's code: only here

        with contextlib.suppress(NbCacheError):
            records = store_for(env).lookup_many(keys)
    for row in rows:
        if not row.get("where") and row["key"] in records:
            row["where"] = record_where(records[row["key"]])
        row["where"] = row.get("where") or ""


def build_finished(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: the remote uploads finished, the summary line and the JSON report."""
    finish_uploads(app)  # even after an error: the threads end with the build
    if exception is not None:
        return
    env = app.env
    rows = notebook_report(env)
    state = env_state(env)
    read_now = state.outcomes
    from_cache = sum(1 for o in read_now.values() if o.status is Status.CACHED)
    if rows:
        logger.info(
            "nbcache: %d executed, %d from cache, %d failed (%.1f s)",
            state.executed,
            from_cache,
            sum(1 for o in read_now.values() if o.status is Status.FAILED),
            state.seconds,
        )
    payload = {"notebooks": rows}
    atomic_write_bytes(
        Path(app.outdir) / REPORT_NAME,
        json.dumps(payload, indent=2, sort_keys=True).encode("utf-8"),
    )


class execution_table(nodes.General, nodes.Element):
    """Placeholder replaced by the table once every document has been read."""


class ExecutionTableDirective(SphinxDirective):
    """``nbcache-execution-table``: a table of every notebook and what the build did with it."""

    has_content = False
    #: the columns: ours, or MyST-NB's (``nb-exec-table``)
    style = "nbcache"

    def run(self) -> list[nodes.Node]:
        env_state(self.env).table_docs.add(self.env.docname)
        return [execution_table("", style=self.style)]


class MystnbExecutionTableDirective(ExecutionTableDirective):
    """``nb-exec-table``: the same table with MyST-NB's columns, so its pages look the same."""

    style = "mystnb"


def _cell(text: str) -> nodes.entry:
    return nodes.entry("", nodes.paragraph("", "", nodes.Text(text)))


def replace_tables(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: fill in the execution tables of a page."""
    tables = list(doctree.findall(execution_table))
    if not tables:
        return
    rows = notebook_report(app.env)
    for placeholder in tables:
        if placeholder.get("style") == "mystnb":
            placeholder.replace_self(_mystnb_table(app, docname, rows))
            continue
        headers = ("Document", "Status", "Reason", "Seconds", "Error")
        table = nodes.table(classes=["nbcache-execution-table"])
        group = nodes.tgroup(cols=len(headers))
        table += group
        for _ in headers:
            group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        head += nodes.row("", *(_cell(h) for h in headers))
        group += head
        body = nodes.tbody()
        for row in rows:
            link = nodes.reference(
                "",
                row["source"] or row["docname"],
                internal=True,
                refuri=app.builder.get_relative_uri(docname, row["docname"]),
            )
            seconds = row.get("seconds")
            body += nodes.row(
                "",
                nodes.entry("", nodes.paragraph("", "", link)),
                _cell(row.get("status") or ""),
                _cell(row.get("reason") or ""),
                _cell(f"{seconds:.2f}" if isinstance(seconds, (int, float)) else ""),
                _cell(row.get("error") or ""),
            )
        group += body
        placeholder.replace_self(table)


#: MyST-NB's columns after "Document"
MYSTNB_HEADERS = ("Modified", "Method", "Run Time (s)", "Status")


def _mystnb_table(app: Sphinx, docname: str, rows: list[dict[str, Any]]) -> nodes.table:
    """MyST-NB's execution statistics: the notebooks that executed or came from the cache,
    when their record was made, how (the execution mode), how long, and ✅ or ❌ (the error
    as the mark's explanation)."""
    table = nodes.table(classes=["colwidths-auto", "nbcache-execution-table"])
    group = nodes.tgroup(cols=len(MYSTNB_HEADERS) + 1)
    table += group
    for _ in range(len(MYSTNB_HEADERS) + 1):
        group += nodes.colspec(colwidth=1)
    group += nodes.thead("", nodes.row("", *(_cell(h) for h in ("Document", *MYSTNB_HEADERS))))
    body = nodes.tbody()
    group += body
    store = store_for(app.env)
    for row in rows:
        if row.get("status") not in ("executed", "cached", "failed"):
            continue  # shown as stored: MyST-NB has no execution data for them
        created = None
        if isinstance(row.get("record_id"), int):
            with contextlib.suppress(NbCacheError):
                created = store.get(row["record_id"]).created
        link = nodes.reference(
            "",
            row["docname"],
            internal=True,
            refuri=app.builder.get_relative_uri(docname, row["docname"]),
        )
        seconds = row.get("seconds")
        failed = row.get("status") == "failed"
        mark = nodes.paragraph()
        if failed:
            mark += nodes.abbreviation("❌", "❌", explanation=row.get("error") or "")
        else:
            mark += nodes.Text("✅")
        body += nodes.row(
            "",
            nodes.entry("", nodes.paragraph("", "", link)),
            _cell(time.strftime("%Y-%m-%d %H:%M", time.localtime(created)) if created else ""),
            _cell(nbcache_config(app).execution_mode),
            _cell(str(round(seconds, 2)) if isinstance(seconds, (int, float)) else "-"),
            nodes.entry("", mark),
        )
    return table
