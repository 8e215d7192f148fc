"""Declarative base, UTC timestamps, SQLite connection settings and the pool's liveness check."""

import time
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import DateTime, MetaData, event, exc, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    make_transient_to_detached,
    mapped_column,
    registry,
    scoped_session,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use marketplace.database.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def with_defaults(model, values: dict) -> dict:
    """`values` plus the Python-side default of every other column that has one, for a Core
    INSERT. Columns without one are left out (never sent as NULL), so that the database applies
    its own server default; RETURNING every column (returning_all) brings all of them back."""
    row = dict(values)
    for column in model.__table__.columns:
        default = column.default
        if column.key in row or default is None or default.is_sequence:
            continue
        row[column.key] = default.arg(None) if default.is_callable else default.arg
    return row


def returning_all(model) -> tuple:
    """Every column of the model's table, for `insert(...).returning(*returning_all(Model))`."""
    return tuple(model.__table__.columns)


@cache
def _attribute_of_column(model) -> tuple[tuple[str, str], ...]:
    """(column key, mapped attribute name) of each column of the model's table."""
    mapper = sa_inspect(model)
    return tuple((column.key, mapper.get_property_by_column(column).key) for column in model.__table__.columns)


def as_loaded(session: Session | scoped_session, model, row):
    """The ORM object for a row just written with Core, as if loaded: no SELECT, no flush.

    `row` is the RETURNING row of every column (returning_all), so server defaults, sequences
    and values computed by the database are the stored ones."""
    try:
        values = {attribute: row[column] for column, attribute in _attribute_of_column(model)}
    except KeyError as missing:
        raise ValueError(f"{model.__name__}: column {missing} is not in the RETURNING row") from None
    obj = model(**values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def lock_row(session: Session | scoped_session, obj) -> None:
    """Hold `obj`'s row until the transaction ends (SELECT ... FOR UPDATE; SQLite has one writer
    anyway) and read it afresh: a save decided on the current version makes a concurrent one
    wait, which then sees it (and merges with it, or reports the conflict)."""
    mapper = sa_inspect(obj).mapper
    key = mapper.primary_key[0]
    session.execute(select(key).where(key == sa_inspect(obj).identity[0]).with_for_update())
    session.expire(obj)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only when it sat idle for `idle_seconds` or more.

    SQLAlchemy's `pool_pre_ping` pings at every checkout: one round trip per request (per pledge,
    1 of 15). A connection checked in a moment ago was working a moment ago; one that idled may
    have been closed by a database restart, a failover or a firewall, and is pinged. A failed ping
    raises DisconnectionError, on which the pool discards the connection and takes a fresh one
    (PoolEvents.checkout). A restart within the last `idle_seconds` still reaches the request that
    checks out a connection used just before it: that statement fails, SQLAlchemy recognises the
    disconnect and invalidates the whole pool, and the next request reconnects.
    """
    if idle_seconds < 0:
        return

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as err:  # noqa: BLE001  (any failure: this connection is not usable)
            raise exc.DisconnectionError(f"pooled connection failed its ping: {err}") from err
