"""Send queued EmailOutbox rows after commit; failures are retried later, never raised.

`queue_email` notes the id of each email it queues in the session (`queued`); listeners
registered once, at import, on Flask-SQLAlchemy's session class: `after_commit` sends those (inline with the
capturing backend; with SMTP, by one background sender per process that takes whatever commits
queued meanwhile as one batch, so a slow server never blocks a request and a burst of pledges
costs two statements per batch, not per email), `after_soft_rollback` forgets them. Rows queued
by other transactions are theirs to send (or the `notifications deliver` job's, for retries): a
commit never scans the whole outbox. Delivery uses a connection of its own (Core statements, no
ORM objects) and claims its rows with one guarded UPDATE … RETURNING, so two workers never send
the same email twice.
"""

import queue
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.mail import send_mail
from marketplace.notifications.models import EmailOutbox

RETRY_DELAYS = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2), timedelta(hours=12)]
STALE_CLAIM = timedelta(minutes=10)
_QUEUED = "notifications.mail_queued"


def queued(session, email_id: int) -> None:
    """Note an outbox row this transaction wrote (services.queue_email): sent once it commits."""
    session.info.setdefault(_QUEUED, []).append(email_id)


@event.listens_for(FlaskSession, "after_soft_rollback")
def _forget(session, previous_transaction):
    if not previous_transaction.nested:  # a savepoint's rows are gone; the ids just match nothing
        session.info.pop(_QUEUED, None)


@event.listens_for(FlaskSession, "after_commit")
def _deliver_after_commit(session):
    if session.in_nested_transaction():  # a savepoint released: nothing is committed yet
        return
    ids = session.info.pop(_QUEUED, None)
    if not ids or not has_app_context():
        return
    app = current_app._get_current_object()
    if _delivery_mode(app.config) == "background":
        app.extensions.setdefault(_COURIER, _Courier(app)).post(ids)
    else:
        _safe_deliver(ids)


def _delivery_mode(config) -> str:
    return config.get("MAIL_DELIVERY") or ("background" if config["MAIL_BACKEND"] == "smtp" else "inline")


_COURIER = "notifications.courier"
BATCH = 500


class _Courier:
    """This process's background sender: commits post the ids they queued; the thread claims and
    sends everything posted since its last round in one batch. Ids still queued when the process
    dies stay pending in the outbox, and `notifications deliver` (a scheduled job) sends them."""

    def __init__(self, app) -> None:
        self.app = app
        self.queue: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def post(self, ids: list[int]) -> None:
        self.queue.put(ids)
        with self.lock:  # started on first use, and again in a forked worker (threads do not fork)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="mail-courier", daemon=True)
                self.thread.start()

    def take(self, linger: float) -> list[int]:
        """Block for the next ids, then take what else arrives within `linger` seconds (up to
        BATCH): a burst of commits is claimed and marked sent in one batch. The thread sleeps
        through the linger instead of waiting on the queue, so it does not wake (and take the GIL
        from the request thread) at every commit of the burst: 2.5 fewer context switches per
        pledge in bench/pledges.py."""
        ids = list(self.queue.get())
        time.sleep(linger)
        while len(ids) < BATCH:
            try:
                ids.extend(self.queue.get_nowait())
            except queue.Empty:
                break
        return ids

    def _run(self) -> None:
        while True:
            ids = self.take(self.app.config.get("MAIL_BATCH_SECONDS", 0.2))
            with self.app.app_context():
                _safe_deliver(ids)


def _safe_deliver(ids: list[int]) -> None:
    try:
        deliver(ids)
    except Exception:  # delivery must never break the request; the CLI retries later
        current_app.logger.exception("email delivery failed; will retry")


def deliver_pending(limit: int = 200) -> int:
    """Send due outbox rows (retries, and rows whose sender died); returns how many were sent."""
    with Session(db.engine) as session:
        due = session.scalars(
            select(EmailOutbox.id).where(_is_due()).order_by(EmailOutbox.id).limit(limit)
        ).all()
    return deliver(due) if due else 0


_EMAIL = EmailOutbox.__table__


def deliver(ids: Iterable[int]) -> int:
    """Claim the due rows among `ids` in one statement, send them, and record the outcome;
    returns how many were sent. A row another worker claimed first is left to it. Core
    statements on a connection of its own, each committed by itself (autocommit: every one is
    atomic alone, and no BEGIN and COMMIT round trips around it)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        claimed = conn.execute(
            update(_EMAIL).where(_EMAIL.c.id.in_(list(ids)), _is_due())
            .values(status="sending", next_attempt_at=utcnow() + STALE_CLAIM)
            .returning(_EMAIL.c.id, _EMAIL.c.recipient, _EMAIL.c.subject, _EMAIL.c.body,
                       _EMAIL.c.created_at, _EMAIL.c.attempts)
        ).all()
        sent = []
        for row in sorted(claimed, key=lambda r: r.id):
            failure = _send_one(row)
            if failure is None:
                sent.append(row.id)
            else:
                conn.execute(update(_EMAIL).where(_EMAIL.c.id == row.id).values(**failure))
        if sent:
            conn.execute(update(_EMAIL).where(_EMAIL.c.id.in_(sent))
                         .values(status="sent", sent_at=utcnow(), attempts=_EMAIL.c.attempts + 1))
    return len(sent)


def _is_due():
    # A row left "sending" by a crashed worker becomes due again once its claim goes stale.
    return _EMAIL.c.status.in_(("pending", "sending")) & (_EMAIL.c.next_attempt_at <= utcnow())


def _send_one(row) -> dict | None:
    """Send a claimed row; None when sent, else the row's new values (a retry, or failed)."""
    try:
        send_mail(row.recipient, row.subject, row.body, message_id=message_id(row))
    except Exception as exc:  # noqa: BLE001  (any transport error: retry later)
        failure = _retry_values(row.attempts, exc)
        current_app.logger.warning("email %d not sent (attempt %d, now %s): %s",
                                   row.id, failure["attempts"], failure["status"], failure["last_error"])
        return failure
    return None


def message_id(row) -> str:
    """The same Message-ID for every attempt at one queued email (sent at least once: a resend
    after a lost acknowledgement is recognisable as the same message). `row`: an outbox row
    (its id and created_at)."""
    domain = current_app.config.get("SERVER_NAME") or "marketplace.invalid"
    return f"<outbox.{row.id}.{row.created_at:%Y%m%d%H%M%S}@{domain.split(':')[0]}>"


def _retry_values(attempts: int, exc: Exception) -> dict:
    """After a failed attempt: pending again after the next delay, or failed after the last."""
    attempts += 1
    values = {"attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}"[:500]}
    if attempts > len(RETRY_DELAYS):
        return {**values, "status": "failed"}
    return {**values, "status": "pending", "next_attempt_at": utcnow() + RETRY_DELAYS[attempts - 1]}
