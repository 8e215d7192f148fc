"""marketplace/database.py: SQLite connection settings, Core inserts as ORM objects, the pool's liveness check."""

import time
from datetime import datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from marketplace.accounts.models import UserRole
from marketplace.database import UTCDateTime, as_loaded, returning_all, utcnow, with_defaults
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


# --- Core inserts loaded as ORM objects (database.with_defaults / returning_all / as_loaded) ---

class _ThrowawayBase(DeclarativeBase):  # its own metadata: not part of the app's schema
    pass


class Gadget(_ThrowawayBase):
    """A throwaway table whose `grade` column was added later, with a server default only."""

    __tablename__ = "test_core_insert_gadgets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    grade: Mapped[str] = mapped_column("grade_code", String(8), server_default="B")

    def __repr__(self) -> str:
        return f"<Gadget {self.id} {self.name}>"


@pytest.fixture
def gadgets(app):
    """The table created without `grade_code`, then the column added (as a migration would)."""
    table = Gadget.__table__
    created = Table(table.name, MetaData(), Column("id", Integer, primary_key=True),
                    Column("name", String(40), nullable=False), Column("note", String(40)),
                    Column("created_at", UTCDateTime(), nullable=False))
    created.create(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {table.name} "
                          "ADD COLUMN grade_code VARCHAR(8) NOT NULL DEFAULT 'A'"))
    yield
    db.session.rollback()
    created.drop(db.engine)


def test_a_core_insert_gets_server_defaults_and_loads_them(gadgets):
    """A column added later with a server default is not sent as NULL, and the loaded object
    holds the stored value (the database's 'A', not the model's 'B' nor None)."""
    values = with_defaults(Gadget, {"name": "first"})
    assert set(values) == {"name", "created_at"}  # set values + Python-side defaults, no NULLs
    statement = insert(Gadget).returning(*returning_all(Gadget))
    row = db.session.execute(statement, values).mappings().one()
    gadget = as_loaded(db.session, Gadget, row)
    assert (gadget.name, gadget.note, gadget.grade) == ("first", None, "A")
    assert gadget.id == row["id"] and gadget.created_at == values["created_at"]
    assert gadget.created_at.tzinfo is not None
    db.session.commit()
    stored = db.session.execute(text(
        "SELECT name, note, grade_code FROM test_core_insert_gadgets")).one()
    assert tuple(stored) == ("first", None, "A")
    assert db.session.get(Gadget, gadget.id) is gadget  # in the identity map: no SELECT


def test_as_loaded_refuses_a_row_without_every_column(gadgets):
    row = db.session.execute(insert(Gadget).returning(Gadget.id), {"name": "x"}).mappings().one()
    with pytest.raises(ValueError, match="'name' is not in the RETURNING row"):
        as_loaded(db.session, Gadget, row)


# --- the pool's liveness check (database.ping_when_idle) ---

@pytest.fixture
def pings(app, monkeypatch):
    """How many times the pool pinged a connection (the dialect's own ping, counted)."""
    count = []
    real = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: count.append(1) or real(conn))
    return count


def _use_connection() -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT 1")).scalar()


def test_a_connection_used_a_moment_ago_is_not_pinged(app, pings):
    assert app.config["DB_PING_AFTER_IDLE_SECONDS"] == 1.0
    for _ in range(5):
        assert _use_connection() == 1
    assert pings == []


def test_a_connection_that_sat_idle_is_pinged_before_use(app, pings, monkeypatch):
    _use_connection()
    later = time.monotonic() + 1.5
    monkeypatch.setattr("marketplace.database.time.monotonic", lambda: later)
    assert _use_connection() == 1
    assert pings == [1]
    assert _use_connection() == 1  # checked in "now" (the same patched clock): not again
    assert pings == [1]


def test_a_connection_closed_by_the_server_while_idle_is_replaced(app, pings, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a server that closes a connection")
    with db.engine.connect() as conn:
        victim = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = create_engine(db.engine.url)
    try:
        with killer.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim}).scalar()
    finally:
        killer.dispose()
    later = time.monotonic() + 1.5
    monkeypatch.setattr("marketplace.database.time.monotonic", lambda: later)
    with db.engine.connect() as conn:  # the ping fails; the pool connects again, no error
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != victim
    assert pings == [1]
