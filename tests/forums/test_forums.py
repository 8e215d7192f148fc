"""Forums: threads, replies, quoting, mentions, watching, reactions, history, answers, unread."""

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.forums.models import Post, PostRevision, Thread
from marketplace.notifications.models import Notification


def _notes(user):
    return list(db.session.scalars(select(Notification.message).where(
        Notification.recipient_id == user.id).order_by(Notification.id)))


def _setup(make_user, make_community, aged):
    ana = aged(make_user(email="ana@example.org", name="Ana Silva"))
    bo = aged(make_user(email="bo@example.org", name="Bo Otieno"))
    community = make_community(owner=ana, name="Budgets", members=[bo])
    return ana, bo, community


def test_start_a_question_thread_and_reply(app, client, auth, make_user, make_community, aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    auth.login("ana@example.org")
    response = client.post("/communities/budgets/c/general/new", data={
        "title": "How do you publish budgets?", "kind": "question",
        "body": "We need **ideas**.", "tags": "transparency, budgets"})
    thread = db.session.scalar(select(Thread))
    assert response.location.endswith(f"/threads/{thread.id}")
    page = client.get(f"/threads/{thread.id}").get_data(True)
    assert "How do you publish budgets?" in page and "<strong>ideas</strong>" in page
    assert "transparency" in page and "Question" in page
    auth.logout()
    auth.login("bo@example.org")
    response = client.post(f"/threads/{thread.id}/reply", data={"body": "We print them."})
    assert response.status_code == 302 and "#post-2" in response.location
    assert "We print them." in client.get(f"/threads/{thread.id}").get_data(True)
    assert _notes(ana) == ["Bo Otieno posted in “How do you publish budgets?”"]


def test_non_member_cannot_post(app, client, auth, make_user, make_community, make_thread, aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana)
    make_user(email="cy@example.org")
    auth.login("cy@example.org")
    assert client.post(f"/threads/{thread.id}/reply", data={"body": "hi"}).status_code == 403
    assert "Join the community to reply" in client.get(f"/threads/{thread.id}").get_data(True)


def test_mentions_notify_by_handle(app, client, auth, make_user, make_community, make_thread,
                                   aged, outbox):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana, title="Budgets")
    auth.login("bo@example.org")
    client.post(f"/threads/{thread.id}/reply", data={"body": "What do you think, @AnaSilva?"})
    assert _notes(ana) == ["Bo Otieno mentioned you in “Budgets”"]  # not also a "reply" notice
    assert any("mentioned you" in m["Subject"] for m in outbox)


def test_quoted_mentions_are_not_sent_again(app, make_user, make_community, make_thread, aged,
                                            make_reply):
    ana, bo, community = _setup(make_user, make_community, aged)
    cy = aged(make_user(name="Cy"))
    thread = make_thread(community, cy)
    from marketplace.communities.services import add_member
    add_member(community, cy)
    make_reply(thread, bo, "> @AnaSilva said this\n\nI agree")
    assert _notes(ana) == []


def test_quote_button_prefills_the_reply(app, client, auth, make_user, make_community,
                                         make_thread, aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana, body="Line one\nLine two")
    post = db.session.scalar(select(Post))
    auth.login("bo@example.org")
    page = client.get(f"/threads/{thread.id}/reply?quote={post.id}").get_data(True)
    assert "&gt; Ana Silva wrote:\n&gt;\n&gt; Line one\n&gt; Line two" in page


def test_watch_category_notifies_of_new_threads(app, client, auth, make_user, make_community,
                                                make_thread, aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    auth.login("bo@example.org")
    from marketplace.forums.services import categories_of
    category = categories_of(community)[0]
    client.post(f"/categories/{category.id}/watch")
    make_thread(community, ana, title="New idea")
    assert _notes(bo) == ["Ana Silva posted in “New idea”"]


def test_reactions_toggle_with_and_without_js(app, client, auth, make_user, make_community,
                                              make_thread, make_reply, aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana)
    post = make_reply(thread, ana, "Useful tip")
    auth.login("bo@example.org")
    response = client.post(f"/posts/{post.id}/react/helpful")
    assert response.status_code == 302
    page = client.get(f"/threads/{thread.id}").get_data(True)
    assert 'aria-pressed="true"' in page
    fragment = client.post(f"/posts/{post.id}/react/helpful", headers={"HX-Request": "true"})
    html = fragment.get_data(True)
    assert html.lstrip().startswith('<div class="reactions"') and 'aria-pressed="true"' not in html
    client.post(f"/posts/{post.id}/react/thanks")
    client.post(f"/posts/{post.id}/react/thanks")  # toggles back
    client.post(f"/posts/{post.id}/react/helpful")
    from marketplace.forums.models import Reaction
    assert [(r.kind, r.user_id) for r in db.session.scalars(select(Reaction))] == [
        ("helpful", bo.id)]
    assert client.post(f"/posts/{post.id}/react/love").status_code == 400


def test_own_posts_cannot_be_reacted_to(app, client, auth, make_user, make_community,
                                        make_thread, aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana)
    post = db.session.scalar(select(Post))
    auth.login("ana@example.org")
    assert client.post(f"/posts/{post.id}/react/helpful").status_code == 403
    assert thread


def test_edit_keeps_visible_history(app, client, auth, make_user, make_community, make_thread,
                                    aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana, body="First version")
    post = db.session.scalar(select(Post))
    auth.login("bo@example.org")
    assert client.post(f"/posts/{post.id}/edit", data={"body": "Vandalised"}).status_code == 403
    auth.logout()
    auth.login("ana@example.org")
    client.post(f"/posts/{post.id}/edit", data={"body": "Second version"})
    page = client.get(f"/threads/{thread.id}").get_data(True)
    assert "Second version" in page and "edited" in page
    history = client.get(f"/posts/{post.id}/history").get_data(True)
    assert "First version" in history and "Second version" in history
    assert db.session.scalar(select(PostRevision.body_source)) == "First version"


def test_soft_delete_leaves_a_placeholder(app, client, auth, make_user, make_community,
                                          make_thread, make_reply, aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana)
    post = make_reply(thread, bo, "Oops, wrong thread")
    auth.login("bo@example.org")
    client.post(f"/posts/{post.id}/delete")
    page = client.get(f"/threads/{thread.id}").get_data(True)
    assert "Oops, wrong thread" not in page and "This post was deleted." in page
    assert db.session.get(Post, post.id).body_source == "Oops, wrong thread"


def test_only_the_asker_accepts_an_answer(app, client, auth, make_user, make_community,
                                          make_thread, make_reply, aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana, title="Q?", kind="question")
    answer = make_reply(thread, bo, "Here is how")
    auth.login("bo@example.org")
    assert client.post(f"/posts/{answer.id}/accept").status_code == 403
    auth.logout()
    auth.login("ana@example.org")
    client.post(f"/posts/{answer.id}/accept")
    page = client.get(f"/threads/{thread.id}").get_data(True)
    assert "Accepted answer" in page and "Answered question" in page
    assert "Your answer to “Q?” was accepted" in _notes(bo)


def test_unread_tracking(app, client, auth, make_user, make_community, make_thread, make_reply,
                         aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana, title="Tracking")
    auth.login("bo@example.org")
    client.get(f"/threads/{thread.id}")
    for n in range(3):
        make_reply(thread, ana, f"News {n}")
    category_page = client.get("/communities/budgets/c/general/").get_data(True)
    assert "3 new posts since your last visit" in category_page
    page = client.get(f"/threads/{thread.id}").get_data(True)
    assert "3 new posts since your last visit" in page
    assert "new posts since your last visit" not in client.get(f"/threads/{thread.id}").get_data(
        True)


def test_pagination_twenty_posts_a_page(app, client, make_user, make_community, make_thread,
                                        make_reply, aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana, body="post number 1 here")
    for n in range(2, 26):
        make_reply(thread, bo if n % 2 else ana, f"post number {n} here")
    first = client.get(f"/threads/{thread.id}").get_data(True)
    second = client.get(f"/threads/{thread.id}?page=2").get_data(True)
    assert "post number 20 here" in first and "post number 21 here" not in first
    assert "post number 21 here" in second and "post number 25 here" in second
    assert "Page 2 of 2" in second


def test_locked_thread_refuses_replies(app, client, auth, make_user, make_community, make_thread,
                                       aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    thread = make_thread(community, ana)
    auth.login("ana@example.org")
    client.post(f"/threads/{thread.id}/lock")
    auth.logout()
    auth.login("bo@example.org")
    assert client.post(f"/threads/{thread.id}/reply", data={"body": "late"}).status_code == 403
    assert "This thread is locked" in client.get(f"/threads/{thread.id}").get_data(True)


def test_removed_members_of_a_private_community_hear_nothing(app, make_user, make_community,
                                                             make_thread, make_reply, aged):
    ana = aged(make_user(name="Ana Silva"))
    bo = aged(make_user(name="Bo Otieno"))
    community = make_community(owner=ana, private=True, members=[bo])
    thread = make_thread(community, ana, title="Secret plan")
    make_reply(thread, bo, "I watch this now")
    from marketplace.communities.services import get_member, remove_member
    with app.test_request_context():
        remove_member(ana, community, get_member(community, bo.id))
    db.session.commit()
    make_reply(thread, ana, "Next step")
    assert not any("Secret plan" in m for m in _notes(bo))


def test_discuss_opens_or_creates_the_subjects_thread(app, client, auth, make_user,
                                                      make_community, make_practice, aged):
    ana, bo, community = _setup(make_user, make_community, aged)
    practice = make_practice(owner=ana, title="Budget hearings")
    auth.login("bo@example.org")
    form = client.get(f"/discuss/practice/{practice.id}").get_data(True)
    assert "Discuss Budget hearings" in form and "Budgets — General" in form
    from marketplace.forums.services import categories_of
    category = categories_of(community)[0]
    response = client.post(f"/discuss/practice/{practice.id}", data={
        "category": category.id, "title": "Budget hearings", "kind": "discussion",
        "body": "How did the hearings go?"})
    thread = db.session.scalar(select(Thread))
    assert (thread.subject_type, thread.subject_id) == ("practice", practice.id)
    assert response.location.endswith(f"/threads/{thread.id}")
    again = client.get(f"/discuss/practice/{practice.id}")
    assert again.status_code == 302 and again.location.endswith(f"/threads/{thread.id}")
    assert client.get("/discuss/practice/99999").status_code == 404
    assert client.get(f"/discuss/nonsense/{practice.id}").status_code == 404
