"""New accounts confirm their address by a mailed link (expiring, single use) before they take
part; registering an address that already has an account looks exactly the same."""

import re
import time

import pytest
from sqlalchemy import select

from marketplace.accounts import permissions as perm
from marketplace.accounts.models import AuditEvent, User
from marketplace.extensions import db
from tests.api.test_core import make_token
from tests.conftest import PASSWORD

STRONG = "quartz-Meadow-lantern-77"
NOTICE = "Confirm your email address first"


def register(client, email, name="Nadia Haddad"):
    return client.post("/register", data={"email": email, "display_name": name, "password": STRONG})


def link_in(mail) -> str:
    return re.search(r"http://\S+/confirm/(\S+)", mail.get_content()).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def signed_in(client) -> bool:
    return client.get("/settings/profile").status_code == 200


def test_registration_mails_a_link_and_signs_nobody_in(client, outbox):
    response = register(client, "  Nadia@Example.ORG ")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert not signed_in(client)
    user = db.session.scalar(select(User))
    assert user.email == "nadia@example.org" and user.email_confirmed_at is None
    assert outbox[-1]["To"] == "nadia@example.org"
    assert outbox[-1]["Subject"] == "Confirm your email address"
    link = link_in(outbox[-1])
    assert link.startswith("http://localhost/confirm/")  # absolute, from links (SERVER_NAME)
    assert client.get(path_of(link)).status_code == 200  # a mail scanner's GET confirms nothing
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is None


def test_the_link_confirms_once(client, outbox):
    register(client, "nadia@example.org")
    path = path_of(link_in(outbox[-1]))
    first = client.post(path, follow_redirects=True)
    assert "Your email address is confirmed." in first.get_data(as_text=True)
    user = db.session.scalar(select(User))
    assert user.is_email_confirmed
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target_id == user.id)) \
        == "auth.email_confirm"
    again = client.post(path, follow_redirects=True)
    assert "invalid, expired or already used" in again.get_data(as_text=True)


def test_the_link_expires(app, client, outbox, monkeypatch):
    register(client, "nadia@example.org")
    path = path_of(link_in(outbox[-1]))
    later = time.time() + app.config["PASSWORD_RESET_MAX_AGE"] * 24 + 60
    monkeypatch.setattr(time, "time", lambda: later)
    page = client.post(path, follow_redirects=True).get_data(as_text=True)
    assert "invalid, expired or already used" in page
    assert not db.session.scalar(select(User)).is_email_confirmed


def test_a_tampered_or_foreign_token_is_refused(client, outbox):
    register(client, "nadia@example.org")
    path = path_of(link_in(outbox[-1]))
    assert "invalid" in client.post(path[:-3] + "abc", follow_redirects=True).get_data(as_text=True)
    assert not db.session.scalar(select(User)).is_email_confirmed


def _session_keys(client) -> set:
    with client.session_transaction() as session:
        return set(session.keys())


def test_registering_a_taken_address_looks_like_a_new_registration(app, make_user, outbox):
    make_user(email="nadia@example.org", name="Nadia Haddad")
    taken, new = app.test_client(), app.test_client()
    a = register(taken, "nadia@example.org")
    b = register(new, "omar@example.org")
    assert (a.status_code, a.headers["Location"]) == (b.status_code, b.headers["Location"])
    assert _session_keys(taken) == _session_keys(new) and "_user_id" not in _session_keys(taken)
    # The follow-up pages are the same but for the address typed.
    pages = [c.get("/login").get_data(as_text=True).replace(email, "EMAIL")
             for c, email in ((taken, "nadia@example.org"), (new, "omar@example.org"))]
    assert re.sub(r'name="csrf_token" value="[^"]*"', "", pages[0]) == \
        re.sub(r'name="csrf_token" value="[^"]*"', "", pages[1])
    assert [signed_in(taken), signed_in(new)] == [False, False]
    assert [m["Subject"] for m in outbox[-2:]] == ["You already have an account",
                                                   "Confirm your email address"]


def test_unconfirmed_account_signs_in_reads_and_edits_its_profile(client, auth, make_user):
    user = make_user(email="new@example.org", confirmed=False)
    response = auth.login(user.email)
    assert response.status_code == 302
    assert client.get("/practices/").status_code == 200
    saved = client.post("/settings/profile", data={"display_name": "New Name", "bio": "",
                                                   "country": "", "expertise": "", "locale": ""})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "New Name"


def test_unconfirmed_account_cannot_take_part_and_is_told_why(client, auth, make_user, make_practice):
    practice = make_practice()
    user = make_user(email="new@example.org", confirmed=False)
    auth.login(user.email)
    refused = {
        "new practice": client.get("/practices/new"),
        "adapt": client.get(f"/practices/{practice.slug}/adapt"),
        "endorse": client.post(f"/practices/{practice.slug}/endorse", data={"kind": "used"}),
        "new project": client.get("/projects/new"),
        "offer mentoring": client.get("/mentoring/offer"),
    }
    for what, response in refused.items():
        assert response.status_code == 403, what
        html = response.get_data(as_text=True)
        assert NOTICE in html and "Send the link again" in html, what


def test_every_rule_that_takes_part_says_no_until_confirmed_then_yes(
        make_user, make_practice, make_community, make_thread, make_reply, make_open_project, aged):
    user = make_user(confirmed=False, roles=["donor"])
    other = aged(make_user())
    practice = make_practice(owner=other)
    community = make_community(members=[user, other])
    thread = make_thread(community, other)
    post = make_reply(thread, other)
    project = make_open_project()
    rules = {
        "create practice": lambda: perm.can_create_practice(user),
        "adapt": lambda: perm.can_adapt_practice(user, practice),
        "suggest": lambda: perm.can_suggest_edit(user, practice),
        "endorse": lambda: perm.can_endorse_practice(user, practice),
        "case study": lambda: perm.can_create_case_study(user),
        "project": lambda: perm.can_propose_project(user),
        "community": lambda: perm.can_create_community(user),
        "post": lambda: perm.can_post_in_community(user, community),
        "reply": lambda: perm.can_reply_to_thread(user, thread),
        "react": lambda: perm.can_react_to_post(user, post),
        "flag": lambda: perm.can_flag_post(user, post),
        "pledge": lambda: perm.can_pledge(user, project),
        "offer mentoring": lambda: perm.can_offer_mentoring(user),
        "request mentor": lambda: perm.can_request_mentor(user),
    }
    assert {k for k, rule in rules.items() if rule()} == set()
    assert perm.can_view_profile(user, user) and perm.can_join_community(user, make_community())
    user.email_confirmed_at = user.created_at
    db.session.commit()
    assert {k for k, rule in rules.items() if not rule()} == set()


def test_resend_mails_a_new_link_and_the_page_explains(client, auth, make_user, outbox):
    user = make_user(email="new@example.org", confirmed=False)
    auth.login(user.email)
    page = client.get("/settings/email/confirmation").get_data(as_text=True)
    assert NOTICE in page and "Send the link again" in page
    response = client.post("/settings/email/confirmation", follow_redirects=True)
    assert "We have sent a new link to new@example.org." in response.get_data(as_text=True)
    assert outbox[-1]["To"] == "new@example.org"
    client.post(path_of(link_in(outbox[-1])))
    db.session.expire_all()
    assert db.session.get(User, user.id).is_email_confirmed
    assert NOTICE not in client.get("/settings/email/confirmation").get_data(as_text=True)


def test_email_change_still_works_and_proves_the_new_address(client, auth, make_user, outbox):
    user = make_user(email="old@example.org", confirmed=False)
    auth.login(user.email)
    client.post("/settings/email", data={"email": "new@example.org", "password": PASSWORD})
    token = re.search(r"/settings/email/confirm/(\S+)", outbox[-1].get_content()).group(1)
    client.post(f"/settings/email/confirm/{token}")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.email, user.is_email_confirmed) == ("new@example.org", True)


def test_a_confirmation_link_dies_when_the_address_changes(client, auth, make_user, outbox):
    register(client, "nadia@example.org")
    path = path_of(link_in(outbox[-1]))
    user = db.session.scalar(select(User))
    user.email = "other@example.org"
    db.session.commit()
    assert "invalid" in client.post(path, follow_redirects=True).get_data(as_text=True)


def test_api_refuses_an_unconfirmed_account_with_a_reason(client, make_user):
    user = make_user(confirmed=False)
    headers = make_token(user, ("read", "write"))
    response = client.post("/api/v1/practices", json={"title": "Scorecards"}, headers=headers)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "email_unconfirmed" and "Confirm" in body["detail"]


@pytest.mark.parametrize("confirmed", [True, False])
def test_factory_users_are_confirmed_unless_asked(make_user, confirmed):
    assert make_user(confirmed=confirmed).is_email_confirmed is confirmed


def test_thread_page_tells_an_unconfirmed_member_why_there_is_no_reply_box(
        client, auth, make_user, make_community, make_thread, aged):
    other = aged(make_user())
    user = make_user(email="new@example.org", confirmed=False)
    community = make_community(members=[user, other])
    thread = make_thread(community, other)
    auth.login(user.email)
    html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert NOTICE in html and "Post reply" not in html
    assert client.post(f"/threads/{thread.id}/reply", data={"body": "Hello"}).status_code == 403
