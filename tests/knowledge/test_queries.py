"""The practice page runs the same number of queries with 1 or 50 related rows."""

import pytest

from marketplace.extensions import db
from marketplace.knowledge import services
from tests.queries import QueryCounter


def _grow(practice, n, make_user):
    """n revisions, n endorsements and n published adaptations (each in its own country)."""
    countries = ["KE", "BR", "SN", "FR", "IN", "CO", "UA", "NG", "JP", "ES"]
    for i in range(n - 1):
        data = {**services.practice_data(practice), "lessons": f"Lesson {i}"}
        services.update_practice(practice, practice.owner, data)
    for i in range(n):
        user = make_user()
        services.endorse(practice, user, "applied", f"comment {i}")
        child = services.adapt_practice(practice, user, countries[i % 10], "ctx", "why")
        services.publish_practice(child)
    db.session.commit()


def _count(client, path):
    db.session.expire_all()
    with QueryCounter(db.engine) as counter:
        response = client.get(path)
    assert response.status_code == 200
    return counter.count, response.get_data(as_text=True)


@pytest.mark.parametrize("signed_in", [False, True])
def test_practice_page_queries_do_not_grow(app, client, auth, make_practice, make_user,
                                           signed_in):
    small, big = make_practice(title="Small"), make_practice(title="Big")
    with app.test_request_context():
        _grow(small, 1, make_user)
        _grow(big, 50, make_user)
    if signed_in:
        auth.login(make_user(email="reader@example.org").email)
    client.get(f"/practices/{small.slug}")  # warm caches (locale, etc.)
    n_small, _ = _count(client, f"/practices/{small.slug}")
    n_big, html = _count(client, f"/practices/{big.slug}")
    assert "Adapted directly in 10 countries" in html and "Revision 50" in html
    assert n_small == n_big, (n_small, n_big)
    n_child, _ = _count(client, f"/practices/{big.slug}-kenya")
    assert n_child <= n_big + 8
    if not signed_in:  # row, facts, endorsements, adaptation countries, lineage, case studies,
        # the lineage's case-study metrics (evidence across the lineage), the attached files
        assert n_big <= 8, n_big
        # + ancestors, the parent diff's organization names, its review of the parent (has the
        # original changed?); no evidence query under a childless adaptation
        assert n_child <= 9, n_child


def test_list_page_queries_do_not_grow(client, make_practice, make_user):
    owner = make_user()
    make_practice(owner=owner)
    n_one, _ = _count(client, "/practices/")
    for _ in range(19):
        make_practice(owner=owner, countries=["KE", "BR"], themes=["health", "education"])
    n_many, _ = _count(client, "/practices/")
    assert n_one == n_many
    # count, card columns, countries and themes; + the world map's GROUP BY after a commit
    assert n_many <= 4, n_many
    n_warm, _ = _count(client, "/practices/")
    assert n_warm == n_many - 1  # then the map's counts come from the cache
