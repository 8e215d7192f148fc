"""Moderation: flags → queue → hide → author notified → audit log; approval of new accounts."""

from sqlalchemy import select

from marketplace.accounts.models import AuditEvent
from marketplace.extensions import db
from marketplace.forums.models import Flag, Post, Thread
from marketplace.notifications.models import Notification


def _notes(user):
    return list(db.session.scalars(select(Notification.message).where(
        Notification.recipient_id == user.id).order_by(Notification.id)))


def test_flag_hide_notify_and_audit(app, client, auth, make_user, make_community, make_thread,
                                    make_reply, aged):
    owner = aged(make_user(email="mod@example.org", name="Mona"))
    bo = aged(make_user(email="bo@example.org", name="Bo"))
    cy = aged(make_user(email="cy@example.org", name="Cy"))
    community = make_community(owner=owner, name="Water", members=[bo, cy])
    thread = make_thread(community, bo, title="Pumps")
    post = make_reply(thread, cy, "Buy my pumps at spam.example")

    auth.login("bo@example.org")
    client.post(f"/posts/{post.id}/flag", data={"reason": "Advertising"})
    assert db.session.scalar(select(Flag.status)) == "open"
    assert client.get("/communities/water/moderation").status_code == 403  # not a moderator
    auth.logout()

    auth.login("mod@example.org")
    queue = client.get("/communities/water/moderation").get_data(True)
    assert "Advertising" in queue and "Buy my pumps" in queue
    client.post(f"/posts/{post.id}/hide", data={"reason": "No advertising here"})
    db.session.refresh(post)
    assert post.status == "hidden"
    assert db.session.scalar(select(Flag.resolution)) == "hidden"
    assert "No flagged posts." in client.get("/communities/water/moderation").get_data(True)
    log = client.get("/communities/water/moderation").get_data(True)
    assert "forum.post.hide" in log and "No advertising here" in log
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "forum.post.hide"))
    assert event.actor_id == owner.id and event.target_id == post.id
    auth.logout()

    assert _notes(cy) == ["A moderator hid your post in “Pumps”: No advertising here"]
    page = client.get(f"/threads/{thread.id}").get_data(True)
    assert "Buy my pumps" not in page and "hidden by a moderator" in page

    auth.login("mod@example.org")  # on second thought: restore it, and that is logged too
    assert client.post(f"/posts/{post.id}/restore").status_code == 302
    auth.logout()
    db.session.refresh(post)
    assert post.status != "hidden"
    assert "Buy my pumps" in client.get(f"/threads/{thread.id}").get_data(True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "forum.post.restore"))


def test_site_moderators_see_the_global_queue(app, client, auth, make_user, make_community,
                                              make_thread, make_reply, aged):
    make_user(email="site-mod@example.org", roles=["moderator"])
    bo, cy = aged(make_user(name="Bo")), aged(make_user(name="Cy"))
    community = make_community(private=True, members=[bo, cy], name="Secret circle")
    post = make_reply(make_thread(community, bo), cy, "rude words")
    from marketplace.forums.moderation import flag_post
    flag_post(bo, post, "Rude")
    db.session.commit()
    auth.login("site-mod@example.org")
    page = client.get("/moderation/").get_data(True)
    assert "Rude" in page and "Secret circle" in page
    auth.logout()
    make_user(email="plain@example.org")
    auth.login("plain@example.org")
    assert client.get("/moderation/").status_code == 403


def test_new_account_first_post_waits_for_approval(app, client, auth, make_user, make_community,
                                                   make_thread, aged):
    owner = aged(make_user(email="mod@example.org", name="Mona"))
    newbie = make_user(email="new@example.org", name="Newbie")  # created just now
    community = make_community(owner=owner, name="Water", members=[newbie])
    thread = make_thread(community, owner, title="Welcome")

    auth.login("new@example.org")
    client.post(f"/threads/{thread.id}/reply", data={"body": "Hello from a new account"})
    post = db.session.scalar(select(Post).where(Post.author_id == newbie.id))
    assert post.status == "pending"
    assert "Waiting for approval" in client.get(f"/threads/{thread.id}").get_data(True)
    client.post("/communities/water/c/general/new", data={
        "title": "My first thread", "kind": "discussion", "body": "Hi all"})
    new_thread = db.session.scalar(select(Thread).where(Thread.author_id == newbie.id))
    assert new_thread.status == "pending"
    auth.logout()

    page = client.get(f"/threads/{thread.id}").get_data(True)
    assert "Hello from a new account" not in page
    assert "My first thread" not in client.get("/communities/water/c/general/").get_data(True)
    assert client.get(f"/threads/{new_thread.id}").status_code == 404
    # As the community's moderator she hears that they wait; as a watcher only once approved.
    assert _notes(owner) == ["A post by Newbie in “Welcome” waits for approval",
                             "A post by Newbie in “My first thread” waits for approval"]

    auth.login("mod@example.org")
    assert "Hello from a new account" in client.get("/communities/water/moderation").get_data(True)
    client.post(f"/posts/{post.id}/approve")
    auth.logout()
    assert "Hello from a new account" in client.get(f"/threads/{thread.id}").get_data(True)
    assert "Your post in “Welcome” was approved" in _notes(newbie)
    assert "Newbie posted in “Welcome”" in _notes(owner)
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "forum.post.approve")) == "forum.post.approve"


def test_new_accounts_are_limited_in_links(app, client, auth, make_user, make_community,
                                           make_thread, aged):
    owner = aged(make_user(name="Mona"))
    newbie = make_user(email="new@example.org")
    community = make_community(owner=owner, members=[newbie])
    thread = make_thread(community, owner)
    auth.login("new@example.org")
    body = " ".join(f"[l{n}](https://example.org/{n})" for n in range(3))
    response = client.post(f"/threads/{thread.id}/reply", data={"body": body})
    assert response.status_code == 422
    assert "at most 2 links" in response.get_data(True)


def test_move_lock_pin_are_audited(app, client, auth, make_user, make_community, make_thread,
                                   aged):
    owner = aged(make_user(email="mod@example.org"))
    community = make_community(owner=owner, name="Water")
    thread = make_thread(community, owner, title="Misplaced")
    from marketplace.forums.services import categories_of
    target = categories_of(community)[1]
    auth.login("mod@example.org")
    client.post(f"/threads/{thread.id}/move", data={"category": target.id})
    client.post(f"/threads/{thread.id}/pin")
    client.post(f"/threads/{thread.id}/lock")
    db.session.refresh(thread)
    assert (thread.category_id, thread.is_pinned, thread.is_locked) == (target.id, True, True)
    log = client.get("/communities/water/moderation").get_data(True)
    for action in ("forum.thread.move", "forum.thread.pin", "forum.thread.lock"):
        assert action in log


def test_admin_suspends_an_account(app, client, auth, make_user):
    make_user(email="admin@example.org", roles=["admin"])
    target = make_user(email="troll@example.org")
    make_user(email="mod@example.org", roles=["moderator"])
    auth.login("mod@example.org")
    assert client.post(f"/users/{target.id}/suspend").status_code == 403
    auth.logout()
    auth.login("admin@example.org")
    client.post(f"/users/{target.id}/suspend", data={"reason": "Spam in every thread"})
    auth.logout()
    db.session.refresh(target)
    assert target.is_suspended
    auth.login("troll@example.org")
    assert client.get("/notifications/").status_code == 302  # not signed in
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "account.suspend")) == "account.suspend"


def test_posting_is_rate_limited_per_user(make_thread, aged,
                                          schema_template, tmp_path):
    from marketplace import create_app
    from tests.conftest import PASSWORD, base_config, database_url

    app = create_app(base_config(tmp_path, DATABASE_URL=database_url(schema_template, tmp_path),
                                 RATELIMIT_ENABLED=True, FORUMS_POST_RATELIMIT="2 per minute"))
    with app.app_context():
        from marketplace.accounts.services import register_user
        user = aged(register_user("rl@example.org", "Rate Limited", PASSWORD, confirmed=True))
        from marketplace.communities.services import create_community
        community = create_community(user, name="RL", description="", themes="", countries=[],
                                     is_private=False)
        db.session.commit()
        thread = make_thread(community, user)
        client = app.test_client()
        client.post("/login", data={"email": "rl@example.org", "password": PASSWORD})
        codes = [client.post(f"/threads/{thread.id}/reply", data={"body": f"r{n}"}).status_code
                 for n in range(3)]
        assert codes == [302, 302, 429]
        db.session.remove()
        db.engine.dispose()
