"""A private community's threads, posts, categories and member list never reach non-members:
every GET route of the app is walked, anonymously and as a signed-in outsider."""

import itertools

import pytest
from sqlalchemy import select

from marketplace.communities.services import request_to_join
from marketplace.extensions import db
from marketplace.forums.models import Post
from marketplace.forums.services import create_category

SECRET = "ZEBRAQUILL"


@pytest.fixture
def secret_world(app, make_user, make_community, make_thread, make_reply, make_practice, aged):
    owner = aged(make_user(email="owner@example.org", name="Owner"))
    insider = aged(make_user(email="insider@example.org", name="Insider"))
    outsider = aged(make_user(email="outsider@example.org", name="Outsider"))
    public = make_community(owner=owner, name="Open square")
    private = make_community(owner=owner, name="Closed room", private=True, members=[insider])
    category = create_category(private, f"Strategy {SECRET} room", f"About {SECRET}")
    category.slug = "strategy"  # URLs echo into pages (sign-in links); the name is the secret
    practice = make_practice(owner=owner, title="Budget hearings")
    thread = make_thread(private, owner, title=f"The {SECRET} plan", kind="question",
                         body=f"Opening {SECRET} body", category=category, tags=f"{SECRET.lower()}",
                         subject=("practice", practice.id))
    reply = make_reply(thread, insider, f"A reply about {SECRET} details")
    public_thread = make_thread(public, owner, title="Open topic", body="Nothing secret")
    with app.test_request_context():
        request_to_join(private, outsider, "let me in")
    db.session.commit()
    first = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    return {
        "slug": [private.slug, public.slug, practice.slug],
        "category_slug": [category.slug, "general"],
        "thread_id": [thread.id, public_thread.id],
        "post_id": [first.id, reply.id],
        "category_id": [category.id],
        "user_id": [owner.id, insider.id],
        "subject_type": ["practice"],
        "subject_id": [practice.id],
        "token": ["nope"],
        "kind": ["helpful"],
    }, private, thread


def _urls(app, values):
    ints = sorted({v for vs in values.values() for v in vs if isinstance(v, int)})
    strings = sorted({v for vs in values.values() for v in vs if isinstance(v, str)})
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        choices = []
        for arg in sorted(rule.arguments):
            converter = type(rule._converters[arg]).__name__
            default = ints if converter == "IntegerConverter" else strings
            options = values.get(arg, default)
            if converter == "AnyConverter":
                options = list(rule._converters[arg].items.keys()) if hasattr(
                    rule._converters[arg], "items") else options
            choices.append([(arg, v) for v in options])
        for combo in itertools.islice(itertools.product(*choices), 40):
            try:
                with app.test_request_context():
                    from flask import url_for
                    yield url_for(rule.endpoint, **dict(combo))
            except Exception:  # noqa: BLE001  (a value the converter refuses)
                continue
    # Search pages echo the query, so they search for a prefix or other words of the secret.
    yield from ("/search?q=plan", "/search?q=details&kind=post", "/search?q=strategy",
                f"/search/suggest?q={SECRET[:5]}", f"/search/suggest/fragment?q={SECRET[:5]}")


def _walk(app, client, values):
    """Pages that show the secret, and pages that crash: a crash could hide a leak."""
    leaks, crashes, seen = [], [], 0
    for url in dict.fromkeys(_urls(app, values)):
        try:
            response = client.get(url)
        except Exception as exc:  # noqa: BLE001  (collected, so one crash does not hide the rest)
            db.session.rollback()
            crashes.append(f"{url}: {exc!r}")
            continue
        seen += 1
        if response.status_code >= 500:
            crashes.append(f"{url}: {response.status_code}")
        if SECRET.lower() in response.get_data(as_text=True).lower():
            leaks.append((url, response.status_code))
    return leaks, crashes, seen


def test_members_see_the_secret(app, client, auth, secret_world, indexed):
    values, private, thread = secret_world
    indexed()
    auth.login("insider@example.org")
    assert SECRET in client.get(f"/threads/{thread.id}").get_data(True)
    assert SECRET in client.get(f"/communities/{private.slug}/").get_data(True)
    found = client.get(f"/search?q={SECRET}").get_data(True)
    assert f'href="/threads/{thread.id}"' in found and SECRET in found
    assert "Insider" in client.get(f"/communities/{private.slug}/members").get_data(True)


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_non_members_see_nothing_on_any_page(app, client, auth, secret_world, indexed, who):
    values, private, thread = secret_world
    indexed()
    if who == "outsider":
        auth.login("outsider@example.org")
    leaks, crashes, seen = _walk(app, client, values)
    assert crashes == [], "\n".join(crashes)
    assert seen > 50  # the walk really covered the app
    assert leaks == [], "\n".join(f"{code} {url}" for url, code in leaks)
    found = client.get(f"/search?q={SECRET}").get_data(True)
    main = found.split("<main", 1)[1]  # the header's menu is a <details> element
    assert f'href="/threads/{thread.id}' not in found and "details" not in main


def test_member_list_is_private(app, client, auth, secret_world):
    values, private, thread = secret_world
    auth.login("outsider@example.org")
    assert client.get(f"/communities/{private.slug}/members").status_code == 403
    assert "Insider" not in client.get(f"/communities/{private.slug}/").get_data(True)
