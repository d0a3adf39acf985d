"""The top-level ``nbcache`` group, and the commands that act on the whole cache."""

from __future__ import annotations

import click

from sphinx_nbcache import __version__

from . import options

EPILOG = """\b
The cache folder is chosen by -p/--cache-path (on any command or group), else
$NBCACHE_PATH, else .nbcache in the current folder.

\b
Shell completion: add one line to your shell's start-up file:
  bash:  eval "$(_NBCACHE_COMPLETE=bash_source nbcache)"
  zsh:   eval "$(_NBCACHE_COMPLETE=zsh_source nbcache)"
  fish:  _NBCACHE_COMPLETE=fish_source nbcache | source
"""


@click.group(
    cls=options.NbcacheGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EPILOG,
)
@click.version_option(__version__, "--version", prog_name="nbcache")
@click.option("--print-path", is_flag=True, help="Print the cache folder in use and exit.")
@options.cache_path_option
@click.pass_context
def main(ctx: click.Context, print_path: bool) -> None:
    """Cache and execute Jupyter notebooks: the command line of sphinx-nbcache."""
    if print_path:
        click.echo(options.cache_path(ctx).absolute())
        ctx.exit(0)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@click.command("clear")
@options.cache_path_option
@options.yes_option
def clear(yes: bool) -> None:
    """Delete every cached notebook, staged notebook and artefact.

    Asks first; without a terminal it refuses unless --yes is given. Also the way out of a
    damaged cache database.
    """
    path = options.cache_path().absolute()
    options.confirm(
        f"Delete the whole cache in {path}?",
        yes=yes,
        refusal=f"not clearing the cache in {path}",
    )
    options.open_cache().clear()
    click.echo(f"Cleared the cache in {path}")


@click.group("config", cls=options.NbcacheGroup)
@options.cache_path_option
def config() -> None:
    """Show or change the settings of the cache."""


@config.command("cache-limit")
@options.cache_path_option
@click.argument("limit", type=click.IntRange(min=1), required=False)
def cache_limit(limit: int | None) -> None:
    """Print the cache limit, or set it to LIMIT.

    The cache keeps at most LIMIT records; adding one more evicts the least recently used.
    Lowering the limit evicts at once.
    """
    if limit is None:
        from sphinx_nbcache.engine import DEFAULT_CACHE_LIMIT

        path = options.cache_path()
        current = (
            options.open_cache().cache_limit if options.cache_exists(path) else DEFAULT_CACHE_LIMIT
        )
        click.echo(current)
        return
    cache = options.open_cache()
    cache.cache_limit = limit
    click.echo(f"Cache limit set to {limit}")
