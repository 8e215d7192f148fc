"""Demo data: named seeders, each run once per database and recorded in `demo_seed`.

Feature packages add their seeder to SEEDERS (in dependency order). A seeder receives the
demo context (users and organizations by key) and adds rows; it never commits.
"""

from functools import partial

import click
from sqlalchemy import select

from marketplace.accounts import demo as accounts_demo
from marketplace.accounts.models import User
from marketplace.cases import demo as cases_demo
from marketplace.communities import demo as communities_demo
from marketplace.extensions import db
from marketplace.forums import demo as forums_demo
from marketplace.knowledge import demo as knowledge_demo
from marketplace.main.models import DemoSeed
from marketplace.mentoring import demo as mentoring_demo
from marketplace.projects import demo as projects_demo
from marketplace.sponsorship import demo as sponsorship_demo


def _seeders():
    return [
        ("accounts", accounts_demo.seed),
        ("knowledge", knowledge_demo.seed),  # practices, adaptations, endorsements
        ("cases", cases_demo.seed),  # after "knowledge": it links cases to demo practices
        ("communities", communities_demo.seed),
        ("forums", forums_demo.seed),  # threads in the demo communities
        ("mentoring", mentoring_demo.seed),
        ("hosting", sponsorship_demo.seed_host),  # the fiscal host the EUR demo projects name
        # projects are funded by sponsorship's pledges, a layer above them
        ("projects", partial(projects_demo.seed, fund=sponsorship_demo.fund_in_full)),
        ("sponsorship", sponsorship_demo.seed),
    ]


def database_has_other_data() -> bool:
    """Users exist but no demo seeder ever ran: the database holds real (or test) data."""
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
