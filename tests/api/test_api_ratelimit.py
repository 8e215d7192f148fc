"""The API announces its limits with RateLimit-* headers and answers 429 with Retry-After."""

import pytest


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_API": "3 per minute",
            "RATELIMIT_KEY_PREFIX": "api-test"}


def test_ratelimit_headers_and_429(client):
    first = client.get("/api/v1/practices")
    assert first.headers["RateLimit-Limit"] == "3" and first.headers["RateLimit-Remaining"] == "2"
    client.get("/api/v1/practices")
    client.get("/api/v1/practices")
    limited = client.get("/api/v1/practices")
    assert limited.status_code == 429
    assert limited.headers["Content-Type"] == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0
