"""`marketplace doctor` passes on deploy/marketplace.env (filled in) and names each bad setting."""

import os
import secrets
import shlex
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from marketplace.ops.cli import doctor
from marketplace.settings import normalize_database_url
from tests.conftest import PG_URL, base_config

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "marketplace.env"
REDIS_URL = "redis://127.0.0.1:6379/6"
needs_pg = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")


def template_env() -> dict[str, str]:
    """The template's settings, read as systemd reads an EnvironmentFile (quotes removed)."""
    env = {}
    for line in TEMPLATE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = " ".join(shlex.split(value)) if value else ""
    return env


@pytest.fixture(scope="module")
def migrated_url(tmp_path_factory):
    """A PostgreSQL database of its own, migrated to head (None without PostgreSQL)."""
    if not PG_URL:
        yield None
        return
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.extensions import db

    url = make_url(normalize_database_url(PG_URL))
    name = f"{url.database}_doctor_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    own = url.set(database=name).render_as_string(hide_password=False)
    app = create_app(base_config(tmp_path_factory.mktemp("doctor"), DATABASE_URL=own))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield own
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def production_env(monkeypatch, tmp_path, migrated_url):
    """The template with its blanks filled in for this machine, as the only MARKETPLACE_* settings."""
    env = template_env()
    options = urlsplit(env["MARKETPLACE_DATABASE_URL"]).query  # the template's timeouts
    env |= {
        "MARKETPLACE_SECRET_KEY": "k" + secrets.token_hex(32),
        "MARKETPLACE_INSTANCE_PATH": str(tmp_path / "instance"),
        "MARKETPLACE_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "MARKETPLACE_DATABASE_URL": f"{migrated_url}?{options}" if migrated_url
        else f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MARKETPLACE_RATELIMIT_STORAGE_URL": REDIS_URL,
    }
    for key in [k for k in os.environ if k.startswith("MARKETPLACE_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def run_doctor() -> tuple[int, str]:
    result = CliRunner().invoke(doctor, [], catch_exceptions=False)
    return result.exit_code, result.output


@needs_pg
def test_passes_on_the_deploy_template(production_env):
    code, output = run_doctor()
    assert code == 0, output
    assert "FAIL" not in output and "doctor: ready for production" in output


BAD_SETTINGS = [pytest.param(*case[:3], id=f"{case[0]}={case[1]}", marks=case[3:]) for case in [
    ("MARKETPLACE_PRODUCTION", "false", "MARKETPLACE_PRODUCTION is not true"),
    ("MARKETPLACE_SECRET_KEY", None, "MARKETPLACE_SECRET_KEY is missing or too weak"),
    ("MARKETPLACE_SECRET_KEY", "changeme", "MARKETPLACE_SECRET_KEY is missing or too weak"),
    ("MARKETPLACE_SERVER_NAME", None, "MARKETPLACE_SERVER_NAME is not set"),
    ("MARKETPLACE_SERVER_NAME", "localhost", "MARKETPLACE_SERVER_NAME is not set"),
    ("MARKETPLACE_PREFERRED_URL_SCHEME", "http", "MARKETPLACE_PREFERRED_URL_SCHEME is not https"),
    ("MARKETPLACE_TRUSTED_PROXIES", "0", "MARKETPLACE_TRUSTED_PROXIES is 0"),
    ("MARKETPLACE_RATELIMIT_STORAGE_URL", None, "MARKETPLACE_RATELIMIT_STORAGE_URL is not Redis"),
    ("MARKETPLACE_RATELIMIT_STORAGE_URL", "redis://127.0.0.1:1/0", "Redis not reachable"),
    ("MARKETPLACE_MAIL_BACKEND", None, "MARKETPLACE_MAIL_BACKEND is not smtp"),
    ("MARKETPLACE_MAIL_DEFAULT_SENDER", None, "MARKETPLACE_MAIL_DEFAULT_SENDER is not an address"),
    ("MARKETPLACE_SEARCH_INDEX_DIR", "/proc/marketplace-index", "MARKETPLACE_SEARCH_INDEX_DIR: /proc"),
    ("MARKETPLACE_INSTANCE_PATH", "/proc/marketplace", "MARKETPLACE_INSTANCE_PATH"),
    ("MARKETPLACE_DATABASE_URL", "sqlite:////tmp/marketplace-doctor.sqlite3", "is not PostgreSQL", needs_pg),
    ("MARKETPLACE_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nowhere", "database not reachable"),
]]


@pytest.mark.parametrize(("key", "value", "problem"), BAD_SETTINGS)
def test_names_each_bad_setting(production_env, monkeypatch, key, value, problem):
    assert problem not in run_doctor()[1]  # the template itself does not have this problem
    if value is None:
        monkeypatch.delenv(key)
    else:
        monkeypatch.setenv(key, value)
    code, output = run_doctor()
    assert code == 1
    assert problem in output, output


@needs_pg
def test_names_an_unmigrated_database_and_missing_timeouts(production_env, monkeypatch):
    empty = make_url(normalize_database_url(PG_URL)).render_as_string(hide_password=False)
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", empty)  # create_all, no migrations; no options
    for name in ("STATEMENT_TIMEOUT_MS", "LOCK_TIMEOUT_MS", "IDLE_IN_TRANSACTION_TIMEOUT_MS"):
        monkeypatch.setenv(f"MARKETPLACE_DB_{name}", "0")  # the app sets them by default: turn them off
    code, output = run_doctor()
    assert code == 1
    assert "database not migrated to head" in output
    for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
        assert f"PostgreSQL {name} is not set" in output
