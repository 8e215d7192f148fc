"""Snippets: the passage of the title, summary, body or tags that matches the query best, with
the matched words (stemmed forms included) marked and everything else escaped."""

import pytest
from markupsafe import Markup

from marketplace import search

FILLER = "The committee met every week and wrote minutes for the archive. " * 60  # ~3,900 chars


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEARCH_DRAIN": "sync"}


def _hit(text: str):
    page = search.query(text)
    assert page.hits, text
    return page.hits[0]


def test_snippet_is_the_matching_passage_deep_in_the_body(app, make_practice):
    make_practice(title="Neighbourhood assemblies", summary="How the district ran its meetings.",
                  approach=FILLER + "Residents voted on a lighthouse restoration fund. " + FILLER)
    hit = _hit("lighthouse")
    assert "<mark>lighthouse</mark> restoration fund" in hit.snippet
    assert hit.snippet.startswith("… ") and hit.snippet.endswith(" …")
    assert len(Markup(hit.snippet).striptags()) <= 250
    # Past the old 1,200-character excerpt and past 5,000 characters: still found.
    make_practice(title="Long report", approach=FILLER + FILLER + "A zeppelin landed.")
    assert "<mark>zeppelin</mark> landed" in _hit("zeppelin").snippet


def test_stemmed_forms_are_marked(app, make_practice):
    make_practice(title="Town finances", summary="Short summary.",
                  approach=FILLER + "Participatory budgeting let residents choose. " + FILLER)
    snippet = _hit("budgets").snippet
    assert "<mark>budgeting</mark>" in snippet
    make_practice(title="Évaluation", language="fr", summary="Résumé.",
                  approach=FILLER + "Les évaluations participatives des politiques. " + FILLER)
    assert "<mark>évaluations</mark>" in _hit("evaluation participative").snippet


def test_the_passage_with_most_query_words_wins(app, make_practice):
    body = (FILLER + "The river flooded again. " + FILLER
            + "Volunteers mapped the river and the flood defences together. " + FILLER)
    make_practice(title="Community mapping", summary="Mapping work.", approach=body)
    snippet = _hit("river flood volunteers").snippet
    assert "<mark>Volunteers</mark> mapped the <mark>river</mark>" in snippet
    assert "<mark>flood</mark> defences" in snippet


def test_summary_and_tags_are_eligible(app, make_practice):
    make_practice(title="Alpha", summary="A kiosk for water payments.", approach=FILLER)
    assert "<mark>kiosk</mark>" in _hit("kiosk").snippet
    make_practice(title="Beta", summary="Nothing here.", approach=FILLER, tags=["quadratic voting"])
    assert "<mark>quadratic</mark>" in _hit("quadratic").snippet


def test_passages_are_escaped_and_without_a_match_start_at_the_beginning(app, make_practice):
    make_practice(title="Gamma", summary="Opening line.",
                  approach=FILLER + "Use <script>alert(1)</script> & a <b>ledger</b>. " + FILLER)
    snippet = _hit("ledger").snippet
    # (the Markdown is flattened to plain text first; a ">" that is no quote mark stays text)
    assert "<script" not in snippet and "&lt;script" in snippet and "&amp;" in snippet
    assert "&lt;b&gt;<mark>ledger</mark>&lt;/b&gt;" in snippet
    # A title-only match (the title words are not in the text) shows the text's beginning.
    make_practice(title="Xylophone orchestra", summary="Opening line of the summary.",
                  approach=FILLER)
    snippet = _hit("xylophone").snippet
    assert snippet.startswith("Opening line of the summary.") and "<mark>" not in snippet
