"""Preview while writing: with JavaScript, htmx swaps just the preview under the reply form
(nothing posted, the text stays); without JavaScript, the Preview button shows the reply page
again with the preview. @mentions link to the profile, bare URLs are links."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _world(app):
    from marketplace.accounts.services import register_user
    from marketplace.communities.services import add_member, create_community
    from marketplace.extensions import db
    from marketplace.forums.services import categories_of, start_thread

    with app.app_context():
        ana = register_user("ana@example.org", "Ana Silva", PASSWORD, confirmed=True)
        bo = register_user("bo@example.org", "Bo Otieno", PASSWORD, confirmed=True)
        for user in (ana, bo):
            user.created_at -= timedelta(days=30)
        community = create_community(ana, name="Budgets", description="About budgets",
                                     themes="budgets", countries=["KE"], is_private=False)
        add_member(community, bo)
        thread = start_thread(ana, categories_of(community)[0], title="Turnout", body="How?",
                              kind="discussion")
        db.session.commit()
        return thread.id, ana.id


def _post_count(app) -> int:
    from sqlalchemy import func, select

    from marketplace.extensions import db
    from marketplace.forums.models import Post

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Post))


def _sign_in(page, live_server, email):
    page.goto(live_server("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


TEXT = "@AnaSilva see https://example.org/tracker for **delivery dates**"


def test_preview_with_and_without_javascript(live_server, page, browser, axe_audit):
    thread_id, ana_id = _world(live_server.app)
    before = _post_count(live_server.app)
    _sign_in(page, live_server, "bo@example.org")
    page.goto(live_server(f"/threads/{thread_id}"))
    page.get_by_label("Your reply").fill(TEXT)
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("link", name="@AnaSilva")).to_have_attribute(
        "href", f"/people/{ana_id}")
    expect(preview.get_by_role("link", name="https://example.org/tracker")).to_be_visible()
    expect(preview.locator("strong")).to_have_text("delivery dates")
    assert page.url.endswith(f"/threads/{thread_id}")  # swapped in place, not a new page
    expect(page.get_by_label("Your reply")).to_have_value(TEXT)
    axe_audit(page, "thread page with a preview")
    assert _post_count(live_server.app) == before

    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        plain = context.new_page()
        _sign_in(plain, live_server, "bo@example.org")
        plain.goto(live_server(f"/threads/{thread_id}"))
        plain.get_by_label("Your reply").fill(TEXT)
        plain.get_by_role("button", name="Preview").click()
        expect(plain.get_by_role("heading", level=1)).to_contain_text("Reply to Turnout")
        expect(plain.locator("#preview").get_by_role("link", name="@AnaSilva")).to_be_visible()
        expect(plain.get_by_label("Your reply")).to_have_value(TEXT)
        plain.get_by_role("button", name="Post reply").click()
        expect(plain.locator(".post", has_text="delivery dates")).to_be_visible()
    finally:
        context.close()
    assert _post_count(live_server.app) == before + 1
