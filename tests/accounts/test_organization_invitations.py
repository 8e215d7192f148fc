"""Issue 11: organization membership is an invitation the invitee accepts. "Add member" says
the same whatever the address (no oracle) and adds nobody without consent."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts.models import AuditEvent, Organization, OrganizationInvitation, OrganizationMember
from marketplace.accounts.services import create_organization
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import Notification


@pytest.fixture
def org(make_user):
    owner = make_user(email="owner@example.org", name="Olga Owner")
    make_user(email="bea@example.org", name="Bea")
    org = create_organization(owner, name="Alpha Council", type="government", country="KE")
    db.session.commit()
    return org


def _members(org) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.scalars(select(OrganizationMember).where(OrganizationMember.organization_id == org.id))
    return {m.user.email: m.role for m in rows}


def _invite(client, org, email, role="member"):
    return client.post(f"/organizations/{org.slug}/members", data={"email": email, "role": role},
                       follow_redirects=True)


def _answer(response, email) -> tuple:
    body = response.get_data(as_text=True).replace(email, "EMAIL")
    body = re.sub(r'name="csrf_token" value="[^"]*"', "", body)
    return (response.status_code, [(r.status_code, r.location) for r in response.history], body)


def _invitation(email) -> OrganizationInvitation:
    db.session.expire_all()
    return db.session.scalars(select(OrganizationInvitation).where(OrganizationInvitation.email == email)
                              .order_by(OrganizationInvitation.id.desc())).first()


def test_no_oracle_known_unknown_and_member_addresses_get_the_same_answer(client, auth, org, outbox):
    auth.login("owner@example.org")
    known = _answer(_invite(client, org, "bea@example.org"), "bea@example.org")
    unknown = _answer(_invite(client, org, "nobody@example.org"), "nobody@example.org")
    member = _answer(_invite(client, org, "owner@example.org"), "owner@example.org")
    again = _answer(_invite(client, org, "bea@example.org"), "bea@example.org")  # already invited
    assert known == unknown == member == again
    assert known[0] == 200 and known[1][0][0] == 302
    assert "No account uses this email address." not in known[2]
    assert "now a member" not in known[2]
    assert [m["To"] for m in outbox] == ["bea@example.org"]  # one mail, to the account only
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "organization.invite")
                             .where(AuditEvent.detail["email"].as_string() == "nobody@example.org"))


def test_no_forced_membership_until_the_invitee_accepts(client, auth, org, outbox):
    auth.login("owner@example.org")
    _invite(client, org, "bea@example.org", role="treasurer")
    bea_id = db.session.scalar(select(OrganizationInvitation.invitee_id))
    assert _members(org) == {"owner@example.org": "admin"}
    auth.logout()
    auth.login("bea@example.org")
    assert "Alpha Council" not in client.get(f"/people/{bea_id}").get_data(as_text=True)
    invitation = _invitation("bea@example.org")
    (notice,) = db.session.scalars(select(Notification).where(Notification.recipient_id == bea_id))
    assert notice.link == f"/organizations/invitations/{invitation.id}"
    (mail,) = outbox
    assert f"http://localhost/organizations/invitations/{invitation.id}" in mail.get_content()
    page = client.get(notice.link).get_data(as_text=True)
    assert "Accept the invitation" in page and "Decline the invitation" in page
    response = client.post(f"/organizations/invitations/{invitation.id}/accept")
    assert response.status_code == 302
    assert _members(org) == {"owner@example.org": "admin", "bea@example.org": "treasurer"}
    assert "Alpha Council" in client.get(f"/people/{bea_id}").get_data(as_text=True)
    assert _invitation("bea@example.org").status == "accepted"
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "organization.invitation_accepted"))


def test_an_invitation_is_single_use_and_declining_adds_nobody(client, auth, org):
    auth.login("owner@example.org")
    _invite(client, org, "bea@example.org")
    invitation_id = _invitation("bea@example.org").id
    auth.logout()
    auth.login("bea@example.org")
    client.post(f"/organizations/invitations/{invitation_id}/decline")
    assert _invitation("bea@example.org").status == "declined"
    page = client.post(f"/organizations/invitations/{invitation_id}/accept", follow_redirects=True)
    assert "This invitation has expired or was already answered." in page.get_data(as_text=True)
    assert _members(org) == {"owner@example.org": "admin"}
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "organization.invitation_declined"))


def test_an_expired_invitation_cannot_be_accepted(client, auth, org):
    auth.login("owner@example.org")
    _invite(client, org, "bea@example.org")
    invitation = _invitation("bea@example.org")
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    auth.logout()
    auth.login("bea@example.org")
    assert "This invitation has expired." in client.get(
        f"/organizations/invitations/{invitation.id}").get_data(as_text=True)
    client.post(f"/organizations/invitations/{invitation.id}/accept")
    assert _members(org) == {"owner@example.org": "admin"}
    assert _invitation("bea@example.org").status == "pending"


def test_only_the_invitee_may_see_or_answer_an_invitation(client, auth, org, make_user):
    make_user(email="eve@example.org")
    auth.login("owner@example.org")
    _invite(client, org, "bea@example.org", role="admin")
    invitation_id = _invitation("bea@example.org").id
    for email in ("owner@example.org", "eve@example.org"):
        auth.logout()
        auth.login(email)
        assert client.get(f"/organizations/invitations/{invitation_id}").status_code == 404
        client.post(f"/organizations/invitations/{invitation_id}/accept")
    assert _members(org) == {"owner@example.org": "admin"}
    assert _invitation("bea@example.org").status == "pending"
    assert db.session.get(Organization, org.id).members[0].user.email == "owner@example.org"
