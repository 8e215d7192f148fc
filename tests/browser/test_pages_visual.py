"""The main pages as people see them, on a desktop (1280 px) and a phone (390 px), in English and
French, with the demo data. Full-page screenshots go to test-results/visual-*.png for people to
look at; the test asserts what a user would trip over: a page wider than the phone, a header
that eats the phone's screen, a table that cannot scroll sideways, times shown with seconds.
"""

import re

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import DEMO_PASSWORD, MEMBER, _seed_demo

pytestmark = pytest.mark.browser

SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
PHONE_HEADER_MAX = 300  # px of a 390 x 844 phone screen the site header may take

PAGE_STATE_JS = """() => ({
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  header: Math.round(document.querySelector('.site-header').getBoundingClientRect().height),
  bareTables: [...document.querySelectorAll('main table')]
    .filter(t => !t.closest('.table-scroll')).map(t => t.className || 'table'),
  text: document.querySelector('main').innerText,
})"""


def _pages(d) -> dict[str, str]:
    return {
        "home": "/",
        "practices": "/practices/",
        "practice": f"/practices/{d.practice}",
        "practice-history": f"/practices/{d.practice}/history",
        "case": f"/cases/{d.case}",
        "case-history": f"/cases/{d.case}/history",
        "benchmarks": "/benchmarks/",
        "benchmark": f"/benchmarks/{d.benchmark}",
        "community": f"/communities/{d.community}/",
        "thread": f"/threads/{d.thread}",
        "experts": "/mentoring/experts",
        "mentorship": f"/mentoring/{d.mentorship}",
        "project": f"/projects/{d.project}",
        "project-objectives": f"/projects/{d.project}/objectives",
        "transparency": f"/projects/{d.project}/transparency",
        "giving": "/sponsorship/dashboard",
        "search": "/search?q=budget",
        "organization": f"/organizations/{d.organization}",
        "profile": f"/people/{d.member_id}",
        "settings": "/settings/profile",
        "tokens": "/settings/tokens/",
        "notifications": "/notifications/",
    }


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pages_on_desktop_and_phone(live_server, browser, monkeypatch, lang):
    demo = _seed_demo(live_server.app, monkeypatch)
    context = browser.new_context(locale="fr-FR" if lang == "fr" else "en-GB",
                                  extra_http_headers={"Accept-Language": lang})
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []
    try:
        page.goto(live_server("/login"))
        page.fill("main input[name=email]", MEMBER)
        page.fill("main input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator("main button[type=submit]").click()
        page.locator(".user-nav form button[type=submit]").wait_for()  # signed in
        assert page.locator(".user-nav form button[type=submit]").count() == 1
        assert page.locator("html").get_attribute("lang") == lang
        for width, height in ((1280, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            for name, path in _pages(demo).items():
                response = page.goto(live_server(path))
                where = f"[{lang} {width}px] {name} ({path})"
                if response.status != 200:
                    problems.append(f"{where}: HTTP {response.status}")
                    continue
                screenshot(page, f"visual-{lang}-{width}-{name}")
                state = page.evaluate(PAGE_STATE_JS)
                if state["overflow"] > 1:
                    problems.append(f"{where}: {state['overflow']} px wider than the screen")
                if width < 600 and state["header"] > PHONE_HEADER_MAX:
                    problems.append(f"{where}: the header takes {state['header']} px")
                if state["bareTables"]:
                    problems.append(f"{where}: tables outside a .table-scroll box: "
                                    f"{state['bareTables']}")
                if SECONDS.search(state["text"]):
                    problems.append(f"{where}: a time with seconds: "
                                    f"{SECONDS.search(state['text']).group(0)}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
