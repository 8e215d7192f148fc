"""Layered configuration: defaults → instance/config.py → MARKETPLACE_* env → test mapping."""

import os
import secrets
from pathlib import Path

from flask import Flask

from marketplace.config import DEFAULTS, UNSAFE_SECRETS

ENV_PREFIX = "MARKETPLACE"


def load(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile(str(Path(app.instance_path) / "config.py"), silent=True)
    app.config.from_prefixed_env(prefix=ENV_PREFIX)
    if test_config:
        app.config.from_mapping(test_config)
    _derive(app)


def _derive(app: Flask) -> None:
    cfg = app.config
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    url = cfg.get("DATABASE_URL") or cfg.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = f"sqlite:///{Path(app.instance_path) / 'marketplace.sqlite3'}"
    cfg["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(url)
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 15}}
    cfg["SEARCH_INDEX_DIR"] = cfg.get("SEARCH_INDEX_DIR") or str(
        Path(app.instance_path) / "search-index"
    )
    cfg["RATELIMIT_STORAGE_URI"] = cfg["RATELIMIT_STORAGE_URL"]
    cfg["SECRET_KEY"] = _secret_key(app)
    if cfg["PRODUCTION"]:
        for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
            cfg.setdefault(key, True)
            cfg[key] = True


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the common way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key(app: Flask) -> str:
    key = app.config.get("SECRET_KEY")
    if app.config["PRODUCTION"]:
        if not key or key in UNSAFE_SECRETS or len(key) < 32:
            raise RuntimeError(
                "MARKETPLACE_SECRET_KEY must be set to a long random value in production."
            )
        return key
    if key:
        return key
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()
