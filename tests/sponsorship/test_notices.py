"""Every money event tells the people it concerns, in the same transaction as the money."""

import uuid
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


# --- the pledge path reads its owner and donor with the reservation (no statement of their own) ---

def _pledge_outcome(project, donor, amount="10", **kw):
    from marketplace.notifications.models import EmailOutbox
    from tests.queries import QueryCounter

    with QueryCounter() as counter:
        made, created = services.record_pledge(donor, project, amount, idempotency_key=uuid.uuid4().hex,
                                               provider="instant", **kw)
    db.session.commit()
    note = db.session.scalars(select(Notification).where(Notification.recipient_id == project.owner_id)
                              .order_by(Notification.id.desc())).first()
    mail = db.session.scalars(select(EmailOutbox).where(EmailOutbox.recipient_id == project.owner_id)
                              .order_by(EmailOutbox.id.desc())).first()
    return made, note, mail, counter.statements


def test_the_owners_language_name_and_preference_come_with_the_reservation(
        app, make_open_project, make_donor, make_user):
    from marketplace.notifications import kinds
    from marketplace.notifications.services import set_preferences

    owner = make_user(email="owner@example.org", name="Odile", locale="fr")
    project = make_open_project(goal_minor=100_000, owner=owner, title="Puits")
    donor = make_donor(email="giver@example.org", name="Gail")
    made, note, mail, statements = _pledge_outcome(project, donor, "10")
    assert made.donor_name == "Gail" and not made.is_anonymous
    assert note.message.startswith("Nouvelle promesse de don de 10,00") and note.message.endswith("€ pour Puits")
    assert note.actor_id == donor.id
    assert mail.recipient == "owner@example.org" and mail.body.startswith("Bonjour Odile")
    db.session.refresh(project)
    db.session.refresh(donor)  # loaded, as a request holds them: count the pledge's own statements
    _made, _note, second_mail, statements = _pledge_outcome(project, donor, "10")
    # PostgreSQL: reserve (with the context) and insert the pledge, notice (email + notification),
    # contribution (group + legs + the pledge's status); SQLite reads the context and writes each
    # row alone.
    assert len(statements) == (3 if db.engine.dialect.name == "postgresql" else 8), statements
    mail = second_mail

    set_preferences(owner, {kinds.MONEY: kinds.DIGEST})
    db.session.commit()
    _made, note, last_mail, _ = _pledge_outcome(project, donor, "5")
    assert note.is_digest_pending and last_mail.id == mail.id  # no new email

    set_preferences(owner, {kinds.MONEY: kinds.OFF})
    db.session.commit()
    _made, note, last_mail, _ = _pledge_outcome(project, donor, "5")
    assert not note.is_digest_pending and last_mail.id == mail.id


def test_the_donors_profile_comes_with_the_reservation(app, make_open_project, make_donor, make_user):
    from marketplace.accounts.models import Organization, OrganizationMember
    from marketplace.sponsorship.models import DonorProfile

    project = make_open_project(goal_minor=100_000)
    shy = make_donor(email="shy@example.org", name="Shy", anonymous=True)
    made, note, _mail, _ = _pledge_outcome(project, shy)
    assert made.is_anonymous and made.donor_name == "" and note.actor_id is None
    made, note, _mail, _ = _pledge_outcome(project, shy, is_anonymous=False)  # the form's choice wins
    assert not made.is_anonymous and made.donor_name == "Shy" and note.actor_id == shy.id

    giver = make_donor(email="fund@example.org", name="Fay")
    org = Organization(name="Water Fund", slug="water-fund", type="foundation")
    org.members.append(OrganizationMember(user=giver, role="member"))
    db.session.add(org)
    db.session.flush()
    profile = db.session.scalar(select(DonorProfile).where(DonorProfile.user_id == giver.id))
    profile.kind, profile.organization_id = "organization", org.id
    db.session.commit()
    made, _note, _mail, _ = _pledge_outcome(project, giver)
    assert made.donor_name == "Water Fund"


def _hosted_project(make_open_project, make_user, **fields):
    treasurer = make_user(email="tess@example.org")
    host = Organization(name="Host", slug="host", type="ngo", is_fiscal_host=True, payment_instructions="Pay us")
    host.members.append(OrganizationMember(user=treasurer, role="treasurer"))
    db.session.add(host)
    db.session.flush()
    return make_open_project(host_id=host.id, **fields), treasurer


def test_the_treasurers_expect_a_transfer_and_nothing_for_a_paid_pledge(app, make_open_project, make_donor,
                                                                       make_user, pledge):
    project, treasurer = _hosted_project(make_open_project, make_user, title="Clean Water")
    donor = make_donor(email="d@example.org")
    pledge(donor, project, "25", provider="manual")
    assert _inbox(treasurer) == [
        "A pledge of €25.00 to Clean Water is to be paid by transfer: record it when the money arrives."]
    pledge(donor, project, "5", provider="instant")  # paid at once: nothing to record
    assert len(_inbox(treasurer)) == 1


def test_a_withdrawal_tells_the_owner_without_naming_an_anonymous_donor(app, make_open_project, make_donor,
                                                                       pledge):
    project = make_open_project(title="Library")
    named, hidden = make_donor(email="n@example.org"), make_donor(email="h@example.org")
    for donor, anonymous in ((named, False), (hidden, True)):
        services.withdraw_pledge(pledge(donor, project, "40", provider="manual", is_anonymous=anonymous), donor)
        db.session.commit()
    withdrawn = "A pledge of €40.00 to Library was withdrawn by its donor: its room is open to other donors again."
    notices = list(db.session.scalars(select(Notification).where(
        Notification.recipient_id == project.owner_id, Notification.message == withdrawn).order_by(Notification.id)))
    assert [n.actor_id for n in notices] == [named.id, None]
    assert not any("withdrawn" in m for m in _inbox(named) + _inbox(hidden))  # they did it


def test_a_host_cancelling_tells_the_donor_not_to_pay_and_the_owner(app, make_open_project, make_donor,
                                                                   make_user, pledge):
    project, treasurer = _hosted_project(make_open_project, make_user, title="Library")
    donor = make_donor(email="d@example.org")
    services.withdraw_pledge(pledge(donor, project, "40", provider="manual"), treasurer)
    db.session.commit()
    assert ("Your pledge of €40.00 to Library was cancelled by the project's host. Please do not send the money; "
            "if you already have, contact the host.") in _inbox(donor)
    assert ("A pledge of €40.00 to Library was cancelled by the project's host: its room is open to other "
            "donors again.") in _inbox(project.owner)


def test_unpaid_pledges_of_a_closed_project_are_told_not_to_pay(app, make_open_project, make_donor, pledge):
    from marketplace.projects.services import cancel_project

    cancelled = make_open_project(title="Library")
    expired = make_open_project(title="Wells", goal_minor=10_000)
    kept = make_open_project(title="Roads", goal_minor=10_000, funding_model="keep_what_you_raise")
    donor = make_donor(email="d@example.org")
    for project in (cancelled, expired, kept):
        pledge(donor, project, "40", provider="manual")
    cancel_project(cancelled.owner, cancelled)
    for project in (expired, kept):
        project.deadline = utcnow() - timedelta(days=1)
    db.session.commit()
    for project in (expired, kept):
        services.settle_project(db.session.get(type(project), project.id))
        db.session.commit()
    inbox = _inbox(donor)
    for line in ("Your pledge of €40.00 to Library was cancelled: the project was cancelled. Please do not send "
                 "the money.",
                 "Your pledge of €40.00 to Wells was cancelled: the project did not reach its goal by its deadline. "
                 "Please do not send the money.",
                 "Your pledge of €40.00 to Roads was cancelled: the project's funding closed before it was paid. "
                 "Please do not send the money."):
        assert line in inbox
