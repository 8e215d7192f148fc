"""`marketplace import practices|cases|organizations`: the import command group, one command per
kind of the importer (`importer.KINDS`; the cases kind is registered by the cases package)."""

from pathlib import Path

import click
from flask import current_app

from marketplace.knowledge import importer


@click.group("import")
def import_group() -> None:
    """Import content from files."""


def import_command(kind: str, help_text: str) -> click.Command:
    """The `marketplace import KIND FILE` command."""

    @click.command(kind, help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--format", "fmt", type=click.Choice(list(importer.FORMATS)), default=None,
                  help="Default: from the mapping file, else from the file extension.")
    @click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Column mapping (JSON); see docs/import.md. Default: columns named as "
                       "fields.")
    def command(file: Path, fmt: str | None, mapping: Path | None) -> None:
        try:
            spec = importer.load_mapping(mapping, kind)
            rows = importer.read_rows(file, fmt or importer.guess_format(file.name, spec))
        except importer.ImportFileError as err:
            raise click.ClickException(str(err)) from None

        def progress(items):
            with click.progressbar(items, label=f"importing {file.name}", show_pos=True) as bar:
                yield from bar

        # Index inline after each batch commit: a background drainer racing our writes on SQLite
        # ran into "database is locked".
        if not current_app.testing:
            current_app.config.setdefault("SEARCH_DRAIN", "sync")
        report = importer.import_rows(rows, spec, f"Imported from {file.name}", progress,
                                      kind=kind)
        for line in importer.iter_report_lines(report):
            click.echo(line)

    return command


import_group.add_command(import_command(
    "practices", "Import practices from CSV or JSON Lines; rows already imported (same source "
    "URL) are skipped, so it is safe to run again."))
import_group.add_command(import_command(
    "organizations", "Import organizations from CSV or JSON Lines; rows already imported (same "
    "source URL) are skipped, so it is safe to run again."))
