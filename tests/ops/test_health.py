"""/healthz answers without the database; /readyz reports each dependency and turns red."""

import pytest
from sqlalchemy import insert

from marketplace import search
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import EmailOutbox
from marketplace.ops import readiness
from tests.conftest import base_config

REDIS_URL = "redis://127.0.0.1:6379/6"


@pytest.fixture
def app_config(app_config):
    return app_config | {"READYZ_SEARCH_BACKLOG_MAX": 2, "READYZ_EMAIL_BACKLOG_MAX": 1}


def test_ready_when_every_dependency_is(client, app):
    search.reindex()
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ok"
    assert set(response.json["checks"]) == {"database", "search_index", "search_backlog", "email_backlog"}
    assert all(check["ok"] for check in response.json["checks"].values())


def test_not_ready_when_the_index_is_missing(client, app):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json["checks"]
    assert checks["search_index"]["ok"] is False
    assert "reindex" in checks["search_index"]["detail"]
    assert checks["database"]["ok"] is True


def test_not_ready_while_the_search_backlog_exceeds_its_threshold(client, app, make_user):
    search.reindex()
    for n in range(3):  # each new person is a search change, left unapplied (SEARCH_DRAIN manual)
        make_user(email=f"backlog{n}@example.org")
    assert readiness.search_backlog() >= 3
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["search_backlog"]["ok"] is False
    assert "limit 2" in response.json["checks"]["search_backlog"]["detail"]
    assert search.wait_until_indexed(10)
    assert client.get("/readyz").status_code == 200


def test_not_ready_while_the_email_backlog_exceeds_its_threshold(client, app):
    search.reindex()
    # Rows inserted behind the ORM's back are not sent after commit: as a crash would leave them.
    db.session.execute(insert(EmailOutbox), [{"recipient": f"r{n}@example.org", "subject": "s", "body": "b",
                                              "next_attempt_at": utcnow()} for n in range(2)])
    db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["email_backlog"] == {"ok": False, "detail": "2 emails due (limit 1)"}


def test_redis_is_checked_when_limits_use_it(tmp_path, app_config):
    from marketplace import create_app

    for url, ok in ((REDIS_URL, True), ("redis://127.0.0.1:1/0", False)):
        app = create_app(app_config | {"RATELIMIT_STORAGE_URL": url})
        with app.app_context():
            checks = app.test_client().get("/readyz").json["checks"]
            assert checks["redis"]["ok"] is ok, checks["redis"]
            db.session.remove()
            db.engine.dispose()


def test_healthz_does_not_need_the_database(tmp_path):
    from marketplace import create_app

    app = create_app(base_config(tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:1/nowhere"))
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"]["ok"] is False


def test_details_only_for_the_operators_addresses(client, app):
    outside = client.get("/readyz", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 503
    assert outside.json["checks"]["search_index"] == {"ok": False}
    assert outside.json["checks"]["database"] == {"ok": True}
