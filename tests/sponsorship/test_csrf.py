"""The pledge form works with CSRF protection on (the default outside tests)."""

import io
import re

import pytest

from tests.conftest import base_config, database_url


@pytest.fixture
def app_config(schema_template, tmp_path):
    return base_config(tmp_path, DATABASE_URL=database_url(schema_template, tmp_path), WTF_CSRF_ENABLED=True)


def _field(html, name):
    return re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html).group(1)


def test_pledging_from_the_project_page_with_csrf(client, make_open_project, make_donor):
    project = make_open_project()
    make_donor(email="giver@example.org")
    login_page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": "giver@example.org", "password": "tarnished-Violin-orbit-91",
                                "csrf_token": _field(login_page, "csrf_token")})
    page = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    url = f"/sponsorship/projects/{project.slug}/pledge"
    refused = client.post(url, data={"amount": "10", "idempotency_key": _field(page, "idempotency_key")})
    assert refused.status_code == 400  # no token: the form is re-shown, nothing recorded
    accepted = client.post(url, data={"amount": "10", "idempotency_key": _field(page, "idempotency_key"),
                                      "csrf_token": _field(page, "csrf_token")})
    assert accepted.status_code == 302


# --- a refused form is offered again, with what was typed -------------------------------------

HERE = "http://localhost"
HOSTILE = '"><script>alert(1)</script>'


def _signed_in(client, email="giver@example.org"):
    login_page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": email, "password": "tarnished-Violin-orbit-91",
                                "csrf_token": _field(login_page, "csrf_token")})


def _hidden(html):
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def _pledges(project):
    from sqlalchemy import func, select

    from marketplace.extensions import db
    from marketplace.sponsorship.models import Pledge

    return db.session.scalar(select(func.count()).where(Pledge.project_id == project.id))


def test_a_pledge_refused_for_its_token_is_offered_again_and_sent_once(client, make_open_project, make_donor):
    """The donor signed out and in again in another tab: the pledge form's token is stale. The
    refusal keeps the amount and the pledge's idempotency key, with a fresh token; sending it
    again records the pledge once, and a second click changes nothing."""
    project = make_open_project()
    make_donor(email="giver@example.org", name="Gift Giver")
    _signed_in(client)
    page = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    key = _field(page, "idempotency_key")
    url = f"/sponsorship/projects/{project.slug}/pledge"
    stale = client.post(url, data={"amount": "12.50", "idempotency_key": key, "csrf_token": "stale"},
                        headers={"Origin": HERE, "Referer": f"{HERE}/projects/{project.slug}"})
    assert stale.status_code == 400
    assert stale.headers["Cache-Control"] == "no-store"
    html = stale.get_data(as_text=True)
    assert "Send this form again" in html and "It will be sent as Gift Giver" in html
    assert f'action="{url}"' in html and f'href="{HERE}/projects/{project.slug}"' in html
    fields = _hidden(html)
    assert fields["amount"] == "12.50" and fields["idempotency_key"] == key
    assert fields["csrf_token"] not in ("", "stale")
    assert _pledges(project) == 0
    assert client.post(url, data=fields).status_code == 302
    assert client.post(url, data=fields).status_code == 302  # the same key: the same pledge
    assert _pledges(project) == 1


def test_what_was_typed_is_written_back_escaped(client, make_open_project, make_donor):
    project = make_open_project()
    make_donor(email="giver@example.org")
    _signed_in(client)
    response = client.post(f"/sponsorship/projects/{project.slug}/pledge?x=1&y=%3C",
                           data={"amount": HOSTILE, "note": ["a", "b"]}, headers={"Origin": HERE})
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert html.count('name="note"') == 2  # repeated fields keep every value
    assert f'action="/sponsorship/projects/{project.slug}/pledge?x=1&amp;y=%3C"' in html


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},  # another site's form
    {"Origin": "null"},  # a sandboxed frame or a data: page
    {"Origin": "https://localhost"},  # another scheme is another origin
    {"Referer": "https://evil.example/page"},
    {},  # neither header: nothing says where it came from
])
def test_a_forged_post_gets_the_plain_refusal_and_no_button(client, make_open_project, make_donor, headers):
    project = make_open_project()
    make_donor(email="giver@example.org")
    _signed_in(client)
    response = client.post(f"/sponsorship/projects/{project.slug}/pledge",
                           data={"amount": "500", "idempotency_key": "forged"}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form has expired or was not sent from this site." in html
    assert "Send again" not in html and "forged" not in html
    assert _pledges(project) == 0


def test_passwords_and_files_are_not_carried_over(client, make_user):
    make_user(email="ana@example.org")
    login = client.post("/login", data={"email": "ana@example.org", "password": "secret-Value-42"},
                        headers={"Origin": HERE})
    assert "Send again" not in login.get_data(as_text=True)
    assert "secret-Value-42" not in login.get_data(as_text=True)
    upload = client.post("/login", data={"email": "ana@example.org", "file": (io.BytesIO(b"x"), "a.txt")},
                         headers={"Origin": HERE}, content_type="multipart/form-data")
    assert upload.status_code == 400 and "Send again" not in upload.get_data(as_text=True)


def test_the_api_still_answers_problem_json(client):
    response = client.post("/language", data={"lang": "fr"}, headers={"Origin": HERE, "Accept": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
