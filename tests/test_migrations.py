"""The Alembic migrations build exactly the schema the models describe (no drift).

Runs `flask db upgrade` on an empty database, then Alembic's autogenerate comparison (the same
env.py as `flask db migrate`): any difference means a migration is missing or wrong.
"""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.extensions import db
from marketplace.settings import normalize_database_url
from tests.conftest import PG_URL, base_config


def _describe(diff) -> str:
    if isinstance(diff, list):  # the changes to one column come as a list
        return "; ".join(_describe(d) for d in diff)
    kind, *args = diff
    return f"{kind}: " + ", ".join(str(getattr(a, "name", a))[:80] for a in args if a is not None)


def _upgrade_and_compare(tmp_path, url: str) -> list[str]:
    """Upgrade an empty database to head; return what autogenerate would still change."""
    app = create_app(base_config(tmp_path, DATABASE_URL=url))
    with app.app_context():
        try:
            upgrade()
            options = {k: v for k, v in current_app.extensions["migrate"].configure_args.items()
                       if k != "process_revision_directives"}
            with db.engine.connect() as conn:
                if conn.dialect.name == "postgresql":  # the test's own schema, not public
                    assert conn.execute(text("SELECT current_schema()")).scalar().startswith("migrations_")
                context = MigrationContext.configure(conn, opts={"compare_type": True, **options})
                return [_describe(d) for d in compare_metadata(context, db.metadata)]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_migrations_match_the_models_on_sqlite(tmp_path):
    problems = _upgrade_and_compare(tmp_path, f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    assert problems == [], "\n".join(problems)


@pytest.fixture
def empty_pg_database():
    """A schema of its own (first on the search path), created for this test and dropped after."""
    url = make_url(normalize_database_url(PG_URL))
    schema = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_migrations_match_the_models_on_postgresql(tmp_path, empty_pg_database):
    problems = _upgrade_and_compare(tmp_path, empty_pg_database)
    assert problems == [], "\n".join(problems)


def test_migrations_are_reversible_on_sqlite(tmp_path):
    app = create_app(base_config(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'down.sqlite3'}"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_migrated_ledger_is_append_only_on_postgresql(tmp_path, empty_pg_database):
    app = create_app(base_config(tmp_path, DATABASE_URL=empty_pg_database))
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as conn:
                triggers = set(conn.execute(text(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
            assert {"ledger_transaction_append_only", "ledger_entry_append_only"} <= triggers
            downgrade(revision="base")
        finally:
            db.session.remove()
            db.engine.dispose()
