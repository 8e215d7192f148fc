"""Refused API calls leave an audit entry (as refused pages do), and never log the token."""

import pytest
from sqlalchemy import select

from marketplace.accounts.models import AuditEvent
from marketplace.api.models import ApiToken
from marketplace.errors import PermissionDenied
from marketplace.extensions import db
from tests.api.test_core import make_token


def audit_entries() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(("authz.denied", "auth.token_invalid"))).order_by(AuditEvent.id)))


def test_a_token_without_the_scope_is_audited(client, make_user):
    user = make_user()
    headers = make_token(user, scopes=["pledge"])
    assert client.get("/api/v1/me", headers=headers).status_code == 403
    (entry,) = audit_entries()
    token_id = db.session.scalar(select(ApiToken.id))
    assert (entry.action, entry.actor_id, entry.ip) == ("authz.denied", user.id, "127.0.0.1")
    assert entry.detail == {"path": "/api/v1/me", "method": "GET", "via": "api", "token_id": token_id}


def test_a_refusal_by_a_view_is_audited(client, make_practice, make_user):
    practice = make_practice(title="Open budgets")
    stranger = make_user()
    response = client.patch(f"/api/v1/practices/{practice.slug}", headers=make_token(stranger, ["write"]),
                            json={"title": "Mine now"})
    assert response.status_code == 403
    (entry,) = audit_entries()
    assert (entry.action, entry.actor_id, entry.detail["method"]) == ("authz.denied", stranger.id, "PATCH")
    assert entry.detail["path"] == f"/api/v1/practices/{practice.slug}"


def test_a_refusal_by_a_service_is_audited(client, make_user, make_community, make_thread, aged,
                                           monkeypatch):
    member = aged(make_user())
    thread = make_thread(make_community(members=[member]), member)

    def refuse(*args):
        raise PermissionDenied("Not today.")

    monkeypatch.setattr("marketplace.api.community.forums.reply", refuse)
    response = client.post(f"/api/v1/threads/{thread.id}/posts", headers=make_token(member, ["write"]),
                           json={"body": "Hello"})
    assert response.status_code == 403 and response.json["detail"] == "Not today."
    (entry,) = audit_entries()
    assert (entry.action, entry.actor_id, entry.detail["via"]) == ("authz.denied", member.id, "api")


@pytest.mark.parametrize("authorization", [
    "Bearer mkp_not-a-real-token-0123456789",
    "Bearer something-else",
    "Basic YWRtaW46YWRtaW4=",
])
def test_an_invalid_token_is_audited_without_the_token(client, authorization, caplog):
    response = client.get("/api/v1/me", headers={"Authorization": authorization})
    assert response.status_code == 401
    (entry,) = audit_entries()
    assert (entry.action, entry.actor_id) == ("auth.token_invalid", None)
    assert entry.detail == {"path": "/api/v1/me", "method": "GET", "via": "api"}
    secret = authorization.split(" ", 1)[1]
    assert secret not in str(entry.detail) and secret not in caplog.text


def test_a_revoked_token_is_audited(client, auth, make_user):
    user = make_user()
    headers = make_token(user)
    auth.login(user.email)
    client.post(f"/settings/tokens/{db.session.scalar(select(ApiToken.id))}/revoke")
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert [e.action for e in audit_entries()] == ["auth.token_invalid"]


def test_a_call_without_a_token_is_not_audited(client):
    assert client.get("/api/v1/me").status_code == 401
    assert audit_entries() == []
