"""Phone first: every main page at 375 px wide, with the demo data, in English (anonymous) and
French (signed in). A page fails if it is wider than the screen (the page scrolls sideways,
not just a table inside its box), if two pieces of text overlap, if the header search is out of
reach, if a chart's labels or values run off the screen, or if a stacked table (the case
study's metrics: every column under its name) still scrolls sideways. The header menu works without
JavaScript. Screenshots go to test-results/phone-*.png for people to look at.
"""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import DEMO_PASSWORD, MEMBER, _seed_demo

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}

# Each text node's boxes (one per line), then every pair of boxes from different text nodes
# that overlap by more than 2 px both ways. Hidden and clipped (visually-hidden) text is left
# out. Text must not stick out of the box it flows in, and text in two different blocks
# (grid cells, columns) must not even touch: 2 px apart.
OVERLAPS_JS = """() => {
  const boxes = [], out = [];
  const clipped = (el) => {  // the visually-hidden pattern: clip: rect(0 0 0 0) on an ancestor
    for (let a = el; a; a = a.parentElement) { const c = getComputedStyle(a).clip; if (c && c !== 'auto') return true; }
    return false;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n = 0;
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || el.closest('.visually-hidden, .skip-link, script, style, template, noscript') || clipped(el)) continue;
    // not rendered: display none, visibility hidden, or inside a closed <details>
    if (!el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true, opacityProperty: true})) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    n += 1;
    let block = el;  // the box the text flows in: texts of two blocks must not touch
    while (block.parentElement && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    const edge = block.getBoundingClientRect().right;
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      if (r.right > edge + 1 && out.length < 5)
        out.push(`${el.tagName.toLowerCase()} "${node.textContent.trim().slice(0, 40)}" sticks out of its box`);
      boxes.push({n, r, block, text: node.textContent.trim().slice(0, 40), tag: el.tagName.toLowerCase()});
    }
  }
  for (let i = 0; i < boxes.length && out.length < 5; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.n === b.n) continue;
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      const apart = a.block === b.block || a.block.contains(b.block) || b.block.contains(a.block) ? 2 : -2;
      if (w > apart && h > 2) { out.push(`${a.tag} "${a.text}" / ${b.tag} "${b.text}"`); break; }
    }
  }
  return out;
}"""

# The page is wider than the screen: name the widest elements that stick out (outside boxes
# that scroll sideways on their own).
OVERFLOW_JS = """() => {
  const over = document.documentElement.scrollWidth - window.innerWidth;
  if (over <= 0) return null;
  const culprits = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
    .filter(el => !el.parentElement.closest('.table-scroll, .chart-scroll, pre'))
    .slice(0, 3).map(el => el.tagName.toLowerCase() + '.' + (el.getAttribute('class') || ''));
  return {over, culprits};
}"""

# Chart labels and values (SVG text) that are cut off by the screen's right edge.
CHART_TEXT_OFF_SCREEN_JS = """() => [...document.querySelectorAll('svg text')]
  .filter(t => t.getBoundingClientRect().right > window.innerWidth + 1 || t.getBoundingClientRect().left < -1)
  .map(t => t.textContent.trim()).slice(0, 5)"""

# Stacked tables (one card per row on a phone) that still need sideways scrolling.
STACKED_TABLES_SCROLLING_JS = """() => [...document.querySelectorAll('.table-stack')]
  .filter(t => (t.closest('.table-scroll') || t).scrollWidth > (t.closest('.table-scroll') || t).clientWidth + 1)
  .map(t => t.className)"""

SEARCH_REACHABLE_JS = """() => {
  const box = document.querySelector('.site-header input[type=search], main input[type=search]');
  if (!box) return false;
  const r = box.getBoundingClientRect();
  return r.width >= 120 && r.left >= 0 && r.right <= window.innerWidth;
}"""


def _pages(d) -> dict[str, str]:
    return {
        "home": "/",
        "practices": "/practices/",
        "practice": f"/practices/{d.practice}",
        "cases": "/cases/",
        "case": f"/cases/{d.case}",
        "benchmark": f"/benchmarks/{d.benchmark}",
        "communities": "/communities/",
        "community": f"/communities/{d.community}/",
        "thread": f"/threads/{d.thread}",
        "projects": "/projects/",
        "project": f"/projects/{d.project}",
        "transparency": f"/projects/{d.project}/transparency",
        "search": "/search?q=budget",
        "experts": "/mentoring/experts",
        "profile": f"/people/{d.member_id}",
        "sign-in": "/login",
    }


def _problems(page, where: str) -> list[str]:
    problems = []
    overflow = page.evaluate(OVERFLOW_JS)
    if overflow:
        problems.append(f"{where}: {overflow['over']} px wider than the screen: "
                        f"{overflow['culprits']}")
    overlaps = page.evaluate(OVERLAPS_JS)
    if overlaps:
        problems.append(f"{where}: overlapping text: {overlaps}")
    off_screen = page.evaluate(CHART_TEXT_OFF_SCREEN_JS)
    if off_screen:
        problems.append(f"{where}: chart text off the screen: {off_screen}")
    if page.evaluate(STACKED_TABLES_SCROLLING_JS):
        problems.append(f"{where}: a stacked table scrolls sideways")
    if not page.evaluate(SEARCH_REACHABLE_JS):
        problems.append(f"{where}: no search box on the screen")
    return problems


def _visit_all(page, live_server, demo, lang: str) -> list[str]:
    problems = []
    for name, path in _pages(demo).items():
        response = page.goto(live_server(path))
        where = f"[{lang} 375px] {name} ({path})"
        if response.status != 200:
            problems.append(f"{where}: HTTP {response.status}")
            continue
        screenshot(page, f"phone-{lang}-{name}")
        problems += _problems(page, where)
    return problems


def test_main_pages_fit_a_phone_in_english(live_server, browser, monkeypatch):
    demo = _seed_demo(live_server.app, monkeypatch)
    context = browser.new_context(locale="en-GB", viewport=PHONE)
    page = context.new_page()
    try:
        problems = _visit_all(page, live_server, demo, "en")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_main_pages_fit_a_phone_in_french_signed_in(live_server, browser, monkeypatch):
    demo = _seed_demo(live_server.app, monkeypatch)
    context = browser.new_context(locale="fr-FR", viewport=PHONE,
                                  extra_http_headers={"Accept-Language": "fr"})
    page = context.new_page()
    try:
        page.goto(live_server("/login"))
        page.fill("main input[name=email]", MEMBER)
        page.fill("main input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator("main button[type=submit]").click()
        assert page.locator("html").get_attribute("lang") == "fr"
        problems = _visit_all(page, live_server, demo, "fr")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_phone_menu_works_without_javascript(live_server, browser):
    context = browser.new_context(locale="en-GB", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server("/"))
        practices = page.locator(".site-header").get_by_role("link", name="Practices")
        assert not practices.is_visible()  # folded: the header stays small
        header = page.locator(".site-header").bounding_box()
        assert header["height"] < 140
        assert page.locator(".site-header input[type=search]").is_visible()
        page.locator(".site-header summary").click()
        assert practices.is_visible()
        screenshot(page, "phone-en-menu-open")
        with page.expect_navigation():
            practices.click()
        assert page.url.endswith("/practices/")
        page.set_viewport_size({"width": 1280, "height": 900})  # wide: no button, links shown
        page.goto(live_server("/"))
        assert not page.locator(".site-header summary").is_visible()
        assert page.locator(".site-header").get_by_role("link", name="Practices").is_visible()
    finally:
        context.close()
