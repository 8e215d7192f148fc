"""Every main page, seeded with the demo data, audited in real Chromium: as an anonymous visitor,
as a signed-in member, as a donor and as an administrator, in English, French and Spanish, wide
(1280 px) and on a 375 px phone. On each page: axe-core finds no serious or critical violation,
there is exactly one <h1>, every visible form field has a label, and the page does not overflow
a phone's width. Forms with long multiple selects are audited as enhanced (Tom Select, which
app.js loads after the page: the audit waits for it).

The API's Swagger UI page (/api/v1/docs) is audited as it first renders (operations folded):
its markup is the vendored Swagger UI's, with colour overrides in app.css.
"""

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "qa-demo-Password-2026"
MEMBER = "amina.wanjiru@example.org"
DONOR = "lars.nielsen@example.org"
ADMIN = "admin@example.org"

# Fields a user can fill in that have no <label for>, aria-label or aria-labelledby.
UNLABELLED_FIELDS_JS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => el.offsetParent !== null || el.getClientRects().length)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""

# Elements sticking out to the right of the viewport (a table or form wider than a phone).
OVERFLOW_JS = """() => document.documentElement.scrollWidth > window.innerWidth + 1
  ? [...document.querySelectorAll('main *')]
      .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                    && !el.closest('.table-scroll, pre'))
      .slice(0, 3).map(el => el.tagName.toLowerCase() + '.' + el.className)
  : []"""


@dataclass
class Demo:
    practice: str
    adaptation: str
    case: str
    benchmark: str
    community: str
    thread: int
    mentorship: int
    project: str
    organization: str
    member_id: int


def _seed_demo(app, monkeypatch) -> Demo:
    """The whole demo data set (marketplace.demo.run_all) and a fresh search index."""
    monkeypatch.setenv("MARKETPLACE_DEMO_PASSWORD", DEMO_PASSWORD)
    from marketplace.accounts.models import Organization, User
    from marketplace.cases.models import CaseStudy, MetricDefinition
    from marketplace.communities.models import Community
    from marketplace.demo import run_all
    from marketplace.extensions import db
    from marketplace.forums.models import Thread
    from marketplace.knowledge.models import Practice
    from marketplace.mentoring.models import Mentorship
    from marketplace.projects.models import Project, ProjectState
    from marketplace.search import indexer

    with app.app_context():
        run_all()
        indexer.reindex()
        member = db.session.scalar(select(User).where(User.email == MEMBER))
        first = lambda stmt: db.session.scalars(stmt.limit(1)).one()  # noqa: E731
        return Demo(
            practice=first(select(Practice.slug).order_by(Practice.id)),
            adaptation=first(select(Practice.slug).where(Practice.parent_id.is_not(None))
                             .order_by(Practice.id)),
            case=first(select(CaseStudy.slug).order_by(CaseStudy.id)),
            benchmark=first(select(MetricDefinition.slug).order_by(MetricDefinition.id)),
            community=first(select(Community.slug).order_by(Community.id)),
            thread=first(select(Thread.id).order_by(Thread.id)),
            mentorship=first(select(Mentorship.id).where(Mentorship.mentee_id == member.id)),
            project=first(select(Project.slug).where(Project.state == ProjectState.OPEN)
                          .order_by(Project.id)),
            organization=first(select(Organization.slug).order_by(Organization.id)),
            member_id=member.id,
        )


def _public_pages(d: Demo) -> dict[str, str]:
    return {
        "home": "/",
        "practices": "/practices/",
        "practices filtered": "/practices/?country=KE",
        "practice": f"/practices/{d.practice}",
        "practice history": f"/practices/{d.practice}/history",
        "adaptation": f"/practices/{d.adaptation}",
        "adaptation: what changed in the original": f"/practices/{d.adaptation}/original-changes",
        "case studies": "/cases/",
        "case study": f"/cases/{d.case}",
        "case study history": f"/cases/{d.case}/history",
        "benchmarks": "/benchmarks/",
        "benchmark": f"/benchmarks/{d.benchmark}",
        "communities": "/communities/",
        "community": f"/communities/{d.community}/",
        "community members": f"/communities/{d.community}/members",
        "thread": f"/threads/{d.thread}",
        "experts": "/mentoring/experts",
        "projects": "/projects/",
        "project": f"/projects/{d.project}",
        "project objectives": f"/projects/{d.project}/objectives",
        "transparency": f"/projects/{d.project}/transparency",
        "search results": "/search?q=budget",
        "search, no results": "/search?q=zzzxqy",
        "organizations": "/organizations/",
        "organization": f"/organizations/{d.organization}",
        "profile": f"/people/{d.member_id}",
        "open data": "/open-data/",
        "API documentation": "/api/v1/docs",
        "not found": "/this-page-does-not-exist",
    }


def _member_pages(d: Demo) -> dict[str, str]:
    return {
        "new practice": "/practices/new",
        "new case study": "/cases/new",
        "new community": "/communities/new",
        "new project": "/projects/new",
        "my projects": "/projects/mine",
        "new organization": "/organizations/new",
        "mentoring": "/mentoring/",
        "find a mentor": "/mentoring/find",
        "offer mentoring": "/mentoring/offer",
        "mentorship": f"/mentoring/{d.mentorship}",
        "giving dashboard": "/sponsorship/dashboard",
        "notifications": "/notifications/",
        "notification preferences": "/notifications/preferences",
        "settings: profile": "/settings/profile",
        "settings: email": "/settings/email",
        "settings: password": "/settings/password",
        "settings: delete account": "/settings/delete",
        "API tokens": "/settings/tokens/",
        "confirm: leave a community": f"/communities/{d.community}/leave",
    }


def _check(page, axe_audit, name: str, path: str, live_server) -> list[str]:
    """Visit one page and return what is wrong with it (empty when all is well)."""
    problems = []
    response = page.goto(live_server(path))
    expected = 404 if name == "not found" else 200
    if response.status != expected:
        return [f"{name} ({path}): HTTP {response.status}, expected {expected}"]
    if path.startswith("/api/v1/docs"):  # Swagger UI renders after load
        page.locator("#swagger .opblock").first.wait_for()
    searchable = page.locator("select[data-searchable]")
    if searchable.count():  # app.js enhances them once Tom Select has loaded
        page.locator(".ts-wrapper").nth(searchable.count() - 1).wait_for()
    h1 = page.locator("h1:visible").count()
    if h1 != 1:
        problems.append(f"{name} ({path}): {h1} <h1> elements")
    unlabelled = page.evaluate(UNLABELLED_FIELDS_JS)
    if unlabelled:
        problems.append(f"{name} ({path}): fields without a label: {unlabelled}")
    overflow = page.evaluate(OVERFLOW_JS)
    if overflow:
        problems.append(f"{name} ({path}): wider than the screen: {overflow}")
    try:
        axe_audit(page, name)
    except AssertionError as err:
        problems.append(str(err))
    return problems


def _sign_in(page, live_server, email):
    page.set_viewport_size({"width": 1280, "height": 900})  # the user menu folds away on phones
    page.goto(live_server("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.locator(".user-nav form button[type=submit]")).to_be_visible()


def _audit_all(page, axe_audit, live_server, pages: dict[str, str]) -> list[str]:
    problems = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            problems += [f"[{width}px] {p}" for p in _check(page, axe_audit, name, path,
                                                            live_server)]
    return problems


def test_every_page_anonymous(live_server, page, axe_audit, monkeypatch):
    demo = _seed_demo(live_server.app, monkeypatch)
    pages = _public_pages(demo) | {"sign in": "/login", "register": "/register",
                                   "forgot password": "/forgot-password"}
    problems = _audit_all(page, axe_audit, live_server, pages)
    assert not problems, "\n".join(problems)


def test_every_page_as_member(live_server, page, axe_audit, monkeypatch):
    demo = _seed_demo(live_server.app, monkeypatch)
    _sign_in(page, live_server, MEMBER)
    problems = _audit_all(page, axe_audit, live_server, _public_pages(demo) | _member_pages(demo))
    assert not problems, "\n".join(problems)


def test_donor_and_admin_pages(live_server, browser, page, axe_audit, monkeypatch):
    demo = _seed_demo(live_server.app, monkeypatch)
    _sign_in(page, live_server, DONOR)
    problems = _audit_all(page, axe_audit, live_server, {
        "giving dashboard (donor)": "/sponsorship/dashboard",
        "donor profile": "/sponsorship/donor",
        "project (donor)": f"/projects/{demo.project}",
        "pledge form": f"/sponsorship/projects/{demo.project}/pledge",
    })
    page.context.clear_cookies()
    _sign_in(page, live_server, ADMIN)
    problems += _audit_all(page, axe_audit, live_server, {
        "admin: users": "/admin/users",
        "admin: audit log": "/admin/audit",
        "moderation queue": "/moderation/",
        "project review queue": "/projects/review",
    })
    assert not problems, "\n".join(problems)


def _in_language(browser, lang: str):
    context = browser.new_context(locale=f"{lang}-{lang.upper()}",
                                  extra_http_headers={"Accept-Language": lang})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    return page


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_every_public_page_in_french_and_spanish(live_server, browser, axe_audit, monkeypatch,
                                                 lang):
    demo = _seed_demo(live_server.app, monkeypatch)
    page = _in_language(browser, lang)
    try:
        page.goto(live_server("/"))
        assert page.locator("html").get_attribute("lang") == lang
        problems = _audit_all(page, axe_audit, live_server, _public_pages(demo) | {
            "sign in": "/login", "register": "/register"})
    finally:
        page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_member_moderator_and_admin_pages_in_french_and_spanish(live_server, browser, axe_audit,
                                                                monkeypatch, lang):
    """The signed-in pages, the member's interface switched with the footer switcher; then the
    moderation and admin pages as the administrator, in the same language."""
    demo = _seed_demo(live_server.app, monkeypatch)
    page = _in_language(browser, lang)
    try:
        _sign_in_as(page, live_server, MEMBER)
        page.locator("footer .language-switcher select").select_option(lang)
        page.wait_for_function(f"document.documentElement.lang === '{lang}'")
        problems = _audit_all(page, axe_audit, live_server, _member_pages(demo))
        page.context.clear_cookies()
        _sign_in_as(page, live_server, ADMIN)
        page.goto(live_server("/"))
        assert page.locator("html").get_attribute("lang") == lang
        problems += _audit_all(page, axe_audit, live_server, {
            "admin: users": "/admin/users",
            "admin: audit log": "/admin/audit",
            "moderation queue": "/moderation/",
            "project review queue": "/projects/review",
            "add a metric": "/benchmarks/new",
        })
    finally:
        page.context.close()
    assert not problems, "\n".join(problems)


def _sign_in_as(page, live_server, email):
    """Sign in whatever the interface language (form fields by name, not by label)."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server("/login"))
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form[action='/login'] button[type=submit]").click()
    expect(page.locator(".user-nav form[action='/logout']")).to_have_count(1)
