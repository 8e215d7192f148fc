"""Browser tests: the real app served on 127.0.0.1 by a werkzeug thread, driven by Playwright in
Debian's Chromium (/usr/bin/chromium, never a downloaded browser).

Fixtures: `live_server` (fresh database, CSRF on, rate limits off), `browser` (one Chromium per
session), `page` (a fresh context per test, recording console errors) and `axe_audit(page, name)`
(axe-core accessibility audit; fails on serious or critical violations and on CSP violations).

Without Chromium or Playwright the tests skip locally, but FAIL when CI=true: CI must never
go green without having driven a browser.
"""

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import base_config, database_url

CHROMIUM = os.environ.get("MARKETPLACE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# Failing impacts, plus rules the house style demands whatever axe rates them (one <h1>, labels).
AXE_FAIL_IMPACTS = {"serious", "critical"}
AXE_FAIL_RULES = {"page-has-heading-one", "label", "landmark-one-main"}
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason} (install Debian's chromium; CI fails here)")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # errors are still logged
        pass


def _closing(app):
    """The app with each response read whole and closed before Werkzeug writes it. When the
    browser drops a connection (an aborted favicon fetch), Werkzeug's development server can
    fail while draining the socket and skip closing the response: a static file's handle is
    then left to the garbage collector, whose ResourceWarning fails whichever test runs then."""
    def wrapped(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return wrapped


@dataclass
class LiveServer:
    app: object
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_server(schema_template, tmp_path):
    """The real app with a fresh database (SQLite file, or TEST_DATABASE_URL), CSRF on."""
    config = base_config(
        tmp_path,
        DATABASE_URL=database_url(schema_template, tmp_path),
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=False,
        SERVER_NAME=None,
    )
    app = create_app(config)
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


# One Playwright and one Chromium per test process. A module that imports these fixtures
# (tests/search/test_browser.py) gets fixture definitions of its own; a second Playwright
# in the same thread would fail ("Sync API inside the asyncio loop"), so they share this.
_CHROMIUM: dict = {}


def _shared_browser():
    if "browser" not in _CHROMIUM:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _CHROMIUM["playwright"] = playwright
        _CHROMIUM["browser"] = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    return _CHROMIUM["browser"]


def _close_shared_browser():
    if "browser" in _CHROMIUM:
        _CHROMIUM.pop("browser").close()
        _CHROMIUM.pop("playwright").stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright Python package is not installed (pip install -e '.[dev]')")
    yield _shared_browser()
    _close_shared_browser()


@pytest.fixture
def page(browser):
    """A page in a fresh browser context (no cookies), English by default.

    `page.console_errors` collects console errors, which include CSP violations."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Full-page screenshot into test-results/ (gitignored), for people to look at."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path



def pick(page, label: str, *options: str) -> None:
    """Choose `options` (their visible text) in the searchable multiple select labelled `label`
    (static/js/app.js): type each one's start, click it in the filtered list."""
    from playwright.sync_api import expect

    box = page.get_by_role("combobox", name=label)
    listbox = page.locator(f"#{box.get_attribute('aria-controls')}")
    for option in options:
        for attempt in range(3):
            box.click()  # focus first: tom-select's focus handler would reset a query typed with it
            box.fill("")
            box.press_sequentially(option[:4])
            # wait for the list to be filtered: clicking while it re-renders may hit another row.
            # On a loaded machine the focus handler can still run after the typing and clear it:
            # then type again (the list then shows every option, the first not matching).
            try:
                expect(listbox.locator(".option").first).to_contain_text(
                    option[:4], ignore_case=True, timeout=3_000)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        listbox.locator(".option", has_text=option).first.click()
    box.press("Escape")
    wrapper = page.locator(".ts-wrapper", has=box)
    for option in options:
        expect(wrapper.locator(".item", has_text=option)).to_have_count(1)


def signed_in_page(browser, live_server, email: str, password: str):
    """A fresh desktop-sized browser context signed in as `email` (console errors recorded)."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.goto(live_server("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page

@pytest.fixture(scope="session")
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def axe_audit(_axe_source):
    """axe_audit(page, name): run axe-core on the current page; fail on serious/critical
    violations (and a few house-style rules), or if the page logged a CSP violation.

    axe is evaluated through the DevTools protocol, so the site's strict CSP stays on."""

    def audit(page, name: str) -> list[dict]:
        csp = [e for e in page.console_errors if "Content Security Policy" in e]
        assert not csp, f"{name}: CSP violations: {csp}"
        page.evaluate(_axe_source + "\n;undefined")
        result = page.evaluate(
            "async (tags) => JSON.stringify(await axe.run(document, "
            "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}))",
            AXE_TAGS,
        )
        violations = json.loads(result)["violations"]
        failing = [v for v in violations
                   if v["impact"] in AXE_FAIL_IMPACTS or v["id"] in AXE_FAIL_RULES]
        report = "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:5])
            for v in failing
        )
        assert not failing, f"{name} ({page.url}): accessibility violations:\n{report}"
        return violations

    return audit
