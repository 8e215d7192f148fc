"""Issue 7: an API-only journey, and a walk over every API route, feed and export looking for
drafts, private community content, hidden, pending and deleted posts (issue 10) and anonymous
donors' names."""

import logging
import re


def create_token_over_http(client, email, scopes):
    client.post("/login", data={"email": email, "password": "tarnished-Violin-orbit-91"})
    page = client.post("/settings/tokens/", data={"name": "journey", "scopes": scopes}).get_data(as_text=True)
    client.post("/logout")
    return {"Authorization": "Bearer " + re.search(r'<code class="token">([^<]+)</code>', page).group(1)}


def test_api_only_journey(client, make_user, make_donor, make_open_project, indexed, caplog):
    caplog.set_level(logging.DEBUG)
    author = make_user(email="author@example.org")
    headers = create_token_over_http(client, author.email, ["read", "write"])
    created = client.post("/api/v1/practices", headers=headers, json={
        "title": "Community scorecards for clinics", "summary": "Patients rate clinic services",
        "countries": ["MW"], "themes": ["health"], "publish": True})
    assert created.status_code == 201 and created.json["status"] == "published"
    slug = created.json["slug"]
    adapter = make_user(email="adapter@example.org")
    adapter_headers = create_token_over_http(client, adapter.email, ["write"])
    adapted = client.post(f"/api/v1/practices/{slug}/adaptations", headers=adapter_headers,
                          json={"country": "TZ", "context": "District hospitals", "rationale": "Paper forms"})
    assert adapted.status_code == 201 and adapted.json["adapted_from"] == slug
    indexed()
    hits = client.get("/api/v1/search?q=scorecards").json["hits"]
    assert [h["url"] for h in hits] == [f"/practices/{slug}"]  # the draft adaptation is not public
    donor = make_donor(email="donor@example.org")
    project = make_open_project(goal_minor=50_000)
    pledge_headers = {**create_token_over_http(client, donor.email, ["pledge"]), "Idempotency-Key": "journey-0001"}
    first = client.post(f"/api/v1/projects/{project.slug}/pledges", headers=pledge_headers, json={"amount": "120"})
    replay = client.post(f"/api/v1/projects/{project.slug}/pledges", headers=pledge_headers, json={"amount": "120"})
    assert (first.status_code, replay.status_code) == (201, 200) and first.json["id"] == replay.json["id"]
    for value in (headers, adapter_headers, pledge_headers):  # tokens never reach the logs
        assert value["Authorization"].split()[1] not in caplog.text


def collect_urls(client):
    """Every GET route of the API, feeds and open data, with ids and slugs of real objects."""
    document = client.get("/api/v1/openapi.json").json
    return [path for path, ops in document["paths"].items() if "get" in ops]


def _without_echo(body: str, url: str) -> str:
    """The body less the caller's own URL (a 404 page's language form and a page's links repeat
    it): the URL names the secret, the body must not add it."""
    for echo in (url, url.replace("&", "&amp;"), url.partition("?")[0]):
        body = body.replace(echo, "")
    for word in re.findall(r"[?&]q=([^&]*)", url)[0].split("+") if "q=" in url else []:
        body = body.replace(f'"{word}"]', "]")  # a search hit's "missing" query words
    return body


def _hidden_posts(owner, thread, make_user, make_reply, secret) -> list:
    """A hidden, a deleted and a pending reply, and a hidden and a pending thread, in `thread`'s
    public community, each saying `secret`."""
    from sqlalchemy import select

    from marketplace.communities.services import join
    from marketplace.extensions import db
    from marketplace.forums import moderation
    from marketplace.forums import services as forums
    from marketplace.forums.models import Post

    hidden, deleted = (make_reply(thread, owner, f"Reply {n} {secret}") for n in range(2))
    moderation.hide_post(owner, hidden, "off topic")
    forums.delete_post(owner, deleted)
    newcomer = make_user(name="Newcomer")  # a new account: its posts wait for a moderator
    join(thread.community, newcomer)
    pending = make_reply(thread, newcomer, f"Pending {secret}")
    category = thread.category
    hidden_thread = forums.start_thread(owner, category, title="Later hidden", body=f"Opening {secret}",
                                        kind="discussion")
    moderation.hide_post(owner, db.session.scalar(select(Post).where(
        Post.thread_id == hidden_thread.id, Post.number == 1)), "spam")
    pending_thread = forums.start_thread(newcomer, category, title="Waiting", body=f"Opening {secret}",
                                         kind="discussion")
    db.session.commit()
    assert (hidden.status, pending.status, pending_thread.status) == ("hidden", "pending", "pending")
    return [hidden, deleted, pending, hidden_thread, pending_thread]


def test_walk_finds_no_draft_private_content_or_anonymous_donor(client, app, make_user, make_practice,
                                                                make_community, make_thread, make_donor,
                                                                make_open_project, make_project,
                                                                make_case_study, make_reply, pledge, aged,
                                                                indexed, auth):
    from marketplace.communities.services import join
    from marketplace.extensions import db
    from tests.api.test_core import make_token

    secret = "ZQXSECRET"
    owner = aged(make_user(name="Insider"))
    draft = make_practice(title=f"Draft {secret} practice", owner=owner, status="draft")
    draft_case = make_case_study(owner=owner, title=f"Draft {secret} case", status="draft")
    hidden_projects = [make_project(owner=owner, state=state, title=f"{state} {secret} project")
                       for state in ("draft", "pending_review")]
    public_practice = make_practice(title="Public practice", themes=["health"], countries=["KE"])
    private = make_community(name=f"Private {secret}", private=True, members=[owner])
    private_thread = make_thread(private, owner, title=f"Thread {secret}", body=f"Body {secret}")
    public = make_community(name="Public square", members=[owner])
    public_thread = make_thread(public, owner, title="Open thread")
    hidden, deleted, pending, hidden_thread, pending_thread = _hidden_posts(
        owner, public_thread, make_user, make_reply, secret)
    project = make_open_project(goal_minor=10_000)
    donor_name = "Anonymous-Giver-QWV"  # their profile is public; their giving is not
    hidden_donor = make_donor(name=donor_name, anonymous=True)
    pledge(hidden_donor, project, "25", is_anonymous=True)
    indexed()
    ids = {"slug": None, "user_id": owner.id, "thread_id": private_thread.id, "pledge_id": 1}
    api_paths = collect_urls(client)
    urls = []
    for path in api_paths:
        for slug in (draft.slug, public_practice.slug, private.slug, public.slug, project.slug, draft_case.slug,
                     *(p.slug for p in hidden_projects)):
            url = path.replace("{slug}", slug)
            for key, value in ids.items():
                url = url.replace("{" + key + "}", str(value))
            urls.append(url)
        for thread in (public_thread, hidden_thread, pending_thread):
            urls.append(path.replace("{thread_id}", str(thread.id)).replace("{user_id}", str(owner.id)))
    urls += [f"/api/v1/search?q={secret}", "/api/v1/search?q=Draft", "/feeds/practices.atom",
             "/feeds/practices/theme/health.atom", "/feeds/practices/country/KE.atom",
             f"/feeds/communities/{private.slug}/threads.atom", f"/feeds/communities/{public.slug}/threads.atom",
             f"/feeds/projects/{project.slug}/reports.atom", "/open-data/practices.csv",
             "/open-data/practices.jsonl", "/open-data/case-studies.csv", "/open-data/case-studies.jsonl",
             f"/open-data/projects/{project.slug}/iati.xml", f"/projects/{project.slug}/transparency.csv",
             f"/projects/{project.slug}/transparency", f"/projects/{project.slug}",
             f"/api/v1/search?q={secret.lower()}", "/api/v1/case-studies?q=draft", "/api/v1/projects?per_page=100"]
    for hidden_project in hidden_projects:
        urls += [f"/feeds/projects/{hidden_project.slug}/reports.atom",
                 f"/open-data/projects/{hidden_project.slug}/iati.xml",
                 f"/projects/{hidden_project.slug}/transparency.csv"]
    for post in (hidden, deleted, pending):  # the HTML routes that take a post or a thread
        urls += [f"/posts/{post.id}/flag", f"/posts/{post.id}/history", f"/posts/{post.id}/edit",
                 f"/threads/{post.thread_id}/reply?quote={post.id}"]
    urls += [f"/threads/{t.id}" for t in (public_thread, hidden_thread, pending_thread)]
    urls += [f"/communities/{public.slug}/", f"/api/v1/search?q=opening+{secret.lower()}"]
    outsider = make_token(make_user(name="Outsider"), scopes=["read", "write", "pledge"])
    checked = 0
    for url in sorted(set(u for u in urls if "{" not in u)):
        for headers in ({}, outsider):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            body = _without_echo(response.get_data(as_text=True).lower(), url.lower())
            assert secret.lower() not in body, (url, headers)  # slugs are lowercase
            if any(word in url for word in ("project", "pledge", "open-data", "feeds", "transparency")):
                assert donor_name not in body, (url, headers)
            checked += 1
    assert checked > 60
    html = [u for u in sorted(set(urls)) if u.startswith(("/posts/", "/threads/", "/communities/"))]
    member = aged(make_user(name="Square member"))  # signed in, reads the public community
    join(public, member)
    db.session.commit()
    auth.login(member.email)
    for url in html:
        response = client.get(url)
        assert secret.lower() not in _without_echo(response.get_data(as_text=True).lower(), url.lower()), url
