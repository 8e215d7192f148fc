"""SQLite connection settings (marketplace/database.py): WAL, foreign keys, busy timeout."""

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import UserRole
from marketplace.extensions import db


def pragmas(connection) -> dict[str, object]:
    return {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")}


def test_every_sqlite_connection_gets_wal_and_foreign_keys(app, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        with engine.connect() as conn:
            assert pragmas(conn) == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000,
                                     "synchronous": 1}  # 1 = NORMAL
    finally:
        engine.dispose()


def test_the_apps_sqlite_database_uses_them(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only (TEST_DATABASE_URL is set)")
    with db.engine.connect() as conn:
        assert pragmas(conn)["journal_mode"] == "wal"
        assert pragmas(conn)["foreign_keys"] == 1


def test_a_row_pointing_at_nothing_is_refused(app):
    db.session.add(UserRole(user_id=987654, role="admin"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
