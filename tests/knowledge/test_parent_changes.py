""""The original has changed since you adapted it": the banner, the three-way view and "Mark as
reviewed", which only the adaptation's authors can press."""

import lxml.html
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.knowledge import services
from marketplace.knowledge.models import Practice


def _adapt(app, original, adapter):
    with app.test_request_context():
        child = services.adapt_practice(original, adapter, "MD", "Moldovan districts",
                                        "Smaller councils")
        services.publish_practice(child)
        db.session.commit()
    return child


def _edit(app, practice, editor, **fields):
    with app.test_request_context():
        services.update_practice(practice, editor, fields, "edit")
        db.session.commit()


def _banner(html: str):
    found = lxml.html.fromstring(html).xpath("//*[contains(@class, 'parent-changed')]")
    return found[0] if found else None


def test_an_adaptation_records_the_parent_revision_it_is_based_on(app, make_practice, make_user):
    original = make_practice(title="Open budgets")
    child = _adapt(app, original, make_user())
    assert child.review.based_on_revision_id == original.current_revision_id
    assert child.review.reviewed_revision_id == original.current_revision_id
    assert services.parent_changes(child) is None


def test_banner_three_way_view_and_mark_as_reviewed(app, client, auth, make_practice, make_user):
    owner, adapter = make_user(), make_user(email="ana@example.org")
    original = make_practice(owner=owner, title="Open budgets", approach="Publish the budget.")
    child = _adapt(app, original, adapter)
    assert _banner(client.get(f"/practices/{child.slug}").get_data(as_text=True)) is None

    _edit(app, original, owner, approach="Publish the budget and a citizens' summary.")
    page = client.get(f"/practices/{child.slug}").get_data(as_text=True)
    banner = _banner(page)
    assert banner is not None and "1 field of Open budgets changed" in banner.text_content()
    assert not banner.xpath(".//button")  # readers see the banner, not the button

    three_way = client.get(f"/practices/{child.slug}/original-changes").get_data(as_text=True)
    tree = lxml.html.fromstring(three_way)
    fields = tree.xpath("//section[contains(@class, 'three-way-field')]")
    assert [f.xpath("string(h2)") for f in fields] == ["Approach"]
    assert "a citizens' summary." in fields[0].xpath("string(.//ins)")
    assert "Publish the budget." in fields[0].xpath("string(.//div[2]/div)")  # the adaptation

    auth.login(owner.email)  # the original's author is not an author of the adaptation
    assert client.post(f"/practices/{child.slug}/original-changes/reviewed").status_code == 403
    auth.logout()
    auth.login(adapter.email)
    assert _banner(client.get(f"/practices/{child.slug}").get_data(as_text=True)).xpath(".//button")
    r = client.post(f"/practices/{child.slug}/original-changes/reviewed")
    assert r.status_code == 302
    db.session.expire_all()
    child = db.session.scalar(select(Practice).where(Practice.slug == child.slug))
    assert child.review.reviewed_revision_id == original.current_revision_id
    assert child.review.based_on_revision_id != child.review.reviewed_revision_id  # origin kept
    assert _banner(client.get(f"/practices/{child.slug}").get_data(as_text=True)) is None
    again = client.post(f"/practices/{child.slug}/original-changes/reviewed",
                        follow_redirects=True).get_data(as_text=True)
    assert "already reviewed" in again


def test_a_revert_to_the_reviewed_content_is_no_change(app, make_practice, make_user):
    owner = make_user()
    original = make_practice(owner=owner, title="Open budgets", approach="A.")
    child = _adapt(app, original, make_user())
    _edit(app, original, owner, approach="B.")
    assert [d.field for d in services.parent_changes(child)] == ["approach"]
    _edit(app, original, owner, approach="A.")
    assert services.parent_changes(child) is None


def test_the_banner_in_french(app, client, make_practice, make_user):
    owner = make_user()
    original = make_practice(owner=owner, title="Open budgets")
    child = _adapt(app, original, make_user())
    _edit(app, original, owner, summary="New summary")
    page = client.get(f"/practices/{child.slug}", headers={"Accept-Language": "fr"})
    assert _banner(page.get_data(as_text=True)) is not None
