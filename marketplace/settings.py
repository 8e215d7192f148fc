"""Layered configuration: defaults → instance/config.py → MARKETPLACE_* env → test mapping."""

import math
import os
import secrets
import zlib
from collections import Counter
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from marketplace.config import DEFAULTS, UNSAFE_SECRETS

ENV_PREFIX = "MARKETPLACE"


def load(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile(str(Path(app.instance_path) / "config.py"), silent=True)
    app.config.from_prefixed_env(prefix=ENV_PREFIX)
    raw_secret = os.environ.get(f"{ENV_PREFIX}_SECRET_KEY")
    if raw_secret is not None:  # as written: JSON parsing makes "0123…" the number 123…
        app.config["SECRET_KEY"] = raw_secret
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
    elif cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = postgres_engine_options(cfg)
    cfg["SEARCH_INDEX_DIR"] = cfg.get("SEARCH_INDEX_DIR") or str(
        Path(app.instance_path) / "search-index"
    )
    cfg["RATELIMIT_STORAGE_URI"] = cfg["RATELIMIT_STORAGE_URL"]
    cfg["SECRET_KEY"] = _secret_key(app)
    if cfg["PRODUCTION"]:
        for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
            cfg.setdefault(key, True)
            cfg[key] = True


def postgres_engine_options(cfg) -> dict:
    """The configured engine options plus the server-side timeouts, set on every connection."""
    options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    timeouts = {"statement_timeout": cfg["DB_STATEMENT_TIMEOUT_MS"], "lock_timeout": cfg["DB_LOCK_TIMEOUT_MS"],
                "idle_in_transaction_session_timeout": cfg["DB_IDLE_IN_TRANSACTION_TIMEOUT_MS"]}
    settings = " ".join(f"-c {name}={int(value)}" for name, value in timeouts.items())
    # libpq takes one `options` string: keep the URL's own (e.g. -csearch_path=...) before ours,
    # since a connect argument replaces the URL's query parameter of the same name.
    in_url = make_url(cfg["SQLALCHEMY_DATABASE_URI"]).query.get("options", "")
    in_url = " ".join(in_url) if isinstance(in_url, tuple) else in_url
    connect_args["options"] = " ".join(filter(None, [in_url, connect_args.get("options", ""), settings]))
    connect_args.setdefault("connect_timeout", int(cfg["DB_CONNECT_TIMEOUT"]))
    options["connect_args"] = connect_args
    return options


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the common way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


MIN_SECRET_BITS = 128  # Shannon estimate over the key's characters, times its length


def secret_strength(key: str) -> float:
    """Bits of entropy-like material, the lower of two estimates: character frequencies ('aaaa…' has
    0) and what deflate leaves of it (a repeated word such as 'changemechangeme…' compresses away)."""
    if not key:
        return 0.0
    shannon = -len(key) * sum(n / len(key) * math.log2(n / len(key)) for n in Counter(key).values())
    return min(shannon, 8.0 * (len(zlib.compress(key.encode(), 9)) - 8))


def _secret_key(app: Flask) -> str:
    key = app.config.get("SECRET_KEY")
    if key is not None and not isinstance(key, str):
        key = str(key)  # a number in instance/config.py
    if app.config["PRODUCTION"]:
        # At least 8 distinct characters: 10 refused one random 64-digit key in 80 (a digit missing)
        if not key or key in UNSAFE_SECRETS or len(key.encode()) < 32 or len(set(key)) < 8 \
                or secret_strength(key) < MIN_SECRET_BITS:
            raise RuntimeError(
                "MARKETPLACE_SECRET_KEY is missing or too weak for production: it needs at least 32 "
                "bytes of random material (no repeated words). Generate one with "
                "`python -c 'import secrets; print(secrets.token_hex(32))'` and set it in the environment."
            )
        return key
    if key:
        return key
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()
