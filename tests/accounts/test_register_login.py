"""Registration, sign-in and sign-out, "remember me"."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import AuditEvent, User
from marketplace.extensions import db

STRONG = "quartz-Meadow-lantern-77"


def register(client, email="nadia@example.org", name="Nadia Haddad", password=STRONG):
    return client.post("/register", data={"email": email, "display_name": name, "password": password})


def signed_in(client) -> bool:
    return client.get("/settings/profile").status_code == 200


def test_register_creates_an_unconfirmed_account_and_signs_nobody_in(client):
    response = register(client, email="  Nadia@Example.ORG ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    user = db.session.scalar(select(User))
    assert (user.email, user.display_name) == ("nadia@example.org", "Nadia Haddad")
    assert STRONG not in user.password_hash
    assert user.email_confirmed_at is None
    assert not signed_in(client)


@pytest.mark.parametrize("password, message", [
    ("Ab1!xyz", "Use at least 10 characters."),
    ("password1234", "This password is too easy to guess."),
    ("qwertyuiop", "This password is too easy to guess."),
    ("Nadia Haddad", "This password is too easy to guess."),  # the user's own name
    ("nadia@example.org", "This password is too easy to guess."),  # and email
    ("aaaaaaaaaaaa", "This password is too easy to guess."),
])
def test_weak_passwords_are_refused_with_a_message_on_the_field(client, password, message):
    response = register(client, password=password)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="field-error">{message}' in html
    assert db.session.scalar(select(User)) is None


def test_duplicate_email_is_not_revealed_but_mailed_to_its_owner(client, make_user, outbox):
    make_user(email="nadia@example.org")
    new = register(client.application.test_client(), email="someone-new@example.org")
    response = register(client, email="NADIA@example.org")
    assert (response.status_code, response.headers["Location"]) == (new.status_code, new.headers["Location"])
    assert "already exists" not in response.get_data(as_text=True)
    mail = outbox[-1]
    assert mail["To"] == "nadia@example.org" and mail["Subject"] == "You already have an account"
    assert db.session.scalar(select(func.count()).select_from(User)) == 2  # nadia and someone-new


@pytest.mark.parametrize("email", ["not-an-email", "nadia@", "@example.org", ""])
def test_malformed_email_is_refused(client, email):
    response = register(client, email=email)
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None


def test_login_and_logout(client, auth, make_user):
    user = make_user(email="ana@example.org", name="Ana")
    assert not signed_in(client)
    response = auth.login("ANA@example.org")
    assert response.status_code == 302
    assert ">Ana</a>" in client.get("/").get_data(as_text=True)
    assert db.session.get(User, user.id).last_login_at is not None
    response = auth.logout()
    assert response.status_code == 302
    assert "You are signed out." in client.get("/").get_data(as_text=True)
    assert not signed_in(client)
    assert [a for (a,) in db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id))] == [
        "auth.login", "auth.logout"]


def test_wrong_password_shows_the_form_again(client, auth, make_user):
    make_user(email="ana@example.org")
    response = auth.login("ana@example.org", "not-my-password-at-all")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "The email or password is not correct." in html
    assert 'value="ana@example.org"' in html
    assert not signed_in(client)


def test_remember_me_survives_the_session_cookie_and_dies_at_logout(app, client, auth, make_user):
    make_user(email="ana@example.org")
    auth.login("ana@example.org", remember="y")
    remember = client.get_cookie("remember_token").value
    client.delete_cookie("session", domain="localhost")
    assert signed_in(client)  # the browser was closed; the remember cookie signs in again
    auth.logout()
    assert client.get_cookie("remember_token") is None
    stolen = app.test_client()
    stolen.set_cookie("remember_token", remember, domain="localhost")
    assert not signed_in(stolen)


def test_without_remember_me_no_remember_cookie(client, auth, make_user):
    make_user(email="ana@example.org")
    auth.login("ana@example.org")
    assert client.get_cookie("remember_token") is None
    client.delete_cookie("session", domain="localhost")
    assert not signed_in(client)


def test_pages_for_members_send_visitors_to_sign_in(client):
    response = client.get("/settings/profile")
    assert response.status_code == 302
    assert "/login?next=/settings/profile" in response.headers["Location"]
    assert client.get("/organizations/new").status_code == 302


def test_a_signed_in_request_reads_its_user_and_roles_in_one_statement(app, make_user):
    from marketplace.accounts.services import load_session_user, start_login_session
    from tests.queries import QueryCounter

    user = make_user(email="ana@example.org", roles=["moderator", "donor"])
    token = start_login_session(user)
    db.session.commit()  # expires `user`: the next load refreshes it, as a new request would
    for _ in range(2):
        with QueryCounter() as queries:
            loaded = load_session_user(token)
            roles = sorted(r.role for r in loaded.roles)
        assert (queries.count, loaded.id, roles, loaded.session_token) == (1, user.id, ["donor", "moderator"], token)
        db.session.expunge_all()  # and again with nothing in the session
    assert load_session_user("not-a-token") is None


def test_an_expired_login_session_or_a_suspended_user_is_signed_out(client, auth, make_user):
    from marketplace.accounts.models import LoginSession
    from marketplace.database import utcnow

    ana = make_user(email="ana@example.org")
    auth.login("ana@example.org")
    assert signed_in(client)
    ana.is_suspended = True
    db.session.commit()
    assert not signed_in(client)
    ana.is_suspended = False
    db.session.commit()
    assert signed_in(client)
    for login in db.session.scalars(select(LoginSession)):
        login.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not signed_in(client)
