"""Atom feeds parse cleanly with feedparser and never show non-public content."""

import feedparser
import pytest

from marketplace.extensions import db


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def test_practice_feeds_all_theme_country(client, make_practice):
    make_practice(title="Open budget hearings", countries=["KE"], themes=["public-finance"])
    make_practice(title="School report cards", countries=["SN"], themes=["education"])
    make_practice(title="Secret draft", countries=["KE"], themes=["public-finance"], status="draft")
    titles = [e.title for e in parse(client, "/feeds/practices.atom").entries]
    assert set(titles) == {"Open budget hearings", "School report cards"}
    assert [e.title for e in parse(client, "/feeds/practices/theme/public-finance.atom").entries] == [
        "Open budget hearings"]
    assert [e.title for e in parse(client, "/feeds/practices/country/sn.atom").entries] == ["School report cards"]
    assert client.get("/feeds/practices/theme/nope.atom").status_code == 404
    assert client.get("/feeds/practices/country/XX.atom").status_code == 404


@pytest.mark.parametrize("lang, title", [("en", "New and updated practices"),
                                         ("fr", "Bonnes pratiques nouvelles et mises à jour"),
                                         ("es", "Prácticas nuevas y actualizadas")])
def test_feed_language_is_the_one_its_titles_are_in(client, lang, title):
    client.set_cookie("lang", lang)
    feed = parse(client, "/feeds/practices.atom")
    assert (feed.feed.language, feed.feed.title.split(" · ")[0]) == (lang, title)


def test_community_feed_public_only(client, make_community, make_thread, make_user, aged):
    author = aged(make_user())
    public = make_community(members=[author])
    private = make_community(private=True, members=[author])
    make_thread(public, author, title="Budget calendars", body="Which **calendar**?")
    make_thread(private, author, title="Closed-door talk")
    feed = parse(client, f"/feeds/communities/{public.slug}/threads.atom")
    assert [e.title for e in feed.entries] == ["Budget calendars"]
    assert "<strong>calendar</strong>" in feed.entries[0].summary
    assert client.get(f"/feeds/communities/{private.slug}/threads.atom").status_code == 404


@pytest.mark.parametrize("state,visible", [("open", True), ("draft", False), ("pending_review", False)])
def test_project_reports_feed(client, app, make_project, state, visible):
    from marketplace.projects import services

    project = make_project(state=state)
    if visible:
        with app.test_request_context():
            services.post_progress_report(project.owner, project, "Forty *new* assemblies held", {})
            db.session.commit()
    url = f"/feeds/projects/{project.slug}/reports.atom"
    if not visible:
        assert client.get(url).status_code == 404
        return
    feed = parse(client, url)
    assert len(feed.entries) == 1 and "<em>new</em>" in feed.entries[0].summary
