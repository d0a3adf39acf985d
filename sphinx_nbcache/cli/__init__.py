"""The ``nbcache`` command line (click), on top of :mod:`sphinx_nbcache.engine`.

One module per noun (``cmd_cache``, ``cmd_stage``, ``cmd_execute``), shared options in
:mod:`.options`. A new command joins with ``main.add_command(...)`` below; every group uses
:class:`.options.NbcacheGroup`, so engine errors become one line on stderr (exit 1).
"""

from __future__ import annotations

from .cmd_archive import export, import_
from .cmd_cache import cache_group
from .cmd_execute import execute
from .cmd_main import clear, config, main
from .cmd_project import invalidate, status
from .cmd_remote import remote_group
from .cmd_stage import stage_group

main.add_command(cache_group)
main.add_command(stage_group)
main.add_command(execute)
main.add_command(clear)
main.add_command(config)
main.add_command(status)
main.add_command(invalidate)
main.add_command(export)
main.add_command(import_)
main.add_command(remote_group)

__all__ = ["main"]
