"""Practices and case studies through the API: the same rules as the HTML pages."""

from tests.api.test_core import make_token


def test_create_publish_adapt_through_http(client, make_user):
    author, adapter = make_user(name="Author"), make_user(name="Adapter")
    write = make_token(author, scopes=["read", "write"])
    response = client.post("/api/v1/practices", headers=write, json={
        "title": "Participatory budgeting", "summary": "Citizens decide part of the budget",
        "problem": "Budgets are *opaque*", "countries": ["BR"], "themes": ["participation"]})
    assert response.status_code == 201, response.json
    slug = response.json["slug"]
    assert response.json["status"] == "draft"
    assert response.json["problem_html"] == "<p>Budgets are <em>opaque</em></p>\n"
    assert client.get(f"/api/v1/practices/{slug}").status_code == 404  # anonymous: drafts are hidden
    assert client.get(f"/api/v1/practices/{slug}", headers=write).status_code == 200
    response = client.patch(f"/api/v1/practices/{slug}", headers=write,
                            json={"summary": "Citizens decide 5% of the budget", "message": "numbers", "publish": True})
    assert response.status_code == 200 and response.json["status"] == "published"
    assert [r["number"] for r in response.json["revisions"]] == [1, 2]
    other = make_token(adapter, scopes=["read", "write"])
    assert client.patch(f"/api/v1/practices/{slug}", headers=other, json={"summary": "x"}).status_code == 403
    adapted = client.post(f"/api/v1/practices/{slug}/adaptations", headers=other,
                          json={"country": "KE", "context": "County assemblies",
                                "rationale": "Wards instead of districts"})
    assert adapted.status_code == 201 and adapted.json["adapted_from"] == slug
    assert adapted.json["adaptation_country"] == "KE"
    listing = client.get("/api/v1/practices?country=BR").json
    assert [p["slug"] for p in listing["items"]] == [slug] and listing["total"] == 1


def test_write_needs_write_scope_and_validates_input(client, make_user):
    user = make_user()
    read_only = make_token(user, scopes=["read"])
    assert client.post("/api/v1/practices", headers=read_only, json={"title": "x"}).status_code == 403
    write = make_token(user, scopes=["write"])
    bad = client.post("/api/v1/practices", headers=write, json={"title": "", "countries": ["ZZ"]})
    assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/problem+json"
    assert any(e["field"] == "title" for e in bad.json["errors"])
    unknown_country = client.post("/api/v1/practices", headers=write, json={"title": "T", "countries": ["ZZ"]})
    assert unknown_country.status_code == 422
    assert unknown_country.json["errors"] == [{"field": "countries", "message": "Choose countries from the list."}]
    assert client.post("/api/v1/practices", json={"title": "T"}).status_code == 401


def test_list_pagination_links(client, make_practice):
    for i in range(3):
        make_practice(title=f"P{i}")
    first = client.get("/api/v1/practices?per_page=2")
    assert first.json["total"] == 3 and len(first.json["items"]) == 2
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(first.json["links"]["next"])
    assert len(second.json["items"]) == 1 and second.json["links"]["next"] is None


def test_case_studies(client, make_case_study):
    make_case_study(title="Visible case")
    make_case_study(title="Draft case", status="draft")
    titles = [c["title"] for c in client.get("/api/v1/case-studies").json["items"]]
    assert titles == ["Visible case"]


def test_case_study_filters_match_the_page(client, make_case_study, make_practice):
    health = make_practice(title="Clinic scorecards", themes=["health"])
    make_case_study(title="Scorecards in Malawi", country="MW", practice_slugs=[health.slug])
    make_case_study(title="Budget hearings", country="KE")
    assert [c["title"] for c in client.get("/api/v1/case-studies?theme=health").json["items"]] == [
        "Scorecards in Malawi"]
    assert [c["title"] for c in client.get("/api/v1/case-studies?country=ke").json["items"]] == ["Budget hearings"]
    assert [c["title"] for c in client.get("/api/v1/case-studies?q=hearing").json["items"]] == ["Budget hearings"]
    assert client.get("/api/v1/case-studies?sort=best").status_code == 422


def test_another_practices_source_url_is_422_on_the_field(client, make_user, make_practice):
    make_practice(title="First", source_url="https://example.org/report.pdf")
    write = make_token(make_user(), scopes=["read", "write"])
    response = client.post("/api/v1/practices", headers=write, json={
        "title": "Second", "source_url": "https://example.org/report.pdf"})
    assert response.status_code == 422
    assert response.json["errors"] == [{"field": "source_url",
                                        "message": "Another practice already cites this source URL."}]


def test_a_long_history_comes_a_page_at_a_time(client, make_user):
    author = make_user(name="Author")
    write = make_token(author, scopes=["read", "write"])
    slug = client.post("/api/v1/practices", headers=write, json={"title": "Open budgets", "publish": True}).json["slug"]
    for n in range(2, 26):  # 25 revisions
        assert client.patch(f"/api/v1/practices/{slug}", headers=write,
                            json={"summary": f"version {n}", "message": f"edit {n}"}).status_code == 200
    practice = client.get(f"/api/v1/practices/{slug}").json
    assert practice["revision_count"] == 25
    assert [r["number"] for r in practice["revisions"]] == list(range(6, 26))  # the latest 20, oldest first
    assert practice["revisions_url"].endswith(f"/api/v1/practices/{slug}/revisions")
    first = client.get(f"/api/v1/practices/{slug}/revisions?per_page=10")
    assert first.status_code == 200 and first.json["total"] == 25
    assert [r["number"] for r in first.json["items"]] == list(range(25, 15, -1))  # newest first
    assert 'rel="next"' in first.headers["Link"]
    last = client.get(first.json["links"]["next"].replace("page=2", "page=3")).json
    assert [r["number"] for r in last["items"]] == [5, 4, 3, 2, 1] and last["links"]["next"] is None
    assert client.get(f"/api/v1/practices/{slug}/revisions?page=abc").json["page"] == 1
    assert client.get("/api/v1/practices/no-such/revisions").status_code == 404


def test_a_drafts_history_is_as_hidden_as_the_draft(client, make_user):
    write = make_token(make_user(), scopes=["read", "write"])
    slug = client.post("/api/v1/practices", headers=write, json={"title": "Secret plan"}).json["slug"]
    assert client.get(f"/api/v1/practices/{slug}/revisions").status_code == 404
    assert client.get(f"/api/v1/practices/{slug}/revisions", headers=write).json["total"] == 1
