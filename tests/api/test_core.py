"""API plumbing: tokens, scopes, problem+json, ETags, the OpenAPI document."""

from sqlalchemy import select

from marketplace.api import tokens
from marketplace.api.models import ApiToken
from marketplace.extensions import db


def make_token(user, scopes=("read",)):
    _token, plaintext = tokens.create_token(user, "test", list(scopes))
    db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


def test_token_is_shown_once_and_stored_hashed(client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    page = client.post("/settings/tokens/", data={"name": "dashboard", "scopes": ["read", "write"]})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "will not be shown again" in html
    assert page.headers["Cache-Control"] == "no-store"
    plaintext = html.split('<code class="token">')[1].split("</code>")[0]
    row = db.session.scalar(select(ApiToken))
    assert row.scopes == ["read", "write"]
    assert plaintext not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    assert plaintext not in client.get("/settings/tokens/").get_data(as_text=True)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert me.status_code == 200 and me.json["email"] == user.email


def test_revoked_token_stops_working_immediately(client, auth, make_user):
    user = make_user()
    headers = make_token(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    auth.login(user.email)
    token_id = db.session.scalar(select(ApiToken.id))
    client.post(f"/settings/tokens/{token_id}/revoke")
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["status"] == 401


def test_missing_and_insufficient_scope(client, make_user):
    assert client.get("/api/v1/me").status_code == 401
    headers = make_token(make_user(), scopes=["pledge"])
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 403 and "read" in response.json["detail"]


def test_a_token_without_read_reads_as_anonymous(client, make_user, make_practice, make_community, make_thread):
    owner = make_user()
    draft = make_practice(owner=owner, title="Draft plan", status="draft")
    thread = make_thread(make_community(name="Private circle", private=True, members=[owner]), owner,
                         title="Private thread")
    reads = [f"/api/v1/practices/{draft.slug}", f"/api/v1/threads/{thread.id}/posts",
             "/api/v1/communities/private-circle", "/api/v1/practices?status=draft"]

    def seen(headers):
        responses = [client.get(url, headers=headers) for url in reads]
        return [r.status_code for r in responses[:3]] + [len(responses[3].json["items"])]

    assert seen(make_token(owner, ["read"])) == [200, 200, 200, 1]
    for scopes in (["write"], ["pledge"], ["write", "pledge"]):
        assert seen(make_token(owner, scopes)) == [404, 404, 404, 0], scopes
    write = make_token(owner, ["write"])  # its writes still act as its user
    edited = client.patch(f"/api/v1/practices/{draft.slug}", headers=write, json={"summary": "Now with steps"})
    assert edited.status_code == 200 and edited.json["summary"] == "Now with steps"
    reply = client.post(f"/api/v1/threads/{thread.id}/posts", headers=write, json={"body": "Agreed."})
    assert reply.status_code == 201


def test_cannot_revoke_another_users_token(client, auth, make_user):
    owner, other = make_user(), make_user()
    make_token(owner)
    auth.login(other.email)
    token_id = db.session.scalar(select(ApiToken.id))
    client.post(f"/settings/tokens/{token_id}/revoke")
    assert db.session.get(ApiToken, token_id).revoked_at is None


def test_token_form_errors(client, auth, make_user):
    auth.login(make_user().email)
    response = client.post("/settings/tokens/", data={"name": "x"})
    assert response.status_code == 422 and "Choose at least one scope" in response.get_data(as_text=True)


def test_public_profile_etag_and_404(client, make_user):
    user = make_user(name="Public Person")
    first = client.get(f"/api/v1/profiles/{user.id}")
    assert first.json["display_name"] == "Public Person" and "email" not in first.json
    again = client.get(f"/api/v1/profiles/{user.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    missing = client.get("/api/v1/profiles/99999")
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/problem+json"
    unknown = client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404 and unknown.headers["Content-Type"] == "application/problem+json"


def test_openapi_document_is_3_1_and_describes_bearer(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/profiles/{user_id}" in document["paths"]
    responses = document["paths"]["/api/v1/profiles/{user_id}"]["get"]["responses"]
    assert "application/problem+json" in responses["404"]["content"]


def test_docs_page_uses_vendored_assets(client):
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html and "https://" not in html.split("<main")[1]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]


def test_ids_too_large_for_the_database_are_404_everywhere(client):
    assert client.get("/api/v1/profiles/9223372036854775808").status_code == 404
    assert client.get("/people/9223372036854775808").status_code == 404


def test_token_use_is_recorded_at_most_once_a_minute(client, make_user):
    headers = make_token(make_user())
    client.get("/api/v1/me", headers=headers)
    first = db.session.scalar(select(ApiToken.last_used_at))
    assert first is not None
    client.get("/api/v1/me", headers=headers)
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.last_used_at)) == first
