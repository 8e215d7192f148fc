"""Fixtures: a fresh app and database per test (SQLite by default, PostgreSQL via
TEST_DATABASE_URL), a client, an `auth` helper and factories."""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import text

from marketplace import create_app
from marketplace.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL")

# Each feature keeps its fixtures (factories) in tests/fixtures/<feature>.py; all are loaded.
pytest_plugins = sorted(
    f"tests.fixtures.{p.stem}"
    for p in (Path(__file__).parent / "fixtures").glob("*.py")
    if p.stem != "__init__"
)
PASSWORD = "tarnished-Violin-orbit-91"


def base_config(tmp_path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "SERVER_NAME": "localhost",
        "MAIL_BACKEND": "outbox",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt costs 0.2 s per hash
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory):
    """Build the schema once: a template SQLite file to copy, or the PostgreSQL database."""
    tmp = tmp_path_factory.mktemp("schema")
    if PG_URL:
        app = create_app(base_config(tmp, DATABASE_URL=PG_URL))
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            db.create_all()
            db.engine.dispose()
        return None
    path = tmp / "template.sqlite3"
    app = create_app(base_config(tmp, DATABASE_URL=f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    return path


def database_url(schema_template, tmp_path) -> str:
    """A clean database for one test."""
    if PG_URL:
        _truncate_all()
        return PG_URL
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(schema_template, path)
    return f"sqlite:///{path}"


def _truncate_all() -> None:
    from sqlalchemy import create_engine

    from marketplace.settings import normalize_database_url

    engine = create_engine(normalize_database_url(PG_URL))
    with engine.begin() as conn:
        # DELETE is ~10x faster than TRUNCATE on small tables; foreign-key triggers are off
        # meanwhile (cycles such as thread <-> post), and the id sequences start again at 1.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in db.metadata.tables.values():
            conn.execute(table.delete())
        conn.execute(text("SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
                          "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"))
    engine.dispose()


@pytest.fixture
def app_config(schema_template, tmp_path):
    """Override in a test module to change settings (e.g. CSRF or rate limits on)."""
    return base_config(tmp_path, DATABASE_URL=database_url(schema_template, tmp_path))


@contextmanager
def own_g(app):
    """Inside the test's app context (and its database session), a fresh `g` for one request, as
    in production: Flask-Login, Flask-Babel and the API cache the user, locale and token there."""
    ctx = _cv_app.get(None)
    if ctx is None or ctx.app is not app:
        yield
        return
    saved, ctx.g = ctx.g, app.app_ctx_globals_class()
    try:
        yield
    finally:
        ctx.g = saved


class Client(FlaskClient):
    """Requests share the test's app context, each with its own `g` (own_g)."""

    def open(self, *args, **kwargs):
        with own_g(self.application):
            return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = Client
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app):
    from marketplace.mail import outbox

    return outbox()


@pytest.fixture
def make_user(app):
    """make_user(email=..., name=..., roles=[...], password=PASSWORD, confirmed=True, **profile) -> User"""
    from marketplace.accounts.models import UserRole
    from marketplace.accounts.services import register_user

    counter = iter(range(1, 10_000))

    def factory(email=None, name=None, roles=(), password=PASSWORD, confirmed=True, **fields):
        """confirmed=False: an account whose owner has not yet followed the mailed link."""
        n = next(counter)
        user = register_user(email or f"user{n}@example.org", name or f"User {n}", password,
                             confirmed=confirmed)
        for role in roles:
            user.roles.append(UserRole(role=role))
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return factory


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD, **extra):
        return self.client.post("/login", data={"email": email, "password": password, **extra})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
