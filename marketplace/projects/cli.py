"""`marketplace projects …`: the group; sponsorship's close-expired is added to it in
marketplace/cli.py (sponsorship sits above projects)."""

import click


@click.group("projects")
def projects_cli() -> None:
    """Projects and events."""

