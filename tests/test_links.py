"""Links outside a page come from the configuration, never from the request's Host."""

import re
from datetime import timedelta

import pytest
from flask import render_template_string

from marketplace import links
from marketplace.database import utcnow
from tests.conftest import base_config, database_url

LINK = re.compile(r"https?://\S+/reset-password/\S+")


@pytest.fixture
def app_config(schema_template, tmp_path, request):
    return base_config(tmp_path, DATABASE_URL=database_url(schema_template, tmp_path),
                       **getattr(request, "param", {}))


def _reset_link(client, outbox, make_user) -> str:
    make_user(email="ana@example.org")
    client.post("/forgot-password", data={"email": "ana@example.org"},
                headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    (message,) = outbox
    return LINK.search(message.get_content()).group(0)


@pytest.mark.parametrize("app_config", [
    {"SERVER_NAME": "marketplace.example.org", "PREFERRED_URL_SCHEME": "https"}], indirect=True)
def test_a_forged_host_never_reaches_a_mailed_link(client, outbox, make_user):
    assert _reset_link(client, outbox, make_user).startswith(
        "https://marketplace.example.org/reset-password/")


@pytest.mark.parametrize("app_config", [
    {"SERVER_NAME": None, "PUBLIC_URL": "http://127.0.0.1:5000"}], indirect=True)
def test_without_server_name_links_use_the_public_url(client, outbox, make_user):
    assert _reset_link(client, outbox, make_user).startswith(
        "http://127.0.0.1:5000/reset-password/")


@pytest.mark.parametrize("app_config", [
    {"SERVER_NAME": "example.org", "APPLICATION_ROOT": "/market", "PREFERRED_URL_SCHEME": "https"}],
    indirect=True)
def test_links_outside_a_request(app):
    assert links.path("knowledge.show", slug="water") == "/market/practices/water"
    assert links.absolute("knowledge.show", slug="water") == "https://example.org/market/practices/water"
    assert links.path("forums.thread", thread_id=3, page=2, _anchor="post-21") == (
        "/market/threads/3?page=2#post-21")


@pytest.mark.parametrize("app_config", [
    {"SERVER_NAME": None, "PUBLIC_URL": "https://demo.example.net/mp"}], indirect=True)
def test_public_url_may_carry_a_path(app):
    assert links.absolute("communities.index") == "https://demo.example.net/mp/communities/"
    assert links.path("communities.index") == "/mp/communities/"


@pytest.mark.parametrize("age, text", [
    (timedelta(seconds=0), "just now"), (timedelta(seconds=59), "just now"),
    (timedelta(minutes=5, seconds=30), "5 minutes ago"), (timedelta(hours=3), "3 hours ago"),
    (-timedelta(days=2, hours=1), "in 2 days"),
])
def test_ago_says_just_now_under_a_minute(app, age, text):
    with app.test_request_context():
        assert render_template_string("{{ when|ago }}", when=utcnow() - age) == text
