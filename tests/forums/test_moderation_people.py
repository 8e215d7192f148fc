"""Suspending people with a reason (profile and admin page), flag categories, and moderators
(the community's and the site's) told of flags and of posts waiting for approval; all audited."""

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import AuditEvent, LoginSession, User
from marketplace.extensions import db
from marketplace.forums.models import Flag
from marketplace.notifications.models import Notification
from tests.conftest import PASSWORD


def _notes(user):
    return list(db.session.scalars(select(Notification.message).where(
        Notification.recipient_id == user.id).order_by(Notification.id)))


def _sessions(user) -> int:
    return db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user.id))


@pytest.fixture
def people(make_user):
    admin = make_user(email="admin@example.org", name="Ada Admin", roles=["admin"])
    troll = make_user(email="troll@example.org", name="Tim Troll")
    return admin, troll


@pytest.mark.parametrize("page", ["/people/{id}", "/admin/users?q=troll"])
def test_admins_find_the_suspend_button_on_the_profile_and_the_admin_page(client, auth, people, page):
    admin, troll = people
    auth.login(admin.email)
    html = client.get(page.format(id=troll.id)).get_data(as_text=True)
    assert f'action="/users/{troll.id}/suspend"' in html and "Suspend account" in html
    auth.logout()
    auth.login(troll.email)
    assert "Suspend account" not in client.get(f"/people/{admin.id}").get_data(as_text=True)


def test_suspension_needs_a_reason_signs_out_everywhere_notifies_and_audits(
        app, client, auth, people, outbox):
    admin, troll = people
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": troll.email, "password": PASSWORD})
    assert elsewhere.get("/settings/profile").status_code == 200 and _sessions(troll) == 1
    auth.login(admin.email)
    refused = client.post(f"/users/{troll.id}/suspend", data={"reason": "  "}, follow_redirects=True)
    assert "Say why the account is suspended" in refused.get_data(as_text=True)
    db.session.refresh(troll)
    assert not troll.is_suspended

    response = client.post(f"/users/{troll.id}/suspend",
                           data={"reason": "Spam in every thread", "next": "/admin/users"})
    assert response.headers["Location"] == "/admin/users"
    db.session.refresh(troll)
    assert (troll.is_suspended, troll.suspension_reason) == (True, "Spam in every thread")
    assert _sessions(troll) == 0
    assert elsewhere.get("/settings/profile").status_code == 302  # signed out everywhere
    mail = outbox[-1]
    assert (mail["To"], mail["Subject"]) == (troll.email, "Your account is suspended")
    assert "Spam in every thread" in mail.get_content()
    assert _notes(troll) == ["Your account was suspended: Spam in every thread"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.suspend"))
    assert (event.actor_id, event.target_id, event.detail["reason"]) == (
        admin.id, troll.id, "Spam in every thread")
    assert "Reinstate account" in client.get(f"/people/{troll.id}").get_data(as_text=True)

    client.post(f"/users/{troll.id}/unsuspend", data={})
    db.session.refresh(troll)
    assert (troll.is_suspended, troll.suspension_reason) == (False, "")
    assert _notes(troll)[-1] == "Your account is reinstated. Welcome back."
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "account.unsuspend")) == "account.unsuspend"
    assert elsewhere.post("/login", data={"email": troll.email, "password": PASSWORD}).status_code == 302


def test_moderators_cannot_suspend_and_nobody_suspends_themselves(client, auth, people, make_user):
    admin, troll = people
    make_user(email="mod@example.org", roles=["moderator"])
    auth.login("mod@example.org")
    assert client.post(f"/users/{troll.id}/suspend", data={"reason": "x"}).status_code == 403
    auth.logout()
    auth.login(admin.email)
    assert client.post(f"/users/{admin.id}/suspend", data={"reason": "x"}).status_code == 403
    assert not db.session.get(User, troll.id).is_suspended


@pytest.fixture
def forum(make_user, make_community, make_thread, make_reply, aged):
    owner = aged(make_user(email="owner@example.org", name="Olga Owner"))
    site_mod = aged(make_user(email="site-mod@example.org", name="Sam Site", roles=["moderator"]))
    bo = aged(make_user(email="bo@example.org", name="Bo"))
    cy = aged(make_user(email="cy@example.org", name="Cy"))
    community = make_community(owner=owner, name="Water", members=[bo, cy])
    thread = make_thread(community, bo, title="Pumps")
    post = make_reply(thread, cy, "Buy my pumps at spam.example")
    return dict(owner=owner, site_mod=site_mod, bo=bo, cy=cy, community=community, thread=thread,
                post=post)


def test_flag_categories_audit_and_moderators_of_both_kinds_are_told(client, auth, forum):
    auth.login("bo@example.org")
    page = client.get(f"/posts/{forum['post'].id}/flag").get_data(as_text=True)
    for label in ("Spam or advertising", "Abusive or harassing", "Off-topic", "Something else"):
        assert label in page
    assert client.post(f"/posts/{forum['post'].id}/flag", data={"category": "spam"}).status_code == 302
    flag = db.session.scalar(select(Flag))
    assert (flag.category, flag.reason, flag.category_label) == ("spam", "", "Spam or advertising")
    expected = "A post in “Pumps” was flagged (Spam or advertising)"
    assert _notes(forum["owner"]) == [expected] and _notes(forum["site_mod"]) == [expected]
    assert not [n for who in ("bo", "cy") for n in _notes(forum[who]) if "flagged" in n]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "forum.flag"))
    assert (event.actor_id, event.target_id, event.detail["category"]) == (
        forum["bo"].id, forum["post"].id, "spam")
    auth.logout()
    auth.login("site-mod@example.org")
    assert "Spam or advertising" in client.get("/moderation/").get_data(as_text=True)


def test_other_needs_words_and_unknown_categories_are_refused(client, auth, forum):
    auth.login("bo@example.org")
    url = f"/posts/{forum['post'].id}/flag"
    assert client.post(url, data={"category": "other"}).status_code == 422
    assert client.post(url, data={"category": "bogus", "reason": "x"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0
    assert client.post(url, data={"category": "other", "reason": "Wrong forum"}).status_code == 302


def test_moderators_are_told_of_a_post_waiting_for_approval(client, auth, forum, make_user,
                                                             make_community, make_thread):
    newbie = make_user(email="new@example.org", name="Newbie")  # created just now: held
    community = forum["community"]
    from marketplace.communities.services import add_member
    add_member(community, newbie)
    db.session.commit()
    auth.login(newbie.email)
    client.post(f"/threads/{forum['thread'].id}/reply", data={"body": "Hello"})
    expected = "A post by Newbie in “Pumps” waits for approval"
    assert expected in _notes(forum["owner"]) and expected in _notes(forum["site_mod"])
    assert expected not in _notes(forum["bo"])  # a watcher, not a moderator
