"""`marketplace files check | extract`."""

import click
from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.files import extract, storage
from marketplace.files.models import Attachment, Blob


@click.group("files")
def files_cli() -> None:
    """Uploaded files: check the store against the database, extract text."""


def check() -> dict[str, list[str]]:
    """Blobs the database names that the store lacks ("missing"), and stored blobs nothing in the
    database names ("orphaned": an upload rolled back, or a row deleted by hand)."""
    store = storage.backend(current_app)
    named = set(db.session.scalars(select(Blob.sha256)))
    named |= set(db.session.scalars(select(Attachment.blob_sha256)))
    named |= set(db.session.scalars(select(Attachment.thumb_sha256).where(Attachment.thumb_sha256.is_not(None))))
    stored = set(store.keys())
    return {"missing": sorted(named - stored), "orphaned": sorted(stored - named)}


@files_cli.command("check")
@click.option("--delete-orphans", is_flag=True, help="Delete the orphaned blobs from the store.")
def check_command(delete_orphans: bool) -> None:
    """Report blobs missing from the store and orphaned ones; exit 1 if there is any."""
    found = check()
    for key in found["missing"]:
        users = db.session.scalars(select(Attachment.id).where(
            (Attachment.blob_sha256 == key) | (Attachment.thumb_sha256 == key))).all()
        click.echo(f"missing  {key}  attachments {', '.join(map(str, users)) or '-'}")
    for key in found["orphaned"]:
        click.echo(f"orphaned {key}")
        if delete_orphans:
            storage.backend(current_app).delete(key)
    click.echo(f"{len(found['missing'])} missing, {len(found['orphaned'])} orphaned"
               + (" (deleted)" if delete_orphans and found["orphaned"] else ""))
    if found["missing"] or (found["orphaned"] and not delete_orphans):
        raise SystemExit(1)


@files_cli.command("extract")
@click.option("--stale", is_flag=True, help="Also retry files a stopped process had claimed.")
def extract_command(stale: bool) -> None:
    """Extract the text of files waiting for it (normally done after each upload)."""
    click.echo(f"{extract.run_pending(include_stale=stale)} files processed")
