"""Login rate limit (Flask-Limiter), on memory storage and, when TEST_REDIS_URL is set, on Redis."""

import os
import uuid
from contextlib import contextmanager

import pytest

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import PASSWORD, base_config, database_url

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def app_config(schema_template, tmp_path):
    return base_config(
        tmp_path, DATABASE_URL=database_url(schema_template, tmp_path), RATELIMIT_ENABLED=True
    )


def bad_login(client, ip="10.0.0.1", email="ana@example.org"):
    return client.post("/login", data={"email": email, "password": "not-the-password"},
                       environ_base={"REMOTE_ADDR": ip})


def assert_eleventh_attempt_is_refused(client):
    for _ in range(10):
        assert bad_login(client).status_code == 401
    response = bad_login(client)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "<h1>Too many requests</h1>" in html
    assert "Wait a minute and try again." in html
    assert int(response.headers["Retry-After"]) > 0
    return response


def test_eleventh_bad_login_in_a_minute_gets_a_friendly_429(client, make_user):
    make_user(email="ana@example.org")
    assert_eleventh_attempt_is_refused(client)
    right = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert right.status_code == 429  # even the right password waits: no guessing continues
    assert client.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
    assert bad_login(client, ip="10.0.0.2").status_code == 401  # counted per address


@contextmanager
def running(app):
    """The app's context; its database connections are closed afterwards."""
    with app.app_context():
        try:
            yield app.test_client()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_password_reset_requests_are_limited_too(client, make_user, outbox):
    make_user(email="ana@example.org")
    statuses = [client.post("/forgot-password", data={"email": "ana@example.org"}).status_code
                for _ in range(11)]
    assert statuses == [302] * 5 + [429] * 6  # RATELIMIT_FORGOT_PASSWORD: 5 per hour (issue 11)
    assert len(outbox) == 5


def test_counters_do_not_leak_from_one_app_to_the_next(app_config, client, make_user):
    make_user(email="ana@example.org")
    assert_eleventh_attempt_is_refused(client)
    db.session.remove()
    with running(create_app(app_config)) as fresh:
        assert bad_login(fresh).status_code == 401


def test_rate_limits_can_be_switched_off(app_config):
    with running(create_app({**app_config, "RATELIMIT_ENABLED": False})) as client:
        assert {bad_login(client).status_code for _ in range(15)} == {401}


def test_behind_a_trusted_proxy_each_client_has_its_own_counter(app_config):
    def bad_login_from(client, forwarded_for):
        return client.post("/login", data={"email": "x@example.org", "password": "nope-nope-nope"},
                           headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": "10.9.9.9"})

    with running(create_app({**app_config, "TRUSTED_PROXIES": 1})) as client:
        for _ in range(10):
            bad_login_from(client, "203.0.113.7")
        assert bad_login_from(client, "203.0.113.7").status_code == 429
        assert bad_login_from(client, "198.51.100.2").status_code == 401
    with running(create_app(app_config)) as client:  # no proxy configured: the header is ignored
        statuses = [bad_login_from(client, f"203.0.113.{n}").status_code for n in range(11)]
        assert statuses[-1] == 429


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (CI sets it)")
def test_redis_storage_shares_counters_between_workers(app_config):
    """Two apps (two workers) on one Redis share the counters; a new key prefix starts afresh."""
    prefix = f"test-{uuid.uuid4().hex}"
    config = {**app_config, "RATELIMIT_STORAGE_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    try:
        with running(create_app(config)) as worker_a:
            for _ in range(10):
                assert bad_login(worker_a).status_code == 401
        with running(create_app(config)) as worker_b:
            assert bad_login(worker_b).status_code == 429
        with running(create_app({**config, "RATELIMIT_KEY_PREFIX": f"{prefix}-other"})) as other:
            assert bad_login(other).status_code == 401
    finally:
        _flush_prefix(prefix)


def _flush_prefix(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


def test_rate_limit_headers_are_the_ones_the_readme_names(client):
    from tests.test_docs import ROOT

    sent = sorted(h for h, _value in bad_login(client).headers.items() if "ratelimit" in h.lower())
    assert sent == ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    row = next(line for line in readme if line.startswith("| `MARKETPLACE_RATELIMIT_HEADERS_ENABLED`"))
    assert all(f"`{name}`" in row for name in sent) and "X-RateLimit" not in row
