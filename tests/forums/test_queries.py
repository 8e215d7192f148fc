"""The thread page runs a constant number of queries, whatever the number of posts on it."""

import pytest

from marketplace.extensions import db
from marketplace.forums.services import toggle_reaction
from tests.queries import count_queries


def _thread_with(n, make_user, make_community, make_thread, make_reply, aged):
    users = [aged(make_user(name=f"Poster {i}")) for i in range(4)]
    community = make_community(owner=users[0], members=users[1:])
    thread = make_thread(community, users[0], kind="question")
    for i in range(n - 1):
        post = make_reply(thread, users[(i + 1) % 4], f"Reply {i}")
        toggle_reaction(users[i % 4], post, "helpful")
    db.session.commit()
    return thread


@pytest.mark.parametrize("signed_in", [False, True])
def test_thread_page_queries_do_not_grow_with_posts(app, client, auth, make_user, make_community,
                                                    make_thread, make_reply, aged,
                                                    signed_in):
    small = _thread_with(3, make_user, make_community, make_thread, make_reply, aged)
    full = _thread_with(20, make_user, make_community, make_thread, make_reply, aged)
    if signed_in:
        reader = make_user(email="reader@example.org")
        from marketplace.communities.services import add_member
        add_member(small.community, reader)
        add_member(full.community, reader)
        db.session.commit()
        auth.login("reader@example.org")
    small_id, full_id = small.id, full.id
    db.session.expunge_all()
    few = count_queries(lambda: client.get(f"/threads/{small_id}"))
    many = count_queries(lambda: client.get(f"/threads/{full_id}"))
    assert many == few, (few, many)
    assert many <= (16 if signed_in else 8)
