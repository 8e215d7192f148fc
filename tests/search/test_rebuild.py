"""A rebuild in several processes (segments of a few documents each here) gives the same index
as one built in a single process, and later changes still reach it."""

import pytest

from marketplace import search
from marketplace.extensions import db
from marketplace.search import storage

QUERIES = ["water", "budget OR clinic", '"water kiosks"', "kiosk*", "country:ke"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEARCH_REINDEX_PROCS": 2, "SEARCH_PARALLEL_REBUILD_MIN": 0,
            "SEARCH_REINDEX_SEGMENT_DOCS": 3}


def _results():
    return {q: (p.total, [h.doc_id for h in p.hits], p.facets)
            for q in QUERIES for p in [search.query(q, page=1)]}


def test_parallel_rebuild_equals_single_process(app, make_practice, make_user, indexed):
    for n in range(8):
        make_practice(title=f"Water kiosks {n}" if n % 2 else f"Budget clinic {n}",
                      countries=["KE" if n % 3 else "BR"], summary="water for the village")
    make_user(name="Amina Water")
    progress = []
    assert search.reindex(progress=progress.append) == 8 + 9  # practices; their owners and Amina
    assert sum(progress) == 17
    with storage.searcher() as s:
        assert len(s.reader().leaf_readers()) >= 4  # one segment per slice of 3 rows
    parallel = _results()

    app.config["SEARCH_REINDEX_PROCS"] = 1
    assert search.reindex() == 17
    with storage.searcher() as s:
        assert len(s.reader().leaf_readers()) == 1
    assert _results() == parallel
    assert search.check() == {"missing": [], "extra": [], "stale": []}


def test_changes_after_a_parallel_rebuild_are_applied(app, make_practice, indexed):
    practices = [make_practice(title=f"Irrigation plan {n}") for n in range(5)]
    search.reindex()
    practices[0].title = "Drainage plan"
    db.session.commit()
    indexed()
    assert search.query("irrigation").total == 4 and search.query("drainage").total == 1
    assert search.check() == {"missing": [], "extra": [], "stale": []}


def test_an_index_with_another_schema_is_rebuilt_not_misread(app, client, make_practice, indexed):
    from whoosh import fields
    from whoosh.filedb.filestore import FileStorage

    from marketplace.search import indexer, schema

    make_practice(title="Water kiosks")
    indexed()
    old = schema.build_schema()
    old.remove("text")
    old.add("text", fields.TEXT())  # Whoosh's own positions format, as an older version wrote
    base = storage.root()
    gen = base / "gen-old"
    gen.mkdir()
    FileStorage(str(gen)).create_index(old)
    (base / "CURRENT").write_text(gen.name)
    assert not storage.is_available()
    page = client.get("/search?q=water")
    assert page.status_code == 503
    assert indexer.wait_until_indexed()  # the drainer rebuilds it from the database
    assert storage.is_available() and search.query("water").total == 1
