"""Issue 14's four personas, end to end in real Chromium, each with French steps:

- the reform officer in Moldova adapts a Ukrainian practice (her country pre-filled, the
  original's organization not copied), edits her adaptation without losing its adaptation data,
  and sees the "original has changed" banner when the original moves on;
- the NGO officer in Kenya asks a question, previews a reply with an @mention (linked in the
  preview), posts it, and accepts the answer she gets;
- a site moderator clears the queue (approves a newcomer's post, hides a flagged one) and
  suspends the user who posted it;
- a new user cannot post until the email address is confirmed by its link.
"""

import re
from datetime import timedelta

import pytest
from flask_babel import gettext
from playwright.sync_api import expect

from marketplace.i18n import force_locale
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def fr(app, message: str, **params) -> str:
    """`message` as the French interface says it (from the catalog the server uses)."""
    with app.test_request_context(), force_locale("fr"):
        return gettext(message, **params)


def _context(browser, locale="fr-FR"):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900},
                                  extra_http_headers={"Accept-Language": locale[:2]})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    return page


def _sign_in(page, live_server, email):
    page.goto(live_server("/login"))
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_have_count(1)


def _no_script_errors(page):
    assert [e for e in page.console_errors if "Failed to load resource" not in e] == []


# --- the reform officer -------------------------------------------------------------------------

def _reform_world(app) -> str:
    from marketplace.accounts.models import Organization
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db
    from marketplace.knowledge import services
    from marketplace.knowledge.models import Status

    with app.app_context(), app.test_request_context():
        olena = register_user("olena@example.org", "Olena Kovalenko", PASSWORD, confirmed=True)
        ion = register_user("ion@example.org", "Ion Rusu", PASSWORD, locale="fr", confirmed=True)
        ion.country = "MD"
        ministry = Organization(name="Ministry of Economy of Ukraine", slug="mineco-ua",
                                type="government", country="UA")
        db.session.add(ministry)
        db.session.flush()
        original = services.create_practice(olena, {
            "title": "Open e-procurement", "summary": "Every tender online.",
            "approach": "Publish every tender.", "countries": ["UA"],
            "organizations": [ministry.id]}, status=Status.PUBLISHED)
        db.session.commit()
        return original.slug


def _update_original(app, slug):
    from sqlalchemy import select

    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.knowledge import services
    from marketplace.knowledge.models import Practice

    with app.app_context(), app.test_request_context():
        original = db.session.scalar(select(Practice).where(Practice.slug == slug))
        olena = db.session.scalar(select(User).where(User.email == "olena@example.org"))
        services.update_practice(original, olena, {"approach": "Publish every tender and "
                                                   "every contract."}, "contracts too")
        db.session.commit()


def test_reform_officer_adapts_edits_and_sees_the_original_change(live_server, browser,
                                                                    axe_audit):
    app = live_server.app
    slug = _reform_world(app)
    ion = _context(browser)
    try:
        _sign_in(ion, live_server, "ion@example.org")
        ion.goto(live_server(f"/practices/{slug}"))
        expect(ion.locator("html")).to_have_attribute("lang", "fr")
        ion.get_by_role("link", name=fr(app, "Adapt this practice")).click()
        country = ion.locator("select#country")
        expect(country).to_have_value("MD")  # from her profile
        ion.locator("#context").fill("Ministères moldaves, marché plus petit.")
        ion.locator("#rationale").fill("Seuils plus bas, formulaires en roumain.")
        ion.get_by_role("button", name=fr(app, "Create my adaptation")).click()
        expect(ion.locator(".flash-success")).to_be_visible()
        ion.get_by_role("button", name=fr(app, "Publish")).click()
        adapted_for = fr(app, "Adapted for %(country)s", country="Moldavie")
        expect(ion.get_by_role("heading", level=2, name=adapted_for)).to_be_visible()
        adaptation_url = ion.url
        # the original's organization (a Ukrainian ministry) is not copied: not among hers, and
        # the comparison with the original shows it removed
        expect(ion.locator(".practice-side")).not_to_contain_text("Ministry of Economy of Ukraine")
        expect(ion.locator("main del", has_text="Ministry of Economy of Ukraine")).to_have_count(1)

        # She edits her adaptation through "Edit practice": the adaptation data stays.
        ion.get_by_role("link", name=fr(app, "Edit practice")).click()
        summary = ion.locator("#summary")
        summary.fill("Chaque appel d'offres en ligne, en roumain.")
        ion.get_by_role("button", name=fr(app, "Save changes")).click()
        expect(ion.locator(".flash-success")).to_be_visible()
        expect(ion.get_by_role("heading", level=2, name=adapted_for)).to_be_visible()
        expect(ion.locator(".adaptation-note")).to_contain_text("Seuils plus bas")
        ion.goto(live_server(f"/practices/{slug}"))
        expect(ion.locator(".lineage")).to_contain_text("Moldavie")
        expect(ion.locator(".parent-changed")).to_have_count(0)

        # The original moves on: her adaptation's page says so, in French.
        _update_original(app, slug)
        ion.goto(adaptation_url)
        banner = ion.locator(".parent-changed")
        expect(banner).to_contain_text(
            fr(app, "The original has changed since this adaptation was made."))
        axe_audit(ion, "adaptation with the original-changed banner (fr)")
        _no_script_errors(ion)
    finally:
        ion.context.close()


# --- the NGO officer ----------------------------------------------------------------------------

def _forum_world(app) -> tuple[str, int]:
    from marketplace.accounts.services import register_user
    from marketplace.communities.services import add_member, create_community
    from marketplace.extensions import db

    with app.app_context(), app.test_request_context():
        amina = register_user("amina@example.org", "Amina Wanjiru", PASSWORD, locale="fr",
                              confirmed=True)
        bo = register_user("bo@example.org", "Bo Otieno", PASSWORD, confirmed=True)
        for user in (amina, bo):
            user.created_at -= timedelta(days=30)  # established accounts: no approval queue
        community = create_community(amina, name="Budgets ouverts", description="Budgets",
                                     themes="budgets", countries=["KE"], is_private=False)
        add_member(community, bo)
        db.session.commit()
        return community.slug, bo.id


def test_ngo_officer_mentions_previews_and_accepts_an_answer(live_server, browser, axe_audit):
    app = live_server.app
    community_slug, bo_id = _forum_world(app)
    amina = _context(browser)
    bo = _context(browser, "en-GB")
    try:
        _sign_in(amina, live_server, "amina@example.org")
        amina.goto(live_server(f"/communities/{community_slug}/"))
        amina.get_by_role("link", name=fr(app, "Questions and answers")).click()
        amina.get_by_role("link", name=fr(app, "Start a thread")).click()
        amina.locator("#title").fill("Comment garder la participation ?")
        amina.locator("input[name=kind][value=question]").check()
        amina.locator("#body").fill("La participation est passée de 1 200 à 300.")
        amina.get_by_role("button", name=fr(app, "Post thread")).click()
        expect(amina.get_by_role("heading", level=1)).to_have_text(
            "Comment garder la participation ?")
        thread_url = amina.url

        # She mentions Bo in a reply and previews it first (htmx: in place, nothing posted).
        amina.locator("#body").fill("@BoOtieno vous publiez les dates ? Voir https://example.org/suivi")
        amina.get_by_role("button", name=fr(app, "Preview")).click()
        preview = amina.locator("#preview")
        expect(preview.get_by_role("link", name="@BoOtieno")).to_have_attribute(
            "href", f"/people/{bo_id}")
        expect(preview.get_by_role("link", name="https://example.org/suivi")).to_be_visible()
        expect(amina.locator(".post")).to_have_count(1)
        amina.get_by_role("button", name=fr(app, "Post reply")).click()
        expect(amina.locator(".post", has_text="vous publiez les dates")).to_be_visible()

        # Bo answers.
        _sign_in(bo, live_server, "bo@example.org")
        bo.goto(thread_url)
        bo.get_by_label("Your reply").fill("Publish a tracker with delivery dates every month.")
        bo.get_by_role("button", name="Post reply").click()
        expect(bo.locator(".post", has_text="Publish a tracker")).to_be_visible()

        # Amina accepts his answer.
        amina.goto(thread_url)
        answer = amina.locator(".post", has_text="Publish a tracker")
        answer.get_by_role("button", name=fr(app, "Accept this answer")).click()
        expect(amina.locator(".post", has_text="Publish a tracker").locator(
            ".badge", has_text=fr(app, "Accepted answer"))).to_be_visible()
        axe_audit(amina, "answered question (fr)")
        _no_script_errors(amina)
    finally:
        amina.context.close()
        bo.context.close()


# --- the moderator ------------------------------------------------------------------------------

def _moderation_world(app) -> int:
    from marketplace.accounts.models import UserRole
    from marketplace.accounts.services import register_user
    from marketplace.communities.services import add_member, create_community
    from marketplace.extensions import db
    from marketplace.forums import moderation
    from marketplace.forums.services import categories_of, reply, start_thread

    with app.app_context(), app.test_request_context():
        marie = register_user("marie@example.org", "Marie Dubois", PASSWORD, locale="fr",
                              confirmed=True)
        # the site's moderator; suspending an account takes the admin role too
        marie.roles.extend([UserRole(role="moderator"), UserRole(role="admin")])
        ana = register_user("ana@example.org", "Ana Silva", PASSWORD, confirmed=True)
        troll = register_user("troll@example.org", "Tim Troll", PASSWORD, confirmed=True)
        newcomer = register_user("nia@example.org", "Nia New", PASSWORD, confirmed=True)
        for user in (ana, troll):
            user.created_at -= timedelta(days=30)
        community = create_community(ana, name="Budgets", description="d", themes="budgets",
                                     countries=["KE"], is_private=False)
        for user in (troll, newcomer):
            add_member(community, user)
        thread = start_thread(ana, categories_of(community)[0], title="Turnout", body="How?",
                              kind="discussion")
        spam = reply(troll, thread, "Buy cheap followers at spam.example")
        reply(newcomer, thread, "We used SMS reminders.")  # a new account: held for approval
        moderation.flag_post(ana, spam, "", category="spam")
        db.session.commit()
        return troll.id


def test_moderator_clears_the_queue_and_suspends_a_user(live_server, browser, axe_audit):
    app = live_server.app
    troll_id = _moderation_world(app)
    marie = _context(browser)
    try:
        _sign_in(marie, live_server, "marie@example.org")
        marie.goto(live_server("/moderation/"))
        expect(marie.locator("html")).to_have_attribute("lang", "fr")
        flagged, waiting = marie.locator("main section").nth(0), marie.locator("main section").nth(1)
        expect(flagged.locator(".card")).to_have_count(1)
        expect(waiting.locator(".card")).to_have_count(1)
        axe_audit(marie, "moderation queue (fr)")
        waiting.get_by_role("button", name=fr(app, "Approve")).click()
        expect(marie.locator(".flash-success")).to_be_visible()
        flagged.get_by_role("button", name=fr(app, "Hide post")).click()
        expect(marie.locator(".flash-success")).to_be_visible()
        # The flag is resolved by hiding; the queue is empty.
        expect(marie.locator("main section").nth(0).locator(".empty")).to_have_text(
            fr(app, "No flagged posts."))
        expect(marie.locator("main section").nth(1).locator(".empty")).to_have_text(
            fr(app, "Nothing waiting."))

        # She suspends the spammer from his profile, with a reason.
        marie.goto(live_server(f"/people/{troll_id}"))
        marie.locator(f"#suspend-reason-{troll_id}").fill("Spam répété")
        marie.get_by_role("button", name=fr(app, "Suspend account")).click()
        expect(marie.get_by_role("status")).to_contain_text(fr(app, "Account suspended: it can no longer sign in."))
        expect(marie.get_by_role("button", name=fr(app, "Reinstate account"))).to_be_visible()
        _no_script_errors(marie)
    finally:
        marie.context.close()


# --- the new user -------------------------------------------------------------------------------

def test_new_user_confirms_the_address_before_posting(live_server, browser, axe_audit):
    app = live_server.app
    community_slug, _bo = _forum_world(app)
    with app.app_context():
        from sqlalchemy import select

        from marketplace.extensions import db
        from marketplace.forums.models import Thread
        from marketplace.forums.services import categories_of, start_thread

        with app.test_request_context():
            from marketplace.accounts.models import User
            from marketplace.communities.models import Community

            community = db.session.scalar(select(Community).where(
                Community.slug == community_slug))
            amina = db.session.scalar(select(User).where(User.email == "amina@example.org"))
            start_thread(amina, categories_of(community)[0], title="Turnout", body="How?",
                         kind="discussion")
            db.session.commit()
        thread_id = db.session.scalar(select(Thread.id))
    page = _context(browser)
    try:
        page.goto(live_server("/register"))
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.locator("#email").fill("nia@example.org")
        page.locator("#display_name").fill("Nia Njeri")
        page.locator("#password").fill(PASSWORD)
        page.get_by_role("button", name=fr(app, "Create my account")).click()
        expect(page.get_by_role("status")).to_contain_text("nia@example.org")

        # Signed in before following the link: she can read, not post.
        _sign_in_unconfirmed(page, live_server)
        page.goto(live_server(f"/threads/{thread_id}"))
        expect(page.get_by_role("heading", name=fr(app, "Confirm your email address first"))) \
            .to_be_visible()
        expect(page.locator("form[action$='/reply'] textarea")).to_have_count(0)
        assert page.goto(live_server(f"/threads/{thread_id}/reply")).status == 403
        axe_audit(page, "confirmation needed (fr)")

        # The link in the email confirms the address; now she can post.
        mail = app.extensions["mail_outbox"][-1]
        assert mail["To"] == "nia@example.org"
        link = re.search(r"https?://\S+?(/confirm/\S+)", mail.get_content()).group(1)
        page.goto(live_server(link))
        page.get_by_role("button", name=fr(app, "Confirm email address")).click()
        expect(page.get_by_role("status")).to_contain_text(
            fr(app, "Your email address is confirmed. Welcome!"))
        if page.locator("form[action='/logout']").count() == 0:
            _sign_in(page, live_server, "nia@example.org")
        page.goto(live_server(f"/communities/{community_slug}/"))
        page.get_by_role("button", name=fr(app, "Join community")).click()
        page.goto(live_server(f"/threads/{thread_id}"))
        page.locator("form[action$='/reply'] textarea").fill("Nous envoyons des SMS de rappel.")
        page.get_by_role("button", name=fr(app, "Post reply")).click()
        # a new account's first posts wait for a moderator: she is told so
        expect(page.get_by_role("status")).to_contain_text(fr(
            app, "Thanks! New members' first posts are read by a moderator before they appear."))
        _no_script_errors(page)
    finally:
        page.context.close()


def _sign_in_unconfirmed(page, live_server):
    page.goto(live_server("/login"))
    page.locator("input[name=email]").fill("nia@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_have_count(1)
