"""Two tabs editing one forum post: the second save is a 409 with both texts, nothing lost."""

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.forums.models import Post


def test_second_tab_gets_a_conflict_then_saves(client, auth, make_user, make_community, make_thread):
    author = make_user(name="Writer")
    community = make_community(members=[author])
    thread = make_thread(community, author, body="Version 0")
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    auth.login(author.email)
    url = f"/posts/{post.id}/edit"
    assert 'name="base_revision" type="hidden" value="0"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"body": "Version A", "base_revision": "0"}).status_code == 302
    r = client.post(url, data={"body": "Version B", "base_revision": "0"})
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "“Message” changed since you opened this form" in page
    assert "Version B</textarea>" in page and ">Version A</textarea>" in page  # mine, theirs
    db.session.expire_all()
    assert db.session.get(Post, post.id).body_source == "Version A"
    assert client.post(url, data={"body": "Version A and B", "base_revision": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post.id).body_source == "Version A and B"
