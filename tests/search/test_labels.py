"""Theme, tag and country names find what is tagged with them, in every site language; a blank
query is no dead end; "did you mean" leaves correct words alone (tester's report M4, minor 4, 12)."""

import pytest

from marketplace import search
from marketplace.search.schema import LABEL_BOOST, TITLE_BOOST, label_terms


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEARCH_DRAIN": "sync"}  # every commit is searchable at once


def ids(text: str, **kwargs) -> set[str]:
    return {h.doc_id for h in search.query(text, **kwargs).hits}


@pytest.fixture
def tagged(make_practice):
    """Two anti-corruption practices (one written in French) whose text never names the theme,
    and one on health."""
    made = [make_practice(title="Asset declarations online", summary="Officials publish assets.",
                          themes=["anti-corruption"], countries=["KE"]),
            make_practice(title="Registre des bénéficiaires", summary="Qui possède les sociétés.",
                          themes=["anti-corruption"], countries=["SN"], language="fr"),
            make_practice(title="Clinic scorecards", summary="Patients rate clinics.",
                          themes=["health"], countries=["BR"], tags=["social audit"])]
    return [f"practice:{p.id}" for p in made]


@pytest.mark.parametrize("query", ["anti-corruption", "corruption", "anticorruption",
                                   "Anticorrupción", "lutte contre la corruption",
                                   '"lutte contre la corruption"', "Anti-Corruption"])
def test_a_theme_name_in_english_french_or_spanish_finds_its_practices(app, tagged, query):
    assert ids(query) == set(tagged[:2])


def test_country_names_and_tags_find_their_items_in_every_language(app, tagged):
    assert tagged[2] in ids("Brazil") and tagged[2] in ids("Brésil") and tagged[2] in ids("Brasil")
    assert tagged[0] in ids("Kenya")
    assert ids("social audit") >= {tagged[2]} and ids("audit") >= {tagged[2]}


def test_a_title_match_ranks_above_a_theme_name(app, make_practice):
    themed = make_practice(title="Open budgets", themes=["health"], countries=["FR"])
    titled = make_practice(title="Health hotline", themes=["governance"], countries=["FR"])
    assert LABEL_BOOST < TITLE_BOOST
    assert [h.doc_id for h in search.query("health").hits] == [f"practice:{titled.id}",
                                                                f"practice:{themed.id}"]


def test_the_search_page_finds_a_theme_in_french(app, client, tagged):
    client.set_cookie("lang", "fr")
    html = client.get("/search?q=lutte+contre+la+corruption").get_data(as_text=True)
    assert "2 résultats" in html and "Asset declarations online" in html
    assert "Vouliez-vous dire" not in html


def test_label_terms_keep_stop_words_and_join_hyphens():
    assert label_terms([("Anti-corruption", "en"), ("Lutte contre la corruption", "fr")]) == \
        "anti corrupt | anticorrupt | lutt contr la corrupt"


@pytest.mark.parametrize("q", ["+", "%20%20%20", "%E2%80%8B"])
def test_a_query_of_only_spaces_is_the_search_page_with_a_hint(app, client, tagged, q):
    response = client.get(f"/search?q={q}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Type a word to search." in html
    assert "Asset declarations online" in html  # the empty query: everything the reader may see
    assert "Write some visible text" not in html


def test_a_practice_list_query_of_only_spaces_lists_every_practice(app, client, tagged):
    response = client.get("/practices/?q=%20%20")
    assert response.status_code == 200 and "Asset declarations online" in response.get_data(as_text=True)


def test_did_you_mean_leaves_stop_words_and_plurals_alone(app, make_practice):
    make_practice(title="Centre for public procurement", summary="A public procurement centre.",
                  language="fr")
    for query in ("lutte contre la corruption", "marchés publics"):
        page = search.query(query)
        assert page.suggestion is None and page.corrected is None, query
    assert search.query("procurment centre").suggestion == "procurement centre"  # a real typo


def test_snippets_show_plain_text_not_markdown(app, client, make_community, make_practice):
    make_community(name="Budget officers",
                   description="County officers and NGOs in **Kenya** and city staff in _Brazil_ "
                               "share [budget](https://example.org) calendars.")
    make_practice(title="Open budget calendars", summary="A **budget** calendar, published.",
                  problem="## Budget\n\n* late **budget** documents")
    page = search.query("budget")
    snippets = [str(h.snippet) for h in page.hits]
    assert len(snippets) >= 2 and not any("**" in s or "##" in s or "](" in s for s in snippets)
    assert any("<mark>budget</mark> calendars" in s for s in snippets)
    html = client.get("/search?q=budget").get_data(as_text=True)
    assert "**" not in html
