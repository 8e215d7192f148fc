"""Search through the API: highlights, facets, and drafts never shown to others."""

from tests.api.test_core import make_token


def test_search_json_with_highlights_facets_and_permissions(client, make_practice, make_user, indexed):
    author = make_user()
    make_practice(title="Participatory budgeting in Porto Alegre", countries=["BR"], themes=["participation"])
    make_practice(title="Participatory budgeting draft notes", owner=author, status="draft")
    indexed()
    result = client.get("/api/v1/search?q=budgeting").json
    assert result["total"] == 1
    assert "<mark>" in result["hits"][0]["title_html"]
    assert {"value": "practice", "count": 1} in result["facets"]["kind"]
    mine = client.get("/api/v1/search?q=budgeting", headers=make_token(author)).json
    assert mine["total"] == 2
    filtered = client.get("/api/v1/search?q=budgeting&country=BR").json
    assert filtered["total"] == 1
    assert client.get("/api/v1/search?sort=worst").status_code == 422
