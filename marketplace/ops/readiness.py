"""What /readyz checks: database, Redis (when limits use it), search index, outbox backlogs.

Each check returns (ok, detail); a check that raises is a failed check, never a 500.
"""

import time
from collections.abc import Callable
from datetime import UTC

from flask import current_app
from sqlalchemy import func, select

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import EmailOutbox
from marketplace.search import indexer, replicas, storage


def _applied() -> int:
    """This node's applied log position; an index that is missing counts as having applied
    nothing since the pruned horizon."""
    try:
        return indexer.applied_position()
    except storage.IndexUnavailable:
        return replicas.horizon(db.session)


def search_backlog() -> int:
    """This node's search lag: the change log's head position minus the position its index
    has applied (each node has its own index)."""

    return replicas.lag(db.session, _applied())


def search_backlog_age() -> float:

    oldest = replicas.oldest_unapplied(db.session, _applied())
    if oldest is None:
        return 0.0
    return max(0.0, (utcnow() - (oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC))).total_seconds())


def email_backlog() -> int:
    """Emails due now and not sent (pending or claimed), as `notifications deliver` sees them."""

    return db.session.scalar(select(func.count(EmailOutbox.id)).where(
        EmailOutbox.status.in_(("pending", "sending")), EmailOutbox.next_attempt_at <= utcnow())) or 0


def email_failed() -> int:

    return db.session.scalar(select(func.count(EmailOutbox.id)).where(EmailOutbox.status == "failed")) or 0


def check_database() -> tuple[bool, str]:
    started = time.perf_counter()
    db.session.execute(select(1))
    return True, f"{(time.perf_counter() - started) * 1000:.1f} ms"


def redis_url() -> str | None:
    url = current_app.config["RATELIMIT_STORAGE_URL"] or ""
    if url.startswith(("redis://", "rediss://")):
        return url
    if url.startswith("redis+unix://"):
        return "unix://" + url[len("redis+unix://"):]
    return None


def check_redis() -> tuple[bool, str]:
    import redis

    client = redis.Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping()), "ping"
    finally:
        client.close()


def check_search_index() -> tuple[bool, str]:

    if storage.is_available():
        return True, "present"
    return False, "missing or unreadable: run `marketplace search reindex`"


def _under(value: int, limit: int, what: str) -> tuple[bool, str]:
    return value <= limit, f"{value} {what} (limit {limit})"


def check_search_backlog() -> tuple[bool, str]:
    return _under(search_backlog(), current_app.config["READYZ_SEARCH_BACKLOG_MAX"], "changes waiting")


def check_email_backlog() -> tuple[bool, str]:
    return _under(email_backlog(), current_app.config["READYZ_EMAIL_BACKLOG_MAX"], "emails due")


def checks() -> dict[str, Callable[[], tuple[bool, str]]]:
    found = {"database": check_database}
    if redis_url():
        found["redis"] = check_redis
    found |= {"search_index": check_search_index, "search_backlog": check_search_backlog,
              "email_backlog": check_email_backlog}
    return found


def run() -> dict[str, dict]:
    results = {}
    for name, check in checks().items():
        try:
            ok, detail = check()
        except Exception as err:  # noqa: BLE001  (a broken dependency is a red check, not a 500)
            db.session.rollback()
            ok, detail = False, f"{type(err).__name__}: {err}"[:300]
        results[name] = {"ok": ok, "detail": detail}
    return results
