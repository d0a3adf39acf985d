"""``nbcache remote push|pull|list``: share cache records through a remote store (any fsspec
URL), as the build does on its own when ``nbcache_remote`` is set."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from . import options

if TYPE_CHECKING:
    from sphinx_nbcache.engine import RemoteStore

REMOTE_ENVVAR = "NBCACHE_REMOTE"
MODE_ENVVAR = "NBCACHE_REMOTE_MODE"
OPTIONS_ENVVAR = "NBCACHE_REMOTE_OPTIONS"


def _parse_option(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise click.UsageError(f"--option {text!r}: expected NAME=VALUE")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def _store(remote: str | None, mode: str, option: tuple[str, ...], env_options: str | None):
    from sphinx_nbcache.engine import RemoteStore

    if not remote:
        raise click.UsageError(f"give --remote URL (or set ${REMOTE_ENVVAR})")
    values: dict[str, Any] = {}
    if env_options:
        try:
            values.update(json.loads(env_options))
        except ValueError as exc:
            raise click.UsageError(f"${OPTIONS_ENVVAR} is not a JSON object: {exc}") from None
    values.update(_parse_option(item) for item in option)
    return RemoteStore(remote, values, mode)


def remote_options(func):
    """``--remote URL``, ``--mode``, ``--option NAME=VALUE`` (each with its variable)."""
    func = click.option(
        "-o",
        "--option",
        multiple=True,
        help="An fsspec option NAME=VALUE (VALUE read as JSON when it parses), e.g. "
        "endpoint_url=http://localhost:9000. Also $NBCACHE_REMOTE_OPTIONS (a JSON object).",
    )(func)
    func = click.option(
        "--mode",
        type=click.Choice(["read-write", "read", "off"]),
        envvar=MODE_ENVVAR,
        show_envvar=True,
        default="read-write",
        show_default=True,
        help="read: fetch only, never upload (CI runs of pull requests from forks).",
    )(func)
    return click.option(
        "-r",
        "--remote",
        envvar=REMOTE_ENVVAR,
        show_envvar=True,
        help="The remote cache: an fsspec URL (s3://bucket/prefix, file:///shared/cache...).",
    )(func)


@click.group("remote", cls=options.NbcacheGroup)
@options.cache_path_option
def remote_group() -> None:
    """Share executed notebooks through a remote cache (S3, GCS, Azure, a shared folder)."""


def _open(remote: str | None, mode: str, option: tuple[str, ...]) -> RemoteStore:
    import os

    return _store(remote, mode, option, os.environ.get(OPTIONS_ENVVAR))


@remote_group.command("push")
@options.cache_path_option
@remote_options
def push(remote: str | None, mode: str, option: tuple[str, ...]) -> None:
    """Upload every record of the local cache that the remote does not have yet."""
    store = _open(remote, mode, option)
    if store.mode != "read-write":
        click.echo(f"Remote {store.public_url} is in {store.mode} mode: nothing uploaded")
        return
    cache = options.open_cache(must_exist=True)
    known = set(store.list())
    sent = sum(1 for e in cache.list_records() if e.hashkey not in known and store.push(cache, e))
    click.echo(f"Uploaded {sent} record{'s' if sent != 1 else ''} to {store.public_url}")


@remote_group.command("pull")
@options.cache_path_option
@remote_options
@click.argument("keys", nargs=-1)
def pull(remote: str | None, mode: str, option: tuple[str, ...], keys: tuple[str, ...]) -> None:
    """Download the records of the remote (or only KEYS) that the local cache lacks."""
    store = _open(remote, mode, option)
    cache = options.open_cache()
    wanted = list(keys) or store.list()
    have = cache.lookup_many(wanted)
    got = sum(1 for key in wanted if key not in have and store.fetch(cache, key) is not None)
    click.echo(f"Downloaded {got} record{'s' if got != 1 else ''} from {store.public_url}")


@remote_group.command("list")
@options.cache_path_option
@remote_options
@options.json_option
def list_(remote: str | None, mode: str, option: tuple[str, ...], as_json: bool) -> None:
    """List the keys in the remote, and whether the local cache has each."""
    store = _open(remote, mode, option)
    keys = store.list()
    path = options.cache_path()
    here = path.is_dir() and options.cache_exists(path)  # no local cache: nothing is local
    local = options.open_cache().lookup_many(keys) if here else {}
    rows: list[dict[str, Any]] = [
        {"key": k, "local": k in local, "uri": local[k].uri if k in local else ""} for k in keys
    ]
    if as_json:
        options.echo_json(rows)
        return
    if not rows:
        click.echo(f"No records in {store.public_url}")
        return
    table = [[r["key"][:16], "yes" if r["local"] else "no", r["uri"]] for r in rows]
    click.echo(options.table(table, ["key", "local", "uri"]))
