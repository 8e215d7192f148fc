"""In real Chromium: a typo gets the correction's results and "did you mean" for the words as
typed, results are narrowed by country and theme, a result with the term highlighted is opened;
words no result has all of show results with most of them, the missing words struck through."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (  # noqa: F401  (fixtures)
    _axe_source,
    axe_audit,
    browser,
    live_server,
    page,
    screenshot,
)

pytestmark = pytest.mark.browser

PRACTICES = [
    ("Participatory budgeting in Porto Alegre", "BR", "participation"),
    ("Participatory budgeting for Nairobi wards", "KE", "participation"),
    ("Budget transparency portal for Kenyan counties", "KE", "public-finance"),
    ("Participatory planning of school repairs", "KE", "education"),
]


def _seed(app):
    from marketplace import search
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db
    from marketplace.knowledge import services

    with app.test_request_context():
        owner = register_user("author@example.org", "Ana Author", "tarnished-Violin-orbit-91", confirmed=True)
        for title, country, theme in PRACTICES:
            services.create_practice(owner, {"title": title, "summary": f"How {title.lower()} works.",
                                             "countries": [country], "themes": [theme]},
                                     status=services.Status.PUBLISHED)
        db.session.commit()
        assert search.wait_until_indexed()


def test_typo_did_you_mean_filters_and_open_result(live_server, page, axe_audit):  # noqa: F811
    _seed(live_server.app)
    page.goto(live_server("/"))
    header = page.get_by_role("search")
    header.get_by_label("Search").fill("participatroy")
    header.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    # Nothing as typed: the correction's results, and a way back to the words as typed.
    expect(page.locator(".did-you-mean")).to_contain_text("Showing results for participatory")
    expect(page.locator(".search-result")).to_have_count(3)
    page.get_by_role("link", name="search instead for participatroy").click()
    expect(page.locator(".search-result")).to_have_count(0)
    page.get_by_role("link", name="participatory").click()
    expect(page).to_have_url(re.compile(r"q=participatory"))
    expect(page.locator(".search-result")).to_have_count(3)
    axe_audit(page, "search results")

    page.locator(".search-facets").get_by_role("link", name="Kenya").click()
    expect(page.locator(".search-result")).to_have_count(2)
    page.locator(".search-facets").get_by_role("link", name="Participation").click()
    expect(page).to_have_url(re.compile(r"country=ke.*theme=participation|theme=participation.*country=ke"))
    results = page.locator(".search-result")
    expect(results).to_have_count(1)
    expect(results.first.locator("mark").first).to_have_text("Participatory")
    screenshot(page, "en-search-filtered")
    results.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Participatory budgeting for Nairobi wards")


def test_suggestions_as_you_type(live_server, page):  # noqa: F811
    _seed(live_server.app)
    page.goto(live_server("/search"))
    page.get_by_label("Search").first.press_sequentially("budg", delay=50)
    expect(page.locator("#search-page-q-suggestions li")).to_have_count(3)
    expect(page.locator("#search-page-q-suggestions")).to_contain_text("Participatory budgeting in Porto Alegre")


def test_results_with_most_of_the_words(live_server, page, axe_audit):  # noqa: F811
    _seed(live_server.app)
    page.goto(live_server("/search?q=budgeting+transparency+nairobi"))
    expect(page.locator(".partial-match")).to_have_text(
        "No result has every word; showing results with most of them.")
    first = page.locator(".search-result").first
    expect(first.locator(".missing-words")).to_contain_text("Missing:")
    expect(page.locator(".search-result .missing-words s").first).to_be_visible()
    axe_audit(page, "partial matches")
    screenshot(page, "en-search-partial")
