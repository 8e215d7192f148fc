"""Logs are JSON lines carrying the request id, which the response and error pages show too."""

import io
import json
import logging

import pytest

from marketplace.ops import logs


@pytest.fixture
def log_lines(app):
    """The JSON lines the app writes to stderr during the test."""
    buffer = io.StringIO()
    old = logs.handler().setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logs.handler().setStream(old)


@pytest.fixture
def boom(app):
    def fail():
        logging.getLogger("marketplace.test").warning("about to fail")
        raise RuntimeError("kaboom")

    app.add_url_rule("/boom", "boom", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as in production


def test_error_is_logged_as_json_with_the_request_id(client, boom, log_lines):
    response = client.get("/boom")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    assert request_id in response.get_data(as_text=True)  # quoted on the error page
    lines = log_lines()
    warning = next(line for line in lines if line["message"] == "about to fail")
    assert warning["request_id"] == request_id
    assert (warning["level"], warning["logger"]) == ("WARNING", "marketplace.test")
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["request_id"] == request_id
    assert "kaboom" in error["exc_info"]


def test_every_request_gets_a_new_id_and_untrusted_headers_are_ignored(client):
    first = client.get("/healthz", headers={"X-Request-ID": "chosen-by-the-client-123"})
    second = client.get("/healthz")
    ids = {first.headers["X-Request-ID"], second.headers["X-Request-ID"]}
    assert len(ids) == 2 and "chosen-by-the-client-123" not in ids


def test_a_trusted_proxy_sets_the_id(app, client, boom, log_lines):
    app.config["TRUSTED_PROXIES"] = 1
    response = client.get("/boom", headers={"X-Request-ID": "nginx-4f1c2a9e77"})
    assert response.headers["X-Request-ID"] == "nginx-4f1c2a9e77"
    assert {line["request_id"] for line in log_lines()} == {"nginx-4f1c2a9e77"}
    junk = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert junk.headers["X-Request-ID"] != "<script>"


def test_not_found_page_quotes_the_id(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)


def test_outside_a_request_the_id_is_a_dash(app, log_lines):
    logging.getLogger("marketplace.jobs").info("a job ran")
    assert log_lines()[-1]["request_id"] == "-"
