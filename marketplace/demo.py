"""Demo data: named seeders, each run once per database and recorded in `demo_seed`.

Feature packages add their seeder to SEEDERS (in dependency order). A seeder receives the
demo context (users and organizations by key) and adds rows; it never commits.
"""

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.main.models import DemoSeed


def demo_password() -> str:
    """MARKETPLACE_DEMO_PASSWORD, or a random one kept in instance/demo-password.txt."""
    if os.environ.get("MARKETPLACE_DEMO_PASSWORD"):
        return os.environ["MARKETPLACE_DEMO_PASSWORD"]
    path = Path(current_app.instance_path) / "demo-password.txt"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12) + "-Demo")
        path.chmod(0o600)
    return path.read_text().strip()


def _seeders():
    from marketplace.accounts import demo as accounts_demo
    from marketplace.cases import demo as cases_demo
    from marketplace.communities import demo as communities_demo
    from marketplace.knowledge import demo as knowledge_demo
    from marketplace.mentoring import demo as mentoring_demo
    from marketplace.projects import demo as projects_demo
    from marketplace.sponsorship import demo as sponsorship_demo

    return [
        ("accounts", accounts_demo.seed),
        ("knowledge", knowledge_demo.seed),  # practices, adaptations, endorsements
        ("cases", cases_demo.seed),  # after "knowledge": it links cases to demo practices
        ("communities", communities_demo.seed),  # communities and forum threads
        ("mentoring", mentoring_demo.seed),
        ("projects", projects_demo.seed),
        ("sponsorship", sponsorship_demo.seed),
    ]


def database_has_other_data() -> bool:
    """Users exist but no demo seeder ever ran: the database holds real (or test) data."""
    from marketplace.accounts.models import User

    if db.session.scalar(select(DemoSeed.name).limit(1)) is not None:
        return False
    return db.session.scalar(select(User.id).limit(1)) is not None


def run_all() -> list[str]:
    done = set(db.session.scalars(select(DemoSeed.name)))
    ran = []
    pending = [(name, fn) for name, fn in _seeders() if name not in done]
    with click.progressbar(pending, label="seeding demo data", show_pos=True,
                           item_show_func=lambda s: s and s[0]) as bar:
        for name, seed in bar:
            seed()
            db.session.add(DemoSeed(name=name))
            db.session.commit()
            ran.append(name)
    return ran
