"""Money commands that run from cron: `marketplace projects close-expired`."""

import click
from flask.cli import with_appcontext

from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.sponsorship.services import projects_to_settle, settle_project


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
