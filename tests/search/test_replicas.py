"""Search replicas: several nodes (app instances with their own SEARCH_INDEX_DIR and NODE_NAME)
share one database; each follows the change log into its own index."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from marketplace import create_app, search
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.search import indexer, replicas, storage
from marketplace.search.models import SearchNode, SearchOutbox

# A second app's engine may be collected (and its pooled psycopg connection finalised) during a
# later test; that is the harness, not the code under test.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def app_config(app_config, tmp_path):
    # "A" is the test's app; each node prunes on every drain here, so pruning is observable.
    return {**app_config, "NODE_NAME": "A", "SEARCH_INDEX_DIR": str(tmp_path / "index-a"),
            "SEARCH_LOG_PRUNE_SECONDS": 0}


@pytest.fixture
def node(app_config, tmp_path):
    """node(name) -> a second app instance on the same database, with its own index."""
    made = []

    def start(name: str):
        other = create_app({**app_config, "NODE_NAME": name,
                            "SEARCH_INDEX_DIR": str(tmp_path / f"index-{name.lower()}")})
        made.append(other)
        return other

    yield start
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def on(other):
    with other.app_context():
        try:
            yield
        finally:
            db.session.remove()


def titles(text: str) -> list[str]:
    return [str(h.title).replace("<mark>", "").replace("</mark>", "") for h in search.query(text).hits]


def log_ids() -> list[int]:
    return list(db.session.scalars(select(SearchOutbox.id).order_by(SearchOutbox.id)))


def test_a_commit_on_node_a_is_searchable_on_node_b_after_b_drains(app, node, make_practice):
    make_practice(title="Water kiosks")  # (ranking an empty index fails: not this test's subject)
    b = node("B")
    assert search.wait_until_indexed(10)
    with on(b):
        assert search.wait_until_indexed(10)
    make_practice(title="Participatory budgeting in Nairobi")  # committed through node A
    assert search.wait_until_indexed(10)
    assert titles("budgeting") == ["Participatory budgeting in Nairobi"]
    with on(b):
        assert titles("budgeting") == []  # B has not applied the log yet
        assert indexer.pending() >= 1
        assert search.drain(lock_timeout=5) >= 1
        assert titles("budgeting") == ["Participatory budgeting in Nairobi"]
        assert indexer.applied_position() == db.session.scalar(select(func.max(SearchOutbox.id)))
        assert search.check() == {"missing": [], "extra": [], "stale": []}
    # Nothing was deleted on apply: A's index still reads the same rows it applied.
    assert search.check() == {"missing": [], "extra": [], "stale": []}


def test_changes_on_b_reach_a_and_wait_on_every_live_node(app, node, make_practice, make_user):
    b = node("B")
    practice = make_practice(title="Open contracting portal")
    assert search.wait_until_indexed(10)  # A has registered (a node that never drained is unknown)
    with on(b):
        assert search.wait_until_indexed(10)
        from marketplace.knowledge.models import Practice

        on_b = db.session.get(Practice, practice.id)
        on_b.title = "Open procurement portal"
        db.session.commit()  # committed through node B
        assert not search.wait_until_indexed(0.3, every_node=True)  # A has not applied it
    assert search.wait_until_indexed(10)
    assert titles("procurement") == ["Open procurement portal"] and titles("contracting") == []
    with on(b):
        assert search.wait_until_indexed(5, every_node=True)
    nodes = {n.name.split(":")[0]: n.applied for n in replicas.live_nodes(db.session)}
    assert nodes == {"A": replicas.head(db.session), "B": replicas.head(db.session)}


def test_a_node_started_later_builds_its_index_and_catches_up(app, node, make_practice):
    for n in range(3):
        make_practice(title=f"Water kiosk {n}")
    assert search.wait_until_indexed(10)
    c = node("C")
    with on(c):
        assert not storage.is_available()
        assert search.wait_until_indexed(10)  # builds from the database, then follows the log
        assert len(titles("kiosk")) == 3
    make_practice(title="Water kiosk 3")
    with on(c):
        assert search.wait_until_indexed(10)
        assert len(titles("kiosk")) == 4
        assert search.check() == {"missing": [], "extra": [], "stale": []}
        row = db.session.get(SearchNode, replicas.node_id())
        assert row.rebuilt_at is not None and row.applied == replicas.head(db.session)


def test_log_rows_are_pruned_only_after_every_live_node_passed_them(app, node, make_practice):
    b = node("B")
    with on(b):
        assert search.wait_until_indexed(10)
    b_position = replicas.head(db.session)
    for n in range(3):
        make_practice(title=f"Budget clinic {n}")
    assert search.wait_until_indexed(10)  # A applied everything and pruned what B also has
    assert replicas.prune() == 0
    assert min(log_ids()) <= b_position + 1  # B has not applied these: they stay
    kept = len(log_ids())
    with on(b):
        assert search.wait_until_indexed(10)  # B passes them and prunes
    assert replicas.prune() == 0
    assert len(log_ids()) < kept
    assert log_ids() == [replicas.head(db.session)]  # the newest row stays (ids never reused)
    assert replicas.horizon(db.session) == replicas.head(db.session) - 1

    # A node silent longer than SEARCH_NODE_LIVE_SECONDS does not hold pruning back.
    make_practice(title="Budget clinic 3")
    assert search.wait_until_indexed(10)
    db.session.execute(update(SearchNode).where(SearchNode.name.like("B:%"))
                       .values(heartbeat_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert replicas.prune() >= 1
    assert [n.name.split(":")[0] for n in replicas.live_nodes(db.session)] == ["A"]


def test_a_node_behind_the_retention_horizon_rebuilds(app, node, make_practice):
    b = node("B")
    make_practice(title="Mobile birth registration")
    with on(b):
        assert search.wait_until_indexed(10)
        behind = indexer.applied_position()
    # B goes silent; A writes on and prunes past B's position.
    db.session.execute(update(SearchNode).where(SearchNode.name.like("B:%"))
                       .values(heartbeat_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    make_practice(title="Mobile health clinic")
    make_practice(title="Mobile money transfers")
    assert search.wait_until_indexed(10)
    replicas.prune()
    assert replicas.horizon(db.session) > behind
    with on(b):
        generation = storage._current_dir(storage.root())
        assert search.wait_until_indexed(10)  # behind the horizon: rebuilt, then caught up
        assert storage._current_dir(storage.root()) != generation
        assert sorted(titles("mobile")) == ["Mobile birth registration", "Mobile health clinic",
                                            "Mobile money transfers"]
        assert indexer.applied_position() >= replicas.horizon(db.session)
        assert search.check() == {"missing": [], "extra": [], "stale": []}


def test_readiness_reports_this_nodes_lag(app, node, make_practice):
    from marketplace.ops import readiness

    b = node("B")
    assert search.wait_until_indexed(10)
    with on(b):
        assert search.wait_until_indexed(10)
    make_practice(title="Solar pumps")
    assert search.wait_until_indexed(10)
    assert readiness.search_backlog() == 0
    with on(b):
        lag = readiness.search_backlog()
        assert lag == replicas.head(db.session) - indexer.applied_position() and lag >= 1
        assert search.wait_until_indexed(10)
        assert readiness.search_backlog() == 0


def _orders() -> dict:
    from marketplace.search import searching

    return {**{(text, sort): [h.doc_id for h in search.query(text, sort=sort).hits]
               for text in ("water kiosks", "kiosk*", "") for sort in ("relevance", "endorsed")},
            "suggest": [s["url"] for s in searching.suggest("wat")]}


def test_a_replica_orders_ties_as_the_node_that_wrote_them(app, node, make_practice):
    """Equal scores (and equal sort values) are ordered by document id, not by where a document
    sits in the index: A indexed these one commit at a time and re-indexed the first two after
    an edit (moving them to its newest segment), B builds its index from the database."""
    practices = [make_practice(title="Water kiosks", summary="Water kiosks", countries=["KE"])
                 for _ in range(5)]
    assert search.wait_until_indexed(10)
    from marketplace.knowledge import services

    for practice in practices[:2]:
        with app.test_request_context():  # the country is not in the text: the score stays tied
            services.update_practice(practice, practice.owner, {"countries": ["BR"]}, "moved")
            db.session.commit()
        assert search.wait_until_indexed(10)
    on_a = _orders()
    assert on_a[("water kiosks", "relevance")][:5] == [f"practice:{p.id}" for p in practices]
    b = node("B")
    with on(b):
        assert search.wait_until_indexed(10)
        assert _orders() == on_a
    search.reindex()  # and a rebuilt A
    assert _orders() == on_a
