"""`marketplace search …`: reindex, drain, worker, check, optimize."""

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.extensions import db
from marketplace.search import indexer, replicas, storage


@click.group("search")
def search_cli() -> None:
    """Build, check and feed the search index."""


@search_cli.command("reindex")
@click.option("--if-needed", is_flag=True, help="Only when the index is missing or empty.")
@with_appcontext
def reindex(if_needed: bool) -> None:
    """Rebuild the index from the database into a new directory and swap it in atomically."""
    if if_needed and storage.is_available():
        with storage.searcher() as s:
            if s.doc_count():
                click.echo("search index: present, nothing to do")
                return
    started = time.monotonic()
    with click.progressbar(length=indexer.count_rows(), label="indexing") as bar:
        n = indexer.reindex(progress=bar.update)
    click.echo(f"search index: {n} documents indexed in {time.monotonic() - started:.1f}s "
               f"into {current_app.config['SEARCH_INDEX_DIR']}")


@search_cli.command("drain")
@click.option("--timeout", default=60.0, show_default=True)
@with_appcontext
def drain(timeout: float) -> None:
    """Apply every pending change to this node's index and wait until it has caught up."""
    if not indexer.wait_until_indexed(timeout):
        raise click.ClickException("timed out: another indexer holds the lock or is slow")
    click.echo(f"search index: up to date at log position {indexer.applied_position()}")


@search_cli.command("worker")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@with_appcontext
def worker(interval: float) -> None:
    """Follow the change log forever (production: one per node, alongside its web workers).

    Applies every change committed by any node to this node's index, records its position and
    heartbeat in the node registry, and prunes log rows every live node has applied."""
    click.echo(f"search worker: node {replicas.node_id()} following the change log (Ctrl-C to stop)")
    while True:
        try:
            indexer.drain(lock_timeout=interval)
        except Exception as err:  # keep serving; the outbox keeps the work
            click.echo(f"search worker: {err}", err=True)
        time.sleep(interval)


@search_cli.command("check")
@with_appcontext
def check() -> None:
    """Compare the index with the database; exit 1 on any drift."""
    try:
        report = indexer.check()
    except storage.IndexUnavailable:
        raise click.ClickException("no search index: run `marketplace search reindex`") from None
    for key in ("missing", "extra", "stale"):
        if report[key]:
            click.echo(f"{key} ({len(report[key])}): {', '.join(report[key][:20])}")
    drift = sum(len(v) for v in report.values())
    click.echo(f"search check ({replicas.node_id()}, log position {indexer.applied_position()}): "
               f"{'drift in ' + str(drift) + ' documents' if drift else 'in sync'}")
    if drift:
        raise SystemExit(1)


@search_cli.command("optimize")
@with_appcontext
def optimize() -> None:
    """Merge every segment into one (run off-peak)."""
    indexer.optimize()
    click.echo("search index: optimized")


@search_cli.command("nodes")
@with_appcontext
def nodes() -> None:
    """List the search nodes: applied log position, lag and last heartbeat."""
    head = replicas.head(db.session)
    live = {n.name for n in replicas.live_nodes(db.session)}
    click.echo(f"log head {head}, pruned through {replicas.horizon(db.session)}")
    for node in replicas.all_nodes(db.session):
        state = "live" if node.name in live else "silent"
        click.echo(f"{node.name}  applied {node.applied}  lag {max(0, head - node.applied)}  "
                   f"{state}, heartbeat {node.heartbeat_at:%Y-%m-%d %H:%M:%S}")


@search_cli.command("prune")
@with_appcontext
def prune() -> None:
    """Delete change-log rows that every live node has applied."""
    click.echo(f"search log: {replicas.prune()} rows pruned")
