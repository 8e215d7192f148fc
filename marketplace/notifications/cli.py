"""`marketplace notifications deliver | send-digests` (run from cron)."""

import click
from flask.cli import AppGroup

from marketplace.extensions import db
from marketplace.notifications.delivery import deliver_pending
from marketplace.notifications.services import queue_digests

notifications_cli = AppGroup("notifications", help="Notification emails.")


@notifications_cli.command("deliver")
def deliver() -> None:
    """Send queued emails that are due, including retries of failed sends."""
    click.echo(f"notifications: sent {deliver_pending()} emails")


@notifications_cli.command("send-digests")
def send_digests() -> None:
    """Batch every pending digest notification into one email per user, and send them."""
    queued = queue_digests()
    db.session.commit()
    click.echo(f"notifications: {queued} digests queued, {deliver_pending()} emails sent")
