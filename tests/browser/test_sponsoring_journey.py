"""The sponsoring journey in real Chromium (issue 13, acceptance 1), each person in their own
browser: a donor pledges the last part of an all-or-nothing project whose fiscal host is an
organization, and sees the host's payment instructions and the pledge's payment reference; the
host's treasurer uploads an MT940 statement quoting that reference, confirms the proposed match;
the donor gets the receipt and a notice; the goal is reached and the owner, the donors, the
reviewer and the treasurer are told; the reviewer the first donor appointed verifies an objective
and releases its tranche; the donors are told; the ledger check is clean."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, signed_in_page
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

TITLE = "Open school budgets"
OBJECTIVE = "Schools publish budgets"
INDICATOR = "schools publishing budgets"
HOST = "Fundación Anfitriona"
IBAN = "DE89370400440532013000"
INSTRUCTIONS = "Transfers in EUR only, from an account in your own name."
GOAL_REACHED = f"{TITLE} reached its funding goal of €1,000.00."


def _setup(app) -> str:
    """A fiscal host (IBAN, BIC, instructions; an admin and a treasurer); an open all-or-nothing
    project it hosts (goal 1,000 EUR, one objective with a 400 EUR tranche) that already received
    600 EUR from a first donor; a second donor; a future reviewer. Returns the project slug."""
    from marketplace.accounts.models import Organization, OrganizationMember, UserRole
    from marketplace.accounts.services import register_user
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.projects import services
    from marketplace.sponsorship.services import confirm_pledge, record_pledge, save_donor_profile

    with app.app_context():
        owner = register_user("owner@example.org", "Amina Owner", PASSWORD, confirmed=True)
        admin = register_user("admin@example.org", "Hana Admin", PASSWORD, confirmed=True)
        treasurer = register_user("treasurer@example.org", "Tess Treasurer", PASSWORD, confirmed=True)
        first = register_user("ada@example.org", "Ada Early", PASSWORD, confirmed=True)
        donor = register_user("dana@example.org", "Dana Donor", PASSWORD, confirmed=True)
        register_user("rita@example.org", "Rita Reviewer", PASSWORD, confirmed=True)
        moderator = register_user("mod@example.org", "Mo Moderator", PASSWORD, confirmed=True)
        moderator.roles.append(UserRole(role="moderator"))
        host = Organization(name=HOST, slug="anfitriona", type="ngo", is_fiscal_host=True, iban=IBAN,
                            bic="COBADEFFXXX", bank_account_holder=HOST, payment_instructions=INSTRUCTIONS)
        host.members = [OrganizationMember(user=admin, role="admin"),
                        OrganizationMember(user=treasurer, role="treasurer")]
        db.session.add(host)
        db.session.flush()
        for user in (first, donor):
            save_donor_profile(user, kind="individual", organization=None, is_anonymous_by_default=False,
                               focus_themes=[], focus_countries=[], country="DE", tax_identifier="")
        project = services.propose_project(
            owner, title=TITLE, summary="Schools publish their budgets.", currency="EUR",
            goal_minor=100_000, funding_model="all_or_nothing", deadline=utcnow() + timedelta(days=30),
            countries=["KE"], themes=["education"], host_id=host.id)
        services.add_objective(project, title=OBJECTIVE, indicator=INDICATOR, unit="schools",
                               baseline=10.0, target=50.0, due_at=utcnow() + timedelta(days=60),
                               tranche_minor=40_000)
        services.submit_for_review(project)
        services.approve_project(moderator, project)
        early, _created = record_pledge(first, project, "600", idempotency_key="seed-ada-0001-pledge-key")
        confirm_pledge(early, treasurer, provider_reference="bank:seed")
        db.session.commit()
        return project.slug


def _sign_in(browser, live_server, email):
    return signed_in_page(browser, live_server, email, PASSWORD)


def _mt940(amount: str, reference: str, payer: str) -> bytes:
    """A one-day MT940 statement of the host's account: one credit quoting the reference (split
    over the :86: line as banks print it), plus a payment that matches no pledge."""
    lines = [":20:STMT20261205", f":25:{IBAN}", ":28C:00042/001", ":60F:C261204EUR0,00",
             f":61:2612051205C{amount}NTRFNONREF//BANKREF000001", f":86:/EREF/{reference}/NAME/{payer}",
             ":61:2612051205C35,00NTRFNONREF//BANKREF000002", ":86:/REMI/Membership fee/NAME/Someone Else",
             ":62F:C261205EUR0,00"]
    return ("\r\n".join(lines) + "\r\n").encode()


def _notices(page, live_server):
    page.goto(live_server("/notifications/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return page.locator(".notification-list")


def test_pledge_pay_by_bank_statement_goal_reached_tranche_released(live_server, browser, page, axe_audit):
    slug = _setup(live_server.app)
    project_url = live_server(f"/projects/{slug}")

    # The project names its fiscal host; the donor whose money arrived appoints a reviewer.
    ada = _sign_in(browser, live_server, "ada@example.org")
    ada.goto(project_url)
    expect(ada.locator(".project .page-header .meta")).to_contain_text(f"Fiscal host: {HOST}")
    ada.get_by_label("Appoint a reviewer (email)").fill("rita@example.org")
    ada.get_by_role("button", name="Appoint reviewer").click()
    expect(ada.get_by_role("status")).to_be_visible()
    expect(ada.locator(".project aside")).to_contain_text("Rita Reviewer")

    # Before the goal, the reviewer is told why nothing can be released yet.
    rita = _sign_in(browser, live_server, "rita@example.org")
    rita.goto(project_url)
    expect(rita.locator(".project .warning")).to_contain_text("once it is fully funded")
    expect(rita.get_by_role("button", name="Verify and release tranche")).to_have_count(0)

    # The second donor pledges the rest and is shown how to pay, and the reference to quote.
    dana = _sign_in(browser, live_server, "dana@example.org")
    dana.goto(project_url)
    dana.get_by_role("link", name=f"Fiscal host: {HOST}").click()
    expect(dana.get_by_role("heading", level=1)).to_have_text(HOST)
    dana.go_back()
    dana.get_by_label("Amount in EUR").fill("400")
    dana.get_by_role("button", name="Pledge").click()
    expect(dana.get_by_role("heading", level=1)).to_have_text(f"Your pledge to {TITLE}")
    expect(dana.get_by_text("Pledged, awaiting payment").first).to_be_visible()
    how = dana.locator(".payment-instructions")
    expect(how).to_contain_text(HOST)
    expect(how).to_contain_text("DE89 3704 0044 0532 0130 00")
    expect(how).to_contain_text("COBADEFFXXX")
    expect(how).to_contain_text(INSTRUCTIONS)
    expect(how).to_contain_text("€400.00")
    reference = how.locator(".reference").inner_text().strip()
    assert re.fullmatch(r"RF\d\d( \w{1,4})+", reference), reference
    pledge_url = dana.url
    axe_audit(dana, "pledge page")
    screenshot(dana, "sponsoring-1-pledge-how-to-pay")

    # The host's admin reaches the payment settings, and the treasurer the host page, from the
    # organization page; the owner cannot record the payment (segregation of duties).
    admin = _sign_in(browser, live_server, "admin@example.org")
    admin.goto(live_server("/organizations/anfitriona"))
    admin.get_by_role("link", name="Fiscal host settings").click()
    expect(admin.get_by_label("IBAN")).to_have_value(IBAN)
    owner = _sign_in(browser, live_server, "owner@example.org")
    response = owner.goto(live_server("/hosts/anfitriona"))
    assert response.status == 403

    owner.goto(project_url)
    expect(owner.locator(".fiscal-host-note")).to_contain_text("its treasurers record each payment")
    expect(owner.get_by_role("link", name="Match a bank statement")).to_have_count(0)

    tess = _sign_in(browser, live_server, "treasurer@example.org")
    tess.goto(project_url)
    expect(tess.get_by_role("link", name="Match a bank statement")).to_have_attribute("href", "/hosts/anfitriona")
    tess.goto(live_server("/organizations/anfitriona"))
    tess.get_by_role("link", name="Payments and bank statements").click()
    expect(tess).to_have_url(live_server("/hosts/anfitriona"))
    expect(tess.get_by_role("heading", level=1)).to_have_text(f"Payments received by {HOST}")
    expect(tess.locator("main")).to_contain_text(reference)
    axe_audit(tess, "host page")
    statement = {"name": "statement-2026-12-05.sta", "mimeType": "text/plain",
                 "buffer": _mt940("400,00", reference.replace(" ", ""), "Dana Donor")}
    tess.get_by_label("Bank statement file").set_input_files(statement)
    tess.get_by_label("Format").select_option("mt940")
    tess.get_by_role("button", name="Read the statement").click()
    expect(tess.get_by_role("status")).to_contain_text("2 new lines read from the statement.")
    proposed = tess.get_by_role("region", name="Proposed matches", exact=True)
    expect(proposed.get_by_role("row")).to_have_count(2)  # the header and the one match
    expect(proposed).to_contain_text(reference)
    expect(proposed).to_contain_text("€400.00")
    expect(proposed).to_contain_text("payment reference")
    expect(tess.get_by_role("region", name="Payments nothing matched", exact=True)).to_contain_text("Membership fee")
    screenshot(tess, "sponsoring-2-host-proposed-match")
    tess.get_by_role("button", name="Record the checked payments").click()
    expect(tess.get_by_role("status")).to_contain_text("1 payment recorded.")
    expect(tess.locator("main")).to_contain_text("No proposed match.")
    # The membership fee is set aside; the same statement again then adds nothing.
    tess.get_by_role("button", name="Not a donation").click()
    expect(tess.get_by_role("heading", level=1)).to_contain_text("as not a donation?")
    tess.locator("main").get_by_role("button", name="Not a donation").click()
    expect(tess.get_by_role("status")).to_contain_text("set aside as not a donation")
    expect(tess.locator("main")).to_contain_text("Every uploaded payment is matched.")
    tess.get_by_label("Bank statement file").set_input_files(statement)
    tess.get_by_role("button", name="Read the statement").click()
    expect(tess.get_by_role("status")).to_contain_text("This statement was already imported; nothing changed.")
    expect(tess.locator("main")).to_contain_text("No proposed match.")
    axe_audit(tess, "host page after the match")
    screenshot(tess, "sponsoring-3-host-recorded")

    # The donor: the pledge is paid, the receipt quotes the reference, and a notice says so.
    dana.goto(pledge_url)
    expect(dana.get_by_text("Contribution received").first).to_be_visible()
    dana.get_by_role("link", name="View your receipt").click()
    receipt = dana.locator(".receipt")
    expect(receipt).to_contain_text("€400.00")
    expect(receipt).to_contain_text(reference)
    expect(receipt).to_contain_text("BANKREF000001")  # the bank's own id of the transfer
    screenshot(dana, "sponsoring-4-receipt")
    notices = _notices(dana, live_server)
    expect(notices).to_contain_text(f"Your contribution of €400.00 to {TITLE} was received.")
    expect(notices).to_contain_text(GOAL_REACHED)

    # The goal is reached: the project is funded and everyone involved was told.
    dana.goto(project_url)
    expect(dana.locator(".project .badge", has_text="Funded")).to_be_visible()
    for person in (owner, ada, rita, tess):
        expect(_notices(person, live_server)).to_contain_text(GOAL_REACHED)
    screenshot(rita, "sponsoring-5-reviewer-notices")

    # The owner reports the indicator; the reviewer verifies it and the tranche is released.
    owner.goto(project_url)
    owner.get_by_role("link", name="Post a progress report").click()
    owner.get_by_label("What happened since the last report?").fill("Sixty-two schools post budgets.")
    owner.get_by_label(f"{INDICATOR}: actual value").fill("62")
    owner.get_by_label(f"Evidence link for {INDICATOR}").fill("https://example.org/term-1.pdf")
    owner.get_by_role("button", name="Publish report").click()
    expect(owner.get_by_role("status")).to_contain_text("progress report is published")
    rita.goto(project_url)
    expect(rita.locator(".project .warning")).to_have_count(0)
    rita.get_by_role("button", name="Verify and release tranche").click()
    expect(rita.get_by_role("status")).to_contain_text("tranche released")
    expect(rita.locator(".objective .badge", has_text="Verified")).to_be_visible()
    expect(rita.locator(".money-figures")).to_contain_text("€400.00")
    screenshot(rita, "sponsoring-6-released")
    released = f"€400.00 was released to {TITLE}: the objective “{OBJECTIVE}” was verified."
    for person in (ada, dana, owner):
        expect(_notices(person, live_server)).to_contain_text(released)

    # One step in French: the donor switches the language in the footer; the page is French.
    dana.goto(project_url)
    with dana.expect_navigation():
        dana.get_by_label("Language").select_option("fr")
    expect(dana.locator("html")).to_have_attribute("lang", "fr")
    expect(dana.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(dana.locator(".project")).to_contain_text("Objectifs de performance")
    expect(dana.locator(".project")).not_to_contain_text("Performance objectives")
    expect(dana.locator(".money-figures").first).to_contain_text("400,00")
    axe_audit(dana, "project page (French)")
    screenshot(dana, "sponsoring-7-project-fr")

    # The books agree: the ledger check finds nothing.
    from marketplace.ledger.check import problems

    with live_server.app.app_context():
        assert problems() == []
    for p in (ada, rita, dana, admin, owner, tess):
        p.context.close()
