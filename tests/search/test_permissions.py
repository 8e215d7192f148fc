"""Drafts and private communities never reach someone who can't read them: not in results,
facet counts, suggestions or snippets; and they do reach those who can."""

import pytest

from marketplace import search
from marketplace.extensions import db
from tests.fixtures.communities import age


@pytest.fixture
def world(app, make_user, make_practice, make_community, make_thread, make_reply, indexed):
    author = make_user(name="Draft Author")
    member = age(make_user(name="Member"))
    outsider = make_user(name="Outsider")
    moderator = make_user(name="Mod", roles=["moderator"])
    make_practice(title="Zanzibar water kiosks", countries=["TZ"], themes=["environment"])
    draft = make_practice(owner=author, title="Zanzibar secret kiosks plan", status="draft",
                          countries=["MZ"], themes=["health"], summary="kiosks drafted quietly")
    private = make_community(private=True, members=[member], countries=["ZM"])
    thread = make_thread(private, member, title="Zanzibar kiosks confidential", body="hidden notes")
    reply = make_reply(thread, member, body="confidential kiosks reply")
    indexed()
    return {"author": author, "member": member, "outsider": outsider, "moderator": moderator,
            "draft": f"practice:{draft.id}", "thread": f"thread:{thread.id}",
            "reply": f"post:{reply.id}", "community": private}


def _everything(viewer):
    page = search.query("kiosks", viewer=viewer)
    return page, {h.doc_id for h in page.hits}


def _facet_values(page, name):
    return {value for value, _ in page.facets[name]}


@pytest.mark.parametrize("who", [None, "outsider"])
def test_hidden_from_readers_without_access(world, who):
    viewer = world[who] if who else None
    page, ids = _everything(viewer)
    assert ids.isdisjoint({world["draft"], world["thread"], world["reply"]})
    assert page.total == 1
    # Facets count only what this viewer may read: no Mozambique (draft), no Zambia (private).
    assert _facet_values(page, "countries") == {"tz"}
    assert dict(page.facets["kind"]) == {"practice": 1}
    assert "secret" not in str(page.hits[0].snippet) + str(page.hits[0].title)
    titles = [s["title"] for s in search.suggest("zanzibar", viewer)]
    assert titles == ["Zanzibar water kiosks"]
    # Asking for the hidden documents by field does not help.
    assert search.query("visibility:restricted OR kind:post", viewer=viewer).total == 0


def test_visible_to_those_who_can_read(world):
    _, ids = _everything(world["author"])
    assert world["draft"] in ids and world["thread"] not in ids
    _, ids = _everything(world["member"])
    assert {world["thread"], world["reply"]} <= ids and world["draft"] not in ids
    page, ids = _everything(world["moderator"])
    assert {world["draft"], world["thread"], world["reply"]} <= ids
    assert _facet_values(page, "countries") >= {"tz", "mz", "zm"}
    member_titles = {s["title"] for s in search.suggest("zanz", world["member"])}
    assert "Zanzibar kiosks confidential" in member_titles


def test_snippets_escape_everything_but_the_highlight(app, make_practice, indexed):
    make_practice(title="Budget <script>alert(1)</script> hearings",
                  summary="Public <b>budget</b> hearings & ledgers")
    indexed()
    hit = search.query("budget").hits[0]
    assert "<script>" not in hit.title and "&lt;script&gt;" in hit.title
    assert "<mark>Budget</mark>" in hit.title
    assert "&lt;b&gt;<mark>budget</mark>&lt;/b&gt;" in hit.snippet and "&amp;" in hit.snippet


def test_community_made_public_opens_its_threads(world, indexed):
    assert world["thread"] not in _everything(world["outsider"])[1]
    world["community"].is_private = False
    db.session.commit()
    indexed()
    assert world["thread"] in _everything(world["outsider"])[1]


def test_search_page_hides_draft_for_anonymous_and_shows_it_to_author(world, client, auth):
    html = client.get("/search?q=kiosks").get_data(as_text=True)
    assert "secret" not in html and "confidential" not in html and "Mozambique" not in html
    auth.login(world["author"].email)
    html = client.get("/search?q=kiosks").get_data(as_text=True)
    assert "Zanzibar secret <mark>kiosks</mark> plan" in html


@pytest.mark.parametrize("sort", ["relevance", "newest", "endorsed"])
def test_every_ordering_keeps_drafts_hidden(world, sort):
    for viewer in (None, world["outsider"]):
        page = search.query("kiosks OR zanzibar", viewer=viewer, sort=sort)
        ids = {h.doc_id for h in page.hits}
        assert page.total == 1 and ids.isdisjoint({world["draft"], world["thread"], world["reply"]})
    page = search.query("kiosks OR zanzibar", viewer=world["author"], sort=sort)
    assert world["draft"] in {h.doc_id for h in page.hits} and page.total == 2


def test_did_you_mean_offers_only_words_the_viewer_could_find(world, client):
    for as_typed in (False, True):  # neither offered nor applied to someone who cannot see it
        page = search.query("secrte", viewer=None, as_typed=as_typed)  # only in a draft
        assert page.suggestion is None and page.corrected is None and page.total == 0
        page = search.query("confidentail", viewer=world["outsider"], as_typed=as_typed)  # private
        assert page.suggestion is None and page.corrected is None and page.total == 0
    assert "confidential" not in client.get("/search?q=confidentail").get_data(as_text=True)
    assert search.query("secrte", viewer=world["author"], as_typed=True).suggestion == "secret"
    assert search.query("secrte", viewer=world["author"]).corrected == "secret"
    page = search.query("confidentail", viewer=world["member"], as_typed=True)
    assert page.suggestion == "confidential"
    assert search.query("confidentail", viewer=world["member"]).corrected == "confidential"
    assert search.query("zanzibr", viewer=None).corrected == "zanzibar"
