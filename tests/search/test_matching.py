"""Best-effort matching, spelling corrections and the one tokenizer of documents and queries."""

import pytest

from marketplace import search
from marketplace.search.schema import prestem, words


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEARCH_DRAIN": "sync"}  # every commit is searchable at once


def ids(text: str, **kw) -> list[str]:
    return [h.doc_id for h in search.query(text, **kw).hits]


# --- best-effort matching -----------------------------------------------------------------


@pytest.fixture
def demo(app, monkeypatch):
    from marketplace import demo as seeders

    monkeypatch.setenv("MARKETPLACE_DEMO_PASSWORD", "demo-Password-for-tests-1")
    with app.test_request_context():
        seeders.run_all()


def test_procurement_transparency_on_the_demo_data_shows_results_with_most_words(demo, client):
    assert search.query("procurement AND transparency").total == 0  # no document has both
    page = search.query("procurement transparency")
    assert page.total >= 10 and page.partial == "none" and page.facets["kind"]
    assert all(h.missing in (["procurement"], ["transparency"]) for h in page.hits)
    html = client.get("/search?q=procurement+transparency").get_data(as_text=True)
    assert "No result has every word; showing results with most of them." in html
    assert "Missing: <s>transparency</s>" in html and "0 results" not in html

    # Explicit syntax stays strict: AND, a quoted phrase, +word.
    assert search.query('"procurement transparency"').total == 0
    assert search.query("+procurement +transparency").total == 0
    page = search.query("+procurement transparency")
    assert page.total and all(h.missing == ["transparency"] for h in page.hits)
    # Misspelled: the stems already find documents with most words; the correction is offered
    # because it finds something (it would not be otherwise, see below).
    page = search.query("procurment transparancy")
    assert page.suggestion == "procurement transparency" and page.partial == "none"
    assert page.total == search.query("procurement transparency").total
    # Nothing as typed: the correction's results, and a way back to what was typed.
    page = search.query("procurmetn trasparency")
    assert page.corrected == "procurement transparency" and page.partial == "none"
    html = client.get("/search?q=procurmetn+trasparency").get_data(as_text=True)
    assert "Showing results for <strong>procurement transparency</strong>" in html
    assert "search instead for procurmetn trasparency" in html
    assert search.query("procurmetn trasparency", as_typed=True).total == 0
    json = client.get("/api/v1/search?q=procurement+transparency").get_json()
    assert json["partial"] == "none" and json["hits"][0]["missing"]


def test_full_matches_first_then_most_words_ranked_by_coordination(app, make_practice):
    both = make_practice(title="Water tariffs for rural kiosks")
    rare_one = make_practice(title="Kiosks run by women", summary="kiosks")  # the rarer word
    common_one = make_practice(title="Rural water boards", summary="water")
    for n in range(6):
        make_practice(title=f"Water committee {n}")
    neither = make_practice(title="Road maintenance")
    page = search.query("water kiosks")
    assert page.partial == "few" and page.hits[0].doc_id == f"practice:{both.id}"
    order = [h.doc_id for h in page.hits]
    assert order.index(f"practice:{rare_one.id}") < order.index(f"practice:{common_one.id}")
    assert f"practice:{neither.id}" not in order
    assert page.hits[0].missing == [] and page.hits[1].missing == ["water"]
    # enough documents with every word: only those
    for n in range(5):
        make_practice(title=f"Kiosks for water {n}")
    page = search.query("water kiosks")
    assert page.total == 6 and page.partial == "" and all(not h.missing for h in page.hits)


def test_most_of_the_words_means_at_least_half_of_them(app, make_practice):
    three = make_practice(title="Solar pumps for school gardens")
    one = make_practice(title="Solar lamps")
    page = search.query("solar pumps school clinics")
    assert ids("solar pumps school clinics") == [f"practice:{three.id}"]  # "Solar lamps": 1 of 4
    assert page.hits[0].missing == ["clinics"]
    assert set(ids("solar clinics")) == {f"practice:{three.id}", f"practice:{one.id}"}
    assert ids("clinics wells solar") == [f"practice:{three.id}", f"practice:{one.id}"] or \
        set(ids("clinics wells solar")) == {f"practice:{three.id}", f"practice:{one.id}"}
    assert search.query("clinics wells lamps").total == 1  # when half finds nothing, fewer


# --- spelling ---------------------------------------------------------------------------------


def test_corrections_by_edit_distance_then_by_visible_frequency(app, make_practice):
    make_practice(title="Deliberative polling in towns")
    for n in range(4):
        make_practice(title=f"Deliberative policy {n}")
    page = search.query("deliberativ poling", as_typed=True)
    assert page.total == 0 and page.suggestion == "deliberative polling"  # 1 edit, not 2
    assert search.query("deliberativ poling").corrected == "deliberative polling"
    make_practice(title="Court of appeal")
    for n in range(3):
        make_practice(title=f"Cart {n}")
    assert search.query("cort", as_typed=True).suggestion == "cart"  # 1 edit each: the frequent
    assert search.query("court cart", as_typed=True).suggestion is None  # known words
    make_practice(title="Charter alpha6")
    page = search.query("alpha0")  # a name with a digit is not a typo of another
    assert page.total == 0 and page.corrected is None and page.suggestion is None


def test_a_correction_is_offered_only_when_it_finds_something(app, make_practice):
    make_practice(title="Water kiosks", countries=["KE"])
    make_practice(title="Road tolls", countries=["GH"])
    assert search.query("watr", as_typed=True).suggestion == "water"
    page = search.query("watr", {"country": "GH"}, as_typed=True)
    assert page.suggestion is None and page.total == 0  # "water" finds nothing in Ghana
    page = search.query("watr", {"country": "GH"})
    assert page.corrected is None and page.total == 0


# --- one tokenizer ------------------------------------------------------------------------------


def test_tokenizer_rules():
    assert words("Change.org, AskThem.io and Rahvaalgatus.ee") == [
        "change", "org", "askthem", "io", "and", "rahvaalgatus", "ee"]
    assert words("e.g. the U.S.A. or U.S") == ["eg", "the", "usa", "or", "us"]
    assert words("1,000,000 people; 10\u00a0000 € ; 2,5 or 2.5 km; 1,2,3") == [
        "1000000", "people", "10000", "2.5", "or", "2.5", "km", "1", "2", "3"]
    assert words("Robert's rules, citizens’ jury, l'État, e-voting") == [
        "robert", "rules", "citizens", "jury", "l", "état", "e", "voting"]
    # stop words keep their position
    assert prestem("space for open", "en") == "space | open"
    assert prestem("licitación pública", "es") == prestem("licitacion publica", "es")


def test_queries_split_words_as_documents_do(app, make_practice):
    change = make_practice(title="Petitions on Change.org", summary="e.g. budget requests")
    askthem = make_practice(title="AskThem.io questions", summary="Rahvaalgatus.ee proposals")
    dotted = make_practice(title="Open data (e.g. budget lines)")
    assert ids("Change.org") == [f"practice:{change.id}"]
    assert ids("change.org") == [f"practice:{change.id}"]
    assert ids("AskThem.io") == [f"practice:{askthem.id}"]
    assert ids("Rahvaalgatus.ee") == [f"practice:{askthem.id}"]
    assert set(ids("e.g. budget")) == {f"practice:{change.id}", f"practice:{dotted.id}"}
    assert "<mark>Change.org</mark>" in str(search.query("Change.org").hits[0].title).replace(
        "</mark>.<mark>", ".")


def test_phrases_keep_the_place_of_dropped_stop_words(app, make_practice):
    spaced = make_practice(title="A space for open dialogue")
    together = make_practice(title="Open space technology", summary="space open days")
    assert ids('"space open"') == [f"practice:{together.id}"]
    assert ids('"space for open"') == [f"practice:{spaced.id}"]
    assert set(ids('"open space"')) == {f"practice:{together.id}"}


def test_accents_folded_in_every_language(app, make_practice):
    es = make_practice(title="Licitación pública abierta", language="es",
                       summary="Contrataciones y licitaciones")
    fr = make_practice(title="Évaluation citoyenne", language="fr")
    assert ids("licitacion") == [f"practice:{es.id}"]
    assert ids("licitación") == [f"practice:{es.id}"]
    assert ids("LICITACIONES publica") == [f"practice:{es.id}"]
    assert ids("evaluation citoyenne") == [f"practice:{fr.id}"]
    assert "<mark>Licitación</mark>" in str(search.query("licitacion").hits[0].title)
