"""Issue 10: routes that take a post id answer 404 to whoever may not see the post (hidden,
pending or deleted), and still serve those who may (its community's moderators, a pending post's
author)."""

import pytest

from marketplace.extensions import db
from marketplace.forums import moderation
from marketplace.forums import services as forums

SECRET = "HUSHPOSTBODY"


@pytest.fixture
def posts(app, make_user, make_community, make_thread, make_reply, aged):
    owner = aged(make_user(email="owner@example.org", name="Owner"))
    member = aged(make_user(email="member@example.org", name="Member"))
    newcomer = make_user(email="new@example.org", name="Newcomer")
    square = make_community(owner=owner, name="Square", members=[member, newcomer])
    thread = make_thread(square, owner, title="Budgets")
    hidden, deleted = (make_reply(thread, member, f"Said {n} {SECRET}") for n in range(2))
    moderation.hide_post(owner, hidden, "rude")
    forums.delete_post(member, deleted)
    pending = make_reply(thread, newcomer, f"Waiting {SECRET}")
    visible = make_reply(thread, member, "Fine words")
    db.session.commit()
    assert pending.status == "pending"
    return {"hidden": hidden, "deleted": deleted, "pending": pending, "visible": visible,
            "thread": thread}


ROUTES = [("get", "/posts/{id}/flag"), ("post", "/posts/{id}/flag"), ("get", "/posts/{id}/history"),
          ("get", "/posts/{id}/edit"), ("post", "/posts/{id}/react/helpful"),
          ("post", "/posts/{id}/accept"), ("post", "/posts/{id}/delete")]


@pytest.mark.parametrize("which", ["hidden", "deleted", "pending"])
@pytest.mark.parametrize("method,path", ROUTES)
def test_a_member_who_may_not_see_the_post_gets_404(client, auth, posts, which, method, path):
    auth.login("member@example.org" if which == "pending" else "new@example.org")
    response = getattr(client, method)(path.format(id=posts[which].id), data={"reason": "spam"})
    assert response.status_code == 404
    assert SECRET not in response.get_data(as_text=True)


@pytest.mark.parametrize("which", ["hidden", "deleted", "pending"])
def test_quoting_a_post_others_may_not_see_quotes_nothing(client, auth, posts, which):
    auth.login("owner@example.org")  # the community's owner sees them all, quotes none of them
    page = client.get(f"/threads/{posts['thread'].id}/reply?quote={posts[which].id}")
    assert page.status_code == 200 and " wrote:" not in page.get_data(as_text=True)
    control = client.get(f"/threads/{posts['thread'].id}/reply?quote={posts['visible'].id}")
    assert "Member wrote:" in control.get_data(as_text=True)


def test_those_who_may_see_it_still_do(client, auth, posts):
    auth.login("owner@example.org")
    history = client.get(f"/posts/{posts['hidden'].id}/history")
    assert history.status_code == 200 and SECRET in history.get_data(as_text=True)
    assert client.get(f"/posts/{posts['hidden'].id}/flag").status_code == 403  # not public
    auth.logout()
    auth.login("new@example.org")
    assert client.get(f"/posts/{posts['pending'].id}/history").status_code == 200
    assert client.get(f"/posts/{posts['pending'].id}/edit").status_code == 200
