"""The relevance set (tests/search/relevance_set.py) over the imported Participedia methods:
success@1/@3/@10, MRR and the share of top-10 hits that show a matched word in their title or
snippet, printed on every run; the asserted floors are the values measured when the set was
written, so a change that makes search worse fails here."""

from collections import defaultdict

import pytest
from markupsafe import Markup

from marketplace import search
from tests.search.relevance_set import RELEVANCE_SET

pytestmark = pytest.mark.corpus

# Measured values the set must not fall below (raise them when search improves).
# Before any change (the set written first): success@1 .544, @3 .596, @10 .596, MRR .570, shown
# .884 (of far fewer hits: 23 queries found nothing). With best-effort matching, one tokenizer and
# corrections by edit distance: .860, .965, .982, .912, shown .792 (snippets come from the summary
# and the first 1,200 characters only). With passage snippets (the best passage anywhere in the
# stored text): shown 1.000, MRR .909. Acceptance: at least 95% of top-10 hits show a matched word.
FLOORS = {"success@1": 0.85, "success@3": 0.96, "success@10": 0.98, "mrr": 0.90, "shown": 0.95}



def _title(hit) -> str:
    return Markup(hit.title).striptags().strip()


def evaluate() -> tuple[dict, list[tuple[str, int | None, list[str]]]]:
    """(metrics, per query (query, rank of the first expected title or None, top 3 titles))."""
    rows, shown, hits_seen = [], 0, 0
    by_kind: dict[str, list[float]] = defaultdict(list)
    for case in RELEVANCE_SET:
        hits = search.query(case.query).hits[:10]
        titles = [_title(h) for h in hits]
        rank = next((i for i, t in enumerate(titles, 1) if t in case.expected), None)
        rows.append((case.query, rank, titles[:3]))
        by_kind[case.kind].append(1 / rank if rank else 0.0)
        for h in hits:
            hits_seen += 1
            shown += "<mark>" in str(h.title) or "<mark>" in str(h.snippet)
    n = len(rows)
    ranks = [r for _, r, _ in rows]
    metrics = {f"success@{k}": sum(1 for r in ranks if r and r <= k) / n for k in (1, 3, 10)}
    metrics["mrr"] = sum(1 / r for r in ranks if r) / n
    metrics["shown"] = shown / hits_seen if hits_seen else 0.0
    metrics.update({f"mrr[{k}]": sum(v) / len(v) for k, v in sorted(by_kind.items())})
    return metrics, rows


def test_relevance_set(methods, capsys):
    metrics, rows = evaluate()
    with capsys.disabled():
        print(f"\nrelevance set: {len(rows)} queries over {methods.imported} Participedia methods")
        for q, rank, top in rows:
            if rank != 1:
                print(f"  rank {rank or '-':>2}  {q!r}  top: {top}")
        print("  " + "  ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
    assert {k: v for k, v in metrics.items() if k in FLOORS and v < FLOORS[k]} == {}


# The natural-language queries and misspellings quoted in issue 12.
NATURAL = {
    "citizens decide how to spend the city budget": "Participatory Budgeting",
    "anonymous questionnaire rounds with experts to reach consensus": "Delphi Method",
    "theatre where the audience steps in to change the story": "Forum Theatre",
}
MISSPELLED = {
    "deliberativ poling": ("deliberative polling", "Deliberative Polling®"),
    "open spase technology": ("open space technology", "Open Space Technology"),
}


def test_natural_questions_and_misspellings_from_the_issue(methods):
    for text, title in NATURAL.items():
        page = search.query(text)
        assert page.partial in ("none", "few"), text  # fewer than 5 have every word
        assert title in [_title(h) for h in page.hits], text
        assert any(h.missing for h in page.hits)
        assert search.query(" AND ".join(text.split())).total < 5  # were 0 or few results
    for text, (fixed, title) in MISSPELLED.items():
        assert search.query(text, as_typed=True).suggestion == fixed
        page = search.query(text)
        assert page.corrected == fixed and _title(page.hits[0]) == title, text
