"""Every money event tells the people it concerns, in the same transaction as the money."""

from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import Organization, OrganizationMember, User
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.sponsorship import services


def _inbox(user: User) -> list[str]:
    return list(db.session.scalars(select(Notification.message).where(Notification.recipient_id == user.id)
                                   .order_by(Notification.id)))


def test_pledge_payment_goal_and_tranche_each_notify(app, make_open_project, make_donor, make_user,
                                                      make_objective, pledge):
    treasurer = make_user(email="tess@example.org")
    host = Organization(name="Host", slug="host", type="ngo", is_fiscal_host=True, payment_instructions="Pay us")
    host.members.append(OrganizationMember(user=treasurer, role="treasurer"))
    db.session.add(host)
    reviewer = make_user(email="rev@example.org")
    project = make_open_project(goal_minor=2_000, host_id=host.id, title="Clean Water")
    project.reviewers = [reviewer]
    db.session.commit()
    early, late = make_donor(email="early@example.org"), make_donor(email="late@example.org")
    first = pledge(early, project, "10", provider="manual")
    assert "New pledge of €10.00 to Clean Water" in _inbox(project.owner)

    services.confirm_pledge(first, treasurer)
    db.session.commit()
    assert "Your contribution of €10.00 to Clean Water was received." in _inbox(early)[0]

    second = pledge(late, project, "10", provider="manual")
    services.confirm_pledge(second, treasurer)
    db.session.commit()
    reached = "Clean Water reached its funding goal of €20.00."
    for person in (project.owner, early, late, reviewer, treasurer):
        assert reached in _inbox(person), person.email
    objective = make_objective(project, tranche_minor=500, status="verified", title="Wells dug")
    services.release_tranche(reviewer, objective)
    db.session.commit()
    assert any("€5.00 was released to Clean Water: the objective “Wells dug” was verified." in m
               for m in _inbox(early))


def test_expiry_refunds_are_explained_to_each_donor_and_the_owner(app, make_open_project, make_donor, pledge):
    project = make_open_project(goal_minor=10_000, title="Library")
    donor = make_donor(email="d@example.org")
    pledge(donor, project, "30")
    project.deadline = utcnow() - timedelta(days=1)
    db.session.commit()
    assert services.settle_project(db.session.get(type(project), project.id)) == "expired"
    db.session.commit()
    assert any("€30.00 of your contribution to Library was refunded: the project did not reach its goal" in m
               for m in _inbox(donor))
    assert any("Library expired without reaching its goal; €30.00 went back to its donors." in m
               for m in _inbox(project.owner))


def test_a_rolled_back_pledge_leaves_no_notice(app, make_open_project, make_donor):
    project = make_open_project(goal_minor=10_000)
    services.record_pledge(make_donor(), project, "10", idempotency_key="k" * 20, provider="manual")
    db.session.rollback()
    assert db.session.scalar(select(Notification.id)) is None
