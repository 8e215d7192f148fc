"""Two people in two browser contexts: Ana creates a bilateral community and asks a question,
Bo joins and answers with an @mention, Ana sees the notification in the bell, reacts (htmx)
and accepts the answer."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import pick, screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _make_people(app):
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db

    with app.app_context():
        for email, name in (("ana@example.org", "Ana Silva"), ("bo@example.org", "Bo Otieno")):
            user = register_user(email, name, PASSWORD, confirmed=True)
            user.created_at -= timedelta(days=30)  # established accounts: no approval queue
        db.session.commit()


def _sign_in(page, live_server, email):
    page.goto(live_server("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_question_mention_notification_accept(live_server, page, browser, axe_audit):
    _make_people(live_server.app)
    ana = page
    _sign_in(ana, live_server, "ana@example.org")

    # Ana creates a bilateral community.
    ana.get_by_role("link", name="Communities").first.click()
    expect(ana.get_by_role("heading", level=1)).to_have_text("Communities of practice")
    ana.get_by_role("link", name="Start a community").click()
    axe_audit(ana, "community form")
    ana.get_by_label("Name").fill("Participatory budgeting Kenya–Brazil")
    ana.get_by_label("Description").fill("County and city staff comparing *budgets*.")
    ana.get_by_label("Themes").fill("participatory budgeting")
    pick(ana, "Countries", "Kenya", "Brazil")
    ana.get_by_role("button", name="Save community").click()
    expect(ana.get_by_role("heading", level=1)).to_have_text("Participatory budgeting Kenya–Brazil")
    expect(ana.locator(".badge", has_text="Bilateral")).to_be_visible()
    axe_audit(ana, "community page")
    community_url = ana.url

    # Ana asks a question.
    ana.get_by_role("link", name="Questions and answers").click()
    ana.get_by_role("link", name="Start a thread").click()
    axe_audit(ana, "thread form")
    ana.get_by_label("Title").fill("How do you keep turnout up?")
    ana.get_by_label("Question").check()
    ana.get_by_label("Message").fill("Turnout fell from 1,200 to 300 in year two.")
    ana.get_by_role("button", name="Post thread").click()
    expect(ana.get_by_role("heading", level=1)).to_have_text("How do you keep turnout up?")
    thread_url = ana.url

    # Bo, in another browser context, joins and answers with a mention.
    bo_context = browser.new_context(locale="en-GB")
    try:
        bo = bo_context.new_page()
        bo.console_errors = []
        bo.on("console", lambda msg: msg.type == "error" and bo.console_errors.append(msg.text))
        _sign_in(bo, live_server, "bo@example.org")
        bo.goto(community_url)
        bo.get_by_role("button", name="Join community").click()
        expect(bo.get_by_role("status")).to_contain_text("Welcome to")
        bo.goto(thread_url)
        bo.get_by_label("Your reply").fill("@AnaSilva publish a tracker with delivery dates.")
        bo.get_by_role("button", name="Post reply").click()
        expect(bo.locator(".post", has_text="publish a tracker")).to_be_visible()
        axe_audit(bo, "thread page (member)")
        screenshot(bo, "forum-thread-bo")
    finally:
        bo_context.close()

    # Ana sees the notification in the bell and opens it.
    ana.goto(live_server("/"))
    bell = ana.locator(".user-nav .bell")
    expect(bell).to_contain_text("1")
    bell.click()
    expect(ana.get_by_role("heading", level=1)).to_have_text("Notifications")
    axe_audit(ana, "notifications")
    ana.get_by_role("button", name="Bo Otieno mentioned you in “How do you keep turnout up?”").click()
    expect(ana.get_by_role("heading", level=1)).to_have_text("How do you keep turnout up?")
    expect(ana.locator(".user-nav .bell .badge")).to_have_count(0)

    # She finds the answer helpful (htmx swaps the buttons in place) and accepts it.
    answer = ana.locator("#post-2")
    answer.get_by_role("button", name="Helpful").click()
    expect(answer.get_by_role("button", name="Helpful")).to_have_attribute("aria-pressed", "true")
    answer.get_by_role("button", name="Accept this answer").click()
    expect(ana.locator("#post-2 .badge", has_text="Accepted answer")).to_be_visible()
    expect(ana.locator(".thread-header")).to_contain_text("Answered question")
    axe_audit(ana, "thread page (answered)")
    ana.goto(community_url + "moderation")
    expect(ana.get_by_role("heading", level=1)).to_contain_text("Moderation of")
    axe_audit(ana, "community moderation page")
    screenshot(ana, "forum-thread-answered")
    # Scripts ran without errors (a missing favicon logs a generic 404, not counted).
    assert [e for e in ana.console_errors if "Failed to load resource" not in e] == []
