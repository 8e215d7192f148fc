"""Issue 10: every route that shows a post, practice, case study or project goes through the
visibility policy (marketplace/policy.py).

The routes come from the app's url_map, not from a list: a route whose URL takes a post, thread,
subject, or a practice/case study/project slug is requested for each seeded object that the caller
may not see (draft, pending review, hidden, pending, deleted, private), anonymously and as another
member, by every method it accepts; each must answer 404 or 403 (or send an anonymous caller to
sign in) without the object's body. Any other route taking an argument must be named in EXEMPT
with the reason it shows none of these bodies, so a new route cannot be missed silently.
"""

import itertools

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.routing.converters import AnyConverter

from marketplace.extensions import db
from marketplace.files import services as files
from marketplace.forums import moderation
from marketplace.forums import services as forums
from marketplace.forums.models import Post
from tests.api.test_core import make_token

MARKER = "QXPOLICYMARKER"

# Where a route's <slug> names a practice, case study or project (its path's prefix).
SLUG_KINDS = (
    ("/api/v1/practices/", "practice"), ("/practices/", "practice"),
    ("/api/v1/case-studies/", "case"), ("/cases/", "case"),
    ("/api/v1/projects/", "project"), ("/projects/", "project"),
    ("/sponsorship/projects/", "project"), ("/feeds/projects/", "project"),
    ("/open-data/projects/", "project"),
)

# Routes that take an argument but show no post, practice, case study or project body.
EXEMPT = {
    "static": "files",
    "accounts.profile": "a person's profile (tests/accounts)",
    "accounts.reset_password": "a token, no content",
    "accounts.confirm_email": "a token, no content",
    "accounts.confirm_account": "a token, no content",
    "admin.change_role": "admin action on a user",
    "api.profile": "a person's profile (tests/api)",
    "api.get_pledge": "a pledge, its donor's alone (tests/sponsorship, tests/api leak walk)",
    "sponsorship.pay": "starts a card payment for the donor's own pledge (tests/sponsorship/test_stripe.py)",
    "hosts.settings": "a fiscal host's payment settings, its admins only (tests/sponsorship/test_hosts.py)",
    "hosts.dashboard": "a host's bank lines and awaiting pledges, its treasurers only (test_hosts.py)",
    "hosts.upload_statement": "a treasurer's statement upload (test_hosts.py)",
    "hosts.confirm": "a treasurer records matched payments (test_hosts.py)",
    "hosts.match": "a treasurer matches a bank line by hand (test_host_matching.py)",
    "hosts.ignore": "a treasurer sets a bank line aside (test_hosts.py)",
    "hosts.unmatch": "a treasurer withdraws a proposed match (test_hosts.py)",
    "api.get_community": "a community's description; private ones walked in tests/forums/test_privacy.py",
    "api.list_threads": "thread titles of a community; private ones walked in tests/forums/test_privacy.py",
    "benchmarks.show": "a metric's benchmark: published case studies' numbers only (tests/cases)",
    "benchmarks.edit": "metric definitions, moderators only",
    "communities.show": "a community page; private ones walked in tests/forums/test_privacy.py",
    "communities.edit": "community settings",
    "communities.regenerate_invitation": "community settings",
    "communities.invitation": "joining by token",
    "communities.join": "membership",
    "communities.leave": "membership",
    "communities.members": "member list; private ones walked in tests/forums/test_privacy.py",
    "communities.remove_member": "membership",
    "communities.set_role": "membership",
    "communities.request_to_join": "membership",
    "communities.requests": "membership requests",
    "communities.decide": "membership requests",
    "forums.category": "thread titles of a category; private ones walked in tests/forums/test_privacy.py",
    "forums.new_thread": "a form; private communities walked in tests/forums/test_privacy.py",
    "forums.new_category": "a form for community moderators",
    "forums.watch_category": "a subscription",
    "moderation.community_queue": "moderators' queue (tests/forums)",
    "moderation.dismiss_flag": "a flag id; moderators only (tests/forums)",
    "moderation.suspend": "a user",
    "feeds.community_threads": "private communities' feeds walked in tests/api/test_journey_and_leaks.py",
    "feeds.practices_by_country": "published practices only (tests/api/test_feeds.py)",
    "feeds.practices_by_theme": "published practices only (tests/api/test_feeds.py)",
    "mentoring.show": "a mentorship, its two people alone (tests/mentoring)",
    "mentoring.accept": "a mentorship (tests/mentoring)",
    "mentoring.cancel": "a mentorship (tests/mentoring)",
    "mentoring.complete": "a mentorship (tests/mentoring)",
    "mentoring.decline": "a mentorship (tests/mentoring)",
    "mentoring.feedback": "a mentorship (tests/mentoring)",
    "mentoring.message": "a mentorship (tests/mentoring)",
    "notifications.read": "one's own notices",
    "organizations.show": "an organization",
    "organizations.edit": "an organization",
    "organizations.add_member": "an organization",
    "organizations.remove_member": "an organization",
    "organizations.invitation": "one's own invitation (tests/accounts/test_organization_invitations.py)",
    "organizations.answer_invitation": "one's own invitation (tests/accounts/test_organization_invitations.py)",
    "sponsorship.pledge_detail": "a pledge, its donor's alone (tests/sponsorship)",
    "sponsorship.cancel": "a pledge (tests/sponsorship)",
    "sponsorship.record_payment": "a pledge (tests/sponsorship)",
    "sponsorship.receipt": "a pledge (tests/sponsorship)",
    "tokens.revoke": "one's own API tokens",
}


@pytest.fixture
def hidden_world(app, make_user, make_practice, make_case_study, make_project, make_community,
                 make_thread, make_reply, aged):
    """Objects a non-author member may not see, each with MARKER in its body."""
    from marketplace.projects import services as projects

    owner = aged(make_user(name="Owner"))
    member = aged(make_user(name="Member"))
    newcomer = make_user(name="Newcomer")  # a new account: its posts wait for a moderator
    practice = make_practice(owner=owner, status="draft", problem=f"Problem {MARKER}")
    case = make_case_study(owner=owner, status="draft", context=f"Context {MARKER}")
    projects_ = [make_project(owner=owner, state=state, description=f"About {MARKER}")
                 for state in ("draft", "pending_review")]
    projects.add_budget_line(projects_[0], "Chairs", 1000)
    public = make_community(owner=owner, name="Square", members=[member, newcomer])
    private = make_community(owner=owner, name="Room", private=True)
    thread = make_thread(public, owner, title="Open thread", body="Opening post")
    hidden, deleted = (make_reply(thread, owner, f"Reply {n} {MARKER}") for n in range(2))
    moderation.hide_post(owner, hidden, "off topic")
    forums.delete_post(owner, deleted)
    pending = make_reply(thread, newcomer, f"Pending {MARKER}")
    hidden_thread = make_thread(public, owner, title="Later hidden", body=f"Opening {MARKER}")
    moderation.hide_post(owner, _first_post(hidden_thread), "spam")
    pending_thread = make_thread(public, newcomer, title="Waiting", body=f"Opening {MARKER}")
    private_thread = make_thread(private, owner, title="Closed", body=f"Opening {MARKER}")
    private_reply = make_reply(private_thread, owner, f"Private {MARKER}")
    # Issue 16: each hidden object carries a file whose text has the marker.
    parents = [("practice", practice, owner), ("case", case, owner),
               *(("project", p, owner) for p in projects_),
               *(("post", p, owner) for p in (hidden, deleted, private_reply)),
               ("post", _first_post(private_thread), owner), ("post", pending, newcomer),
               *(("thread", t, owner) for t in (hidden_thread, private_thread)), ("thread", pending_thread, newcomer)]
    attachments = [files.attach(who, kind, row, f"marker-{kind}.txt", f"File {MARKER} {n}".encode())
                   for n, (kind, row, who) in enumerate(parents)]
    db.session.commit()
    assert (hidden.status, pending.status, deleted.is_deleted) == ("hidden", "pending", True)
    assert (hidden_thread.status, pending_thread.status) == ("hidden", "pending")
    threads = [hidden_thread, pending_thread, private_thread]
    return {
        "owner": owner, "member": member, "thread": thread,
        "slug": {"practice": [practice.slug], "case": [case.slug],
                 "project": [p.slug for p in projects_]},
        "subject": {"practice": practice.id, "case": case.id, "project": projects_[0].id},
        "post_id": [hidden.id, pending.id, deleted.id, private_reply.id,
                    *(_first_post(t).id for t in threads)],
        "thread_id": [t.id for t in threads],
        "objective_id": [projects_[0].objectives[0].id],
        "line_id": [projects_[0].budget_lines[0].id],
        "attachment_id": [(a.id, a.name) for a in attachments],
        "parent": [(kind, row.id) for kind, row, _ in parents],
    }


def _first_post(thread) -> Post:
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


def _addresses(rule) -> str | None:
    """Which hidden objects fill this route: "post_id", "thread_id", "subject", a slug kind."""
    for name in ("post_id", "thread_id", "attachment_id"):
        if name in rule.arguments:
            return name
    if {"kind", "parent_id"} <= rule.arguments:
        return "parent"
    if "subject_id" in rule.arguments:
        return "subject"
    if "slug" in rule.arguments:
        return next((kind for prefix, kind in SLUG_KINDS if rule.rule.startswith(prefix)), None)
    return None


def _urls(app, rule, world, target: str) -> list[str]:
    fill = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if isinstance(converter, AnyConverter):
            fill[name] = sorted(converter.items)
        elif name == "kind":
            fill[name] = ["helpful"]
        elif name == "number":
            fill[name] = [1]
        elif name in ("objective_id", "line_id"):
            fill[name] = world[name]
        elif name == "suggestion_id":
            fill[name] = [1]  # the practice is a draft: no suggestion can exist for it
    urls = []
    with app.test_request_context():
        if target == "attachment_id":
            return [url_for(rule.endpoint, attachment_id=i, **({"name": name} if "name" in rule.arguments else {}))
                    for i, name in world["attachment_id"]]
        if target == "parent":
            return [url_for(rule.endpoint, kind=kind, parent_id=i) for kind, i in world["parent"]]
        if target == "subject":
            for subject_type, subject_id in world["subject"].items():
                urls.append(url_for(rule.endpoint, subject_type=subject_type,
                                    subject_id=subject_id))
            return urls
        values = world["slug"][target] if target in world["slug"] else world[target]
        key = "slug" if target in world["slug"] else target
        for value in values:
            for combination in itertools.product(*fill.values()):
                args = dict(zip(fill, combination, strict=True))
                urls.append(url_for(rule.endpoint, **{key: value}, **args))
    return urls


def test_every_route_showing_a_body_goes_through_the_policy(app, client, auth, hidden_world):
    covered, unclassified = [], []
    for rule in app.url_map.iter_rules():
        target = _addresses(rule)
        if target is None:
            if rule.arguments and rule.endpoint not in EXEMPT:
                unclassified.append(rule.endpoint)
            continue
        covered.append((rule, target))
    assert not unclassified, f"classify these routes (fill them, or EXEMPT with a reason): {unclassified}"
    assert not set(EXEMPT) & {r.endpoint for r, _ in covered}, "an exempt route is also covered"
    leaks, checked = [], 0
    token = make_token(hidden_world["member"], scopes=["read", "write", "pledge"])
    for who in (None, hidden_world["member"]):
        if who is not None:
            auth.login(who.email)
        for rule, target in covered:
            for url in _urls(app, rule, hidden_world, target):
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    response = client.open(url, method=method, **_api_call(rule, who, token))
                    body = response.get_data(as_text=True)
                    refused = response.status_code in (403, 404) or (
                        who is None and response.status_code == 302
                        and "/login" in response.headers["Location"]) or (
                        who is None and response.status_code == 401)
                    if not refused or MARKER in body:
                        leaks.append((who and "member", method, url, response.status_code))
                    checked += 1
    assert not leaks, "\n".join(map(str, leaks))
    endpoints = {r.endpoint for r, _ in covered}
    assert {"forums.flag", "forums.react", "forums.post_history", "forums.edit_post",
            "forums.reply", "knowledge.show", "cases.show", "projects.show",
            "api.get_practice", "forums.discuss", "files.serve", "files.thumbnail", "files.attach",
            "files.remove"} <= endpoints
    assert checked > 300


# Valid JSON bodies for the API's writes: a schema error (422) would answer before the policy.
API_BODIES = {
    "api.update_practice": {"title": "A new title"},
    "api.adapt_practice": {"country": "TZ", "context": "District hospitals", "rationale": "Paper"},
    "api.create_post": {"body": "A reply"},
    "api.create_pledge": {"amount": "10"},
}


def _api_call(rule, who, token) -> dict:
    if not rule.rule.startswith("/api/"):
        return {}
    headers = {"Idempotency-Key": "policy-walk-0001", **(token if who is not None else {})}
    return {"headers": headers, "json": API_BODIES.get(rule.endpoint)} if rule.methods & {
        "POST", "PATCH", "PUT"} else {"headers": headers}


def test_those_who_may_see_them_do(client, auth, hidden_world):
    """The control: the marker is in what the owner (author and community owner) is shown."""
    auth.login(hidden_world["owner"].email)
    for kind in ("practice", "case", "project"):
        prefix = {"practice": "/practices/", "case": "/cases/", "project": "/projects/"}[kind]
        page = client.get(prefix + hidden_world["slug"][kind][0])
        assert page.status_code == 200 and MARKER in page.get_data(as_text=True), kind
    attachment_id, name = hidden_world["attachment_id"][0]  # the draft practice's file
    served = client.get(f"/files/{attachment_id}/{name}")
    assert served.status_code == 200 and MARKER in served.get_data(as_text=True)
    hidden, pending, deleted = hidden_world["post_id"][:3]
    assert client.get(f"/posts/{hidden}/history").status_code == 200  # a community moderator
    thread = client.get(f"/threads/{hidden_world['thread'].id}").get_data(as_text=True)
    assert thread.count(MARKER) == 2  # the hidden and the pending reply; never the deleted one
