"""The index follows the database: commits appear, rollbacks leave nothing, edits and deletes
are reflected; two processes writing at once lose nothing; a deleted index is rebuilt."""

import multiprocessing
import shutil

import pytest

from marketplace import search
from marketplace.extensions import db
from marketplace.search import indexer
from marketplace.search.models import SearchOutbox


def test_commit_is_searchable_and_rollback_leaves_nothing(app, make_practice, make_user, search_results):
    make_practice(title="Participatory budgeting in Nairobi")
    assert len(search_results("participatory budgeting")) == 1

    from marketplace.knowledge import services

    owner = make_user()
    logged = db.session.query(SearchOutbox).count()  # the log keeps applied rows (other nodes)
    with app.test_request_context():
        services.create_practice(owner, {"title": "Mobile birth registration", "summary": "x",
                                         "countries": ["KE"], "themes": ["health"]})
        db.session.flush()
        assert db.session.query(SearchOutbox).count() > logged  # written in the same transaction
        db.session.rollback()
    assert db.session.query(SearchOutbox).count() == logged
    assert search_results("birth registration") == []
    assert search.check() == {"missing": [], "extra": [], "stale": []}


def test_update_unpublish_and_delete_are_reflected(app, make_practice, make_user, search_results):
    practice = make_practice(title="Open contracting portal")
    doc_id = f"practice:{practice.id}"
    assert search_results("contracting") == [doc_id]

    practice.title = "Open procurement portal"
    db.session.commit()
    assert search_results("contracting") == []
    assert search_results("procurement") == [doc_id]

    practice.status = "draft"  # unpublished: only its authors may find it now
    db.session.commit()
    assert search_results("procurement") == []
    assert search_results("procurement", viewer=practice.owner) == [doc_id]

    db.session.delete(practice)
    db.session.commit()
    assert search_results("procurement", viewer=practice.owner) == []
    assert search.check() == {"missing": [], "extra": [], "stale": []}


def test_deleted_user_leaves_people_search(app, make_user, search_results):
    user = make_user(name="Wanjiru Kamau")
    assert search_results("Wanjiru", kind="person") == [f"person:{user.id}"]
    user.is_deleted = True
    db.session.commit()
    assert search_results("Wanjiru") == []


def test_sign_in_does_not_queue_reindexing(app, make_user, client, auth, indexed):
    make_user(email="amina@example.org")
    indexed()
    logged = db.session.query(SearchOutbox).count()
    auth.login("amina@example.org")
    assert db.session.query(SearchOutbox).count() == logged
    assert indexer.pending() == 0


# --- two processes writing at once ------------------------------------------------------


def _writer(config: dict, practice_ids: list[int], tag: str, barrier) -> None:
    from marketplace import create_app
    from marketplace.knowledge.models import Practice

    app = create_app({**config, "SEARCH_DRAIN": "sync", "SEARCH_LOCK_TIMEOUT": 0.0})
    with app.app_context():
        barrier.wait()
        for n, pid in enumerate(practice_ids * 3):
            practice = db.session.get(Practice, pid)
            practice.summary = f"{tag} update {n}"
            practice.title = f"Practice {pid} {tag}{n}"
            db.session.commit()
        db.engine.dispose()


def test_two_processes_writing_at_once_lose_nothing(app, app_config, make_practice, indexed):
    ids = [make_practice(title=f"Practice {n}").id for n in range(6)]
    indexed()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(app_config, ids[i::2], tag, barrier))
             for i, tag in enumerate(("alpha", "beta"))]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    # Each commit drained itself or was left to the lock holder, which re-checks on release.
    assert indexer.pending() == 0
    indexed()
    report = search.check()
    assert report == {"missing": [], "extra": [], "stale": []}
    # check() compared every title with the database; the last write of each is searchable.
    assert len(search.query("alpha8").hits) == 1
    assert len(search.query("beta8").hits) == 1
    assert search.query("alpha0").hits == []


# --- resilience ---------------------------------------------------------------------------


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEARCH_DRAIN": "sync"}


def test_deleted_index_keeps_pages_working_and_reindex_restores_results(
        app, client, auth, make_user, make_practice, indexed):
    for title in ("Citizen scorecards for clinics", "Clinic waiting-time dashboards",
                  "School scorecards"):
        make_practice(title=title)
    indexed()
    before = client.get("/search?q=scorecards").get_data(as_text=True)
    hits_before = [h.doc_id for h in search.query("scorecards").hits]
    assert len(hits_before) == 2

    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    assert client.get("/").status_code == 200
    assert client.get("/practices/").status_code == 200
    page = client.get("/search?q=scorecards")
    assert page.status_code == 503
    assert "being rebuilt" in page.get_data(as_text=True)

    # Writing works too: the change waits in the outbox until there is an index again.
    author = make_user(email="writer@example.org")
    auth.login(author.email)
    created = client.post("/practices/new", data={
        "title": "Hospital scorecards", "summary": "x", "countries": ["KE"], "themes": ["health"],
        "level": "local", "language": "en", "licence": "CC-BY-4.0", "message": ""})
    assert created.status_code == 302 and client.get(created.location).status_code == 200
    assert client.get(f"/people/{author.id}").status_code == 200
    auth.logout()
    client.get("/")  # shows (and clears) the signed-out message

    assert indexer.reindex() == 4 + 4  # four practices (one a draft), four owners
    assert [h.doc_id for h in search.query("scorecards").hits] == hits_before
    assert client.get("/search?q=scorecards").get_data(as_text=True) == before


def test_check_command_reports_drift_and_reindex_repairs_it(app, make_practice, indexed):
    practice = make_practice(title="Grievance redress hotline")
    indexed()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    search.delete(f"practice:{practice.id}")  # the index loses a document behind our back
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"missing (1): practice:{practice.id}" in result.output
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "2 documents indexed" in result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert runner.invoke(args=["search", "reindex", "--if-needed"]).output.startswith(
        "search index: present")


def test_check_sees_any_stale_field_and_never_rebuilds_a_missing_index(app, make_practice, indexed):
    from sqlalchemy import update

    from marketplace.knowledge.models import Practice
    from marketplace.search import storage

    practice = make_practice(title="Grievance redress hotline", summary="Calls answered in a day")
    indexed()
    # A change the outbox never saw (a Core UPDATE fires no ORM flush events).
    db.session.execute(update(Practice).where(Practice.id == practice.id).values(summary="Calls"))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "check"])
    # The author's person document quotes the summary too (what the expert directory searches).
    assert result.exit_code == 1
    assert f"stale (2): person:{practice.owner_id}, practice:{practice.id}" in result.output

    shutil.rmtree(storage.root())
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "no search index" in result.output
    assert not storage.is_available()  # check reported it; it did not quietly rebuild it


def test_renaming_or_deleting_a_member_reindexes_what_they_wrote(app, make_user, make_practice,
                                                                  search_results):
    author = make_user(name="Wanjiru Kamau")
    practice = make_practice(owner=author, title="Community water committees")
    coauthored = make_practice(title="Borehole maintenance")
    from marketplace.knowledge import services

    services.set_coauthors(coauthored, [author.id])
    db.session.commit()
    assert set(search_results("author:wanjiru")) >= {f"practice:{practice.id}",
                                                     f"practice:{coauthored.id}"}
    author.display_name = "Wanjiru Otieno"
    db.session.commit()
    assert search_results("author:kamau") == []
    assert f"practice:{coauthored.id}" in search_results("author:otieno")
    author.is_deleted = True
    db.session.commit()
    assert search_results("author:otieno") == []
    assert search.check() == {"missing": [], "extra": [], "stale": []}


def test_background_drainer_retries_a_failed_drain_without_a_new_commit(app, monkeypatch):
    import atexit
    import threading

    calls, done = [], threading.Event()
    real = indexer.drain

    def flaky(lock_timeout=0.0):
        calls.append(lock_timeout)
        if len(calls) == 1:
            raise OSError("disk full")
        done.set()
        return real(lock_timeout)

    monkeypatch.setattr(indexer, "drain", flaky)
    monkeypatch.setattr(indexer, "RETRY_SECONDS", 0.05)
    drainer = indexer._Drainer(app)
    atexit.unregister(drainer.flush)  # this app's database is gone when the run ends
    drainer.wake()
    assert done.wait(5) and len(calls) == 2
