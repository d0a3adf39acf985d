"""The Sphinx integration: the only layer that imports Sphinx, docutils and myst-parser."""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

from sphinx_nbcache import __version__

from . import (
    compat,
    config,
    execution,
    mystnb_config,
    mystnb_roles,
    report,
    snapshot,
    sources,
    sphinx_versions,
    state,
)


def setup(app: Sphinx) -> dict[str, Any]:
    """Set up sphinx-nbcache (called through ``sphinx_nbcache.setup``)."""
    app.setup_extension("myst_parser")
    config.register(app)
    app.connect("config-inited", compat.adopt_peer_values, priority=390)
    app.connect("config-inited", compat.warn_inapplicable_nbsphinx_values, priority=390)
    app.connect("config-inited", mystnb_config.report_inapplicable, priority=390)
    app.connect("config-inited", config.validate, priority=400)
    # after the values are converted, adopted and valid; before anything reads them
    app.connect("config-inited", snapshot.remember, priority=410)
    app.connect("config-inited", sources.register_suffixes, priority=450)
    app.connect("config-inited", sources.exclude_cache_folder, priority=450)
    app.connect("builder-inited", state.init_env)
    app.connect("builder-inited", sphinx_versions.remember_builder)
    app.connect("builder-inited", execution.warm_up_kernels)
    app.connect("env-get-outdated", execution.get_outdated)
    app.connect("env-before-read-docs", execution.before_read_docs)
    app.connect("env-purge-doc", state.purge_doc)
    app.connect("env-merge-info", state.merge_info)
    app.connect("doctree-resolved", report.replace_tables)
    app.connect("build-finished", report.build_finished)
    app.connect("build-finished", execution.end_kernels)
    app.add_node(report.execution_table)
    app.add_directive("nbcache-execution-table", report.ExecutionTableDirective)
    mystnb_roles.setup(app)

    from .rendering import setup_rendering

    setup_rendering(app)

    from .glue import setup_glue

    setup_glue(app)

    from .gallery import setup_gallery

    setup_gallery(app)

    from .notebook_copies import setup_notebook_copies

    setup_notebook_copies(app)
    return {
        "version": __version__,
        "env_version": 2,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
