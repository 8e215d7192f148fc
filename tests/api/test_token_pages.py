"""Settings -> API tokens: 20 a page, newest first, revoked ones included and counted; revoking
a token from page 2 comes back to page 2."""

import re

import pytest

from marketplace.api import tokens
from marketplace.api.models import ApiToken
from marketplace.extensions import db
from tests.pages import check_pages


def _names(html: str) -> list[str]:
    return re.findall(r"<tr>\s*<td>(Tool \d+)</td>", html)


@pytest.fixture
def owner(make_user):
    """21 tokens, Tool 00 the oldest and revoked; another user's token, not listed."""
    user = make_user(email="dev@example.org")
    made = [tokens.create_token(user, f"Tool {n:02d}", ["read"])[0] for n in range(21)]
    tokens.revoke_token(user, made[0].id)
    tokens.create_token(make_user(), "Tool 99", ["read"])
    db.session.commit()
    return user, made


def test_tokens_come_20_a_page_newest_first(client, auth, owner):
    auth.login("dev@example.org")
    check_pages(client, "/settings/tokens/", _names, [f"Tool {n:02d}" for n in range(20, -1, -1)])
    assert ">revoked</span>" in client.get("/settings/tokens/?page=2").get_data(as_text=True)
    # A new token is shown on the first page, with its plaintext.
    made = client.post("/settings/tokens/?page=2", data={"name": "Tool 21", "scopes": ["read"]})
    assert made.status_code == 200 and _names(made.get_data(as_text=True))[0] == "Tool 21"


def test_revoking_from_page_2_comes_back_to_page_2(client, auth, owner):
    user, made = owner
    for n in range(21, 41):  # 41 tokens: Tool 00 (revoked) is alone on page 3
        made.append(tokens.create_token(user, f"Tool {n:02d}", ["read"])[0])
    db.session.commit()
    auth.login("dev@example.org")
    second = client.get("/settings/tokens/?page=2").get_data(as_text=True)
    assert '<input type="hidden" name="page" value="2">' in second
    tool_05 = made[5].id
    ask = client.get(f"/settings/tokens/{tool_05}/revoke?page=2").get_data(as_text=True)
    assert f'action="/settings/tokens/{tool_05}/revoke?page=2"' in ask
    assert 'href="/settings/tokens/?page=2"' in ask
    answer = client.post(f"/settings/tokens/{tool_05}/revoke?page=2")
    assert answer.status_code == 302 and answer.headers["Location"] == "/settings/tokens/?page=2"
    assert db.session.get(ApiToken, tool_05).revoked_at is not None
    answer = client.post(f"/settings/tokens/{made[40].id}/revoke?page=abc")
    assert answer.headers["Location"] == "/settings/tokens/"
    # Someone else's token is not theirs to revoke, on any page.
    other = db.session.scalar(db.select(ApiToken.id).where(ApiToken.name == "Tool 99"))
    assert client.get(f"/settings/tokens/{other}/revoke?page=2").status_code == 404
