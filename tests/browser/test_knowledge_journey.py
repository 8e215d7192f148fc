"""A practice's life in real Chromium: create, edit twice, history, diff, revert; a second
member suggests an edit that the author accepts; a third adapts it to another country and the
lineage shows on both pages. Accessibility audits on the way."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import pick, screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

AUTHOR = ("joao@example.org", "João Author")
SUGGESTER = ("ana@example.org", "Ana Suggests")
ADAPTER = ("wanjiru@example.org", "Wanjiru Adapts")


def _users(app):
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db

    with app.app_context():
        for email, name in (AUTHOR, SUGGESTER, ADAPTER):
            register_user(email, name, PASSWORD, confirmed=True)
        db.session.commit()


def _sign_in(page, live_server, email):
    page.goto(live_server("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def _edit(page, approach, summary):
    page.get_by_role("link", name="Edit practice").click()
    page.get_by_label("Approach", exact=True).fill(approach)
    page.get_by_label("Edit summary").fill(summary)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("saved as a new revision")


def test_practice_journey(live_server, page, axe_audit):
    _users(live_server.app)
    _sign_in(page, live_server, AUTHOR[0])

    # Create and publish.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Practices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Practices")
    axe_audit(page, "practices list")
    page.get_by_role("link", name="Share a practice").click()
    axe_audit(page, "new practice form")
    page.get_by_label("Title", exact=True).fill("Participatory budgeting in district assemblies")
    page.get_by_label("Summary", exact=True).fill("Residents decide part of the capital budget.")
    page.get_by_label("Problem").fill("Investment went to central neighbourhoods.")
    page.get_by_label("Approach", exact=True).fill("Open assemblies every spring.")
    pick(page, "Countries", "Brazil")
    pick(page, "Themes", "Participation", "Public finance")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("saved as a draft")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("The practice is published.")
    practice_url = page.url

    # Edit twice, then history, diff and revert.
    _edit(page, "Open assemblies every spring, with childcare.", "childcare")
    _edit(page, "Open assemblies every spring, with childcare and delegates.", "delegates")
    expect(page.locator(".practice-main")).to_contain_text("childcare and delegates")
    page.get_by_role("link", name="History").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("History of")
    expect(page.locator("tbody tr")).to_have_count(3)
    axe_audit(page, "history")
    page.get_by_label("From revision").fill("1")
    page.get_by_label("To revision").fill("3")
    page.get_by_role("button", name="Compare revisions").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("#1 → #3")
    expect(page.locator("ins").first).to_contain_text("with childcare and delegates")
    axe_audit(page, "diff")
    screenshot(page, "knowledge-diff")
    page.get_by_role("button", name="Revert to #1").click()
    expect(page.get_by_role("status")).to_contain_text("Reverted to revision 1.")
    expect(page.locator(".practice-main")).not_to_contain_text("childcare")
    expect(page.get_by_role("link", name="Revision 4")).to_be_visible()
    _sign_out(page)

    # A second member suggests an edit; the author accepts it.
    _sign_in(page, live_server, SUGGESTER[0])
    page.goto(practice_url)
    page.get_by_role("link", name="Suggest an edit").click()
    page.get_by_label("Lessons").fill("Publish what happened to last year's votes first.")
    page.get_by_label("Edit summary").fill("add a lesson")
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.get_by_role("status")).to_contain_text("the authors will review")
    _sign_out(page)
    _sign_in(page, live_server, AUTHOR[0])
    page.goto(practice_url)
    page.get_by_role("link", name=re.compile("Suggested edits")).click()
    expect(page.locator(".suggestion")).to_contain_text("last year's votes")
    axe_audit(page, "suggestions queue")
    page.get_by_role("button", name="Accept suggestion").click()
    expect(page.get_by_role("status")).to_contain_text("accepted")
    page.goto(practice_url)
    expect(page.locator(".practice-main")).to_contain_text("last year's votes first")
    page.get_by_role("link", name="History").first.click()
    expect(page.locator("tbody tr").first).to_contain_text(SUGGESTER[1])
    _sign_out(page)

    # A third member adapts it to Kenya; the lineage shows on both pages.
    _sign_in(page, live_server, ADAPTER[0])
    page.goto(practice_url)
    page.get_by_role("link", name="Adapt this practice").click()
    axe_audit(page, "adapt form")
    page.get_by_label("Country you adapt it to").select_option("KE")
    page.get_by_label("Your context").fill("Makueni county wards.")
    page.get_by_label("What changed and why").fill("Ward forums and SMS announcements.")
    page.get_by_role("button", name="Create my adaptation").click()
    expect(page.get_by_role("status")).to_contain_text("Your adaptation is a draft")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", level=2, name="Adapted for Kenya")).to_be_visible()
    expect(page.get_by_role("navigation", name="Ancestry")).to_contain_text(
        "Participatory budgeting in district assemblies")
    expect(page.locator(".lineage")).to_contain_text("(Kenya)")
    axe_audit(page, "adaptation page")
    screenshot(page, "knowledge-adaptation")
    page.get_by_role("navigation", name="Ancestry").get_by_role("link").click()
    expect(page).to_have_url(practice_url)
    expect(page.locator(".practice-side")).to_contain_text("Adapted directly in 1 country: Kenya")
    expect(page.locator(".lineage").get_by_role("link")).to_contain_text(
        "Participatory budgeting in district assemblies (Kenya)")
    axe_audit(page, "practice page")
