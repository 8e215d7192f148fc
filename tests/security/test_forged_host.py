"""Issue 11, acceptance 3: a forged `Host` / `X-Forwarded-Host` never appears in any email or
API link. Every kind of mail the app sends is triggered with forged headers (through HTTP where
a route sends it, and for every notification kind and the digest inside a forged request), then
delivered; no mail, API body, API header, feed, open-data file or IATI file may name the forged
host. Run without SERVER_NAME (PUBLIC_URL), behind one trusted proxy, and with SERVER_NAME."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.accounts.models import OrganizationInvitation, User
from marketplace.accounts.services import create_organization
from marketplace.extensions import db
from marketplace.notifications import kinds
from marketplace.notifications import services as notifications
from marketplace.notifications.models import NotificationPreference
from tests.api.test_core import make_token
from tests.conftest import PASSWORD, base_config, database_url

EVIL = "evil.example"
FORGED = {"Host": EVIL, "X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
CONFIGS = {
    "public-url": ({"SERVER_NAME": None, "PUBLIC_URL": "http://127.0.0.1:5000"}, "http://127.0.0.1:5000/"),
    "public-url-behind-proxy": ({"SERVER_NAME": None, "PUBLIC_URL": "http://127.0.0.1:5000",
                                 "TRUSTED_PROXIES": 1}, "http://127.0.0.1:5000/"),
    "server-name-behind-proxy": ({"SERVER_NAME": "marketplace.example.org", "PREFERRED_URL_SCHEME": "https",
                                  "TRUSTED_PROXIES": 1}, "https://marketplace.example.org/"),
}
URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture(params=list(CONFIGS))
def setting(request):
    return CONFIGS[request.param]


@pytest.fixture
def app_config(schema_template, tmp_path, setting):
    return base_config(tmp_path, DATABASE_URL=database_url(schema_template, tmp_path), **setting[0])


@pytest.fixture
def base(setting) -> str:
    return setting[1]


def _clean_mail(outbox, base, expect: int | None = None) -> list[str]:
    """Every delivered mail: no forged host anywhere, and each link on the configured base."""
    if expect is not None:
        assert len(outbox) == expect, [m["Subject"] for m in outbox]
    bodies = []
    for message in outbox:
        text = message.as_string()
        assert EVIL not in text, text
        body = message.get_content()
        urls = URL.findall(body)
        assert urls, body  # every mail links somewhere: the check below is not vacuous
        assert all(u.startswith(base) for u in urls), urls
        bodies.append(body)
    return bodies


def _clean_response(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert EVIL not in response.get_data(as_text=True)
    for name, value in response.headers.items():
        assert EVIL not in value, (name, value)


def _post(client, path, **kwargs):
    response = client.post(path, headers=FORGED, **kwargs)
    _clean_response(response)
    return response


def _login(client, email):
    assert _post(client, "/login", data={"email": email, "password": PASSWORD}).status_code == 302


def test_the_forged_headers_do_reach_the_app(app, base):
    """The forgery is real: inside a request with these headers, the request's host is evil."""
    from flask import request

    with app.test_request_context("/", headers=FORGED):
        assert request.host == EVIL


def test_account_mails(client, outbox, make_user, base):
    """Password reset, "you already have an account", email-change confirmation and the mail to
    the owner of an address someone tried to take."""
    make_user(email="ana@example.org", name="Ana")
    make_user(email="bob@example.org", name="Bob")
    _post(client, "/forgot-password", data={"email": "ana@example.org"})
    _post(client, "/register", data={"email": "ana@example.org", "display_name": "Ana again",
                                     "password": "another-Strong-pass-29"})
    _login(client, "ana@example.org")
    _post(client, "/settings/email", data={"email": "ana@new.example", "password": PASSWORD})
    _post(client, "/settings/email", data={"email": "bob@example.org", "password": PASSWORD})
    bodies = _clean_mail(outbox, base, expect=4)
    assert f"{base}reset-password/" in bodies[0]
    assert f"{base}forgot-password" in bodies[1]
    assert f"{base}settings/email/confirm/" in bodies[2]
    assert f"{base}forgot-password" in bodies[3]


def test_organization_invitation_mail(client, outbox, make_user, base):
    owner = make_user(email="owner@example.org")
    make_user(email="bea@example.org")
    org = create_organization(owner, name="Alpha", type="ngo", country="KE")
    db.session.commit()
    _login(client, "owner@example.org")
    _post(client, f"/organizations/{org.slug}/members", data={"email": "bea@example.org", "role": "member"})
    (body,) = _clean_mail(outbox, base, expect=1)
    invitation = db.session.scalar(select(OrganizationInvitation))
    assert f"{base}organizations/invitations/{invitation.id}" in body


def test_every_notification_kind_and_the_digest(app, outbox, make_user, base):
    """notify() for each kind (kinds.KINDS, not a hand-made list) inside a forged request, mailed
    at once; then the same for the daily digest."""
    from marketplace import links

    now, later = make_user(email="now@example.org"), make_user(email="later@example.org")
    for kind in kinds.KINDS:
        db.session.add(NotificationPreference(user_id=later.id, kind=kind, mode=kinds.DIGEST))
    db.session.commit()
    with app.test_request_context("/practices/", headers=FORGED):
        for kind in kinds.KINDS:
            for user in (now, later):
                notifications.notify(user, kind, f"Something of kind {kind}",
                                     links.path("knowledge.index", _anchor=kind))
        db.session.commit()
        assert len(outbox) == len(kinds.KINDS)
        assert notifications.queue_digests() == 1
        db.session.commit()
    bodies = _clean_mail(outbox, base, expect=len(kinds.KINDS) + 1)
    assert bodies[-1].count(f"{base}practices/#") == len(kinds.KINDS)


def test_notification_mail_sent_through_http(client, outbox, make_open_project, make_donor, base):
    """A pledge through the API mails the project's owner at once (the case seen in the issue)."""
    project = make_open_project(goal_minor=10_000)
    donor = make_donor()
    headers = {**FORGED, **make_token(donor, ["pledge", "read"]), "Idempotency-Key": "key-forged-0001"}
    response = client.post(f"/api/v1/projects/{project.slug}/pledges", headers=headers, json={"amount": "25"})
    _clean_response(response)
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"{base}api/v1/pledges/{response.json['id']}"
    owner = db.session.get(User, project.owner_id)
    mails = [m for m in outbox if m["To"] == owner.email]
    assert mails
    _clean_mail(outbox, base)
    _clean_response(client.get(f"/api/v1/projects/{project.slug}", headers=FORGED))
    _clean_response(client.get(f"/api/v1/pledges/{response.json['id']}", headers=headers))


def test_api_links_location_and_link_headers(client, make_user, make_practice, base):
    author = make_user(name="Author")
    write = {**FORGED, **make_token(author, scopes=["read", "write"])}
    for i in range(3):
        make_practice(title=f"Practice {i}", owner=author)
    created = client.post("/api/v1/practices", headers=write, json={"title": "Forged host", "summary": "s"})
    _clean_response(created)
    assert created.status_code == 201
    assert created.headers["Location"] == f"{base}api/v1/practices/{created.json['slug']}"
    listing = client.get("/api/v1/practices?per_page=1", headers=FORGED)
    _clean_response(listing)
    assert listing.json["links"]["next"] and 'rel="next"' in listing.headers["Link"]
    _clean_response(client.get(listing.json["links"]["next"], headers=FORGED))
    me = client.get("/api/v1/me", headers=write)
    _clean_response(me)
    assert me.json["url"].startswith(base)
    for path in ("/api/v1/openapi.json", "/api/v1/practices/no-such-practice", "/api/v1/nowhere"):
        _clean_response(client.get(path, headers=FORGED))


def test_feeds_open_data_and_iati(client, make_practice, make_project, base):
    make_practice(title="Open practice", summary="Plain summary")
    project = make_project(state="open")
    paths = ["/feeds/practices.atom", f"/feeds/projects/{project.slug}/reports.atom", "/open-data/",
             "/open-data/practices.jsonl", "/open-data/practices.csv", f"/open-data/projects/{project.slug}/iati.xml"]
    for path in paths:
        response = client.get(path, headers=FORGED)
        _clean_response(response)
        assert response.status_code == 200, path
    assert base in client.get("/feeds/practices.atom", headers=FORGED).get_data(as_text=True)


def test_no_module_builds_links_from_the_request_host():
    """Whatever mail or API answer is written next: nothing in the package reads the request's
    host for a link (links.py builds them from the configuration)."""
    package = Path(__file__).parents[2] / "marketplace"
    forbidden = re.compile(r"host_url|url_root|request\.host\b|_external\s*=\s*True")
    offenders = [f"{p.relative_to(package)}:{n}" for p in package.rglob("*.py")
                 for n, line in enumerate(p.read_text().splitlines(), 1) if forbidden.search(line)]
    assert offenders == []
