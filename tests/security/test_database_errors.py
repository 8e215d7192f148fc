"""Issue 11: database timeouts and outages answer 503 quickly (problem+json for the API), never a
hang until the worker is killed, never an HTML 500."""

import time

import pytest
from sqlalchemy import create_engine, text

from marketplace import create_app
from marketplace.extensions import db
from marketplace.settings import normalize_database_url
from tests.conftest import PG_URL, base_config, database_url

LOCK_TIMEOUT_MS = 300


@pytest.fixture
def app_config(schema_template, tmp_path):
    return base_config(tmp_path, DATABASE_URL=database_url(schema_template, tmp_path),
                       DB_LOCK_TIMEOUT_MS=LOCK_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS=2_000)


def test_unreachable_database_answers_503_problem_within_2_seconds(tmp_path):
    app = create_app(base_config(tmp_path, DATABASE_URL="postgresql://postgres@127.0.0.1:1/stopped"))
    client = app.test_client()
    started = time.monotonic()
    api = client.get("/api/v1/practices")
    elapsed = time.monotonic() - started
    assert api.status_code == 503 and api.headers["Content-Type"] == "application/problem+json"
    assert api.headers["Retry-After"] and elapsed <= 2.0
    page = client.get("/practices/")
    assert page.status_code == 503 and page.headers["Retry-After"] and "text/html" in page.content_type


def test_postgres_connections_carry_the_timeouts(app):
    if not PG_URL:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    with db.engine.connect() as conn:
        assert conn.execute(text("SHOW lock_timeout")).scalar() == f"{LOCK_TIMEOUT_MS}ms"
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "2s"
        assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "1min"


def test_a_locked_table_fails_the_request_within_the_lock_timeout(app, client, make_practice):
    if not PG_URL:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    make_practice(title="Locked practice")
    db.session.remove()
    other = create_engine(normalize_database_url(PG_URL))
    with other.connect() as conn:
        conn.execute(text("LOCK TABLE practice IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        response = client.get("/api/v1/practices")
        elapsed = time.monotonic() - started
        conn.rollback()
    other.dispose()
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.headers["Content-Type"] == "application/problem+json"
    assert elapsed <= LOCK_TIMEOUT_MS / 1000 + 1.0
