import re

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import AuditEvent, Organization, OrganizationMember
from marketplace.extensions import db
from marketplace.sponsorship import services
from marketplace.sponsorship.models import Pledge


def _nonce(html: str) -> str:
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)


def _pledge_page(client, project):
    response = client.get(f"/sponsorship/projects/{project.slug}/pledge")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _donor_on_pledge_form(client, auth, make_open_project, make_donor):
    """A donor signed in on a new project's pledge form: (project, form URL, its nonce)."""
    project = make_open_project(goal_minor=10_000)
    make_donor(email="giver@example.org")
    auth.login("giver@example.org")
    return project, f"/sponsorship/projects/{project.slug}/pledge", _nonce(_pledge_page(client, project))


def count_pledges():
    return db.session.scalar(select(func.count()).select_from(Pledge))


def test_a_donor_pledges_from_the_project_page(client, auth, make_open_project, make_donor):
    project = make_open_project(goal_minor=10_000)
    donor = make_donor(email="giver@example.org")
    auth.login("giver@example.org")
    page = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    assert "Pledge to this project" in page and "Amount in EUR" in page
    response = client.post(f"/sponsorship/projects/{project.slug}/pledge",
                           data={"amount": "25", "message": "Good luck", "idempotency_key": _nonce(page)})
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "€25.00" in detail and "Pledged, awaiting payment" in detail
    assert db.session.scalar(select(Pledge.donor_id)) == donor.id


@pytest.mark.parametrize("amount, message", [
    ("10.005", "EUR has at most 2 decimals."),
    ("-5", "The amount must be positive."),
    ("1e3", "Enter an amount in figures"),
    ("abc", "Enter an amount in figures"),
    ("", "Enter an amount."),
    (str(10**20), "This amount is too large."),
    ("10 USD", "Amounts for this project are in EUR."),
    ("100.01", "Only €100.00 is left to reach the goal."),
])
def test_bad_amounts_are_form_errors_that_change_nothing(client, auth, make_open_project, make_donor,
                                                         amount, message):
    project = make_open_project(goal_minor=10_000)
    make_donor(email="giver@example.org")
    auth.login("giver@example.org")
    nonce = _nonce(_pledge_page(client, project))
    response = client.post(f"/sponsorship/projects/{project.slug}/pledge",
                           data={"amount": amount, "idempotency_key": nonce})
    assert response.status_code in (409, 422)
    html = response.get_data(as_text=True)
    assert message in html and 'class="field-error"' in html
    assert count_pledges() == 0
    db.session.refresh(project)
    assert project.raised_minor == 0


def test_a_replayed_form_makes_one_pledge_and_another_amount_is_refused(
        client, auth, make_open_project, make_donor):
    project, url, nonce = _donor_on_pledge_form(client, auth, make_open_project, make_donor)
    first = client.post(url, data={"amount": "10", "idempotency_key": nonce})
    second = client.post(url, data={"amount": "10", "idempotency_key": nonce})
    assert first.headers["Location"] == second.headers["Location"]
    conflict = client.post(url, data={"amount": "12", "idempotency_key": nonce})
    assert conflict.status_code == 409
    assert "already made with a different amount" in conflict.get_data(as_text=True)
    assert count_pledges() == 1


def test_replaying_the_pledge_that_reached_the_goal_returns_its_first_result(
        app, client, auth, make_open_project, make_donor):
    app.config["PAYMENT_PROVIDER"] = "instant"
    project, url, nonce = _donor_on_pledge_form(client, auth, make_open_project, make_donor)
    first = client.post(url, data={"amount": "100", "idempotency_key": nonce})
    db.session.refresh(project)
    assert (first.status_code, project.state) == (302, "funded")
    replay = client.post(url, data={"amount": "100", "idempotency_key": nonce})
    assert (replay.status_code, replay.headers["Location"]) == (302, first.headers["Location"])
    conflict = client.post(url, data={"amount": "99", "idempotency_key": nonce})
    assert conflict.status_code == 409
    assert client.post(url, data={"amount": "1", "idempotency_key": "another-key-001"}).status_code == 409
    assert count_pledges() == 1


@pytest.mark.parametrize("lang, typed, minor", [("fr", "12,5", 1250), ("es", "12,5", 1250),
                                                ("fr", "1 250,50", 125050), ("en", "1,250.50", 125050)])
def test_amounts_are_read_as_the_donor_writes_numbers(client, auth, make_open_project, make_donor,
                                                      lang, typed, minor):
    project, url, nonce = _donor_on_pledge_form(client, auth, make_open_project, make_donor)
    project.goal_minor = 1_000_000
    db.session.commit()
    client.set_cookie("lang", lang)
    assert client.post(url, data={"amount": typed, "idempotency_key": nonce}).status_code == 302
    assert db.session.scalar(select(Pledge.amount_minor)) == minor


def test_an_amount_that_reads_two_ways_is_refused_not_misread(client, auth, make_open_project, make_donor):
    project, url, nonce = _donor_on_pledge_form(client, auth, make_open_project, make_donor)
    response = client.post(url, data={"amount": "12,5", "idempotency_key": nonce})  # English page
    assert response.status_code == 422
    assert "“12,5” can be read two ways: write 125 or 12.5." in response.get_data(as_text=True)
    assert count_pledges() == 0


def test_members_become_donors_first_and_the_role_grant_is_audited(client, auth, make_user, make_open_project):
    project = make_open_project()
    user = make_user(email="new@example.org")
    auth.login("new@example.org")
    response = client.get(f"/sponsorship/projects/{project.slug}/pledge")
    assert response.status_code == 302 and "/sponsorship/donor" in response.headers["Location"]
    response = client.post(f"/sponsorship/donor?next=/sponsorship/projects/{project.slug}/pledge",
                           data={"kind": "individual", "organization": "0", "country": "BR",
                                 "focus_countries": ["BR", "KE"], "focus_themes": ["health"],
                                 "is_anonymous_by_default": "y", "tax_identifier": "123-45"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sponsorship/projects/{project.slug}/pledge")
    db.session.expire_all()
    assert user.is_donor
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.grant"))
    assert audit.detail == {"role": "donor", "via": "donor_profile"}
    page = _pledge_page(client, project)
    assert '<input checked id="is_anonymous"' in page


def test_only_hosts_record_payments(client, auth, make_open_project, make_donor, make_user, pledge):
    owner = make_user(email="owner@example.org")
    org_admin = make_user(email="orgadmin@example.org")
    org = Organization(name="Host NGO", slug="host-ngo", type="ngo")
    org.members.append(OrganizationMember(user=org_admin, role="admin"))
    org.members.append(OrganizationMember(user=owner, role="member"))
    db.session.add(org)
    db.session.commit()
    project = make_open_project(owner=owner, organization_id=org.id)
    donor = make_donor(email="giver@example.org")
    p = pledge(donor, project, "10", provider="manual")
    make_user(email="admin@example.org", roles=["admin"])
    url = f"/sponsorship/pledges/{p.id}/record-payment"
    for email, sees in (("owner@example.org", 200), ("giver@example.org", 403)):  # the owner: read-only
        auth.login(email)
        page = client.get(f"/sponsorship/projects/{project.slug}/payments")
        assert page.status_code == sees and "Record payment received" not in page.get_data(as_text=True)
        assert client.post(url, data={"reference": "x"}).status_code == 403
        auth.logout()
    db.session.refresh(p)
    assert p.status == "pledged"
    auth.login("orgadmin@example.org")
    page = client.get(f"/sponsorship/projects/{project.slug}/payments").get_data(as_text=True)
    assert "Record payment received" in page
    response = client.post(url, data={"reference": "BANK-42"})
    assert response.status_code == 302
    db.session.refresh(p)
    assert (p.status, p.provider_reference, p.confirmed_by_id) == ("confirmed", "BANK-42", org_admin.id)
    again = client.post(url, data={"reference": "BANK-42"}, follow_redirects=True)
    assert "This pledge was not changed: its status is now “Contribution received”." in again.get_data(as_text=True)
    client.set_cookie("lang", "fr")
    again = client.post(url, data={"reference": "BANK-42"}, follow_redirects=True)
    assert "Cette promesse de don n’a pas été modifiée : son statut est désormais « Contribution reçue »." in (
        again.get_data(as_text=True))


def test_a_donor_sees_only_their_own_pledges_and_receipts(client, auth, make_open_project, make_donor, pledge):
    project = make_open_project()
    mine = pledge(make_donor(email="me@example.org"), project, "10")
    theirs = pledge(make_donor(email="other@example.org"), project, "20")
    auth.login("me@example.org")
    assert client.get(f"/sponsorship/receipts/{mine.id}").status_code == 200
    assert client.get(f"/sponsorship/receipts/{theirs.id}").status_code == 403
    assert client.get(f"/sponsorship/pledges/{theirs.id}").status_code == 403
    assert client.post(f"/sponsorship/pledges/{theirs.id}/cancel").status_code == 403
    dashboard = client.get("/sponsorship/dashboard").get_data(as_text=True)
    assert "€10.00" in dashboard and "€20.00" not in dashboard
    history = client.get("/sponsorship/dashboard/history.csv").get_data(as_text=True)
    assert len(history.strip().splitlines()) == 2
    auth.logout()
    assert client.get(f"/sponsorship/receipts/{mine.id}").status_code == 302  # to sign in


def test_receipt_is_printable_and_carries_the_tax_identifier(client, auth, make_open_project, make_user, pledge):
    user = make_user(email="me@example.org", name="Ana Souza")
    services.save_donor_profile(user, kind="individual", organization=None, is_anonymous_by_default=True,
                                focus_themes=[], focus_countries=[], country="BR", tax_identifier="CPF 123")
    db.session.commit()
    p = pledge(user, make_open_project(), "10")
    auth.login("me@example.org")
    html = client.get(f"/sponsorship/receipts/{p.id}").get_data(as_text=True)
    assert f"Receipt R-{p.contribution_id:06d}" in html
    assert "Ana Souza" in html and "CPF 123" in html and "Brazil" in html and "€10.00" in html


def test_anonymous_donors_stay_anonymous_in_public(client, auth, make_open_project, make_donor, pledge):
    project = make_open_project(goal_minor=10_000, title="Clean water")
    pledge(make_donor(name="Secret Sam", anonymous=True), project, "30")
    pledge(make_donor(name="Open Olga"), project, "20")
    pages = [client.get(f"/projects/{project.slug}"), client.get(f"/projects/{project.slug}/transparency"),
             client.get(f"/projects/{project.slug}/transparency.csv")]
    for response in pages:
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Secret Sam" not in body
    assert "Open Olga" in pages[1].get_data(as_text=True)
    assert "Anonymous" in pages[2].get_data(as_text=True)


def test_history_csv_is_formula_injection_safe(client, auth, make_open_project, make_donor, pledge):
    project = make_open_project(title='=HYPERLINK("http://evil.example","x")')
    pledge(make_donor(email="me@example.org"), project, "10")
    auth.login("me@example.org")
    csv_text = client.get("/sponsorship/dashboard/history.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text
    assert ",=HYPERLINK" not in csv_text


def test_dashboard_shows_releases_and_outcome_per_thousand(client, auth, make_open_project, make_donor,
                                                           make_objective, make_user, pledge):
    from marketplace.projects.models import ProgressReport, ProgressValue

    project = make_open_project(goal_minor=100_000)
    donor = make_donor(email="me@example.org")
    pledge(donor, project, "250")
    pledge(make_donor(), project, "750")
    objective = make_objective(project, tranche_minor=40_000, baseline=10, target=30, unit="teachers",
                               status="verified")
    report = ProgressReport(project_id=project.id, author_id=project.owner_id, body_source="done")
    report.values.append(ProgressValue(objective_id=objective.id, actual=30))
    db.session.add(report)
    services.release_tranche(make_user(roles=["moderator"]), objective)
    db.session.commit()
    auth.login("me@example.org")
    html = client.get("/sponsorship/dashboard").get_data(as_text=True)
    assert "€400.00" in html  # released on the objective
    assert "€100.00" in html  # my share: 250 of 1,000
    assert "50 teachers per 1,000 EUR" in html  # (30 - 10) / 400 * 1000
    assert "(latest reported value − baseline) ÷ money released × 1,000" in html


def test_a_donor_withdraws_an_unpaid_pledge_and_the_room_returns(client, auth, make_open_project, make_donor,
                                                                  pledge):
    project = make_open_project(goal_minor=10_000)
    p = pledge(make_donor(email="me@example.org"), project, "100", provider="manual")
    auth.login("me@example.org")
    response = client.post(f"/sponsorship/pledges/{p.id}/cancel", follow_redirects=True)
    assert "Your pledge is withdrawn." in response.get_data(as_text=True)
    db.session.expire_all()
    assert (p.status, project.raised_minor) == ("cancelled", 0)


def test_only_reviewers_release_money(client, auth, make_open_project, make_donor, make_objective, make_user,
                                      pledge):
    from marketplace.projects.models import ProgressReport, ProgressValue
    from marketplace.sponsorship.models import TrancheRelease

    owner = make_user(email="owner@example.org")
    project = make_open_project(goal_minor=1_000, owner=owner)
    pledge(make_donor(email="giver@example.org"), project, "10")
    objective = make_objective(project, tranche_minor=500, baseline=0, target=5)
    report = ProgressReport(project_id=project.id, author_id=owner.id, body_source="done")
    report.values.append(ProgressValue(objective_id=objective.id, actual=6))
    db.session.add(report)
    db.session.commit()
    make_user(email="mod@example.org", roles=["moderator"])
    url = f"/projects/{project.slug}/objectives/{objective.id}/verify"
    for email in ("owner@example.org", "giver@example.org"):
        auth.login(email)
        assert client.post(url).status_code == 403
        auth.logout()
    assert db.session.scalar(select(func.count()).select_from(TrancheRelease)) == 0
    auth.login("mod@example.org")
    client.post(url)
    db.session.expire_all()
    assert db.session.scalar(select(TrancheRelease.amount_minor)) == 500
    assert project.released_minor == 500


def test_a_pledge_request_runs_only_the_statements_it_needs(client, auth, make_open_project, make_donor):
    """The signed-in donor (session, user and roles), the project, then record_pledge; no lookup
    of the key while the donor may pledge anyway, no profile read for a posted form, and no reload
    of the pledge after the commit for the redirect."""
    from tests.queries import QueryCounter

    project, url, nonce = _donor_on_pledge_form(client, auth, make_open_project, make_donor)
    with QueryCounter() as queries:
        response = client.post(url, data={"amount": "25", "idempotency_key": nonce})
    pledge = db.session.scalar(select(Pledge))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/pledges/{pledge.id}")
    # user; project; the reservation and the pledge (SQLite: reserve, its context, insert); the
    # owner's notice (SQLite: email, notification); the donor's email on how to pay (a transfer);
    # the emails claimed and marked sent (inline in tests)
    expected = 7 if db.engine.dialect.name == "postgresql" else 10
    assert queries.count == expected, queries.statements
