"""No lost or invented work: editing an adaptation keeps its adaptation data, set fields
(countries, themes, tags, organizations) never show as changed when only their order differs,
and adapting takes the adapter's organizations and country, never the original's."""

import lxml.html
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from marketplace.accounts import demo as accounts_demo
from marketplace.accounts.models import Organization, OrganizationMember, User
from marketplace.extensions import db
from marketplace.knowledge import demo, services
from marketplace.knowledge.models import EditSuggestion, Practice, Revision

DEMO_PASSWORD = "demo-Password-for-tests-1"
SET_LABELS = ("Countries", "Themes", "Tags", "Organizations")


def browser_form(client, path: str) -> MultiDict:
    """What a browser would submit from the page's main form, unchanged: every field it shows
    with its pre-filled value, multi-select options in document order."""
    page = lxml.html.fromstring(client.get(path).get_data(as_text=True))
    form = next(f for f in page.forms if (f.action or "").endswith(path))
    textareas = {t.name for t in form.xpath(".//textarea")}
    # A browser drops the newline that starts a <textarea>'s content; libxml2 keeps it.
    return MultiDict([(name, value.removeprefix("\r").removeprefix("\n") if name in textareas
                       else value) for name, value in form.form_values()])


def test_editing_an_adaptation_keeps_its_adaptation_data(client, auth, make_practice, make_user):
    original = make_practice(title="Open budgets", countries=["UA"])
    adapter = make_user(email="ana@example.org", country="MD")
    auth.login(adapter.email)
    r = client.post(f"/practices/{original.slug}/adapt", data={
        "country": "MD", "context": "Moldovan districts", "rationale": "Smaller councils"})
    assert r.status_code == 302
    slug = r.headers["Location"].rsplit("/", 1)[-1]
    form = browser_form(client, f"/practices/{slug}/edit")
    assert (form["adaptation_country"], form["adaptation_context"]) == ("MD", "Moldovan districts")
    form["title"], form["message"] = "Open budgets in Moldova", "local title"
    assert client.post(f"/practices/{slug}/edit", data=form).status_code == 302
    child = db.session.scalar(select(Practice).where(Practice.slug == slug))
    assert (child.adaptation_country, child.adaptation_context, child.adaptation_rationale) == (
        "MD", "Moldovan districts", "Smaller councils")
    assert client.post(f"/practices/{slug}/publish").status_code == 302
    parent_page = client.get(f"/practices/{original.slug}").get_data(as_text=True)
    assert "Adapted directly in 1 country: Moldova" in parent_page
    diff = client.get(f"/practices/{slug}/diff?a=1&b=2").get_data(as_text=True)
    assert "Adapted for" not in _changed_labels(diff) and "Title" in _changed_labels(diff)


def test_an_edit_that_does_not_carry_a_field_keeps_it(app, make_practice, make_user):
    """The root of the bug: a form (or an API call, or an importer) without the adaptation
    fields cannot blank them."""
    original = make_practice(title="Open budgets", countries=["UA"])
    adapter = make_user()
    with app.test_request_context():
        child = services.adapt_practice(original, adapter, "MD", "Districts", "Smaller councils")
        shown = {k: v for k, v in services.practice_data(child).items()
                 if not k.startswith("adaptation_")}
        services.update_practice(child, adapter, {**shown, "title": "Open budgets, Moldova"})
        services.suggest_edit(original, adapter, {"title": "Open budgets (UA)"})
        db.session.commit()
    assert (child.adaptation_country, child.adaptation_context, child.adaptation_rationale) == (
        "MD", "Districts", "Smaller councils")
    suggestion = db.session.scalar(select(EditSuggestion))
    assert suggestion.data["summary"] == original.summary  # not blanked either


def test_the_edit_form_of_a_practice_that_is_not_an_adaptation_has_no_adaptation_fields(
        client, auth, make_practice, make_user):
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    assert "adaptation_country" not in browser_form(client, f"/practices/{practice.slug}/edit")
    assert "adaptation_country" not in client.get("/practices/new").get_data(as_text=True)


def test_adapting_takes_the_adapters_organizations_and_country(client, auth, make_practice,
                                                                make_user):
    ministry = Organization(name="Ministry of Finance of Ukraine", slug="mof-ua", type="government")
    moldova = Organization(name="State Chancellery of Moldova", slug="sc-md", type="government")
    db.session.add_all([ministry, moldova])
    db.session.commit()
    original = make_practice(title="E-procurement", countries=["UA"], organizations=[ministry.id])
    adapter = make_user(email="ion@example.org", country="MD")
    db.session.add(OrganizationMember(organization_id=moldova.id, user_id=adapter.id))
    db.session.commit()
    auth.login(adapter.email)
    form = browser_form(client, f"/practices/{original.slug}/adapt")
    assert form["country"] == "MD"  # pre-filled from the adapter's profile
    form["context"], form["rationale"] = "Moldovan procurement", "Smaller market"
    r = client.post(f"/practices/{original.slug}/adapt", data=form)
    assert r.status_code == 302
    child = db.session.scalar(select(Practice).where(Practice.parent_id == original.id))
    assert [link.organization_id for link in child.organization_links] == [moldova.id]
    assert child.adaptation_country == "MD" and child.country_codes == ["MD"]


def test_adapt_form_without_a_profile_country_asks_for_one(client, auth, make_practice, make_user):
    original = make_practice()
    auth.login(make_user().email)
    assert browser_form(client, f"/practices/{original.slug}/adapt")["country"] == ""


def _changed_labels(html: str) -> list[str]:
    """The labels of the fields a diff or suggestion page marks as changed."""
    page = lxml.html.fromstring(html)
    return [(dt.text or "").strip() for dt in page.xpath(
        "//div[contains(concat(' ', @class, ' '), ' diff-changed ')]/dt")]


def test_set_fields_are_stored_in_one_order_and_compared_as_sets(app, make_user):
    with app.test_request_context():
        owner = make_user()
        practice = services.create_practice(owner, {
            "title": "Order", "countries": ["SN", "KE"], "themes": ["health", "education"],
            "tags": "youth, clinics"})
        assert practice.current_revision.data["themes"] == ["education", "health"]
        assert practice.current_revision.data["tags"] == ["clinics", "youth"]
        reordered = {**services.practice_data(practice), "countries": ["KE", "SN"],
                     "themes": ["health", "education"], "tags": ["youth", "clinics"]}
        try:
            services.update_practice(practice, owner, reordered)
        except services.InvalidInput as err:
            assert err.message == "Nothing changed."
        else:
            raise AssertionError("a new order alone was saved as a change")
        old = {**practice.current_revision.data, "themes": ["health", "education"]}  # legacy order
        assert [d.label for d in services.diff(old, practice.current_revision.data)
                if d.changed] == []


def test_demo_practices_show_no_phantom_changes(app, client, auth, monkeypatch):
    """Every demo practice: each step of its history, an unchanged edit form, and a suggestion
    that changes only the summary show no set field as changed."""
    monkeypatch.setenv("MARKETPLACE_DEMO_PASSWORD", DEMO_PASSWORD)
    accounts_demo.seed()
    demo.seed()
    db.session.commit()
    practices = db.session.scalars(select(Practice).order_by(Practice.id)).all()
    assert len(practices) >= 28
    reviewer = db.session.scalar(select(User).where(User.email == "lars.nielsen@example.org"))
    checked_steps = 0
    for practice in practices:
        numbers = db.session.scalars(select(Revision.number).where(
            Revision.practice_id == practice.id).order_by(Revision.number)).all()
        auth.login(practice.owner.email, DEMO_PASSWORD)
        for a, b in zip(numbers, numbers[1:], strict=False):
            changed = _changed_labels(client.get(
                f"/practices/{practice.slug}/diff?a={a}&b={b}").get_data(as_text=True))
            assert not set(changed) & set(SET_LABELS), (practice.slug, a, b, changed)
            checked_steps += 1
        form = browser_form(client, f"/practices/{practice.slug}/edit")
        r = client.post(f"/practices/{practice.slug}/edit", data=form)
        assert "Nothing changed." in r.get_data(as_text=True), practice.slug
        if practice.status == "published" and reviewer.id not in practice.author_ids:
            auth.logout()
            auth.login(reviewer.email, DEMO_PASSWORD)
            form = browser_form(client, f"/practices/{practice.slug}/suggest")
            form["summary"] = form["summary"] + " (clarified)"
            assert client.post(f"/practices/{practice.slug}/suggest", data=form).status_code == 302
            auth.logout()
            auth.login(practice.owner.email, DEMO_PASSWORD)
            changed = _changed_labels(client.get(
                f"/practices/{practice.slug}/suggestions").get_data(as_text=True))
            assert changed == ["Summary"], (practice.slug, changed)
        auth.logout()
    assert checked_steps >= 10
    assert db.session.scalar(select(EditSuggestion.id).limit(1)) is not None
