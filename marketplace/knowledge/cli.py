"""`marketplace import …`: the import command group (other features may add subcommands)."""

from pathlib import Path

import click
from flask import current_app

from marketplace.knowledge import importer


@click.group("import")
def import_group() -> None:
    """Import content from files."""


@import_group.command("practices")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="Default: from the mapping file, else from the file extension.")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Column mapping (JSON); see docs/import.md. Default: columns named as fields.")
def import_practices(file: Path, fmt: str | None, mapping: Path | None) -> None:
    """Import practices from CSV or JSON Lines; rows already imported (same source URL) are
    skipped, so it is safe to run again."""
    try:
        spec = importer.load_mapping(mapping)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    fmt = fmt or spec.get("format") or ("jsonl" if file.suffix in (".jsonl", ".ndjson") else "csv")
    rows = importer.read_rows(file, fmt)

    def progress(items):
        with click.progressbar(items, label=f"importing {file.name}", show_pos=True) as bar:
            yield from bar

    # Index inline after each batch commit: a background drainer racing our writes on SQLite
    # ran into "database is locked".
    if not current_app.testing:
        current_app.config.setdefault("SEARCH_DRAIN", "sync")
    report = importer.import_rows(rows, spec, f"Imported from {file.name}", progress)
    for line in importer.iter_report_lines(report):
        click.echo(line)
