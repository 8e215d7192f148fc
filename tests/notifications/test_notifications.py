"""Notifications: rows, emails after commit per preference, digests, retries, the bell."""

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications import kinds
from marketplace.notifications.delivery import deliver_pending
from marketplace.notifications.models import EmailOutbox, Notification
from marketplace.notifications.services import notify, queue_digests, set_preferences


@pytest.fixture
def pair(make_user):
    return make_user(email="ana@example.org", name="Ana"), make_user(email="bo@example.org", name="Bo")


@pytest.mark.parametrize("kind", kinds.KINDS)
def test_each_kind_sends_an_email_after_commit(app, pair, outbox, kind):
    ana, bo = pair
    notify(ana, kind, f"Something about {kind}", "/somewhere", actor=bo)
    assert outbox == []  # nothing leaves before the commit
    db.session.commit()
    assert len(outbox) == 1
    msg = outbox[0]
    assert msg["To"] == "ana@example.org"
    with app.test_request_context():
        assert str(kinds.LABELS[kind]) in msg["Subject"]
    assert f"Something about {kind}" in msg.get_content()
    assert "http://localhost/somewhere" in msg.get_content()


def test_rollback_sends_nothing(app, pair, outbox):
    ana, bo = pair
    notify(ana, kinds.REPLY, "A reply", "/t/1", actor=bo)
    db.session.rollback()
    db.session.commit()
    assert outbox == []
    assert db.session.scalar(select(EmailOutbox)) is None


def test_no_notification_for_own_action(app, pair, outbox):
    ana, _ = pair
    notify(ana, kinds.REPLY, "I replied to myself", "/t/1", actor=ana)
    db.session.commit()
    assert db.session.scalar(select(Notification)) is None


def test_off_keeps_the_bell_but_sends_no_email(app, pair, outbox):
    ana, bo = pair
    set_preferences(ana, {kinds.MENTION: kinds.OFF})
    notify(ana, kinds.MENTION, "Bo mentioned you", "/t/1", actor=bo)
    db.session.commit()
    assert outbox == []
    assert db.session.scalar(select(Notification.message)) == "Bo mentioned you"


def test_digest_batches_into_one_email(app, pair, outbox):
    ana, bo = pair
    set_preferences(ana, {kinds.REPLY: kinds.DIGEST, kinds.MENTION: kinds.DIGEST})
    notify(ana, kinds.REPLY, "First reply", "/t/1", actor=bo)
    notify(ana, kinds.MENTION, "A mention", "/t/2", actor=bo)
    notify(ana, kinds.REPLY, "Second reply", "/t/1", actor=bo)
    db.session.commit()
    assert outbox == []
    assert queue_digests() == 1
    db.session.commit()
    assert len(outbox) == 1
    body = outbox[0].get_content()
    assert "3 notifications" in outbox[0]["Subject"]
    for text in ("First reply", "A mention", "Second reply"):
        assert text in body
    assert queue_digests() == 0  # a second run sends nothing again


@pytest.mark.parametrize("locale, n, subject", [
    ("en", 1, "[marketplace] Your daily digest: 1 notification"),
    ("en", 2, "[marketplace] Your daily digest: 2 notifications"),
    ("fr", 1, "[marketplace] Votre récapitulatif quotidien : 1 notification"),
    ("es", 2, "[marketplace] Su resumen diario: 2 notificaciones"),
])
def test_digest_subject_uses_plural_forms(app, pair, outbox, locale, n, subject):
    ana, bo = pair
    ana.locale = locale
    set_preferences(ana, {kinds.REPLY: kinds.DIGEST})
    for i in range(n):
        notify(ana, kinds.REPLY, f"Reply {i}", "/t/1", actor=bo)
    db.session.commit()
    queue_digests()
    db.session.commit()
    assert [m["Subject"] for m in outbox] == [subject]


def test_send_digests_command(app, pair, outbox):
    ana, bo = pair
    set_preferences(ana, {kinds.REPLY: kinds.DIGEST})
    notify(ana, kinds.REPLY, "Digest me", "/t/1", actor=bo)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notifications", "send-digests"])
    assert result.exit_code == 0, result.output
    assert "1 digests queued" in result.output
    assert [m["To"] for m in outbox] == ["ana@example.org"]


def test_failed_send_is_retried_and_never_breaks_the_request(app, pair, outbox, monkeypatch):
    ana, bo = pair
    calls = []

    def broken(to, subject, body, message_id=None):
        calls.append(to)
        raise OSError("SMTP down")

    monkeypatch.setattr("marketplace.notifications.delivery.send_mail", broken)
    notify(ana, kinds.REPLY, "A reply", "/t/1", actor=bo)
    db.session.commit()  # must not raise
    row = db.session.scalar(select(EmailOutbox))
    assert calls == ["ana@example.org"]
    assert (row.status, row.attempts) == ("pending", 1)
    assert "SMTP down" in row.last_error
    monkeypatch.undo()
    assert deliver_pending() == 0  # not due yet: retried after a delay
    row.next_attempt_at = row.created_at
    db.session.commit()
    assert deliver_pending() == 1
    db.session.refresh(row)
    assert row.status == "sent"
    assert len(outbox) == 1


def test_bell_list_and_mark_read(app, client, auth, pair):
    ana, bo = pair
    notify(ana, kinds.REPLY, "Bo replied to your thread", "/organizations/", actor=bo)
    notify(ana, kinds.MENTION, "Bo mentioned you", "/organizations/", actor=bo)
    db.session.commit()
    auth.login("ana@example.org")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Bo replied to your thread" in page
    assert 'aria-label="2 unread"' in page
    first = db.session.scalars(select(Notification).order_by(Notification.id)).first()
    response = client.post(f"/notifications/{first.id}/read")
    assert response.status_code == 302 and response.location.endswith("/organizations/")
    assert 'aria-label="1 unread"' in client.get("/notifications/").get_data(as_text=True)
    client.post("/notifications/read-all")
    assert "unread" not in client.get("/notifications/").get_data(as_text=True)


def test_cannot_mark_someone_elses_notification(app, client, auth, pair):
    ana, bo = pair
    notify(ana, kinds.REPLY, "For Ana", "/x", actor=bo)
    db.session.commit()
    note = db.session.scalar(select(Notification))
    auth.login("bo@example.org")
    client.post(f"/notifications/{note.id}/read")
    db.session.refresh(note)
    assert note.read_at is None


def test_preferences_page_saves(app, client, auth, pair, outbox):
    ana, bo = pair
    auth.login("ana@example.org")
    assert "Mentions of you" in client.get("/notifications/preferences").get_data(as_text=True)
    data = {k: kinds.IMMEDIATE for k in kinds.KINDS} | {kinds.MENTION: kinds.OFF}
    assert client.post("/notifications/preferences", data=data).status_code == 302
    notify(ana, kinds.MENTION, "Hidden from email", "/x", actor=bo)
    db.session.commit()
    assert outbox == []


def test_notifications_are_written_in_the_recipients_language(
        app, client, auth, make_user, make_community, make_thread, aged, outbox):
    ana = aged(make_user(email="ana@example.org", name="Ana Silva", locale="en"))
    pablo = aged(make_user(email="pablo@example.org", name="Pablo Ruiz", locale="es"))
    thread = make_thread(make_community(owner=ana, members=[pablo]), ana, title="Budgets")
    auth.login("pablo@example.org")  # pages in Spanish
    client.post(f"/threads/{thread.id}/reply", data={"body": "¿Qué opinas, @AnaSilva?"})
    auth.logout()
    auth.login("ana@example.org")  # pages in English
    client.post(f"/threads/{thread.id}/reply", data={"body": "Thanks, @PabloRuiz!"})
    assert "Pablo Ruiz mentioned you in “Budgets”" in client.get("/notifications/").get_data(True)
    auth.logout()
    auth.login("pablo@example.org")
    assert "Ana Silva le mencionó en “Budgets”" in client.get("/notifications/").get_data(True)
    to_ana, to_pablo = sorted(outbox, key=lambda m: m["To"])
    assert to_ana["Subject"] == "[marketplace] Mentions of you: Pablo Ruiz mentioned you in “Budgets”"
    assert to_ana.get_content().startswith("Hello Ana Silva,")
    assert to_pablo["Subject"] == "[marketplace] Menciones a usted: Ana Silva le mencionó en “Budgets”"
    assert to_pablo.get_content().startswith("Hola, Pablo Ruiz:")


def test_a_retried_email_keeps_its_message_id(app, pair, outbox, monkeypatch):
    """Sent at least once: a resend of one queued email carries the same Message-ID."""
    ana, bo = pair
    ids = []

    def flaky(to, subject, body, message_id=None):
        ids.append(message_id)
        raise OSError("connection reset after DATA")

    monkeypatch.setattr("marketplace.notifications.delivery.send_mail", flaky)
    notify(ana, kinds.REPLY, "A reply", "/t/1", actor=bo)
    db.session.commit()
    monkeypatch.undo()
    row = db.session.scalar(select(EmailOutbox))
    row.next_attempt_at = row.created_at
    db.session.commit()
    assert deliver_pending() == 1
    assert outbox[-1]["Message-ID"] == ids[0] and ids[0].startswith("<outbox.")


def test_background_delivery_sends_each_commit_once_in_batches(app, pair, outbox, make_user):
    """MAIL_DELIVERY=background (the default with smtp): the commit returns at once; the courier
    thread claims what commits queued, sends each email once and marks it sent."""
    import time

    ana, bo = pair
    cy = make_user(email="cy@example.org", name="Cy")
    app.config["MAIL_DELIVERY"] = "background"
    notify(ana, kinds.REPLY, "First", "/t/1", actor=bo)
    notify(cy, kinds.REPLY, "Second", "/t/2", actor=bo)
    db.session.commit()
    notify(bo, kinds.REPLY, "Third", "/t/3", actor=ana)
    db.session.commit()
    deadline = time.monotonic() + 10
    while len(outbox) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)  # a duplicate, if any, would arrive now
    assert sorted(m["To"] for m in outbox) == ["ana@example.org", "bo@example.org", "cy@example.org"]
    db.session.expire_all()
    rows = db.session.scalars(select(EmailOutbox)).all()
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1)] * 3
    assert deliver_pending() == 0


def test_the_courier_takes_a_burst_as_one_batch(app):
    """What commits post while the courier lingers after the first is one batch; what comes later
    is the next."""
    import threading

    from marketplace.notifications.delivery import _Courier

    courier = _Courier(app)  # its thread is not started: take() is called here
    courier.queue.put([1])
    for delay, ids in ((0.02, [2, 3]), (0.05, [4])):
        threading.Timer(delay, courier.queue.put, args=(ids,)).start()
    assert courier.take(0.3) == [1, 2, 3, 4]
    threading.Timer(0.3, courier.queue.put, args=([6],)).start()
    courier.queue.put([5])
    assert courier.take(0.1) == [5]
    assert courier.take(0.0) == [6]


def test_a_released_savepoint_sends_nothing_until_the_commit(app, pair, outbox):
    """after_commit also fires when a savepoint is released: the email waits for the real commit
    (sending it then would claim a row no other connection can see yet, or wait on its lock)."""
    ana, bo = pair
    notify(ana, kinds.REPLY, "Before the savepoint", "/t/1", actor=bo)
    with db.session.begin_nested():
        notify(bo, kinds.REPLY, "Inside it", "/t/2", actor=ana)
    assert outbox == []
    db.session.begin_nested().rollback()  # a savepoint rolled back keeps what came before it
    db.session.commit()
    assert sorted(m["To"] for m in outbox) == ["ana@example.org", "bo@example.org"]


def test_two_workers_delivering_the_same_rows_at_once_send_each_once(app, pair, outbox):
    """The claim is one guarded UPDATE, committed by itself: of two deliveries of the same ids
    started together (threads, PostgreSQL), each row goes to exactly one of them."""
    import threading

    from marketplace.notifications import delivery
    from marketplace.notifications.services import queue_email

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: two connections claiming at once")
    ana, _bo = pair
    ids = [queue_email(ana, f"Mail {i}", "Body") for i in range(40)]
    db.session.info.pop("notifications.mail_queued", None)  # delivered below, not by the commit
    db.session.commit()
    barrier, counts = threading.Barrier(2), []

    def worker():
        with app.app_context():
            barrier.wait()
            counts.append(delivery.deliver(ids))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(counts) == 40 and len(outbox) == 40
    assert sorted(m["Subject"] for m in outbox) == sorted(f"Mail {i}" for i in range(40))
    db.session.expire_all()
    assert {(r.status, r.attempts) for r in db.session.scalars(select(EmailOutbox))} == {("sent", 1)}
