"""Issue 11: production refuses low-diversity secrets and reads an all-digit one as a string."""

import secrets

import pytest

from marketplace import create_app
from marketplace.settings import secret_strength
from tests.test_config import instance  # noqa: F401  (the fixture)


def _production(monkeypatch, secret):
    monkeypatch.setenv("MARKETPLACE_PRODUCTION", "true")
    monkeypatch.setenv("MARKETPLACE_SECRET_KEY", secret)
    return create_app()


@pytest.mark.parametrize("secret", ["a" * 32, "a" * 200, "changeme" * 4, "changemechangeme" * 8,
                                    "0123456789" * 4, "abababababababababababababababab"])
def test_production_refuses_low_diversity_secrets(instance, monkeypatch, secret):  # noqa: F811
    with pytest.raises(RuntimeError, match="token_hex"):
        _production(monkeypatch, secret)


def test_an_all_digit_secret_is_read_as_a_string(instance, monkeypatch):  # noqa: F811
    digits = "".join(secrets.choice("0123456789") for _ in range(64))
    app = _production(monkeypatch, digits)
    assert app.config["SECRET_KEY"] == digits


def test_a_generated_token_is_accepted(instance, monkeypatch):  # noqa: F811
    token = secrets.token_hex(32)
    assert _production(monkeypatch, token).config["SECRET_KEY"] == token
    assert secret_strength(token) > 200 and secret_strength("a" * 64) == 0
