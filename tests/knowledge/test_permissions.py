"""Drafts are seen only by their authors and moderators; only they edit; IDOR gets 403/404."""

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.knowledge import services
from marketplace.knowledge.models import EditSuggestion

DRAFT_GETS = ("", "/history", "/diff", "/edit", "/suggest", "/adapt", "/suggestions")
DRAFT_POSTS = ("/publish", "/archive", "/endorse", "/unendorse", "/revert/1")


@pytest.fixture
def draft(make_practice, make_user):
    owner = make_user(email="owner@example.org")
    practice = make_practice(owner=owner, title="Secret draft", status="draft")
    coauthor = make_user(email="coauthor@example.org")
    services.set_coauthors(practice, [coauthor.id])
    db.session.commit()
    return practice


@pytest.mark.parametrize("who", [None, "stranger@example.org"])
def test_others_get_404_on_every_draft_url(client, auth, make_user, draft, who):
    if who:
        make_user(email=who)
        auth.login(who)
    for suffix in DRAFT_GETS:
        assert client.get(f"/practices/{draft.slug}{suffix}").status_code in (
            (404,) if who else (404, 302)), suffix
    for suffix in DRAFT_POSTS:
        assert client.post(f"/practices/{draft.slug}{suffix}").status_code in (
            (404,) if who else (404, 302)), suffix
    for qs in ("", "status=draft", "q=Secret"):
        assert "Secret draft" not in client.get(f"/practices/?{qs}").get_data(as_text=True)


@pytest.mark.parametrize("who", ["owner@example.org", "coauthor@example.org", "mod"])
def test_authors_and_moderators_see_and_edit_drafts(client, auth, make_user, draft, who):
    if who == "mod":
        who = make_user(email="mod@example.org", roles=["moderator"]).email
    auth.login(who)
    assert "Secret draft" in client.get(f"/practices/{draft.slug}").get_data(as_text=True)
    assert client.get(f"/practices/{draft.slug}/edit").status_code == 200
    assert client.get(f"/practices/{draft.slug}/history").status_code == 200
    assert "Secret draft" in client.get("/practices/?status=draft").get_data(as_text=True)
    assert "Secret draft" not in client.get("/practices/").get_data(as_text=True)


def test_members_cannot_edit_published_practices_directly(client, auth, make_practice,
                                                          make_user):
    practice = make_practice(title="Public one")
    make_user(email="member@example.org")
    auth.login("member@example.org")
    assert client.get(f"/practices/{practice.slug}").status_code == 200
    assert client.get(f"/practices/{practice.slug}/edit").status_code == 403
    assert client.post(f"/practices/{practice.slug}/edit", data={"title": "Hijack"}
                       ).status_code == 403
    assert client.get(f"/practices/{practice.slug}/suggestions").status_code == 403
    for suffix in ("/publish", "/archive", "/revert/1"):
        assert client.post(f"/practices/{practice.slug}{suffix}").status_code == 403
    assert client.get(f"/practices/{practice.slug}/suggest").status_code == 200
    page = client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    assert "Edit practice" not in page and "Suggest an edit" in page


def test_author_cannot_suggest_or_endorse_own(client, auth, make_practice):
    practice = make_practice()
    auth.login(practice.owner.email)
    assert client.get(f"/practices/{practice.slug}/suggest").status_code == 403
    assert client.post(f"/practices/{practice.slug}/endorse", data={"kind": "applied"}
                       ).status_code == 403


def test_anonymous_is_sent_to_sign_in_for_actions(client, make_practice):
    practice = make_practice()
    for path in ("/new", f"/{practice.slug}/edit", f"/{practice.slug}/suggest",
                 f"/{practice.slug}/adapt"):
        r = client.get(f"/practices{path}")
        assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_suggestion_of_another_practice_is_404(client, auth, make_practice, make_user):
    mine = make_practice(title="Mine")
    theirs = make_practice(title="Theirs")
    with client.application.test_request_context():
        services.suggest_edit(theirs, make_user(),
                              {**services.practice_data(theirs), "title": "Changed"})
        db.session.commit()
    suggestion = db.session.scalar(select(EditSuggestion))
    auth.login(mine.owner.email)
    for action in ("accept", "reject"):
        r = client.post(f"/practices/{mine.slug}/suggestions/{suggestion.id}/{action}",
                        data={"reason": "x"})
        assert r.status_code == 404
    assert db.session.get(EditSuggestion, suggestion.id).is_pending


def test_draft_adaptations_stay_out_of_the_parents_lineage(client, auth, make_practice,
                                                           make_user):
    parent = make_practice(title="Parent")
    adapter = make_user(email="adapter@example.org")
    with client.application.test_request_context():
        child = services.adapt_practice(parent, adapter, "SN", "ctx", "why")
        db.session.commit()
    page = client.get(f"/practices/{parent.slug}").get_data(as_text=True)
    assert child.title not in page and "Adapted directly in 0 countries" in page
    auth.login(adapter.email)
    assert child.title in client.get(f"/practices/{parent.slug}").get_data(as_text=True)
