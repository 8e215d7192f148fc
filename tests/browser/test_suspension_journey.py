"""The moderator persona in real Chromium: an admin suspends a troll from the profile page with
a reason; the troll's open session is signed out at once and cannot sign in again; the admin
reinstates the account from the admin page. An unconfirmed newcomer is told why they cannot
start a practice and resends the link. Accessibility audits on the way."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _make_people(app) -> int:
    from marketplace.accounts.models import UserRole
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db

    with app.app_context():
        admin = register_user("admin@example.org", "Ada Admin", PASSWORD, confirmed=True)
        admin.roles.append(UserRole(role="admin"))
        troll = register_user("troll@example.org", "Tim Troll", PASSWORD, confirmed=True)
        register_user("new@example.org", "Nia New", PASSWORD)  # has not followed the link yet
        db.session.commit()
        return troll.id


def _sign_in(page, live_server, email):
    page.goto(live_server("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_admin_suspends_and_reinstates_a_troll(live_server, page, browser, axe_audit):
    troll_id = _make_people(live_server.app)
    troll = browser.new_context().new_page()
    _sign_in(troll, live_server, "troll@example.org")

    _sign_in(page, live_server, "admin@example.org")
    page.goto(live_server(f"/people/{troll_id}"))
    axe_audit(page, "profile with the suspend form")
    page.get_by_label("Reason (sent to the person)").fill("Spam in every thread")
    page.get_by_role("button", name="Suspend account").click()
    expect(page.get_by_role("status")).to_contain_text("Account suspended")
    expect(page.get_by_role("button", name="Reinstate account")).to_be_visible()

    troll.reload()  # every session ended: the open one too
    expect(troll.get_by_role("button", name="Sign out")).to_have_count(0)
    troll.goto(live_server("/login"))
    troll.get_by_label("Email").fill("troll@example.org")
    troll.get_by_label("Password").fill(PASSWORD)
    troll.get_by_role("button", name="Sign in").click()
    expect(troll.get_by_role("alert")).to_contain_text("The email or password is not correct.")

    page.goto(live_server("/admin/users?q=troll"))
    axe_audit(page, "admin users with the suspend form")
    page.get_by_role("button", name="Reinstate account").click()
    expect(page.get_by_role("status")).to_contain_text("Account reinstated.")
    _sign_in(troll, live_server, "troll@example.org")
    troll.context.close()


def test_unconfirmed_newcomer_is_told_why_and_resends_the_link(live_server, page, axe_audit):
    _make_people(live_server.app)
    _sign_in(page, live_server, "new@example.org")
    page.goto(live_server("/practices/new"))
    expect(page.get_by_role("heading", name="Confirm your email address first")).to_be_visible()
    axe_audit(page, "confirmation needed")
    page.get_by_role("button", name="Send the link again").click()
    expect(page.get_by_role("status")).to_contain_text("We have sent a new link to new@example.org.")
    assert live_server.app.extensions["mail_outbox"][-1]["To"] == "new@example.org"
