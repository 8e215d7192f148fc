"""The newcomer's journey in real Chromium: register, confirm the address by its link, sign out,
sign in, switch the interface to French with the footer switcher, open the profile page;
accessibility audits on the way."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

EMAIL = "amara.diallo@example.org"
NAME = "Amara Diallo"
PASSWORD = "quartz-Meadow-lantern-77"


def test_register_sign_out_sign_in_french_profile(live_server, page, axe_audit):
    page.goto(live_server("/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Share what works")
    axe_audit(page, "home (anonymous)")
    screenshot(page, "en-home-anonymous")

    # Register.
    page.get_by_role("link", name="Join", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the marketplace")
    axe_audit(page, "register")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Display name").fill(NAME)
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "en-register")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status")).to_contain_text(f"We have sent a message to {EMAIL}.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)  # not signed in yet

    # Confirm the address with the mailed link (absolute, from PUBLIC_URL: take its path).
    mail = live_server.app.extensions["mail_outbox"][-1]
    link = re.search(r"https?://\S+?(/confirm/\S+)", mail.get_content()).group(1)
    page.goto(live_server(link))
    page.get_by_role("button", name="Confirm email address").click()
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed.")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()

    # Sign out, then sign in again.
    sign_out.click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.locator(".user-nav").get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    axe_audit(page, "login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("not-the-password-at-all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The email or password is not correct.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))
    screenshot(page, "en-home-signed-in")

    # The footer switcher changes the interface to French (it submits on change with JS).
    with page.expect_navigation():
        page.get_by_label("Language").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    # Depends on the French catalog (filled by the final translation pass).
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    axe_audit(page, "home (French, signed in)")
    screenshot(page, "fr-home-signed-in")

    # The profile page, still in French: the setting is stored on the account.
    page.locator(".user-nav").get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    axe_audit(page, "profile (French)")
    screenshot(page, "fr-profile")

    # Responsive: on a phone-sized screen nothing scrolls sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "fr-profile-phone")


def test_language_switcher_works_without_javascript(live_server, browser):
    """The switcher's submit button changes the language when scripts are off."""
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server("/login"))
        page.get_by_label("Language").select_option("es")
        page.get_by_role("button", name="Change language").click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page).to_have_url(re.compile(r"/login$"))
    finally:
        context.close()
