"""The endowment journey in real Chromium: a donor pledges (anonymously in public); the host
records the payment; the owner posts a progress report; a reviewer verifies the objective and its
tranche is released; the donor's dashboard and the public transparency page show it."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, signed_in_page
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

INDICATOR = "schools publishing budgets"


def _setup(app) -> str:
    """An open all-or-nothing project (goal 1,000 EUR, tranche 400) of an organization whose
    admin is the host; a donor; a reviewer the donors appointed. Returns the project slug."""
    from marketplace.accounts.models import Organization, OrganizationMember, UserRole
    from marketplace.accounts.services import register_user
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.projects import services
    from marketplace.sponsorship.services import save_donor_profile

    with app.app_context():
        owner = register_user("owner@example.org", "Amina Owner", PASSWORD, confirmed=True)
        host = register_user("host@example.org", "Hamid Host", PASSWORD, confirmed=True)
        donor = register_user("donor@example.org", "Dana Donor", PASSWORD, confirmed=True)
        reviewer = register_user("reviewer@example.org", "Rita Reviewer", PASSWORD, confirmed=True)
        moderator = register_user("mod@example.org", "Mo Moderator", PASSWORD, confirmed=True)
        moderator.roles.append(UserRole(role="moderator"))
        org = Organization(name="Open Budget Kenya", slug="open-budget-kenya", type="ngo")
        org.members = [OrganizationMember(user=host, role="admin"),
                       OrganizationMember(user=owner, role="member")]
        db.session.add(org)
        db.session.flush()
        save_donor_profile(donor, kind="individual", organization=None,
                           is_anonymous_by_default=False, focus_themes=[], focus_countries=[],
                           country="DK", tax_identifier="")
        project = services.propose_project(
            owner, title="Open school budgets", summary="Schools publish their budgets.",
            currency="EUR", goal_minor=100_000, funding_model="all_or_nothing",
            deadline=utcnow() + timedelta(days=30), countries=["KE"], themes=["education"],
            organization_id=org.id)
        services.add_objective(project, title="Schools publish budgets", indicator=INDICATOR,
                               unit="schools", baseline=10.0, target=50.0,
                               due_at=utcnow() + timedelta(days=60), tranche_minor=40_000)
        services.submit_for_review(project)
        services.approve_project(moderator, project)
        services.set_reviewers(project, [reviewer])
        db.session.commit()
        return project.slug


def _sign_in(browser, live_server, email):
    return signed_in_page(browser, live_server, email, PASSWORD)


def test_pledge_pay_report_verify_release(live_server, browser, page, axe_audit):
    slug = _setup(live_server.app)
    project_url = live_server(f"/projects/{slug}")

    # The donor pledges the whole goal, anonymously in public.
    donor = _sign_in(browser, live_server, "donor@example.org")
    donor.goto(project_url)
    expect(donor.get_by_role("heading", level=1)).to_have_text("Open school budgets")
    axe_audit(donor, "project page (donor)")
    donor.get_by_label("Amount in EUR").fill("1000")
    donor.get_by_label(re.compile("Give anonymously")).check()
    donor.get_by_role("button", name="Pledge").click()
    expect(donor.get_by_text("Pledged, awaiting payment").first).to_be_visible()
    screenshot(donor, "endowment-1-pledged")

    # The host (admin of the project's organization) records the money as received.
    host = _sign_in(browser, live_server, "host@example.org")
    host.goto(live_server(f"/sponsorship/projects/{slug}/payments"))
    host.get_by_role("button", name="Record payment received").click()
    expect(host.get_by_role("status")).to_contain_text("Payment recorded")
    host.goto(project_url)
    expect(host.locator(".project .badge", has_text="Funded")).to_be_visible()

    # The owner reports the indicator with its evidence.
    owner = _sign_in(browser, live_server, "owner@example.org")
    owner.goto(project_url)
    owner.get_by_role("link", name="Post a progress report").click()
    axe_audit(owner, "progress report form")
    owner.get_by_label("What happened since the last report?").fill("Budgets are posted.")
    owner.get_by_label(f"{INDICATOR}: actual value").fill("62")
    owner.get_by_label(f"Evidence link for {INDICATOR}").fill("https://example.org/term-1.pdf")
    owner.get_by_role("button", name="Publish report").click()
    expect(owner.get_by_role("status")).to_contain_text("progress report is published")
    expect(owner.locator(".objective .badge", has_text="Achieved")).to_be_visible()

    # The appointed reviewer verifies it: the tranche is released.
    reviewer = _sign_in(browser, live_server, "reviewer@example.org")
    reviewer.goto(project_url)
    reviewer.get_by_role("button", name="Verify and release tranche").click()
    expect(reviewer.get_by_role("status")).to_contain_text("tranche released")
    expect(reviewer.locator(".objective .badge", has_text="Verified")).to_be_visible()
    expect(reviewer.locator(".money-figures")).to_contain_text("€400.00")
    screenshot(reviewer, "endowment-2-verified")

    # The donor's dashboard shows the money released on the objective.
    donor.goto(live_server("/sponsorship/dashboard"))
    expect(donor.get_by_role("heading", level=1)).to_have_text("My giving")
    expect(donor.get_by_role("cell", name=re.compile("Schools publish budgets"))).to_be_visible()
    expect(donor.locator("main")).to_contain_text("€400.00")
    axe_audit(donor, "donor dashboard")
    screenshot(donor, "endowment-3-dashboard")

    # The public transparency page: money in (anonymised), released, balance.
    page.goto(live_server(f"/projects/{slug}/transparency"))
    totals = page.locator(".totals")
    expect(totals).to_contain_text("€1,000.00")
    expect(totals).to_contain_text("€400.00")
    expect(totals).to_contain_text("€600.00")
    expect(page.get_by_role("cell", name="Anonymous")).to_be_visible()
    expect(page.get_by_role("cell", name="Release")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Dana Donor")
    axe_audit(page, "transparency page")
    screenshot(page, "endowment-4-transparency")
    for p in (donor, host, owner, reviewer):
        p.context.close()


def test_propose_plan_submit_and_approve(live_server, browser, page, axe_audit):
    """An owner proposes an event through the forms, adds an objective and a budget line,
    submits it; a moderator approves it from the review queue and it appears on discover."""
    from marketplace.accounts.models import UserRole
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db

    with live_server.app.app_context():
        register_user("owner@example.org", "Olu Owner", PASSWORD, confirmed=True)
        moderator = register_user("mod@example.org", "Mo Moderator", PASSWORD, confirmed=True)
        moderator.roles.append(UserRole(role="moderator"))
        db.session.commit()

    owner = _sign_in(browser, live_server, "owner@example.org")
    owner.goto(live_server("/projects/"))
    owner.get_by_role("link", name="Propose a project").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Propose a project or event")
    axe_audit(owner, "propose form")
    owner.get_by_label("Title").fill("Budget clinic week")
    owner.get_by_label("Kind").select_option("event")
    owner.get_by_label("Summary").fill("Five days of open budget clinics.")
    owner.get_by_label("Currency").select_option("EUR")
    owner.get_by_label("Funding goal").fill("2000.005")
    owner.get_by_label("Funding deadline").fill("2031-01-31")
    owner.get_by_label("Event starts (UTC)").fill("2031-03-01T09:00")
    owner.get_by_label("The event is online").check()
    owner.get_by_role("button", name="Save draft").click()
    expect(owner.locator(".field-error")).to_contain_text("at most 2 decimals")
    owner.get_by_label("Funding goal").fill("2000")
    owner.get_by_role("button", name="Save draft").click()
    expect(owner.get_by_role("heading", level=1)).to_contain_text("Objectives and budget")
    axe_audit(owner, "objectives and budget")
    owner.get_by_label("Objective", exact=True).fill("Clinics held")
    owner.get_by_label("Indicator").fill("clinics held")
    owner.get_by_label("Baseline").fill("0")
    owner.get_by_label("Target").fill("5")
    owner.get_by_label("Due date").fill("2031-03-10")
    owner.get_by_label("Tranche released when verified").fill("1500")
    owner.get_by_role("button", name="Add objective").click()
    owner.get_by_label("Budget item").fill("Venue and trainers")
    owner.get_by_label("Amount").fill("2000")
    owner.get_by_role("button", name="Add budget line").click()
    expect(owner.get_by_role("cell", name="Venue and trainers")).to_be_visible()
    owner.get_by_role("link", name="Back to the project").click()
    owner.get_by_role("button", name="Submit for review").click()
    expect(owner.get_by_role("status")).to_contain_text("Submitted")

    moderator = _sign_in(browser, live_server, "mod@example.org")
    moderator.goto(live_server("/projects/review"))
    axe_audit(moderator, "review queue")
    moderator.get_by_role("button", name="Approve and open").click()
    expect(moderator.get_by_role("status")).to_contain_text("Approved")

    page.goto(live_server("/projects/?kind=event"))
    expect(page.get_by_role("link", name="Budget clinic week")).to_be_visible()
    expect(page.locator(".project-card")).to_contain_text("Online")
    axe_audit(page, "discover")
    for p in (owner, moderator):
        p.context.close()
