"""Every page reachable: with the demo data, a crawler starts at the home page as each role
(anonymous, member, moderator, project owner, donor, admin), follows the links it is shown
(<a href> and GET forms, bounded), and the test fails on any GET route of the url map that no
role reached by a link, unless it is named below with the reason it has no link."""

from collections import Counter, deque
from urllib.parse import parse_qs, urljoin, urlsplit

import lxml.html
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from marketplace.extensions import db

DEMO_PASSWORD = "demo-Password-for-the-audit-1"
MAX_PAGES = 2000  # per role
PER_ENDPOINT = 12  # pages fetched per route and set of query keys: enough to find what each
# kind of page links to (the project list shows every public project, so a draft owner's own
# project comes late; the world map links each list to a dozen ?country= pages, which must not
# use up the list's ?theme= pages)

# Routes no page links to, and why.
NO_LINK_BY_DESIGN = {
    "static": "stylesheets, scripts and images, loaded by pages",
    "ops.healthz": "for load balancers and monitoring",
    "ops.readyz": "for load balancers and monitoring",
    "ops.metrics_page": "scraped by Prometheus, readable only from its allowed addresses",
    "search.suggest_json": "called by scripts as you type (htmx and the JSON suggest API)",
    "search.suggest_fragment": "the htmx fragment of the header search's suggestions",
    "accounts.reset_password": "reached from the link in the password-reset email",
    "accounts.confirm_email": "reached from the link in the email-change email",
    "accounts.confirm_account": "reached from the link in the address-confirmation email",
    "accounts.email_confirmation": "the resend form shown to an unconfirmed account posts here; its GET "
                                   "page is where the sign-in of an unconfirmed account lands",
    "communities.invitation": "reached from the link in an invitation email",
    "organizations.invitation": "reached from the organization invitation's email and in-app notice",
    **{endpoint: "the demo data attaches no file; each file's link, picture, thumbnail and Remove "
                 "button are on its parent's page (tests/files/test_attachments.py and "
                 "tests/browser/test_evidence_files.py follow them)"
       for endpoint in ("files.serve", "files.image", "files.thumbnail", "files.remove")},
    "tokens.revoke": "the demo data makes no API token; each token's Revoke button on "
                     "/settings/tokens/ leads here (tests/main/test_confirm_pages.py follows it)",
    "knowledge.delete": "the Delete draft button is on a never-published draft's page, for its authors; "
                        "the demo's drafts belong to no role crawled here (tests/knowledge/test_drafts.py "
                        "follows it)",
    "knowledge.withdraw_suggestion": "the Withdraw link is on a practice page for the author of a pending "
                                     "suggestion; the demo has none (tests/knowledge/"
                                     "test_suggestion_withdraw.py follows it)",
    "sponsorship.pledge": "the pledge form is on the project page and posts here; this GET page "
                          "shows it again after an error or after becoming a donor (?next=)",
}
API_REASON = "the JSON API: documented and tried on /api/v1/docs, not browsed"


def _exempt(endpoint: str) -> str | None:
    if endpoint.startswith("api.") and endpoint != "api.docs":
        return API_REASON
    return NO_LINK_BY_DESIGN.get(endpoint)


def _links(html: str, base: str) -> list[str]:
    page = lxml.html.fromstring(html)
    hrefs = page.xpath("//a/@href")
    hrefs += [f.get("action") or base for f in page.xpath("//form")
              if (f.get("method") or "get").lower() == "get"]
    return [urljoin(base, h).split("#", 1)[0] for h in hrefs]


def crawl(app, client) -> dict[str, str]:
    """Endpoint -> first URL this client was shown a link to that answered (200 or redirect)."""
    adapter = app.url_map.bind("localhost")
    reached: dict[str, str] = {}
    fetched: Counter = Counter()
    seen, queue = {"/"}, deque(["/"])
    while queue and sum(fetched.values()) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        body = response.get_data(as_text=True)  # read it all: downloads stream
        if response.status_code in (301, 302, 303):
            target = urljoin(url, response.headers["Location"])
            if target not in seen and urlsplit(target).netloc in ("", "localhost"):
                seen.add(target)
                queue.append(target)
        if response.status_code >= 400:
            continue
        endpoint = _endpoint(adapter, url)
        if endpoint:
            reached.setdefault(endpoint, url)
        if response.mimetype != "text/html":
            continue
        for link in _links(body, url):
            parts = urlsplit(link)
            if parts.netloc not in ("", "localhost") or link in seen:
                continue
            target = _endpoint(adapter, parts.path)
            kind = (target, tuple(sorted(parse_qs(parts.query))))
            if target is None or target == "static" or fetched[kind] >= PER_ENDPOINT:
                continue
            fetched[kind] += 1
            seen.add(link)
            queue.append(link)
    return reached


def _endpoint(adapter, url: str) -> str | None:
    try:
        return adapter.match(urlsplit(url).path, method="GET")[0]
    except RequestRedirect as redirect:
        return _endpoint(adapter, redirect.new_url)
    except HTTPException:
        return None


def test_every_page_is_linked_from_somewhere_some_role_reaches(app, client, auth, monkeypatch):
    from marketplace.accounts.models import User
    from marketplace.demo import run_all
    from marketplace.forums import services as forums
    from marketplace.forums.models import Post
    from marketplace.projects.models import Project
    from marketplace.search import indexer

    monkeypatch.setenv("MARKETPLACE_DEMO_PASSWORD", DEMO_PASSWORD)
    run_all()
    post = db.session.scalar(select(Post).order_by(Post.id).limit(1))
    with app.test_request_context():  # an edited post links its history
        forums.edit_post(post.author, post, post.body_source + "\n\nEdited: a typo fixed.")
    db.session.commit()
    indexer.reindex()
    # the owner of a draft: the one who sees a project's objectives and budget pages
    owner = db.session.scalar(select(User).join(Project, Project.owner_id == User.id)
                              .where(Project.state == "draft").order_by(Project.id).limit(1))
    roles = {"anonymous": None, "member": "amina.wanjiru@example.org",
             "moderator": "marie.dubois@example.org", "project owner": owner.email,
             "donor": "lars.nielsen@example.org", "admin": "admin@example.org"}
    reached_by: dict[str, list[str]] = {}
    for role, email in roles.items():
        if email:
            assert auth.login(email, DEMO_PASSWORD).status_code == 302, role
        for endpoint in crawl(app, client):
            reached_by.setdefault(endpoint, []).append(role)
        if email:
            auth.logout()
    routes = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    orphans = sorted(e for e in routes if e not in reached_by and not _exempt(e))
    assert not orphans, "GET routes no role reaches by a link:\n" + "\n".join(orphans)
    stale = sorted(e for e in NO_LINK_BY_DESIGN if e not in routes)
    assert not stale, f"exceptions for routes that no longer exist: {stale}"
    # the pages issue 14 found orphaned are now linked for the roles that use them
    assert "moderator" in reached_by["moderation.global_queue"]
    assert "member" in reached_by["mentoring.index"]
    assert "anonymous" in reached_by["forums.discuss"]
    assert "anonymous" in reached_by["opendata.project_iati"]
    for feed in ("feeds.practices_by_theme", "feeds.practices_by_country",
                 "feeds.community_threads", "feeds.project_reports"):
        assert "anonymous" in reached_by[feed], feed
