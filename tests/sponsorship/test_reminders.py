"""A pledge paid by transfer: the donor is mailed how to pay it (reference, the host's bank
details), in their language, and reminded while it stays unpaid, at most once a period."""

from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import Organization
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import EmailOutbox
from marketplace.sponsorship import hosting, services

IBAN = "DE89370400440532013000"


def _mails_to(email: str) -> list[EmailOutbox]:
    return list(db.session.scalars(select(EmailOutbox).where(EmailOutbox.recipient == email)
                                   .order_by(EmailOutbox.id)))


def _hosted_project(make_open_project):
    org = Organization(name="Fundación Anfitriona", slug="anfitriona", type="ngo", is_fiscal_host=True,
                       iban=IBAN, bic="COBADEFFXXX", bank_account_holder="Fundación Anfitriona",
                       payment_instructions="Transfers in EUR only.")
    db.session.add(org)
    db.session.commit()
    return make_open_project(goal_minor=100_000, host_id=org.id, title="School budgets")


def test_a_transfer_pledge_mails_the_donor_how_to_pay_it(app, make_open_project, make_donor, pledge):
    project = _hosted_project(make_open_project)
    p = pledge(make_donor(email="jane@example.org"), project, "25", provider="manual")
    [mail] = _mails_to("jane@example.org")
    assert mail.subject == "How to pay your pledge of €25.00 to School budgets"
    for expected in (hosting.display_reference(p.id), "DE89 3704 0044 0532 0130 00", "COBADEFFXXX",
                     "Fundación Anfitriona", "Transfers in EUR only.", f"/sponsorship/pledges/{p.id}"):
        assert expected in mail.body


def test_the_mail_is_in_the_donors_language_and_instant_pledges_need_none(app, make_open_project, make_donor,
                                                                          pledge):
    project = make_open_project(goal_minor=100_000, title="Budgets scolaires")
    pledge(make_donor(email="claire@example.org", locale="fr"), project, "12,50", provider="manual",
           locale="fr")
    [mail] = _mails_to("claire@example.org")
    assert mail.subject.startswith("Comment payer votre promesse de don de 12,50")
    assert "n’a pas encore d’hôte fiscal" in mail.body or "hôte fiscal" in mail.body
    pledge(make_donor(email="paid@example.org"), project, "10", provider="instant")
    assert _mails_to("paid@example.org") == []  # paid at once: nothing to explain


def test_unpaid_pledges_are_reminded_once_a_period(app, make_open_project, make_donor, pledge):
    project = _hosted_project(make_open_project)
    old = pledge(make_donor(email="late@example.org"), project, "40", provider="manual")
    pledge(make_donor(email="recent@example.org"), project, "5", provider="manual")
    paid = pledge(make_donor(email="paid@example.org"), project, "7", provider="manual")
    services.confirm_pledge(paid, None, "bank")
    now = utcnow()
    for p in (old, paid):
        p.created_at = now - timedelta(days=8)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["projects", "remind-unpaid"])
    assert result.exit_code == 0 and "1 reminders sent" in result.output
    reminders = [m for m in _mails_to("late@example.org") if m.subject.startswith("Reminder:")]
    assert len(reminders) == 1
    assert reminders[0].subject == "Reminder: your pledge of €40.00 to School budgets is awaiting payment"
    assert hosting.display_reference(old.id) in reminders[0].body and "still awaiting payment" in reminders[0].body
    assert "0 reminders sent" in runner.invoke(args=["projects", "remind-unpaid"]).output  # a rerun: none
    for email in ("recent@example.org", "paid@example.org"):
        assert not [m for m in _mails_to(email) if m.subject.startswith("Reminder:")]
    db.session.expire_all()
    old.reminded_at = utcnow() - timedelta(days=8)  # a period later: reminded again
    db.session.commit()
    assert "1 reminders sent" in runner.invoke(args=["projects", "remind-unpaid", "--after-days", "7"]).output
    assert runner.invoke(args=["projects", "remind-unpaid", "--after-days", "0"]).exit_code == 2  # a usage error


def test_a_pledge_unpaid_past_the_lapse_is_cancelled_and_its_room_returns(app, make_open_project, make_donor,
                                                                          make_user, pledge):
    from marketplace.notifications.models import Notification
    from marketplace.projects.models import Project

    owner = make_user(email="owner@example.org")
    project = make_open_project(goal_minor=10_000, owner=owner, title="School budgets")
    stale = pledge(make_donor(email="late@example.org"), project, "60", provider="manual")
    fresh = pledge(make_donor(email="fresh@example.org"), project, "30", provider="manual")
    assert "If it is not paid by" in _mails_to("late@example.org")[0].body  # the first mail gives the day
    stale.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    runner = app.test_cli_runner()
    output = runner.invoke(args=["projects", "remind-unpaid"]).output
    assert "1 unpaid pledges cancelled" in output and "1 reminders sent" not in output
    db.session.expire_all()
    assert (stale.status, fresh.status) == ("cancelled", "pledged")
    assert db.session.get(Project, project.id).raised_minor == 3_000  # the 60 went back
    told = db.session.scalars(select(Notification.message).where(
        Notification.recipient_id.in_([stale.donor_id, owner.id]), Notification.message.like("%cancelled%")))
    assert sorted(m[:12] for m in told) == ["A pledge of ", "Your pledge "]
    assert "0 unpaid pledges cancelled" in runner.invoke(args=["projects", "remind-unpaid"]).output  # once
    app.config["PLEDGE_LAPSE_DAYS"] = 0  # never
    fresh.created_at = utcnow() - timedelta(days=400)
    db.session.commit()
    runner.invoke(args=["projects", "remind-unpaid"])
    db.session.expire_all()
    assert fresh.status == "pledged"


def test_the_pledge_page_gives_the_day_to_pay_by(client, auth, make_open_project, make_donor, pledge):
    p = pledge(make_donor(email="me@example.org"), make_open_project(), "10", provider="manual")
    auth.login("me@example.org")
    html = client.get(f"/sponsorship/pledges/{p.id}").get_data(as_text=True)
    assert "Pay by" in html and "it will be cancelled and its room given back" in html
