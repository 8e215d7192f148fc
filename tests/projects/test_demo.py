"""The demo seeder: projects in every state, consistent with the ledger."""

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.projects.models import Project


def test_demo_projects_cover_every_state(app, ledger_clean):
    from marketplace.accounts import demo as accounts_demo
    from marketplace.projects import demo
    from marketplace.sponsorship.demo import fund_in_full

    accounts_demo.seed()
    demo.seed(fund=fund_in_full)
    db.session.commit()
    states = set(db.session.scalars(select(Project.state)))
    assert states == {"draft", "pending_review", "open", "funded", "completed", "cancelled",
                      "expired"}
    funded = db.session.scalar(select(Project).where(Project.state == "funded"))
    assert funded.raised_minor == funded.goal_minor and funded.released_minor > 0
    assert {o.status for o in funded.objectives} >= {"verified"}
    assert db.session.scalar(select(Project).where(Project.kind == "event")) is not None
    assert ledger_clean() == []
    demo.seed(fund=fund_in_full)  # a second run adds nothing
    assert len(db.session.scalars(select(Project)).all()) == len(demo.PROJECTS)
