"""`marketplace ledger …`: verify the books."""

import click
from flask.cli import with_appcontext

from marketplace.ledger.check import problems


@click.group("ledger")
def ledger_cli() -> None:
    """The double-entry ledger."""


@ledger_cli.command("check")
@with_appcontext
def check() -> None:
    """Verify every money invariant; exit 1 and list the violations if any."""
    found = problems()
    for line in found:
        click.echo(f"VIOLATION: {line}", err=True)
    if found:
        raise SystemExit(1)
    click.echo("ledger check: every invariant holds")
