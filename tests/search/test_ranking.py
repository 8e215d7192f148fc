"""The numpy evaluator (marketplace.search.ranking) matches and scores exactly as Whoosh's own
matchers do, over an index with several segments and deleted documents."""

import random

import pytest

from marketplace.search import ranking, searching, storage

WORDS = ["budget", "water", "tariff", "school", "clinic", "audit", "council", "village", "record",
         "open", "portal", "health", "citizens", "participatory", "monitoring", "procurement",
         "complaints", "road", "market", "transparency"]
FRENCH = ["budget", "eau", "tarif", "école", "clinique", "audit", "conseil", "village", "registre",
          "ouvert", "portail"]
PHRASE = " Citizens' participatory monitoring of the open budget, by the village council."
QUERIES = [
    "water", "budget", "école", "water tariff", "open budget portal", "water OR clinic",
    "budget NOT audit", "(school OR clinic) AND village", '"open budget"', '"water tariff"',
    '"citizens participatory monitoring"', '"budget audit"~3', "title:water", "clin*",
    "country:ke water", "budget ANDMAYBE audit", "NOT water", "tariff^3 water",
    'author:"user 3"',
]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEARCH_DRAIN": "sync"}  # each commit writes its own segment


@pytest.fixture
def corpus(app, make_practice):
    from marketplace.extensions import db
    from marketplace.knowledge import services

    rng = random.Random(11)

    def text(words, n):
        return " ".join(rng.choice(words) for _ in range(n))

    practices = []
    for n in range(60):
        french = n % 5 == 0
        words = FRENCH if french else WORDS
        practices.append(make_practice(
            title=text(words, rng.randint(2, 6)).capitalize(), summary=text(words, 12),
            approach=text(words, rng.randint(20, 120)) + (PHRASE if n % 4 == 1 else ""),
            language="fr" if french else "en",
            countries=[rng.choice(["KE", "BR", "SN"])]))
    with app.test_request_context():  # updates leave deleted documents in older segments
        for practice in practices[::7]:
            data = services.practice_data(practice)
            services.update_practice(practice, practice.owner, {**data, "summary": text(WORDS, 15)},
                                     "reworded")
        db.session.commit()
    return practices


def _whoosh(s, q):
    return sorted(((round(h.score, 6), h.docnum) for h in s.search(q, limit=None)),
                  key=lambda x: (-x[0], x[1]))


def _ours(s, q):
    matched, scores = ranking.Evaluator(s).evaluate(q)
    docnums = [int(n) for n in matched.nonzero()[0]]
    if scores is None:  # nothing in the query scores: Whoosh gives every match the same score
        return docnums
    return sorted(((round(float(scores[n]), 6), n) for n in docnums), key=lambda x: (-x[0], x[1]))


def test_matches_and_scores_equal_whoosh(corpus):
    with storage.searcher() as s:
        assert len(s.reader().leaf_readers()) > 1 and s.reader().has_deletions()
        for text in QUERIES:
            q = searching.parse(text)
            ours, theirs = _ours(s, q), _whoosh(s, q)
            if ours and isinstance(ours[0], int):
                assert ours == sorted(n for _, n in theirs), text
            else:
                assert ours == theirs, text
            assert theirs, f"{text!r} matched nothing: the comparison would prove nothing"


def _key(doc_id):
    kind, _, key = doc_id.partition(":")
    return kind, int(key)


def test_query_page_is_the_evaluator_ranking(corpus):
    from marketplace import search

    with storage.searcher() as s:
        # Whoosh's scores; ties by kind, then row id (not by document number, see _ranked).
        scored = [(score, s.stored_fields(n)["doc_id"]) for score, n in
                  _whoosh(s, searching.parse("budget"))]
    expected = [doc_id for _, doc_id in sorted(scored, key=lambda x: (-x[0], _key(x[1])))]
    assert len({score for score, _ in scored}) < len(scored), "no ties: the order proves little"
    first = search.query("budget")
    pages = [first] + [search.query("budget", page=p) for p in range(2, first.pages + 1)]
    assert first.pages > 2
    assert [h.doc_id for page in pages for h in page.hits] == expected
