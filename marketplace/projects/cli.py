"""`marketplace projects …` (created by the ledger engineer for close-expired; add commands here)."""

import click

from marketplace.sponsorship.cli import close_expired


@click.group("projects")
def projects_cli() -> None:
    """Projects and events."""


projects_cli.add_command(close_expired)
