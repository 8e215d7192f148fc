"""The `marketplace` command group (also available as `flask …`)."""

import os

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from marketplace import demo
from marketplace.accounts.models import Role, UserRole
from marketplace.accounts.services import record_audit, register_user
from marketplace.errors import attempt
from marketplace.extensions import db
from marketplace.files.cli import files_cli
from marketplace.knowledge.cli import import_command, import_group
from marketplace.ledger.cli import ledger_cli
from marketplace.notifications.cli import notifications_cli
from marketplace.ops.cli import doctor
from marketplace.projects.cli import projects_cli
from marketplace.search.cli import search_cli
from marketplace.sponsorship.cli import close_expired, remind_unpaid_pledges

# sponsorship settles projects, so its commands join the projects group here, above both
projects_cli.add_command(close_expired)
projects_cli.add_command(remind_unpaid_pledges)
# case studies sit above the importer's package (knowledge): their command joins the group here
import_group.add_command(import_command(
    "cases", "Import case studies from CSV or JSON Lines; rows already imported (same source URL) "
    "are skipped, so it is safe to run again."))


def main() -> None:
    from marketplace import create_app  # the app factory imports this module: a top-level import is circular

    group = FlaskGroup(create_app=create_app, help="marketplace: run and manage the platform.")
    group.add_command(doctor)  # on the group itself: it must run when the app refuses to start
    group()


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(reset_dev_db)
    app.cli.add_command(search_cli)
    # Imported here: `python -m marketplace.i18n_cli` (the Makefile's) imports this package
    # first, and runpy warns when the module it runs is already imported.
    from marketplace.i18n_cli import translations

    app.cli.add_command(translations)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(projects_cli)
    app.cli.add_command(import_group)
    app.cli.add_command(files_cli)


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True,
              help="Skip when the database already has users that no demo seeding created.")
def seed_demo(if_empty: bool) -> None:
    """Load demo data; each part runs once, so users' data is never touched or duplicated."""
    if if_empty and demo.database_has_other_data():
        click.echo("demo data: skipped, the database already has users (--if-empty)")
        return
    done = demo.run_all()
    if done:
        click.echo(f"demo data: seeded {', '.join(done)}")
    else:
        click.echo("demo data: already present, nothing to do")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", default=None, help="Display name (default: from email).")
@click.option("--role", "roles", multiple=True, type=click.Choice(["donor", "moderator", "admin"]))
def create_user(email: str, display_name: str | None, roles: tuple[str, ...]) -> None:
    """Create an account. The password comes from MARKETPLACE_NEW_USER_PASSWORD or a prompt."""
    password = os.environ.get("MARKETPLACE_NEW_USER_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    user, err = attempt(register_user, email, display_name or email.split("@")[0], password,
                        confirmed=True)
    if err:
        raise click.ClickException(err.message)
    for role in roles:
        user.roles.append(UserRole(role=Role(role).value))
        record_audit("role.grant", None, user, None, role=role, via="cli")
    db.session.commit()
    click.echo(f"created user {user.id} <{user.email}> roles: {', '.join(roles) or 'member'}")


@click.command("reset-dev-db")
@click.option("--yes", is_flag=True, required=True, help="Confirm: every row is deleted.")
@click.option("--seed/--no-seed", default=True)
def reset_dev_db(yes: bool, seed: bool) -> None:
    """Development only: drop and recreate every table from the models, then seed demo data."""
    if current_app.config["PRODUCTION"]:
        raise click.ClickException("refused: PRODUCTION is set")
    db.drop_all()
    db.create_all()
    click.echo("schema recreated from the models")
    if seed:
        click.echo(f"demo data: seeded {', '.join(demo.run_all())}")
