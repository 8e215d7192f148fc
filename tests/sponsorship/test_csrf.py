"""The pledge form works with CSRF protection on (the default outside tests)."""

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
