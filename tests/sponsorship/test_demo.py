from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.projects.models import Project
from marketplace.sponsorship.models import DonorProfile, Pledge, TrancheRelease


def test_demo_money_is_consistent(app, ledger_clean):
    from marketplace import demo

    demo.run_all()
    assert ledger_clean() == []
    countries = set(db.session.scalars(select(DonorProfile.country)))
    assert len(countries) >= 3
    statuses = set(db.session.scalars(select(Pledge.status)))
    assert {"pledged", "confirmed"} <= statuses
    funded_with_release = db.session.scalar(
        select(func.count()).select_from(Project)
        .where(Project.state.in_(["funded", "completed"]), Project.raised_minor == Project.goal_minor,
               Project.id.in_(select(TrancheRelease.project_id))))
    assert funded_with_release >= 1
