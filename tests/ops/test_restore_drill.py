"""The backup and restore drill of docs/operations.md, as an operator runs it: pg_dump a populated
database, pg_restore it into a fresh one, rebuild the index there, check it and the books, and
compare every table's row count."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from marketplace import search
from marketplace.extensions import db
from marketplace.settings import normalize_database_url
from tests.conftest import PG_URL

pytestmark = pytest.mark.postgres_only
if not PG_URL:
    pytestmark = [pytestmark, pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE_URL)")]

MARKETPLACE = str(Path(sys.executable).with_name("marketplace"))


def _libpq(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


@pytest.fixture
def fresh_database():
    url = make_url(normalize_database_url(PG_URL))
    restored = url.set(database=f"{url.database}_restore_{uuid.uuid4().hex[:6]}")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{restored.database}"'))
    yield restored
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{restored.database}" WITH (FORCE)'))
    admin.dispose()


def _populate(make_user, make_practice, make_open_project, make_donor, pledge) -> None:
    for n in range(3):
        make_practice(title=f"Clean water for schools {n}", summary="Filters and maintenance rotas.")
    project = make_open_project(goal_minor=50_000)
    for amount in ("25", "12.50", "40"):
        pledge(make_donor(), project, amount)
    make_user(email="member@example.org", name="A member")


def test_dump_restore_reindex_and_check(app, tmp_path, fresh_database, make_user, make_practice,
                                        make_open_project, make_donor, pledge):
    _populate(make_user, make_practice, make_open_project, make_donor, pledge)
    search.wait_until_indexed(30)
    source = _counts(db.engine)
    assert source["practice"] == 3 and source["pledge"] == 3 and source["ledger_entry"] > 0

    dump = tmp_path / "marketplace.dump"
    source_url = _libpq(make_url(normalize_database_url(PG_URL)))
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source_url], check=True)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(fresh_database)}",
                    str(dump)], check=True)

    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPLACE_")} | {
        "MARKETPLACE_DATABASE_URL": _libpq(fresh_database),
        "MARKETPLACE_INSTANCE_PATH": str(tmp_path / "restored-instance"),
        "MARKETPLACE_SEARCH_INDEX_DIR": str(tmp_path / "restored-index"),
        "MARKETPLACE_SECRET_KEY": "restore-drill-secret-key-0123456789abcdef",
    }

    def cli(*args: str) -> str:
        done = subprocess.run([MARKETPLACE, *args], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"marketplace {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    indexed = cli("search", "reindex")
    assert "documents indexed" in indexed
    assert "in sync" in cli("search", "check")
    assert "every invariant holds" in cli("ledger", "check")
    restored = create_engine(fresh_database)
    try:
        after = _counts(restored)
        with restored.connect() as conn:
            nodes = list(conn.scalars(text("SELECT index_dir FROM search_node")))
    finally:
        restored.dispose()
    # The node registry is each node's own state, not data: the restoring node (its own index
    # directory) joins the nodes the dump carried, whose heartbeats age out by themselves.
    assert str((tmp_path / "restored-index").resolve()) in nodes
    assert after.pop("search_node") == source.pop("search_node") + 1
    assert after == source
    with app.app_context():
        from marketplace.search import storage

        with storage.searcher() as s:
            documents = s.doc_count()
    assert f"search index: {documents} documents indexed" in indexed  # the same as the source's
