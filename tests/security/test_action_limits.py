"""Issue 11, acceptance 4: every action that sends mail, creates an account or notifies another
person answers 429 past its limit, counted per signed-in user and per client address."""

import pytest

from tests.conftest import base_config, database_url

ACTIONS = {
    "register": "/register",
    "forgot_password": "/forgot-password",
    "email_change": "/settings/email",
    "confirmation_email": "/settings/email/confirmation",
    "mentoring": "/mentoring/request",
    "pledge": "/sponsorship/projects/no-such-project/pledge",
    "flag": "/posts/999/flag",
    "organization_member": "/organizations/no-such-org/members",
}


@pytest.fixture
def app_config(schema_template, tmp_path):
    limits = {f"RATELIMIT_{name.upper()}": "2 per hour" for name in ACTIONS}
    return base_config(tmp_path, DATABASE_URL=database_url(schema_template, tmp_path), RATELIMIT_ENABLED=True,
                       RATELIMIT_STORAGE_URL="memory://", **limits)


def _post(client, path, ip, n):
    return client.post(path, data={"email": f"someone{n}@example.org", "display_name": "Someone",
                                   "password": "not-it", "mentor_id": "1", "goal": "learn", "topic": "x",
                                   "amount": "1", "reason": "spam"},
                       environ_base={"REMOTE_ADDR": ip})


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_third_action_from_one_address_is_429(client, name):
    statuses = [_post(client, ACTIONS[name], "10.1.1.1", n).status_code for n in range(3)]
    assert 429 not in statuses[:2] and statuses[2] == 429
    assert _post(client, ACTIONS[name], "10.1.1.2", 9).status_code != 429  # another address


@pytest.mark.parametrize("name", sorted(set(ACTIONS) - {"register", "forgot_password"}))
def test_third_action_by_one_user_is_429_whatever_the_address(client, auth, make_user, name):
    user = make_user()
    auth.client.post("/login", data={"email": user.email, "password": "tarnished-Violin-orbit-91"},
                     environ_base={"REMOTE_ADDR": "10.9.9.9"})
    statuses = [_post(client, ACTIONS[name], f"10.2.2.{n}", n).status_code for n in range(3)]
    assert 429 not in statuses[:2] and statuses[2] == 429


def test_api_pledges_are_limited_too(client):
    statuses = [client.post("/api/v1/projects/no-such/pledges", json={"amount": "1"},
                            headers={"Idempotency-Key": f"key-{n:08d}"},
                            environ_base={"REMOTE_ADDR": "10.3.3.3"}).status_code for n in range(3)]
    assert statuses[2] == 429
