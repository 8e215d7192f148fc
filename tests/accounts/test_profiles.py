"""Profiles: edit, public page, Markdown bio, deleted profiles."""

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from tests.xss_payloads import assert_safe_html


def save_profile(client, **fields):
    data = {"display_name": "Ana Lopez", "bio": "", "country": "", "expertise": "", "locale": "",
            **fields}
    return client.post("/settings/profile", data=data)


def test_edit_profile_and_see_the_public_page(app, client, auth, make_user):
    user = make_user(email="ana@example.org")
    auth.login("ana@example.org")
    form = client.get("/settings/profile")
    assert form.status_code == 200
    response = save_profile(
        client, bio="I run **open budgets** in [Nairobi](https://example.org/nbo).", country="KE",
        languages=["sw", "en"], expertise="Public Finance, open data,  public finance ", locale="fr")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/{user.id}")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.country, user.languages, user.locale) == ("KE", ["sw", "en"], "fr")
    assert [e.tag for e in user.expertise] == ["open data", "public finance"]
    public = app.test_client().get(f"/people/{user.id}").get_data(as_text=True)  # a visitor
    assert "<h1>Ana Lopez</h1>" in public
    assert "<strong>open budgets</strong>" in public
    assert '<a href="https://example.org/nbo" rel="nofollow noopener">Nairobi</a>' in public
    assert "Kenya" in public and "Swahili" in public
    assert '<li class="tag">open data</li>' in public
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)  # the chosen interface language


def test_editing_expertise_replaces_the_tags(client, auth, make_user):
    user = make_user(email="ana@example.org")
    auth.login("ana@example.org")
    save_profile(client, expertise="a1, b2")
    save_profile(client, expertise="b2, c3")
    db.session.expire_all()
    assert [e.tag for e in db.session.get(User, user.id).expertise] == ["b2", "c3"]


def test_edit_form_shows_the_saved_values(client, auth, make_user):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")
    save_profile(client, bio="Hello *there*", expertise="x1, y2", country="PE")
    html = client.get("/settings/profile").get_data(as_text=True)
    assert "Hello *there*</textarea>" in html
    assert 'value="x1, y2"' in html
    assert '<option selected value="PE">' in html


def test_profile_refuses_unknown_country_or_language(client, auth, make_user):
    user = make_user(email="ana@example.org")
    auth.login("ana@example.org")
    assert save_profile(client, country="XX").status_code == 400
    assert save_profile(client, languages=["klingon"]).status_code == 400
    assert save_profile(client, locale="de").status_code == 400
    assert save_profile(client, display_name="").status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).country is None


def test_bio_markdown_is_rendered_safely(client, auth, make_user):
    user = make_user(email="ana@example.org")
    auth.login("ana@example.org")
    save_profile(client, bio='<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>')
    html = client.get(f"/people/{user.id}").get_data(as_text=True)
    bio = html.split("<h2>About</h2>", 1)[1].split("</section>", 1)[0]
    assert_safe_html(bio)
    assert "&lt;script&gt;" in bio  # shown as text, not run


def test_deleted_or_unknown_profiles_are_not_found(client, make_user):
    user = make_user(email="ana@example.org", is_deleted=True)
    assert client.get(f"/people/{user.id}").status_code == 404
    assert client.get("/people/999999").status_code == 404
    assert db.session.scalar(select(User.id)) == user.id


def test_profile_queries_do_not_grow_with_organizations(client, make_user):
    from sqlalchemy import event

    from marketplace.accounts.services import add_organization_member, create_organization

    owner, ana = make_user(email="owner@example.org"), make_user(email="ana@example.org")

    def queries_for_profile() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/people/{ana.id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    add_organization_member(create_organization(owner, name="Org 0", type="ngo", country="KE"), ana)
    db.session.commit()
    one = queries_for_profile()
    for n in range(1, 6):
        add_organization_member(create_organization(owner, name=f"Org {n}", type="ngo", country="KE"), ana)
    db.session.commit()
    assert queries_for_profile() == one


def test_donors_giving_anonymously_by_default_show_no_donor_badge(client, make_donor):
    named, discreet = make_donor(name="Named Giver"), make_donor(name="Discreet Giver", anonymous=True)
    assert '<span class="badge">Donor</span>' in client.get(f"/people/{named.id}").get_data(as_text=True)
    page = client.get(f"/people/{discreet.id}").get_data(as_text=True)
    assert "Discreet Giver" in page and "Donor" not in page
