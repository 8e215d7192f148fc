"""The world map in Chromium, with the demo data: on the home page and the practices, case
studies and projects lists, in English, French and Spanish, wide and at 375 px; axe-core finds
no serious or critical violation; a country leads to its filtered list, with JavaScript off
too, and the list holds as many items as the country's name on the map said."""

import re

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import _seed_demo
from tests.browser.test_phone_layout import OVERFLOW_JS, PHONE

pytestmark = pytest.mark.browser

PAGES = {"home": "/", "practices": "/practices/", "cases": "/cases/", "projects": "/projects/"}
LOCALES = {"en": "en-GB", "fr": "fr-FR", "es": "es-ES"}
COUNTRY_LINKS = ".worldmap figure > svg a"


def _context(browser, lang: str, **options):
    context = browser.new_context(locale=LOCALES[lang],
                                  extra_http_headers={"Accept-Language": lang}, **options)
    context.set_default_timeout(10_000)
    return context


def _watch(page):
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    return page


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_map_on_four_pages_wide_and_on_a_phone(live_server, browser, axe_audit, monkeypatch,
                                                   lang):
    _seed_demo(live_server.app, monkeypatch)
    context = _context(browser, lang, viewport={"width": 1280, "height": 900})
    page = _watch(context.new_page())
    problems = []
    try:
        for width in (1280, PHONE["width"]):
            page.set_viewport_size({"width": width, "height": PHONE["height"]})
            for name, path in PAGES.items():
                page.goto(live_server(path))
                assert page.locator("html").get_attribute("lang") == lang
                svg = page.locator(".worldmap figure > svg")
                assert svg.is_visible(), f"{name}: no map"
                box = svg.bounding_box()
                if box["x"] < 0 or box["x"] + box["width"] > width + 1:
                    problems.append(f"[{lang} {width}px] {name}: the map is off the screen")
                overflow = page.evaluate(OVERFLOW_JS)
                if overflow:
                    problems.append(f"[{lang} {width}px] {name}: {overflow}")
                names = page.locator(COUNTRY_LINKS).evaluate_all(
                    "links => links.map(a => a.getAttribute('aria-label'))")
                assert names and all(re.match(r".+ ?: \d+ \w", n) for n in names), names
                try:
                    axe_audit(page, f"{lang} {width}px {name}")
                except AssertionError as err:
                    problems.append(str(err))
                page.locator(".worldmap-table summary").click()  # the table opens, still fits
                if page.evaluate(OVERFLOW_JS):
                    problems.append(f"[{lang} {width}px] {name}: the open table overflows")
                screenshot(page, f"worldmap-{lang}-{width}-{name}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_a_country_leads_to_its_list_with_and_without_javascript(live_server, browser,
                                                                 monkeypatch):
    _seed_demo(live_server.app, monkeypatch)
    for javascript in (True, False):
        context = _context(browser, "en", java_script_enabled=javascript,
                           viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            page.goto(live_server("/practices/"))
            kenya = page.get_by_role("link", name=re.compile(r"^Kenya: \d+ practices?$"))
            expected = int(re.search(r"\d+", kenya.get_attribute("aria-label")).group())
            with page.expect_navigation():
                kenya.click()
            assert page.url.endswith("/practices/?country=KE")
            assert page.locator(".practice-card").count() == expected
            assert page.locator(".worldmap .selected-outline").count() == 1
            page.goto(live_server("/projects/"))  # keyboard: the table's link, with Enter
            page.locator(".worldmap-table summary").click()
            link = page.locator(".worldmap-table tbody a").first
            country = link.inner_text()
            link.focus()
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert re.search(r"/projects/\?country=[A-Z]{2}$", page.url)
            assert page.locator("#f-country option:checked").inner_text() == country
        finally:
            context.close()
