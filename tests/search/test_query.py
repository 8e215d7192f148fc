"""Query features a reader sees: languages, filters and facets, sorting, paging, suggestions."""

import pytest

from marketplace import search
from marketplace.extensions import db


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEARCH_DRAIN": "sync"}  # every commit is searchable at once


def full(text: str) -> list[str]:
    """The hits that have every word of the query (those with most of them may follow)."""
    return [h.doc_id for h in search.query(text).hits if not h.missing]


def test_french_and_spanish_words_match_their_inflections(app, make_practice):
    fr = make_practice(title="Évaluation des politiques publiques", language="fr",
                       summary="Une évaluation participative", countries=["SN"])
    es = make_practice(title="Presupuestos participativos municipales", language="es",
                       countries=["PE"])
    assert [h.doc_id for h in search.query("évaluations").hits] == [f"practice:{fr.id}"]
    assert [h.doc_id for h in search.query("evaluation").hits] == [f"practice:{fr.id}"]
    assert full("presupuesto participativo") == [f"practice:{es.id}"]
    assert search.query("presupuesto participativo").hits[0].doc_id == f"practice:{es.id}"
    assert "<mark>Évaluation</mark>" in search.query("évaluations").hits[0].title


def test_filters_facets_sort_and_pages(app, make_practice, client):
    for n in range(12):
        make_practice(title=f"Water board {n}", countries=["KE" if n % 2 else "GH"],
                      themes=["environment" if n < 4 else "governance"])
    page = search.query("water", {"country": "KE"})
    assert page.total == 6
    assert dict(page.facets["countries"]) == {"ke": 6}  # counted apart from the 10 shown
    assert dict(search.query("water").facets["themes"]) == {"environment": 4, "governance": 8}
    assert search.query("water", {"country": "KE", "theme": "environment"}).total == 2
    assert search.query("water AND NOT board").total == 0
    assert search.query("country:gh water").total == 6

    first, second = search.query("water"), search.query("water", page=2)
    assert (first.total, len(first.hits), len(second.hits)) == (12, 10, 2)
    newest = search.query("water", sort="newest").hits
    assert newest[0].title.striptags() == "Water board 11"

    html = client.get("/search?q=water&country=KE").get_data(as_text=True)
    assert "6 results" in html and "Remove filter: Kenya" in html
    assert 'href="/search?q=water&amp;sort=relevance&amp;country=KE&amp;theme=environment"' in html


def test_most_endorsed_first(app, make_practice, make_user):
    from marketplace.knowledge import services

    quiet, loved = make_practice(title="Tax help desks"), make_practice(title="Tax amnesty")
    with app.test_request_context():
        for _ in range(2):
            services.endorse(loved, make_user(), "recommend")
        db.session.commit()
    assert [h.doc_id for h in search.query("tax", sort="endorsed").hits] == [
        f"practice:{loved.id}", f"practice:{quiet.id}"]


def test_did_you_mean_on_the_page_and_suggestions_as_you_type(app, client, make_practice):
    make_practice(title="Participatory budgeting")
    html = client.get("/search?q=participatroy&as_typed=1").get_data(as_text=True)
    assert "Did you mean" in html and 'href="/search?q=participatory&amp;sort=relevance"' in html
    html = client.get("/search?q=participatroy").get_data(as_text=True)  # nothing as typed
    assert "Showing results for <strong>participatory</strong>" in html and "1 result" in html
    assert 'href="/search?q=participatroy&amp;as_typed=1&amp;sort=relevance"' in html

    data = client.get("/search/suggest?q=partic").get_json()
    assert [s["title"] for s in data["suggestions"]] == ["Participatory budgeting"]
    assert data["suggestions"][0]["url"].startswith("/practices/")
    fragment = client.get("/search/suggest/fragment?q=budg").get_data(as_text=True)
    assert "Participatory budgeting" in fragment and "<html" not in fragment
    assert client.get("/search/suggest?q=p").get_json() == {"suggestions": []}


def test_header_search_box_and_empty_page(client, indexed):
    indexed()  # a fresh install has no index until the first rebuild
    home = client.get("/").get_data(as_text=True)
    assert 'role="search"' in home and 'for="site-search"' in home
    page = client.get("/search")
    assert page.status_code == 200 and "<h1>Search</h1>" in page.get_data(as_text=True)


def test_title_matches_rank_first_and_pages_have_no_gaps(app, make_practice):
    in_title = {make_practice(title=f"Irrigation scheme {n}", summary="farm water").id
                for n in range(12)}
    in_body = {make_practice(title=f"Farm plan {n}", summary=f"irrigation {n}").id
               for n in range(11)}
    pages = [search.query("irrigation", page=n) for n in (1, 2, 3)]
    ids = [int(h.doc_id.split(":")[1]) for p in pages for h in p.hits]
    assert pages[0].total == 23 and len(ids) == 23 and len(set(ids)) == 23
    assert set(ids[:12]) == in_title and set(ids[12:]) == in_body
    assert search.query("irrigation NOT farm").total == 0
    assert search.query("irrigation", page=9).page == 3  # past the end: the last page


def test_projects_and_events_appear_once_open(app, make_project, make_user):
    owner = make_user()
    draft = make_project(owner=owner, title="Solar clinics fund")
    assert search.query("solar").total == 0
    assert [h.doc_id for h in search.query("solar", viewer=owner).hits] == [f"project:{draft.id}"]
    from datetime import timedelta

    from marketplace.database import utcnow

    event = make_project(title="Solar mentoring exchange", state="open", kind="event",
                         starts_at=utcnow() + timedelta(days=40), place="Kisumu")
    page = search.query("solar", {"kind": "event"})
    assert [(h.doc_id, h.kind) for h in page.hits] == [(f"project:{event.id}", "event")]


def test_two_words_rank_titles_holding_both_then_one_then_none(app, make_practice):
    both = {make_practice(title=f"Rural water tariffs {n}").id for n in range(4)}
    one = {make_practice(title=f"Water kiosks {n}", summary="tariffs").id for n in range(5)}
    neither = {make_practice(title=f"Kiosk plan {n}", summary="water tariffs").id
               for n in range(6)}
    ids = [int(h.doc_id.split(":")[1])
           for n in (1, 2) for h in search.query("water tariffs", page=n).hits]
    assert len(ids) == 15 and set(ids[:4]) == both and set(ids[4:9]) == one
    assert set(ids[9:]) == neither


def test_phrases_match_words_in_order_and_next_to_each_other(app, make_practice):
    exact = make_practice(title="Open budget portal", summary="The citizens budget was published")
    apart = make_practice(title="Budget for citizens", summary="Citizens asked for a budget")
    reversed_ = make_practice(title="Portal budget open", summary="budget citizens")
    assert [h.doc_id for h in search.query('"open budget"').hits] == [f"practice:{exact.id}"]
    # Stop words are not indexed, so "citizens' budget" and "citizens budget" are one phrase.
    assert {h.doc_id for h in search.query('"citizens budget"').hits} == {f"practice:{exact.id}"}
    assert [h.doc_id for h in search.query('"budget open"').hits] == [f"practice:{reversed_.id}"]
    assert search.query('"budget citizens" portal').total == 1
    # ...but they keep their places: "Citizens asked for a budget" has "budget" 4 words on.
    assert search.query('"citizens budget"~3').total == 1
    assert {h.doc_id for h in search.query('"citizens budget"~4').hits} == {
        f"practice:{exact.id}", f"practice:{apart.id}"}
    assert "<mark>budget</mark>" in str(search.query('"open budget"').hits[0].title).lower()


def test_words_that_are_stop_words_only_in_other_languages_are_searchable(app, make_practice):
    ai_en = make_practice(title="AI for budget forecasting", language="en")
    fr = make_practice(title="Budget participatif", summary="Il a publié son budget", language="fr")
    es = make_practice(title="Budget del municipio", language="es")
    plain_en = make_practice(title="Budget hearings", language="en")
    sea = make_practice(title="Sea level monitoring", language="en")
    ids = lambda q: {h.doc_id for h in search.query(q).hits}  # noqa: E731
    assert ids("AI") == {f"practice:{ai_en.id}"}  # "ai" is a French stop word, not an English one
    assert ids("sea") == {f"practice:{sea.id}"}  # a Spanish stop word
    # French documents never index "ai", so they need only the other words; the rest need both.
    assert set(full("AI budget")) == {f"practice:{ai_en.id}", f"practice:{fr.id}"}
    assert f"practice:{es.id}" not in full("AI budget")
    assert ids("son") == set()  # a stop word in French and Spanish: not every such document
    assert search.query('"sea level"').total == 1
    assert not {f"practice:{ai_en.id}", f"practice:{plain_en.id}"} & ids("the")  # English drops it
