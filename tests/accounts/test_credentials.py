"""Password change, password reset by email, email change, account deletion."""

import re

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from marketplace.accounts.models import AuditEvent, User
from marketplace.accounts.services import add_organization_member, create_organization, delete_account
from marketplace.extensions import db
from marketplace.notifications.delivery import deliver_pending
from marketplace.notifications.models import EmailOutbox
from tests.conftest import PASSWORD

NEW = "orchid-Glacier-tempo-42"


def signed_in(client) -> bool:
    return client.get("/settings/profile").status_code == 200


def link_in(message) -> str:
    """The path of the one link in a captured email."""
    url = re.search(r"https?://\S+", message.get_content()).group(0)
    return url.split("localhost", 1)[1]


def forgot(client, email="ana@example.org"):
    return client.post("/forgot-password", data={"email": email})


def reset(client, path, password=NEW):
    return client.post(path, data={"password": password})


def can_log_in(app, email, password) -> bool:
    return app.test_client().post("/login", data={"email": email, "password": password}).status_code == 302


# --- password change -----------------------------------------------------------------------------


def test_password_change(app, client, auth, make_user):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")
    response = client.post("/settings/password", data={"current_password": PASSWORD, "new_password": NEW})
    assert response.status_code == 302
    assert "Every other session has been signed out." in client.get("/").get_data(as_text=True)
    assert signed_in(client)
    assert can_log_in(app, "ana@example.org", NEW)
    assert not can_log_in(app, "ana@example.org", PASSWORD)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.password_change"))


@pytest.mark.parametrize("current, new, field_message", [
    ("wrong-current-password", NEW, "Your current password is not correct."),
    (PASSWORD, "password123", "This password is too easy to guess."),
    (PASSWORD, "short", "Use at least 10 characters."),
])
def test_password_change_errors_show_on_the_field(app, client, auth, make_user, current, new, field_message):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")
    response = client.post("/settings/password", data={"current_password": current, "new_password": new})
    assert response.status_code == 422
    assert f'<p class="field-error">{field_message}' in response.get_data(as_text=True)
    assert signed_in(client)
    assert can_log_in(app, "ana@example.org", PASSWORD)


# --- password reset ------------------------------------------------------------------------------


def test_password_reset_by_emailed_link_works_once(app, client, make_user, outbox):
    make_user(email="ana@example.org", name="Ana")
    response = forgot(client, "ANA@example.org")
    assert response.status_code == 302
    (message,) = outbox
    assert message["To"] == "ana@example.org"
    assert "Hello Ana," in message.get_content()
    path = link_in(message)
    assert client.get(path).status_code == 200
    response = reset(client, path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert can_log_in(app, "ana@example.org", NEW)
    second = reset(client, path, "another-Strong-phrase-93")
    assert second.status_code == 302 and second.headers["Location"].endswith("/forgot-password")
    assert "This reset link is invalid or has expired." in client.get("/forgot-password").get_data(as_text=True)
    assert can_log_in(app, "ana@example.org", NEW)


def test_password_reset_ends_every_session(app, client, auth, make_user, outbox):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")
    forgot(app.test_client())
    reset(app.test_client(), link_in(outbox[0]))
    assert not signed_in(client)


def test_expired_reset_link_is_refused(app, client, make_user, outbox, monkeypatch):
    make_user(email="ana@example.org")
    real = TimestampSigner.get_timestamp
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - max_age - 5)
    forgot(client)
    monkeypatch.undo()
    response = reset(client, link_in(outbox[0]))
    assert response.headers["Location"].endswith("/forgot-password")
    assert can_log_in(app, "ana@example.org", PASSWORD)


def test_reset_link_almost_expired_still_works(app, client, make_user, outbox, monkeypatch):
    make_user(email="ana@example.org")
    real = TimestampSigner.get_timestamp
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - max_age + 60)
    forgot(client)
    monkeypatch.undo()
    assert reset(client, link_in(outbox[0])).headers["Location"].endswith("/login")


def test_tampered_reset_link_is_refused(app, client, make_user, outbox):
    make_user(email="ana@example.org")
    forgot(client)
    path = link_in(outbox[0])
    response = reset(client, path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert response.headers["Location"].endswith("/forgot-password")
    assert can_log_in(app, "ana@example.org", PASSWORD)


def test_reset_link_of_a_deleted_account_is_refused(app, client, make_user, outbox):
    make_user(email="ana@example.org")
    forgot(client)
    path = link_in(outbox[0])
    ana = app.test_client()
    ana.post("/login", data={"email": "ana@example.org", "password": PASSWORD})
    ana.post("/settings/delete", data={"password": PASSWORD, "confirm": "y"})
    response = reset(client, path)
    assert response.headers["Location"].endswith("/forgot-password")
    user = db.session.scalar(select(User))
    assert user.is_deleted and not can_log_in(app, user.email, NEW)


def test_reset_password_must_be_strong(client, make_user, outbox):
    make_user(email="ana@example.org")
    forgot(client)
    response = reset(client, link_in(outbox[0]), "password")
    assert response.status_code == 422
    assert "Use at least 10 characters." in response.get_data(as_text=True)


def test_no_mail_for_unknown_or_suspended_accounts(client, make_user, outbox):
    make_user(email="sus@example.org", is_suspended=True)
    forgot(client, "nobody@example.org")
    forgot(client, "sus@example.org")
    assert outbox == []


def test_reset_mail_is_in_the_users_language(client, make_user, outbox):
    make_user(email="ines@example.org", name="Inès", locale="fr")
    forgot(client, "ines@example.org")  # asked from a page in English
    (message,) = outbox
    assert message["Subject"] == "Réinitialiser votre mot de passe"
    body = message.get_content()
    assert "Bonjour Inès," in body
    assert "Quelqu'un a demandé à réinitialiser le mot de passe de votre compte." in body
    assert "Someone asked" not in body


@pytest.fixture
def mail_down(app, monkeypatch):
    """The mail backend raises, as it does with MAIL_BACKEND=smtp and the server down."""
    def refuse(*message):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("marketplace.mail._capture", refuse)
    return monkeypatch


def test_mail_failure_answers_known_and_unknown_addresses_alike(
        app, client, make_user, outbox, mail_down, caplog):
    make_user(email="ana@example.org")
    known, unknown = forgot(client, "ana@example.org"), forgot(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    assert known.get_data() == unknown.get_data()
    row = db.session.scalar(select(EmailOutbox))
    assert (row.recipient, row.status, row.attempts) == ("ana@example.org", "pending", 1)
    assert "not sent (attempt 1, now pending)" in caplog.text and "ConnectionRefusedError" in caplog.text
    mail_down.undo()  # the server is back: the retry delivers the mail and its link works
    row.next_attempt_at = row.created_at
    db.session.commit()
    assert deliver_pending() == 1
    (message,) = outbox
    assert reset(client, link_in(message)).headers["Location"].endswith("/login")
    assert can_log_in(app, "ana@example.org", NEW)


def test_mail_failure_does_not_break_an_email_change(client, auth, make_user, mail_down):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")
    response = client.post("/settings/email", data={"email": "ana@new.example", "password": PASSWORD})
    assert response.status_code == 302
    row = db.session.scalar(select(EmailOutbox))
    assert (row.recipient, row.status, row.attempts) == ("ana@new.example", "pending", 1)


# --- email change --------------------------------------------------------------------------------


def test_email_change_needs_the_password_and_a_confirmation_from_the_new_address(
        app, client, auth, make_user, outbox):
    user = make_user(email="ana@example.org")
    auth.login("ana@example.org")
    response = client.post("/settings/email", data={"email": "ana@new.example", "password": PASSWORD})
    assert response.status_code == 302
    (message,) = outbox
    assert message["To"] == "ana@new.example"
    assert db.session.get(User, user.id).email == "ana@example.org"  # nothing changes yet
    path = link_in(message)
    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm email address</button>" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "ana@example.org"  # GET only shows a button
    response = client.post(path)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "ana@new.example"
    assert can_log_in(app, "ana@new.example", PASSWORD)
    assert not can_log_in(app, "ana@example.org", PASSWORD)
    client.post(path)  # a second use finds the old address gone
    assert "This confirmation link is invalid or has expired." in client.get("/").get_data(as_text=True)


def test_email_change_mail_is_in_the_users_language(client, auth, make_user, outbox):
    make_user(email="ana@example.org", locale="es")
    auth.login("ana@example.org")
    client.post("/settings/email", data={"email": "ana@new.example", "password": PASSWORD})
    (message,) = outbox
    assert message["Subject"] == "Confirme su nueva dirección de correo electrónico"
    assert "Confirme que esta es su nueva dirección de correo electrónico" in message.get_content()


def test_email_change_with_a_wrong_password_is_refused(client, auth, make_user, outbox):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")
    response = client.post("/settings/email", data={"email": "ana@new.example", "password": "guess-guess-guess"})
    assert response.status_code == 422
    assert '<p class="field-error">Your password is not correct.' in response.get_data(as_text=True)
    assert outbox == []


def test_email_change_to_an_address_in_use_reveals_nothing(client, auth, make_user, outbox):
    """Issue 11: the answer for an address in use is the answer for a free one (it was a 409
    "An account with this email already exists."); the owner of that address is told by mail."""
    make_user(email="ana@example.org")
    make_user(email="bob@example.org", name="Bob")
    auth.login("ana@example.org")
    taken = client.post("/settings/email", data={"email": "BOB@example.org", "password": PASSWORD},
                        follow_redirects=True)
    free = client.post("/settings/email", data={"email": "ana@new.example", "password": PASSWORD},
                       follow_redirects=True)
    assert taken.status_code == free.status_code == 200
    assert "already exists" not in taken.get_data(as_text=True)
    assert taken.history[0].status_code == free.history[0].status_code == 302
    assert taken.history[0].location == free.history[0].location
    for response, email in ((taken, "BOB@example.org"), (free, "ana@new.example")):
        assert f"We have sent a confirmation link to {email}." in response.get_data(as_text=True)
    to_bob, to_new = outbox
    assert to_bob["To"] == "bob@example.org" and to_bob["Subject"] == "Someone tried to use your email address"
    assert "/settings/email/confirm/" not in to_bob.get_content()
    assert "/forgot-password" in to_bob.get_content()
    assert to_new["To"] == "ana@new.example" and "/settings/email/confirm/" in to_new.get_content()
    db.session.expire_all()
    assert {u.email for u in db.session.scalars(select(User))} == {"ana@example.org", "bob@example.org"}


def test_forged_email_confirmation_is_refused(client, make_user):
    user = make_user(email="ana@example.org")
    client.post("/settings/email/confirm/not-a-real-token")
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "ana@example.org"


# --- deletion ------------------------------------------------------------------------------------


def test_a_deleted_members_name_is_translated_and_not_linked(
        client, auth, make_user, make_community, make_thread, aged):
    ana = aged(make_user(email="ana@example.org", name="Ana Lopez"))
    aged(make_user(email="bo@example.org", name="Bo", locale="fr"))
    community = make_community(name="Budgets", members=[ana])
    thread = make_thread(community, ana, title="Open budgets")
    delete_account(ana, PASSWORD)
    db.session.commit()
    auth.login("bo@example.org")  # reads in French
    for path in (f"/threads/{thread.id}", f"/communities/{community.slug}/",
                 f"/communities/{community.slug}/members"):
        page = client.get(path).get_data(as_text=True)
        assert "utilisateur supprimé" in page, path
        assert "deleted user" not in page and f'/people/{ana.id}"' not in page, path


def test_account_deletion(app, client, auth, make_user):
    admin = make_user(email="root@example.org", roles=["admin"])
    user = make_user(email="ana@example.org", name="Ana Lopez", bio_source="hi", country="MX",
                     roles=["donor"])
    org = create_organization(admin, name="Shared", type="ngo", country="MX")
    add_organization_member(org, user)
    db.session.commit()
    assert "Ana Lopez" in client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    auth.login("ana@example.org")
    assert client.post("/settings/delete", data={"password": "wrong-one-entirely", "confirm": "y"}).status_code == 422
    response = client.post("/settings/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert "attributed to “deleted user”" in client.get("/").get_data(as_text=True)
    assert not signed_in(client)
    assert not can_log_in(app, "ana@example.org", PASSWORD)
    assert client.get(f"/people/{user.id}").status_code == 404
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.display_name, user.bio_source, user.country, user.roles) == ("deleted user", "", None, [])
    assert "ana@example.org" not in user.email
    # what the user did stays, attributed to "deleted user"
    root = app.test_client()
    root.post("/login", data={"email": "root@example.org", "password": PASSWORD})
    audit = root.get("/admin/audit?action=auth.login").get_data(as_text=True)
    assert "deleted user" in audit and "Ana Lopez" not in audit
    assert "Ana Lopez" not in client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    # the address is free again
    response = client.post("/register", data={
        "email": "ana@example.org", "display_name": "Ana again", "password": NEW})
    assert response.status_code == 302


def test_deletion_needs_the_confirmation_box(client, auth, make_user):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")
    response = client.post("/settings/delete", data={"password": PASSWORD})
    assert response.status_code == 400
    assert signed_in(client)
