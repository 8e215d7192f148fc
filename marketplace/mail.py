"""Outgoing email: SMTP in production, a captured outbox in development and tests.

A message is composed once, as the bytes that go on the wire (`compose`): plain text, UTF-8,
quoted-printable, headers encoded where they need it. The capture keeps those bytes and parses
them back into `EmailMessage`s only when something reads the outbox (the tests), so capturing
costs what sending costs minus the network, and tests read exactly what a receiver would.
"""

import smtplib
from collections.abc import Iterator, Sequence
from email import message_from_bytes, policy
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import overload

from flask import current_app

from marketplace.database import utcnow

_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP  # readable in a raw message; base64 (the default for UTF-8) is not
_SMTP_LINES = policy.compat32.clone(linesep="\r\n")  # what SMTP wants; the capture keeps \n
_UTF8_HEADER = Charset("utf-8")
_UTF8_HEADER.header_encoding = BASE64  # "shortest" would price quoted-printable per character


class CapturedMail(Sequence[EmailMessage]):
    """The outbox backend's messages, as sent; each is parsed on first read."""

    def __init__(self) -> None:
        self._raw: list[bytes] = []
        self._parsed: dict[int, EmailMessage] = {}

    def add(self, raw: bytes) -> None:
        self._raw.append(raw)

    def _message(self, index: int) -> EmailMessage:
        if index not in self._parsed:
            self._parsed[index] = message_from_bytes(self._raw[index], policy=policy.default)  # type: ignore[assignment]
        return self._parsed[index]

    @overload
    def __getitem__(self, index: int) -> EmailMessage: ...

    @overload
    def __getitem__(self, index: slice) -> list[EmailMessage]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._message(i) for i in range(len(self._raw))[index]]
        return self._message(range(len(self._raw))[index])

    def __len__(self) -> int:
        return len(self._raw)

    def __iter__(self) -> Iterator[EmailMessage]:
        return (self._message(i) for i in range(len(self._raw)))

    def __eq__(self, other: object) -> bool:  # `outbox == []`, as with the list it replaced
        if isinstance(other, list | CapturedMail):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content


def outbox() -> CapturedMail:
    """Messages captured by the outbox backend since the app started (tests read this)."""
    return current_app.extensions.setdefault("mail_outbox", CapturedMail())


def send_mail(to: str, subject: str, body: str, message_id: str | None = None) -> None:
    """Send now. Call only after the database commit that the message reports. `message_id`
    (stable across retries of one queued mail) lets a receiver recognise a resend."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    if current_app.config["MAIL_BACKEND"] == "smtp":
        _send_smtp(parseaddr(sender)[1], to, compose(sender, to, subject, body, message_id, _SMTP_LINES))
    else:
        _capture(compose(sender, to, subject, body, message_id), subject, to)


def compose(sender: str, to: str, subject: str, body: str, message_id: str | None = None,
            lines: policy.Policy = policy.compat32) -> bytes:
    """The message as sent, its line ends as `lines` says (LF by default, CRLF for SMTP). A line
    break in the subject becomes a space (a stored one must not make mail unsendable); one in an
    address is refused (header injection)."""
    for value in (sender, to, message_id or ""):
        if "\r" in value or "\n" in value:
            raise ValueError(f"a line break in an address or message id: {value!r}")
    msg = MIMEText(body, "plain", _UTF8)  # type: ignore[arg-type]
    if message_id:
        msg["Message-ID"] = message_id
    msg["From"] = _from_header(sender)
    msg["To"] = to
    msg["Subject"] = _header("Subject", " ".join(subject.split()))  # type: ignore[assignment]
    return msg.as_bytes(policy=lines)


@lru_cache(maxsize=4)
def _from_header(sender: str) -> str:
    return formataddr(parseaddr(sender), charset=_UTF8_HEADER)


def _header(name: str, text: str) -> str | Header:
    return text if text.isascii() else Header(text, _UTF8_HEADER, header_name=name)


def _send_smtp(sender: str, to: str, data: bytes) -> None:
    cfg = current_app.config
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.sendmail(sender, [to], data)


def _capture(data: bytes, subject: str, to: str) -> None:
    outbox().add(data)
    if current_app.testing:
        return
    folder = Path(current_app.instance_path) / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    (folder / f"{stamp}.eml").write_bytes(data)
    current_app.logger.info("mail captured in %s: %s → %s", folder, subject, to)
