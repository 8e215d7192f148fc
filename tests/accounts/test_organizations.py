"""Organizations: create, edit, members, and who may do what."""

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Organization, OrganizationMember
from marketplace.accounts.services import add_organization_member, create_organization
from marketplace.extensions import db

ORG = {"name": "Open Budget Peru", "type": "ngo", "country": "PE",
       "website": "https://example.org/obp", "description": "We *open* budgets."}


@pytest.fixture
def org(make_user):
    owner = make_user(email="owner@example.org", name="Olga Owner")
    org = create_organization(owner, name="Alpha Council", type="government", country="KE")
    db.session.commit()
    return org


def members(org) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.scalars(select(OrganizationMember).where(OrganizationMember.organization_id == org.id))
    return {m.user.email: m.role for m in rows}


def member_id(org, email) -> int:
    return next(m.id for m in db.session.get(Organization, org.id).members if m.user.email == email)


def test_creator_becomes_the_admin(client, auth, make_user):
    make_user(email="ana@example.org", name="Ana")
    auth.login("ana@example.org")
    assert client.get("/organizations/new").status_code == 200
    response = client.post("/organizations/new", data=ORG)
    assert response.status_code == 302
    org = db.session.scalar(select(Organization))
    assert response.headers["Location"].endswith(f"/organizations/{org.slug}")
    assert (org.slug, org.country, org.description_html) == (
        "open-budget-peru", "PE", "<p>We <em>open</em> budgets.</p>\n")
    assert members(org) == {"ana@example.org": "admin"}
    page = client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    assert "<h1>Open Budget Peru</h1>" in page and "Edit organization" in page
    assert "<em>open</em>" in page and "Peru" in page


def test_same_name_gets_its_own_address(client, auth, make_user):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")
    client.post("/organizations/new", data=ORG)
    client.post("/organizations/new", data=ORG)
    assert sorted(db.session.scalars(select(Organization.slug))) == ["open-budget-peru", "open-budget-peru-2"]


@pytest.mark.parametrize("website", ["javascript://example.org/%0Aalert(1)", "ftp://example.org",
                                     "data:text/html,hi", "example"])
def test_website_must_be_a_web_address(client, auth, make_user, website):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")
    response = client.post("/organizations/new", data={**ORG, "website": website})
    assert response.status_code == 400
    assert db.session.scalar(select(Organization)) is None


def test_list_and_filter_by_type(client, org, make_user):
    other = make_user(email="x@example.org")
    create_organization(other, name="Beta Foundation", type="foundation", country="DK")
    db.session.commit()
    page = client.get("/organizations/?type=foundation").get_data(as_text=True)
    assert "Beta Foundation" in page and "Alpha Council" not in page
    page = client.get("/organizations/").get_data(as_text=True)
    assert "Beta Foundation" in page and "Alpha Council" in page


def test_org_admin_edits(client, auth, org):
    auth.login("owner@example.org")
    response = client.post(f"/organizations/{org.slug}/edit", data={**ORG, "name": "Alpha Council (new)"})
    assert response.status_code == 302
    db.session.expire_all()
    org = db.session.get(Organization, org.id)
    assert (org.name, org.type, org.website) == ("Alpha Council (new)", "ngo", "https://example.org/obp")


def test_site_admin_edits_any_organization(client, auth, org, make_user):
    make_user(email="root@example.org", roles=["admin"])
    auth.login("root@example.org")
    assert client.get(f"/organizations/{org.slug}/edit").status_code == 200
    assert client.post(f"/organizations/{org.slug}/edit", data=ORG).status_code == 302


def test_plain_members_and_outsiders_cannot_edit(client, auth, org, make_user):
    member = make_user(email="member@example.org")
    make_user(email="outsider@example.org")
    add_organization_member(db.session.get(Organization, org.id), member)
    db.session.commit()
    for email in ("member@example.org", "outsider@example.org"):
        auth.login(email)
        assert client.get(f"/organizations/{org.slug}/edit").status_code == 403
        assert client.post(f"/organizations/{org.slug}/edit", data=ORG).status_code == 403
        assert client.post(f"/organizations/{org.slug}/members",
                           data={"email": f"{email}", "role": "admin"}).status_code == 403
        assert "Edit organization" not in client.get(f"/organizations/{org.slug}").get_data(as_text=True)
        auth.logout()
    assert db.session.get(Organization, org.id).name == "Alpha Council"
    assert members(org) == {"owner@example.org": "admin", "member@example.org": "member"}
    assert client.post(f"/organizations/{org.slug}/edit", data=ORG).status_code == 302  # to sign in


def _invite_and_accept(client, auth, org, email, role):
    """The owner invites `email`; its account accepts; the owner signs in again."""
    from marketplace.accounts.models import OrganizationInvitation

    auth.login("owner@example.org")
    assert client.post(f"/organizations/{org.slug}/members", data={"email": email, "role": role}).status_code == 302
    invitation = db.session.scalars(select(OrganizationInvitation).order_by(OrganizationInvitation.id.desc())).first()
    auth.logout()
    auth.login(email)
    assert client.post(f"/organizations/invitations/{invitation.id}/accept").status_code == 302
    auth.logout()
    auth.login("owner@example.org")


def test_add_and_remove_members(client, auth, org, make_user):
    make_user(email="bea@example.org", name="Bea")
    auth.login("owner@example.org")
    response = client.post(f"/organizations/{org.slug}/members", data={"email": "BEA@example.org", "role": "member"})
    assert response.status_code == 302
    assert members(org) == {"owner@example.org": "admin"}  # invited, not added
    _invite_and_accept(client, auth, org, "bea@example.org", "member")
    assert members(org) == {"owner@example.org": "admin", "bea@example.org": "member"}
    client.post(f"/organizations/{org.slug}/members/{member_id(org, 'bea@example.org')}/remove")
    assert members(org) == {"owner@example.org": "admin"}


def test_the_last_admin_cannot_be_removed(client, auth, org, make_user):
    make_user(email="bea@example.org")
    auth.login("owner@example.org")
    client.post(f"/organizations/{org.slug}/members/{member_id(org, 'owner@example.org')}/remove")
    page = client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    assert "An organization needs at least one admin." in page
    assert members(org) == {"owner@example.org": "admin"}
    _invite_and_accept(client, auth, org, "bea@example.org", "admin")
    client.post(f"/organizations/{org.slug}/members/{member_id(org, 'owner@example.org')}/remove")
    assert members(org) == {"bea@example.org": "admin"}


def test_a_member_may_leave_but_not_remove_others(client, auth, org, make_user):
    bea, cid = make_user(email="bea@example.org"), make_user(email="cid@example.org")
    live = db.session.get(Organization, org.id)
    add_organization_member(live, bea)
    add_organization_member(live, cid)
    db.session.commit()
    auth.login("bea@example.org")
    cid_url = f"/organizations/{org.slug}/members/{member_id(org, 'cid@example.org')}/remove"
    assert client.post(cid_url).status_code == 403
    client.post(f"/organizations/{org.slug}/members/{member_id(org, 'bea@example.org')}/remove")
    assert members(org) == {"owner@example.org": "admin", "cid@example.org": "member"}


def test_a_member_id_of_another_organization_is_not_removed(client, auth, org, make_user):
    """IDOR: the owner of Alpha puts Beta's membership id into Alpha's URL."""
    other = make_user(email="other@example.org")
    beta = create_organization(other, name="Beta", type="ngo", country="KE")
    db.session.commit()
    victim = member_id(beta, "other@example.org")
    auth.login("owner@example.org")
    response = client.post(f"/organizations/{org.slug}/members/{victim}/remove")
    assert response.status_code in (302, 404)
    assert members(beta) == {"other@example.org": "admin"}
    assert client.post(f"/organizations/{beta.slug}/members/{victim}/remove").status_code == 403
    assert members(beta) == {"other@example.org": "admin"}


def test_unknown_organization_is_not_found(client):
    assert client.get("/organizations/no-such-org").status_code == 404
