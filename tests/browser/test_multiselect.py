"""Searchable multiple selects: with JavaScript, a long list (≈180 languages, 250 countries,
themes) is a search box: type to filter, pick, the choices show as removable chips, and the
form saves them; the "Hold Ctrl" hint is gone. Without JavaScript the native <select multiple>
and its hint stay and save the same way. In French for the search step."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, signed_in_page
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _member(app) -> int:
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db

    with app.app_context():
        ana = register_user("ana@example.org", "Ana Silva", PASSWORD, confirmed=True)
        db.session.commit()
        return ana.id


def _languages(app, user_id: int) -> list[str]:
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    with app.app_context():
        return sorted(db.session.get(User, user_id).languages or [])


def test_type_to_filter_pick_two_languages_and_save(live_server, browser):
    user_id = _member(live_server.app)
    page = signed_in_page(browser, live_server, "ana@example.org", PASSWORD)
    page.goto(live_server("/settings/profile"))
    field = page.locator(".field", has=page.locator("select#languages"))
    expect(field.locator(".ts-wrapper")).to_be_visible()
    expect(field).not_to_contain_text("Hold Ctrl")
    search = page.get_by_role("combobox", name="Languages you work in")  # the label now names the search box
    search.fill("swah")
    options = page.locator(".ts-dropdown .option")
    expect(options).to_have_count(1)  # filtered out of ≈180
    expect(options.first).to_contain_text("Swahili")
    search.press("Enter")
    search.fill("fren")
    page.locator(".ts-dropdown .option", has_text="French").first.click()
    expect(field.locator(".ts-control .item")).to_have_count(2)
    search.fill("zzzq")
    expect(page.locator(".ts-dropdown .no-results")).to_have_text("No match")
    search.press("Escape")
    screenshot(page, "multiselect-profile")
    page.locator("main form").filter(has=page.locator("select#languages")) \
        .get_by_role("button", name="Save profile").click()
    expect(page.locator(".flash, [role=status], .alert").first).to_be_visible()
    assert _languages(live_server.app, user_id) == ["fr", "sw"]
    # Back on the form: both chosen languages are chips, removable with their button.
    page.goto(live_server("/settings/profile"))
    expect(field.locator(".ts-control .item")).to_have_count(2)
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
    page.context.close()


def test_in_french_the_search_speaks_french(live_server, browser):
    _member(live_server.app)
    page = signed_in_page(browser, live_server, "ana@example.org", PASSWORD)
    page.goto(live_server("/settings/profile"))
    page.locator("footer .language-switcher select").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto(live_server("/settings/profile"))
    search = page.get_by_role("combobox", name="Langues de travail")
    search.fill("zzzq")
    expect(page.locator(".ts-dropdown .no-results")).to_have_text("Aucun résultat")
    page.context.close()


def test_without_javascript_the_native_select_saves(live_server, browser):
    user_id = _member(live_server.app)
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(live_server("/login"))
        page.get_by_label("Email").fill("ana@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Sign in").click()
        page.goto(live_server("/settings/profile"))
        assert page.locator(".ts-wrapper").count() == 0
        expect(page.locator("#languages-hint")).to_contain_text("Hold Ctrl (or Cmd) to choose several.")
        page.locator("select#languages").select_option(["pt", "es"])
        page.locator("main form").filter(has=page.locator("select#languages")) \
            .get_by_role("button", name="Save profile").click()
        assert _languages(live_server.app, user_id) == ["es", "pt"]
    finally:
        context.close()
