"""Outgoing email: SMTP in production, a captured outbox in development and tests."""

import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from marketplace.database import utcnow


def outbox() -> list[EmailMessage]:
    """Messages captured by the outbox backend since the app started (tests read this)."""
    return current_app.extensions.setdefault("mail_outbox", [])


def send_mail(to: str, subject: str, body: str, message_id: str | None = None) -> EmailMessage:
    """Send now. Call only after the database commit that the message reports. `message_id`
    (stable across retries of one queued mail) lets a receiver recognise a resend."""
    msg = EmailMessage()
    if message_id:
        msg["Message-ID"] = message_id
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = " ".join(subject.split())  # a stored line break must not make mail unsendable
    msg.set_content(body)
    if current_app.config["MAIL_BACKEND"] == "smtp":
        _send_smtp(msg)
    else:
        _capture(msg)
    return msg


def _send_smtp(msg: EmailMessage) -> None:
    cfg = current_app.config
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(msg)


def _capture(msg: EmailMessage) -> None:
    outbox().append(msg)
    if current_app.testing:
        return
    folder = Path(current_app.instance_path) / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    (folder / f"{stamp}.eml").write_bytes(bytes(msg))
    current_app.logger.info("mail captured in %s: %s → %s", folder, msg["Subject"], msg["To"])
