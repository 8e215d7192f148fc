"""MAIL_BACKEND=smtp against a real SMTP server on loopback (a minimal one, speaking the protocol
smtplib speaks): what goes on the wire is a well-formed message a receiver decodes exactly."""

import socketserver
import threading
from email import message_from_bytes, policy

import pytest

from marketplace.extensions import db
from marketplace.notifications import kinds
from marketplace.notifications.services import notify


class _Session(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 loopback ESMTP\r\n")
        envelope = {"rcpt": []}
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 loopback\r\n")
            elif verb == b"MAIL":
                envelope["from"] = line.split(b":", 1)[1].strip()
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"RCPT":
                envelope["rcpt"].append(line.split(b":", 1)[1].strip())
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk[1:] if chunk.startswith(b"..") else chunk  # undo dot-stuffing
                envelope["data"] = data
                self.server.received.append(envelope)
                envelope = {"rcpt": []}
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 not implemented\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Session)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, "MAIL_BACKEND": "smtp", "MAIL_DELIVERY": "inline", "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.server_address[1],
            "MAIL_DEFAULT_SENDER": "Marketplace Café <no-reply@example.org>"}


def test_a_notice_email_goes_over_smtp_as_a_well_formed_message(app, make_user, smtp_server):
    ines = make_user(email="ines@example.org", name="Inès")
    bo = make_user(email="bo@example.org", name="Bo")
    message = "Bo a répondu à « Budget participatif à Thiès » " + "— très long sujet " * 6
    notify(ines, kinds.REPLY, message, "/t/1", actor=bo)
    db.session.commit()

    (received,) = smtp_server.received
    assert received["from"] == b"<no-reply@example.org>" and received["rcpt"] == [b"<ines@example.org>"]
    raw = received["data"]
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78  # folded and encoded: no long lines
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["To"] == "ines@example.org"
    assert mail["From"] == "Marketplace Café <no-reply@example.org>"
    assert mail["Message-ID"].startswith("<outbox.") and mail["Message-ID"].endswith("@localhost>")
    assert "Bo a répondu à « Budget participatif à Thiès »" in mail["Subject"]
    body = mail.get_content()
    assert body.startswith("Hello Inès,") and message.strip() in body and "http://localhost/t/1" in body


def test_a_body_line_that_starts_with_a_dot_arrives_whole(app, make_user, smtp_server):
    from marketplace.mail import send_mail

    send_mail("ana@example.org", "Dots", "first line\n.hidden?\n.\nlast line\n")
    mail = message_from_bytes(smtp_server.received[0]["data"], policy=policy.default)
    assert mail.get_content().replace("\r\n", "\n") == "first line\n.hidden?\n.\nlast line\n"


def test_a_line_break_in_an_address_is_refused_not_sent(app, smtp_server):
    from marketplace.mail import send_mail

    with pytest.raises(ValueError):
        send_mail("ana@example.org\r\nBcc: eve@example.org", "Hi", "body")
    assert smtp_server.received == []
