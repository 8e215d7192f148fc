"""Money commands that run from cron: `marketplace projects close-expired` and
`marketplace projects remind-unpaid`."""

from datetime import timedelta

import click
from flask.cli import with_appcontext

from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.sponsorship.services import pledges_to_remind, projects_to_settle, remind_unpaid, settle_project


@click.command("close-expired")
@with_appcontext
def close_expired() -> None:
    """Settle projects past their deadline (and cancelled ones): refunds, states. Safe to rerun."""
    ids = [p.id for p in projects_to_settle()]
    outcomes: dict[str, int] = {}
    with click.progressbar(ids, label="settling projects", show_pos=True) as bar:
        for project_id in bar:
            outcome = settle_project(db.session.get(Project, project_id))
            db.session.commit()  # one project at a time: an interruption loses nothing
            if outcome:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    summary = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())) or "nothing to do"
    click.echo(f"close-expired: {summary}")


@click.command("remind-unpaid")
@click.option("--after-days", default=7, show_default=True, type=click.IntRange(min=1),
              help="Remind a pledge still unpaid this many days after it was made (or last reminded).")
@with_appcontext
def remind_unpaid_pledges(after_days: int) -> None:
    """Email donors how to pay their pledges still awaiting a transfer. Safe to rerun, and to run
    twice at once: each pledge is reminded at most once per period."""
    after = timedelta(days=after_days)
    sent = 0
    for pledge_id in pledges_to_remind(after):
        sent += remind_unpaid(pledge_id, after)
        db.session.commit()  # one pledge at a time: its mail is queued with its claim
    click.echo(f"remind-unpaid: {sent} reminders sent")
