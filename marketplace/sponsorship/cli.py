"""Money commands that run from cron: `marketplace projects close-expired` and
`marketplace projects remind-unpaid`."""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.sponsorship.services import (
    lapse_unpaid,
    pledges_to_lapse,
    pledges_to_remind,
    projects_to_settle,
    remind_unpaid,
    settle_project,
)


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
@click.option("--after-days", type=click.IntRange(min=1), default=None,
              help="Remind a pledge still unpaid this many days after it was made or last reminded "
                   "(default: the PLEDGE_REMIND_DAYS setting, 7).")
@with_appcontext
def remind_unpaid_pledges(after_days: int | None) -> None:
    """Pledges paid by transfer and still unpaid: cancel those older than PLEDGE_LAPSE_DAYS (their
    room goes back to the project; donor and owner are told), then email the others' donors how to
    pay. Safe to rerun, and to run twice at once: each pledge is reminded at most once a period,
    and cancelled once."""
    days = current_app.config["PLEDGE_LAPSE_DAYS"]
    lapsed = 0
    for pledge_id in (pledges_to_lapse(timedelta(days=days)) if days else []):
        lapsed += lapse_unpaid(pledge_id, days)
        db.session.commit()
    after = timedelta(days=after_days or current_app.config["PLEDGE_REMIND_DAYS"])
    sent = 0
    for pledge_id in pledges_to_remind(after):
        sent += remind_unpaid(pledge_id, after)
        db.session.commit()  # one pledge at a time: its mail is queued with its claim
    click.echo(f"remind-unpaid: {sent} reminders sent, {lapsed} unpaid pledges cancelled")
