"""notify() and friends. Emails go to the EmailOutbox table and are sent after commit.

notify() never sends mail itself: with the recipient's "immediate" preference it queues an
EmailOutbox row; delivery.py sends queued rows once the transaction commits (or from
`marketplace notifications deliver`). "digest" marks the notification for the daily digest.
Users are not notified of their own actions.
"""

from functools import cache
from typing import NamedTuple

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import bindparam, func, insert, select, update

from marketplace import links
from marketplace.accounts.models import User, shown_name
from marketplace.database import utcnow, with_defaults
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.i18n import force_locale, user_locale
from marketplace.notifications import (
    delivery,  # noqa: F401  (registers the after-commit hook)
    kinds,
    messages,
)
from marketplace.notifications.models import EmailOutbox, Notification, NotificationPreference


def notify(recipient: User, kind: str, message: str | LazyString, link: str,
           actor: User | None = None, mail: bool = True) -> None:
    """Add an in-app notification and queue its email per the recipient's preference (none
    with `mail=False`: the caller sends its own mail). Pass `message` as a lazy_gettext string:
    it is rendered in the recipient's language."""
    if actor is not None and actor.id == recipient.id:
        return
    kind = _known(kind)
    mode = preference_for(recipient, kind) if mail and _can_email(recipient) else kinds.OFF
    _write(recipient, kind, mode, message, link, actor.id if actor is not None else None)


class Addressee(NamedTuple):
    """What a notice needs of its recipient (notify_addressee), without loading the User."""

    id: int
    email: str
    display_name: str
    locale: str | None
    is_deleted: bool
    is_suspended: bool


_USER, _PREFERENCE = User.__table__, NotificationPreference.__table__
_ADDRESSEE_FIELDS = ("email", "display_name", "locale", "is_deleted", "is_suspended")


def addressee_columns(user_id, kind: str) -> tuple:
    """What a notice of `kind` needs of the user whose id is the SQL expression `user_id` (their
    address, name, language, state, and preference for the kind), as labelled scalar subqueries:
    put them in a statement the caller runs anyway (the pledge's reservation RETURNs its owner's)
    and hand its row to notify_addressee: no statement, no ORM object of its own."""
    def read(column):
        return select(column).where(_USER.c.id == user_id).scalar_subquery()

    mode = (select(_PREFERENCE.c.mode)
            .where(_PREFERENCE.c.user_id == user_id, _PREFERENCE.c.kind == _known(kind)).scalar_subquery())
    return (*(read(_USER.c[name]).label(f"addressee_{name}") for name in _ADDRESSEE_FIELDS),
            mode.label("addressee_mode"))


def notify_addressee(user_id: int, row, kind: str, message: str | LazyString, link: str,
                     actor_id: int | None = None) -> None:
    """notify() for a user read by the caller's own statement: `row` has the columns of
    addressee_columns(user_id, kind)."""
    if actor_id == user_id or row.addressee_is_deleted is None:  # no such user (the column is NOT NULL)
        return
    recipient = Addressee(user_id, row.addressee_email, shown_name(row.addressee_email, row.addressee_display_name),
                          row.addressee_locale, row.addressee_is_deleted, row.addressee_is_suspended)
    kind = _known(kind)
    mode = (row.addressee_mode or kinds.DEFAULT_MODE) if _can_email(recipient) else kinds.OFF
    _write(recipient, kind, mode, message, link, actor_id)


def _known(kind: str) -> str:
    return kind if kind in kinds.LABELS else kinds.GENERIC


_NOTIFICATION, _EMAIL = Notification.__table__, EmailOutbox.__table__
_INSERT_NOTIFICATION = insert(_NOTIFICATION)


def _write(recipient: User | Addressee, kind: str, mode: str, message: str | LazyString, link: str,
           actor_id: int | None) -> None:
    """The notification row, and its email when `mode` is immediate: Core INSERTs, written now."""
    db.session.flush()  # the rows below may refer to users or objects still pending in the session
    source = messages.source_of(message)
    with force_locale(user_locale(recipient)):  # once: the notice and its email in one language
        message = str(message)
        mail = _email_text(recipient, kind, message, link) if mode == kinds.IMMEDIATE else None
    notification = with_defaults(Notification, dict(
        recipient_id=recipient.id, kind=kind, message=message[:500], message_source=source,
        link=link[:500], actor_id=actor_id, is_digest_pending=mode == kinds.DIGEST,
    ))
    if mail is None:
        db.session.execute(_INSERT_NOTIFICATION, notification)
    elif db.engine.dialect.name == "postgresql":  # one statement for both rows
        email = _email_row(recipient, *mail)
        email_id = db.session.execute(_insert_both(tuple(notification), tuple(email)), {
            **notification, **{f"mail_{key}": value for key, value in email.items()}}).scalar_one()
        delivery.queued(db.session, email_id)
    else:
        _insert_email(recipient, *mail)
        db.session.execute(_INSERT_NOTIFICATION, notification)


@cache
def _insert_both(notification_keys: tuple, email_keys: tuple):
    """PostgreSQL: `WITH mail AS (INSERT INTO email_outbox … RETURNING id) INSERT INTO notification
    … RETURNING (SELECT id FROM mail)`, the email's columns bound as mail_<column>. Built once per
    set of columns (with_defaults gives the same set every time)."""
    mail = (insert(_EMAIL).values({k: bindparam(f"mail_{k}") for k in email_keys})
            .returning(_EMAIL.c.id).cte("mail"))
    return (insert(_NOTIFICATION).values({k: bindparam(k) for k in notification_keys})
            .add_cte(mail).returning(select(mail.c.id).scalar_subquery()))


def account_notice(recipient: User, message: str | LazyString, link: str,
                   actor: User | None = None) -> None:
    """accounts' in-app notice (registered in accounts.outbox): accounts mails on its own."""
    notify(recipient, kinds.GENERIC, message, link, actor=actor, mail=False)


def _can_email(user: User | Addressee) -> bool:
    return bool(user.email) and not user.is_deleted and not user.is_suspended


def absolute_link(link: str) -> str:
    """The stored link for a mail: from the configuration, never the request's (forgeable) Host."""
    return links.absolute_path(link)


def _email_text(recipient: User | Addressee, kind: str, message: str, link: str) -> tuple[str, str]:
    """The notice's email, (subject, body): call inside force_locale(the recipient's locale)."""
    site = current_app.config["SITE_NAME"]
    subject = _("[%(site)s] %(kind)s: %(message)s", site=site, kind=kinds.label(kind),
                message=_shorten(message, 80))
    body = "\n\n".join([
        _("Hello %(name)s,", name=recipient.display_name), message,
        _("Open it: %(link)s", link=absolute_link(link)), _footer(),
    ])
    return subject, body


def _footer() -> str:
    prefs = links.absolute("notifications.preferences")
    return _("You receive this email because of your notification settings: %(link)s", link=prefs)


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


_INSERT_EMAIL = insert(EmailOutbox.__table__).returning(EmailOutbox.__table__.c.id)


def queue_email(recipient: User | Addressee, subject: str, body: str, to: str | None = None) -> int:
    """Queue an email to the recipient (or to the address `to`, e.g. a new address to confirm);
    it is sent after the surrounding transaction commits. Returns the outbox row's id."""
    db.session.flush()  # the recipient may still be pending
    return _insert_email(recipient, subject, body, to)


def _insert_email(recipient: User | Addressee, subject: str, body: str, to: str | None = None) -> int:
    email_id = db.session.execute(_INSERT_EMAIL, _email_row(recipient, subject, body, to)).scalar_one()
    delivery.queued(db.session, email_id)
    return email_id


def _email_row(recipient: User | Addressee, subject: str, body: str, to: str | None = None) -> dict:
    return with_defaults(EmailOutbox, dict(
        recipient_id=recipient.id, recipient=to or recipient.email, subject=subject[:300], body=body))


def queue_templated_email(recipient: User, subject, template: str, to: str | None = None,
                          **context) -> int:
    """Queue `subject` (a lazy_gettext string) and `template` rendered in the recipient's
    language; the template sees `user` (the recipient) and `context`."""
    with force_locale(user_locale(recipient)):
        text = str(subject)
        body = render_template(template, user=recipient, **context)
    return queue_email(recipient, text, body, to=to)


def preference_for(user: User, kind: str) -> str:
    mode = db.session.scalar(select(NotificationPreference.mode).where(
        NotificationPreference.user_id == user.id, NotificationPreference.kind == kind))
    return mode or kinds.DEFAULT_MODE


def preferences_of(user: User) -> dict[str, str]:
    rows = db.session.execute(select(NotificationPreference.kind, NotificationPreference.mode)
                              .where(NotificationPreference.user_id == user.id))
    saved = dict(rows.all())
    return {kind: saved.get(kind, kinds.DEFAULT_MODE) for kind in kinds.KINDS}


def set_preferences(user: User, modes: dict[str, str]) -> None:
    existing = {p.kind: p for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for kind, mode in modes.items():
        if kind not in kinds.LABELS or mode not in kinds.MODE_LABELS:
            raise InvalidInput(kind, _("Choose one of the offered options."))
        if kind in existing:
            existing[kind].mode = mode
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, mode=mode))
    db.session.flush()


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None))) or 0


def list_for(user: User):
    return (select(Notification).where(Notification.recipient_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def mark_read(user: User, notification: Notification) -> None:
    if notification.recipient_id != user.id:
        raise InvalidInput(None, _("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.session.flush()


def mark_all_read(user: User) -> int:
    result = db.session.execute(update(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None)
    ).values(read_at=utcnow()))
    return result.rowcount  # type: ignore[attr-defined]


def queue_digests() -> int:
    """One email per user listing the notifications waiting for their digest; returns emails."""
    pending = db.session.scalars(
        select(Notification).where(Notification.is_digest_pending.is_(True))
        .order_by(Notification.recipient_id, Notification.created_at)
    ).all()
    by_user: dict[int, list[Notification]] = {}
    for n in pending:
        by_user.setdefault(n.recipient_id, []).append(n)
    queued = 0
    for user_id, items in by_user.items():
        user = db.session.get(User, user_id)
        if _can_email(user):
            _queue_digest(user, items)
            queued += 1
        for n in items:
            n.is_digest_pending = False
    db.session.flush()
    return queued


def _queue_digest(user: User, items: list[Notification]) -> None:
    site = current_app.config["SITE_NAME"]
    with force_locale(user_locale(user)):
        subject = ngettext("[%(site)s] Your daily digest: %(num)d notification",
                           "[%(site)s] Your daily digest: %(num)d notifications", len(items), site=site)
        lines = [f"- {n.text}\n  {absolute_link(n.link)}" for n in items]
        body = "\n\n".join([_("Hello %(name)s,", name=user.display_name),
                            _("Here is what happened since your last digest:"),
                            "\n".join(lines), _footer()])
    queue_email(user, subject, body)
