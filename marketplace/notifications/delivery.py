"""Send queued EmailOutbox rows after commit; failures are retried later, never raised.

Listeners are registered once, at import, on Flask-SQLAlchemy's session class: `after_flush`
notes that an email was queued, `after_commit` sends (inline with the capturing backend, in a
background thread with SMTP so a slow server never blocks the request), `after_soft_rollback`
forgets. Delivery uses its own session, and claims each row with a guarded UPDATE so two
workers never send the same email twice.
"""

import threading
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
_FLAG = "notifications.mail_queued"


@event.listens_for(FlaskSession, "after_flush")
def _note_queued(session, flush_context):
    if any(isinstance(obj, EmailOutbox) for obj in session.new):
        session.info[_FLAG] = True


@event.listens_for(FlaskSession, "after_soft_rollback")
def _forget(session, previous_transaction):
    session.info.pop(_FLAG, None)


@event.listens_for(FlaskSession, "after_commit")
def _deliver_after_commit(session):
    if not session.info.pop(_FLAG, False) or not has_app_context():
        return
    app = current_app._get_current_object()
    if app.config["MAIL_BACKEND"] == "smtp":
        threading.Thread(target=_deliver_in_thread, args=(app,), daemon=True).start()
    else:
        _safe_deliver()


def _deliver_in_thread(app) -> None:
    with app.app_context():
        _safe_deliver()


def _safe_deliver() -> None:
    try:
        deliver_pending()
    except Exception:  # delivery must never break the request; the CLI retries later
        current_app.logger.exception("email delivery failed; will retry")


def deliver_pending(limit: int = 200) -> int:
    """Send due outbox rows in a separate session; returns how many were sent."""
    sent = 0
    with Session(db.engine) as session:
        due = session.scalars(
            select(EmailOutbox.id).where(_is_due()).order_by(EmailOutbox.id).limit(limit)
        ).all()
        for row_id in due:
            sent += _deliver_one(session, row_id)
    return sent


def _is_due():
    # A row left "sending" by a crashed worker becomes due again once its claim goes stale.
    return EmailOutbox.status.in_(("pending", "sending")) & (EmailOutbox.next_attempt_at <= utcnow())


def _deliver_one(session: Session, row_id: int) -> int:
    claimed = session.execute(update(EmailOutbox).where(EmailOutbox.id == row_id, _is_due())
                              .values(status="sending", next_attempt_at=utcnow() + STALE_CLAIM))
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return 0
    row = session.get(EmailOutbox, row_id)
    try:
        send_mail(row.recipient, row.subject, row.body, message_id=message_id(row))
    except Exception as exc:  # noqa: BLE001  (any transport error: retry later)
        _schedule_retry(row, exc)
        session.commit()
        current_app.logger.warning("email %d not sent (attempt %d, now %s): %s",
                                   row.id, row.attempts, row.status, row.last_error)
        return 0
    row.status, row.sent_at, row.attempts = "sent", utcnow(), row.attempts + 1
    session.commit()
    return 1


def message_id(row: EmailOutbox) -> str:
    """The same Message-ID for every attempt at one queued email (sent at least once: a resend
    after a lost acknowledgement is recognisable as the same message)."""
    domain = current_app.config.get("SERVER_NAME") or "marketplace.invalid"
    return f"<outbox.{row.id}.{row.created_at:%Y%m%d%H%M%S}@{domain.split(':')[0]}>"


def _schedule_retry(row: EmailOutbox, exc: Exception) -> None:
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if row.attempts > len(RETRY_DELAYS):
        row.status = "failed"
    else:
        row.status = "pending"
        row.next_attempt_at = utcnow() + RETRY_DELAYS[row.attempts - 1]
