"""Layered configuration: defaults → instance/config.py → MARKETPLACE_* environment → test mapping."""

import os
import stat

import pytest

from marketplace import create_app
from marketplace.settings import normalize_database_url

GOOD_SECRET = "a7f3c9e1b5d2086f4a1e9c3b7d5f2a8e6c4b0d9f"


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder, chosen by the environment variable as in a deployment."""
    for key in list(os.environ):
        if key.startswith("MARKETPLACE_"):
            monkeypatch.delenv(key)
    folder = tmp_path / "instance"
    monkeypatch.setenv("MARKETPLACE_INSTANCE_PATH", str(folder))
    return folder


def test_each_layer_overrides_the_one_before(instance, monkeypatch):
    instance.mkdir()
    (instance / "config.py").write_text(
        'SITE_NAME = "from-file"\nPER_PAGE = 7\nMAIL_SERVER = "file.example"\nMAIL_PORT = 2525\n')
    monkeypatch.setenv("MARKETPLACE_PER_PAGE", "9")
    monkeypatch.setenv("MARKETPLACE_MAIL_SERVER", "env.example")
    monkeypatch.setenv("MARKETPLACE_MAIL_USE_TLS", "true")
    app = create_app({"MAIL_SERVER": "mapping.example"})
    assert app.instance_path == str(instance)
    assert app.config["PASSWORD_RESET_MAX_AGE"] == 3600  # default
    assert app.config["SITE_NAME"] == "from-file"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["PER_PAGE"] == 9  # env values are parsed as JSON
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["MAIL_SERVER"] == "mapping.example"


def test_sqlite_in_the_instance_folder_by_default(instance):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'marketplace.sqlite3'}"


@pytest.mark.parametrize("url, expected", [
    ("postgresql://user:pw@db.example:5432/market", "postgresql+psycopg://user:pw@db.example:5432/market"),
    ("postgres://user@db.example/market", "postgresql+psycopg://user@db.example/market"),
    ("postgresql+psycopg://user@db.example/market", "postgresql+psycopg://user@db.example/market"),
    ("sqlite:////var/lib/market.sqlite3", "sqlite:////var/lib/market.sqlite3"),
])
def test_database_url_from_the_environment_is_normalised(instance, monkeypatch, url, expected):
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", url)
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == expected
    assert normalize_database_url(url) == expected


def test_secret_key_is_generated_once_into_the_instance_folder(instance):
    first = create_app().config["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert create_app().config["SECRET_KEY"] == first  # reused: sessions survive a restart


def test_a_configured_secret_key_wins(instance, monkeypatch):
    monkeypatch.setenv("MARKETPLACE_SECRET_KEY", GOOD_SECRET)
    assert create_app().config["SECRET_KEY"] == GOOD_SECRET
    assert not (instance / "secret_key").exists()


@pytest.mark.parametrize("secret", [None, "", "dev", "changeme", "secret", "too-short-0123456789"])
def test_production_refuses_to_start_without_a_real_secret(instance, monkeypatch, secret):
    monkeypatch.setenv("MARKETPLACE_PRODUCTION", "true")
    if secret is not None:
        monkeypatch.setenv("MARKETPLACE_SECRET_KEY", secret)
    instance.mkdir()
    (instance / "secret_key").write_text("f" * 64)  # a generated development key is not enough
    with pytest.raises(RuntimeError, match="MARKETPLACE_SECRET_KEY"):
        create_app()


def test_production_with_a_real_secret_has_secure_cookies(instance, monkeypatch):
    monkeypatch.setenv("MARKETPLACE_PRODUCTION", "true")
    monkeypatch.setenv("MARKETPLACE_SECRET_KEY", GOOD_SECRET)
    app = create_app()
    assert app.config["SECRET_KEY"] == GOOD_SECRET
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_defaults(instance):
    app = create_app()
    assert app.config["PRODUCTION"] is False
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config["RATELIMIT_ENABLED"] is True
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["MAIL_BACKEND"] == "outbox"
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    assert app.config["SEARCH_INDEX_DIR"] == str(instance / "search-index")


def test_rate_limit_storage_from_the_environment(instance, monkeypatch):
    monkeypatch.setenv("MARKETPLACE_RATELIMIT_STORAGE_URL", "redis://cache.example:6379/2")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://cache.example:6379/2"
