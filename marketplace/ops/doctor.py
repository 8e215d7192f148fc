"""`marketplace doctor`: is this environment configured for production? Each check names the
setting to fix; the command exits 1 when any check finds a problem."""

import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text

from marketplace.extensions import db
from marketplace.ops import readiness

LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
DB_TIMEOUTS = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")


def check_production(app: Flask) -> list[str]:
    return [] if app.config["PRODUCTION"] else ["MARKETPLACE_PRODUCTION is not true"]


def check_server_name(app: Flask) -> list[str]:
    name = (app.config.get("SERVER_NAME") or "").split(":")[0]
    if name in LOCAL_HOSTS:
        return ["MARKETPLACE_SERVER_NAME is not set to the public host name (links in mail use it)"]
    return []


def check_scheme(app: Flask) -> list[str]:
    if app.config.get("PREFERRED_URL_SCHEME") != "https":
        return ["MARKETPLACE_PREFERRED_URL_SCHEME is not https (cookies are Secure in production)"]
    return []


def check_proxies(app: Flask) -> list[str]:
    if not app.config["TRUSTED_PROXIES"]:
        return ["MARKETPLACE_TRUSTED_PROXIES is 0: put a TLS proxy in front and count it here"]
    return []


def check_database(app: Flask) -> list[str]:
    cfg = app.config
    uri = cfg["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("postgresql"):
        return ["MARKETPLACE_DATABASE_URL is not PostgreSQL (SQLite serves one node only)"]
    probe = create_engine(uri, connect_args={"connect_timeout": 5})
    try:
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as err:  # noqa: BLE001  (any driver error means "not reachable")
        return [f"MARKETPLACE_DATABASE_URL: database not reachable ({type(err).__name__})"]
    finally:
        probe.dispose()
    return _migrated(app) + _timeouts(app)


def _migrated(app: Flask) -> list[str]:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory


    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with app.app_context(), db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        return [f"database not migrated to head ({', '.join(sorted(current)) or 'empty'} → "
                f"{', '.join(sorted(heads))}): run `marketplace db upgrade`"]
    return []


def _timeouts(app: Flask) -> list[str]:

    with app.app_context(), db.engine.connect() as conn:
        values = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in DB_TIMEOUTS}
    return [f"PostgreSQL {name} is not set (0): set it on the role or in the connection options"
            for name, value in values.items() if str(value) in ("0", "0ms")]


def check_redis(app: Flask) -> list[str]:

    with app.test_request_context():
        url = readiness.redis_url()
        if url is None:
            return ["MARKETPLACE_RATELIMIT_STORAGE_URL is not Redis (limits would count per process)"]
        try:
            readiness.check_redis()
        except Exception as err:  # noqa: BLE001
            return [f"MARKETPLACE_RATELIMIT_STORAGE_URL: Redis not reachable ({type(err).__name__})"]
    return []


def check_mail(app: Flask) -> list[str]:
    cfg = app.config
    if cfg["MAIL_BACKEND"] != "smtp":
        return ["MARKETPLACE_MAIL_BACKEND is not smtp (mail would only be captured)"]
    found = []
    if (cfg["MAIL_SERVER"] or "") in LOCAL_HOSTS and not os.path.exists("/usr/sbin/sendmail"):
        found.append("MARKETPLACE_MAIL_SERVER is local but no mail server runs here")
    sender = cfg["MAIL_DEFAULT_SENDER"] or ""
    if "@localhost" in sender or "@" not in sender:
        found.append("MARKETPLACE_MAIL_DEFAULT_SENDER is not an address on your domain")
    return found


def _writable(path: Path, setting: str) -> list[str]:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as err:
        return [f"{setting}: {path} is not writable ({err.strerror})"]
    return []


def check_index_dir(app: Flask) -> list[str]:
    return _writable(Path(app.config["SEARCH_INDEX_DIR"]), "MARKETPLACE_SEARCH_INDEX_DIR")


def check_instance(app: Flask) -> list[str]:
    return _writable(Path(app.instance_path), "MARKETPLACE_INSTANCE_PATH")


CHECKS: list[tuple[str, Callable[[Flask], list[str]]]] = [
    ("production", check_production), ("server name", check_server_name), ("https", check_scheme),
    ("proxies", check_proxies), ("database", check_database), ("redis", check_redis),
    ("mail", check_mail), ("search index directory", check_index_dir), ("instance folder", check_instance),
]


def _app() -> tuple[Flask | None, list[str]]:
    """The app as this environment configures it. A refused secret key is a problem to report and
    the other checks still run (with a throwaway key); any other start-up failure ends the checks."""
    from marketplace import create_app  # the app factory imports ops: a top-level import is circular

    try:
        return create_app(), []
    except RuntimeError as err:
        if "SECRET_KEY" in str(err):
            problem = f"secret key: {err}"
            try:
                return create_app({"SECRET_KEY": secrets.token_hex(32)}), [problem]
            except Exception as again:  # noqa: BLE001
                return None, [problem, _start_failure(again)]
        return None, [_start_failure(err)]
    except Exception as err:  # noqa: BLE001  (report it as a problem, not a traceback)
        return None, [_start_failure(err)]


def _start_failure(err: Exception) -> str:
    if isinstance(err, OSError) and err.filename:
        return f"the app does not start: {err.filename}: {err.strerror} (MARKETPLACE_INSTANCE_PATH?)"
    return f"the app does not start: {type(err).__name__}: {err}"


def diagnose(echo: Callable[[str], None]) -> list[str]:
    app, problems = _app()
    for problem in problems:
        echo(f"FAIL  {problem}")
    if app is None:
        return problems
    try:
        for name, check in CHECKS:
            found = check(app)
            echo(f"ok    {name}" if not found else "\n".join(f"FAIL  {name}: {p}" for p in found))
            problems += found
    finally:

        with app.app_context():
            db.engine.dispose()
    return problems
