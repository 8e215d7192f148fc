"""Communities: create, join, private access, join requests, invitations, roles, leaving."""

from sqlalchemy import select

from marketplace.communities.models import Community, CommunityMember
from marketplace.extensions import db
from marketplace.notifications.models import Notification


def test_member_creates_a_bilateral_community(app, client, auth, make_user, aged):
    aged(make_user(email="ana@example.org", name="Ana"))
    auth.login("ana@example.org")
    response = client.post("/communities/new", data={
        "name": "Participatory budgeting Kenya–Brazil", "description": "We *share* budgets.",
        "themes": "participatory budgeting, cities", "countries": ["KE", "BR"]})
    assert response.status_code == 302
    community = db.session.scalar(select(Community))
    page = client.get(response.location).get_data(as_text=True)
    assert "Participatory budgeting Kenya–Brazil" in page
    assert "Bilateral" in page and "Kenya" in page and "Brazil" in page
    assert "<em>share</em>" in page
    assert community.members[0].role == "owner"
    assert "General" in page  # starter categories


def test_create_rejects_a_taken_address(app, client, auth, make_user, make_community):
    make_community(name="Water")
    make_user(email="bo@example.org")
    auth.login("bo@example.org")
    response = client.post("/communities/new", data={"name": "Water 2", "slug": "water"})
    assert response.status_code == 409
    assert "This address is taken" in response.get_data(as_text=True)


def test_join_and_leave_a_public_community(app, client, auth, make_user, make_community):
    community = make_community(name="Open")
    make_user(email="bo@example.org")
    auth.login("bo@example.org")
    client.post(f"/communities/{community.slug}/join")
    assert "You are a member" in client.get(f"/communities/{community.slug}/").get_data(True)
    db.session.refresh(community)
    assert community.member_count == 2
    client.post(f"/communities/{community.slug}/leave")
    assert "Join community" in client.get(f"/communities/{community.slug}/").get_data(True)


def test_private_community_join_by_request(app, client, auth, make_user, make_community):
    owner = make_user(email="owner@example.org", name="Owner")
    community = make_community(owner=owner, name="Closed", private=True)
    make_user(email="bo@example.org", name="Bo")
    auth.login("bo@example.org")
    assert client.post(f"/communities/{community.slug}/join").status_code == 302
    assert db.session.scalar(select(CommunityMember).where(
        CommunityMember.user_id != owner.id)) is None
    client.post(f"/communities/{community.slug}/request", data={"message": "I run budgets"})
    note = db.session.scalar(select(Notification).where(Notification.recipient_id == owner.id))
    assert "Bo asks to join Closed" in note.message
    auth.logout()
    auth.login("owner@example.org")
    page = client.get(f"/communities/{community.slug}/requests").get_data(True)
    assert "I run budgets" in page
    from marketplace.communities.models import JoinRequest

    req = db.session.scalar(select(JoinRequest))
    client.post(f"/communities/{community.slug}/requests/{req.id}/approve")
    auth.logout()
    auth.login("bo@example.org")
    assert "You are a member" in client.get(f"/communities/{community.slug}/").get_data(True)


def test_private_community_join_by_invitation(app, client, auth, make_user, make_community):
    owner = make_user(email="owner@example.org")
    community = make_community(owner=owner, private=True)
    auth.login("owner@example.org")
    client.post(f"/communities/{community.slug}/invite")
    db.session.refresh(community)
    token = community.invite_token
    assert token in client.get(f"/communities/{community.slug}/members").get_data(True)
    auth.logout()
    make_user(email="bo@example.org")
    auth.login("bo@example.org")
    assert client.post(f"/communities/{community.slug}/invite/wrong").status_code == 302
    assert "You are a member" not in client.get(f"/communities/{community.slug}/").get_data(True)
    client.post(f"/communities/{community.slug}/invite/{token}")
    assert "You are a member" in client.get(f"/communities/{community.slug}/").get_data(True)


def test_roles_and_member_removal(app, client, auth, make_user, make_community):
    owner = make_user(email="owner@example.org")
    bo = make_user(email="bo@example.org", name="Bo")
    cy = make_user(email="cy@example.org", name="Cyrus Okafor")
    community = make_community(owner=owner, members=[bo, cy])
    auth.login("bo@example.org")
    assert client.post(f"/communities/{community.slug}/members/{cy.id}/remove").status_code == 403
    auth.logout()
    auth.login("owner@example.org")
    client.post(f"/communities/{community.slug}/members/{bo.id}/role", data={"role": "moderator"})
    auth.logout()
    auth.login("bo@example.org")
    assert client.post(f"/communities/{community.slug}/members/{cy.id}/remove").status_code == 302
    members = client.get(f"/communities/{community.slug}/members").get_data(True)
    assert "Cyrus Okafor" not in members  # a short name could appear inside the CSRF token
    log = client.get(f"/communities/{community.slug}/moderation").get_data(True)
    assert "community.member.remove" in log and "community.member.role" in log


def test_last_owner_cannot_leave(app, client, auth, make_user, make_community):
    make_community(owner=make_user(email="owner@example.org"), name="Solo")
    auth.login("owner@example.org")
    response = client.post("/communities/solo/leave", follow_redirects=True)
    assert "Name another owner before you leave" in response.get_data(True)
