"""The reform officer's adaptation: the original changes, her adaptation's page says so (in
French for her), she compares the original then and now beside her text in the three-way view
and marks the changes as reviewed, which clears the banner. A reader sees no button."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _world(app) -> tuple[str, str]:
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db
    from marketplace.knowledge import services
    from marketplace.knowledge.models import Status

    with app.app_context(), app.test_request_context():
        owner = register_user("olena@example.org", "Olena Kovalenko", PASSWORD, confirmed=True)
        adapter = register_user("ion@example.org", "Ion Rusu", PASSWORD, confirmed=True)
        original = services.create_practice(owner, {
            "title": "Open e-procurement", "approach": "Publish every tender."},
            status=Status.PUBLISHED)
        child = services.adapt_practice(original, adapter, "MD", "Moldovan ministries",
                                        "A smaller market")
        services.publish_practice(child)
        services.update_practice(original, owner, {"approach": "Publish every tender and "
                                                   "every contract."}, "contracts too")
        db.session.commit()
        return child.slug, original.title


def test_banner_three_way_view_and_mark_as_reviewed(live_server, page, browser, axe_audit):
    slug, _title = _world(live_server.app)
    page.goto(live_server(f"/practices/{slug}"))
    banner = page.locator(".parent-changed")
    expect(banner).to_be_visible()
    expect(banner.get_by_role("button")).to_have_count(0)  # readers: no button

    context = browser.new_context(locale="fr-FR")
    try:
        ion = context.new_page()
        ion.console_errors = []
        ion.on("console", lambda msg: msg.type == "error" and ion.console_errors.append(msg.text))
        ion.goto(live_server("/login"))
        ion.locator("input[name=email]").fill("ion@example.org")
        ion.locator("input[name=password]").fill(PASSWORD)
        ion.locator("form[action='/login'] button[type=submit]").click()
        expect(ion.locator("form[action='/logout']")).to_have_count(1)
        ion.goto(live_server(f"/practices/{slug}"))
        expect(ion.locator("html")).to_have_attribute("lang", "fr")
        banner = ion.locator(".parent-changed")
        expect(banner.get_by_role("button")).to_have_count(1)
        banner.get_by_role("link").click()
        field = ion.locator(".three-way-field")
        expect(field).to_have_count(1)
        expect(field.locator("ins")).to_contain_text("every contract.")
        expect(field.locator(".three-way-text").nth(1)).to_have_text("Publish every tender.")
        axe_audit(ion, "three-way view (fr)")
        ion.locator("main form button[type=submit]").click()
        expect(ion.locator(".flash-success")).to_be_visible()
        expect(ion.locator(".parent-changed")).to_have_count(0)
    finally:
        context.close()
