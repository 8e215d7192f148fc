"""Several threads of one worker search while documents are committed to the index: the
per-segment facet cache they share must never be iterated while another thread fills it."""

import sys
import threading
import time

import pytest

from marketplace import search
from marketplace.extensions import db
from marketplace.search import indexer, searching, storage

COMMITS = 30  # each upsert commits one new segment (no merge): new masks to read and cache
STALE = 20_000  # masks of segments merged away long ago, as a long-lived worker holds them
COUNTRIES = ["KE", "GH", "SN", "PE", "IN", "BR", "FR", "MX"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEARCH_DRAIN": "sync"}  # every commit is searchable at once


def test_searches_in_threads_across_index_commits(app, make_practice, monkeypatch):
    read_masks = searching._leaf_masks

    def slow_leaf_masks(reader, fieldname):  # a big segment: reading its masks takes a while
        masks = read_masks(reader, fieldname)
        time.sleep(0.001)
        return masks

    monkeypatch.setattr(searching, "_leaf_masks", slow_leaf_masks)
    practices = [make_practice(title=f"Water board {n}", countries=[COUNTRIES[n]],
                               themes=["environment" if n % 2 else "governance"])
                 for n in range(len(COUNTRIES))]
    docs = [indexer.load(db.session, f"practice:{p.id}") for p in practices]
    searching._segment_masks.clear()
    errors: list[BaseException] = []
    done = threading.Event()

    def searcher_thread():
        with app.app_context():
            while not done.is_set() and not errors:
                try:
                    ix = storage.open_index()
                except (storage.IndexUnavailable, OSError):  # while a commit replaced the TOC
                    continue
                try:
                    with ix.searcher() as s:  # a new searcher, as after each commit: no masks yet
                        searching.facet_counts(s, (1 << s.doc_count_all()) - 1)
                except BaseException as err:  # noqa: BLE001 (reported below)
                    errors.append(err)

    threads = [threading.Thread(target=searcher_thread, daemon=True) for _ in range(4)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # interleave the threads as often as the interpreter can
    try:
        for thread in threads:
            thread.start()
        for n in range(COMMITS):
            with searching._segment_masks_lock:
                searching._segment_masks.update({(f"gone-{n}-{i}", "kind"): {}
                                                 for i in range(STALE)})
            search.upsert(docs[n % len(docs)])  # the same documents again, in a new segment
            time.sleep(0.005)
            if errors:
                break
    finally:
        done.set()
        for thread in threads:
            thread.join(30)
        sys.setswitchinterval(switch)
    assert not errors, f"a search thread failed: {errors[0]!r}"
    page = search.query("water")
    assert page.total == len(COUNTRIES)
    assert dict(page.facets["themes"]) == {"environment": 4, "governance": 4}
    assert sorted(code for code, _count in page.facets["countries"]) == sorted(
        c.lower() for c in COUNTRIES)
