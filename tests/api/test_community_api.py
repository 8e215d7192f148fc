"""Communities through the API: private ones are invisible to non-members; replies need membership."""

from tests.api.test_core import make_token


def test_private_community_is_invisible_to_outsiders(client, make_community, make_thread, make_user, aged):
    member, outsider = aged(make_user()), aged(make_user())
    private = make_community(name="Closed circle", private=True, members=[member])
    thread = make_thread(private, member, title="Secret plan", body="Only for members")
    public = make_community(name="Open square", members=[member])
    make_thread(public, member, title="Open question")
    for headers in ({}, make_token(outsider)):
        names = [c["name"] for c in client.get("/api/v1/communities", headers=headers).json["items"]]
        assert "Closed circle" not in names and "Open square" in names
        assert client.get(f"/api/v1/communities/{private.slug}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/communities/{private.slug}/threads", headers=headers).status_code == 404
        assert client.get(f"/api/v1/threads/{thread.id}/posts", headers=headers).status_code == 404
    member_view = client.get(f"/api/v1/threads/{thread.id}/posts", headers=make_token(member)).json
    assert member_view["thread"]["title"] == "Secret plan"
    assert "Only for members" in member_view["items"][0]["body_html"]


def test_reply_through_api(client, make_community, make_thread, make_user, aged):
    member, outsider = aged(make_user()), aged(make_user())
    community = make_community(members=[member])
    thread = make_thread(community, member, title="Budget calendars")
    body = {"body": "We publish it in **January**"}
    assert client.post(f"/api/v1/threads/{thread.id}/posts", json=body,
                       headers=make_token(outsider, ["write"])).status_code == 403
    created = client.post(f"/api/v1/threads/{thread.id}/posts", json=body, headers=make_token(member, ["write"]))
    assert created.status_code == 201 and created.json["status"] == "visible"
    posts = client.get(f"/api/v1/threads/{thread.id}/posts").json["items"]
    assert "<strong>January</strong>" in posts[-1]["body_html"]
    assert client.post(f"/api/v1/threads/{thread.id}/posts", json={"body": ""},
                       headers=make_token(member, ["write"])).status_code == 422
