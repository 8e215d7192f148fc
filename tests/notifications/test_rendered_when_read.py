"""Notifications keep their msgid and parameters and are rendered when read: in the reader's
language of the moment, with its formats; older rows show their stored text."""

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from marketplace import links
from marketplace.extensions import db
from marketplace.i18n import force_locale
from marketplace.ledger.money import format_minor
from marketplace.notifications import kinds, messages
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notify, queue_digests, set_preferences


def _mention(recipient, actor):
    notify(recipient, kinds.MENTION, _l("%(name)s mentioned you in “%(title)s”",
                                        name=actor.display_name, title="Budgets"),
           links.path("notifications.index"), actor=actor)
    db.session.commit()


def test_a_notification_created_in_english_reads_in_french_after_the_switch(client, auth, make_user):
    ana = make_user(email="ana@example.org", name="Ana Silva", locale="en")
    bo = make_user(email="bo@example.org", name="Bo Li")
    _mention(ana, bo)
    assert db.session.scalar(select(Notification.message)) == "Bo Li mentioned you in “Budgets”"
    auth.login(ana.email)
    assert "Bo Li mentioned you in “Budgets”" in client.get("/notifications/").get_data(as_text=True)
    client.post("/language", data={"lang": "fr", "next": "/notifications/"})  # the footer switch
    html = client.get("/notifications/").get_data(as_text=True)
    assert "Bo Li vous a mentionné dans « Budgets »" in html
    assert "Bo Li mentioned you" not in html


def test_parameters_keep_their_locale_formats(app, make_user):
    ana, bo = make_user(locale="en"), make_user()
    notify(ana, kinds.GENERIC, _l("New pledge of %(amount)s to %(title)s",
                                  amount=LazyString(format_minor, 125050, "EUR"), title="Clinics"),
           "/p", actor=bo)
    db.session.commit()
    note = db.session.scalar(select(Notification))
    with force_locale("en"):
        assert note.text == "New pledge of €1,250.50 to Clinics"
    with force_locale("fr"):
        assert note.text == "Nouvelle promesse de don de 1\u202f250,50\xa0€ pour Clinics"


def test_dates_are_stored_as_dates_and_formatted_when_read():
    when = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    source = messages.source_of(_l("Due on %(when)s", when=when))
    assert source["kwargs"]["when"] == {"$datetime": "2026-12-05T09:30:00+00:00"}


def test_old_rows_and_plain_text_show_the_stored_text(app, make_user):
    ana, bo = make_user(), make_user()
    notify(ana, kinds.GENERIC, "Plain text, as older code wrote", "/x", actor=bo)
    db.session.add(Notification(recipient_id=ana.id, kind="generic", message="Written in 2025",
                                message_source=None))
    db.session.commit()
    rows = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [n.message_source for n in rows] == [None, None]
    with force_locale("fr"):
        assert [n.text for n in rows] == ["Plain text, as older code wrote", "Written in 2025"]


def test_a_source_that_no_longer_renders_falls_back_to_the_stored_text(app):
    broken = {"$call": "os.system", "args": ["true"], "kwargs": {}}
    assert messages.render(broken, "stored") == "stored"
    missing = {"$call": "gettext", "args": ["%(name)s joined"], "kwargs": {"title": "renamed"}}
    assert messages.render(missing, "stored") == "stored"
    unknown = LazyString(lambda: "x")
    assert messages.source_of(unknown) is None


def test_digest_is_written_in_the_language_of_sending_with_absolute_links(app, make_user, outbox):
    ana = make_user(email="ana@example.org", locale="en")
    bo = make_user(name="Bo Li")
    set_preferences(ana, {kinds.MENTION: kinds.DIGEST})
    _mention(ana, bo)
    ana.locale = "fr"  # she switched after the notice was written
    db.session.commit()
    assert queue_digests() == 1
    db.session.commit()
    body = outbox[-1].get_content()
    assert "Bo Li vous a mentionné dans « Budgets »" in body
    assert links.absolute("notifications.index") in body
    assert links.absolute("notifications.preferences") in body
