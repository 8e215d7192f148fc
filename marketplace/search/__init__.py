"""Search: one permission-aware Whoosh index over every searchable kind, kept in step with the DB.

This package is the only code that imports Whoosh. Its face:

    upsert(doc) / delete(doc_id)      write one document now (under the indexer lock)
    query(text, filters, viewer, page, sort) -> Page   hits, facets, "did you mean"
    suggest(prefix, viewer)           titles of every kind for search-as-you-type
    people_or_none(text, viewer)      people ids by expertise and work (the expert directory)
    reindex() / check() / optimize()  rebuild into a new directory and swap; compare with DB
    wait_until_indexed()              block until committed changes are searchable

Design decisions (numbers from issue 4, measured on this kind of machine):

* Consistency via an outbox. Plain concurrent Whoosh writers lost 89 of 100 updates to
  LockError; writers waiting on the lock blocked requests up to 1.4 s (p95). So a request never
  touches the index: an `after_flush` listener writes `search_outbox` rows in the same
  transaction (a rollback leaves none), and after commit one indexer — whoever gets a
  non-blocking flock — drains them, reloading each document in a fresh session. Modes
  (SEARCH_DRAIN): "thread" (a background thread per process; default), "sync" (drain inside the
  commit; SEARCH_SYNC=True is the same), "manual" (default under TESTING: only
  `wait_until_indexed()` / `marketplace search drain` / `marketplace search worker` drain).
* Drain commits use merge=False; small segments are merged when there are more than a dozen,
  and `marketplace search optimize` merges everything.
* Long-lived searchers in a per-process pool, each lent to one thread at a time and reopened
  only when the index changed, reusing readers of unchanged segments (opening one per request
  cost ~150 ms at 20k documents; Whoosh's own refresh() brought deleted documents back). Storage is opened with
  supports_mmap=False (with mmap a process reached 3.2 GB at 100k documents).
* Highlighting does not store character offsets in the postings (the issue measured offsets
  making 1-term queries faster but phrase and facet queries slower and the index bigger). Each
  document stores its plain body (zlib-compressed); a hit's snippet is the passage of its
  summary, body or tags holding the most query terms, found with one regex per query and each
  candidate word stemmed through a cached stemmer; everything is escaped and only <mark> is
  markup (docs/search.md).
* Matching and ranking run over whole posting lists with numpy (search/ranking.py): each
  term's postings are read once per query, a block at a time, and every node of the query
  tree becomes a boolean array (matches) and a float array (Whoosh's BM25F scores, title x3,
  combined as its matchers combine them), so the ranking is Whoosh's, computed for every match
  at array speed instead of ~10 µs per document in Python. The total, the facet counts
  (popcounts against per-segment term bitmasks) and the page come from the same arrays.
* Posting blocks are stored as raw arrays (search/codec.py: uint32 document numbers, float32
  weights, uint16 positions), larger (512 postings) and uncompressed, so numpy reads a block
  with a few calls instead of unpickling an object per posting; `text` and `title_terms` keep
  positions for phrases. A rebuild of 5,000+ documents runs in one process per CPU, each
  indexing slices of 10,000 rows into a segment of its own, in memory (search/rebuild.py).
* Languages: text is stemmed *before* Whoosh with the document's language stemmer (English,
  French, Spanish snowball; others unstemmed) and accent-folded. A query word expands to its
  (usually one or two) distinct stems across the languages, a phrase to one phrase per
  language, so "évaluations" finds "évaluation". Per-language fields made every word eight
  field lookups; see docs/benchmarks.md "## Search".
* Visibility: public documents carry "public"; others carry "restricted" plus
  "community:<id>" or "draft user:<id>…". Every query removes the restricted documents the
  viewer has no token for from the match array before anything is counted or shown.
* The index lives in SEARCH_INDEX_DIR/gen-*/ with a CURRENT pointer file swapped atomically;
  if it is missing or unreadable, search says it is being rebuilt and other pages never notice.
"""

from marketplace.search import indexer, storage
from marketplace.search.indexer import (  # noqa: F401  (registers the session listeners)
    check,
    drain,
    optimize,
    reindex,
    wait_until_indexed,
)
from marketplace.search.searching import people, query, suggest  # noqa: F401


def people_or_none(text: str, viewer=None) -> list[int] | None:
    """`searching.people`, or None while there is no index (the directory then falls back)."""
    try:
        return people(text, viewer)
    except storage.IndexUnavailable:
        return None


def upsert(doc: dict) -> None:
    """Write one document built by marketplace.search.documents.doc()."""
    with storage.indexer_lock(10.0) as held:
        if not held:
            raise TimeoutError("search indexer lock busy")
        writer = storage.writer(storage.open_index(), timeout=5.0)
        writer.update_document(**indexer.fields(doc))
        writer.commit(merge=False)


def delete(doc_id: str) -> None:
    with storage.indexer_lock(10.0) as held:
        if not held:
            raise TimeoutError("search indexer lock busy")
        writer = storage.writer(storage.open_index(), timeout=5.0)
        writer.delete_by_term("doc_id", doc_id)
        writer.commit(merge=False)
