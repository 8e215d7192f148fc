"""Issue 16, acceptance 2 in Chromium: hostile files that are accepted (neutralised) are served so
that nothing in them runs: not opened as a page, not run as a script, not framed."""

import pytest
from playwright.sync_api import Error, expect

from tests.browser.conftest import signed_in_page
from tests.conftest import PASSWORD
from tests.files import samples

pytestmark = pytest.mark.browser

AUTHOR = "hostile-author@example.org"
TEXT_WITH_MARKUP = b"Field notes\n<img src=x onerror=\"document.title='PWNED'\">\n"


def _seed(app):
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db
    from marketplace.files import services as files
    from marketplace.knowledge import services as knowledge
    from marketplace.knowledge.models import Status

    with app.app_context():
        owner = register_user(AUTHOR, "Hostile Author", PASSWORD, confirmed=True)
        practice = knowledge.create_practice(owner, {"title": "Evidence under attack", "problem": "p",
                                                     "countries": ["KE"], "themes": ["governance"]},
                                             status=Status.PUBLISHED)
        pdf = samples.pdf(["Report"]).replace(
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>")
        made = [files.attach(owner, "practice", practice, "notes.md", TEXT_WITH_MARKUP),
                files.attach(owner, "practice", practice, "report.pdf", pdf)]
        db.session.commit()
        return practice.slug, [(a.id, a.name) for a in made]


def test_served_hostile_files_never_run(browser, live_server):
    slug, seeded = _seed(live_server.app)
    page = signed_in_page(browser, live_server, AUTHOR, PASSWORD)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # The GIF/JS polyglot goes through the real upload form and comes back as a plain PNG.
    page.goto(live_server(f"/practices/{slug}"))
    page.set_input_files("input[type=file]", files=[{
        "name": "photo.gif", "mimeType": "image/gif", "buffer": samples.gif_js_polyglot()}])
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("photo.gif.png is attached.")
    image_url = page.get_by_role("link", name="photo.gif.png", exact=True).get_attribute("href")
    urls = [image_url] + [f"/files/{i}/{name}" for i, name in seeded]

    # Opened directly: the image shows as an image, the others are downloads, never pages.
    page.goto(live_server(image_url))
    assert page.title() != "PWNED"
    for url in urls[1:]:
        with page.expect_download() as download:
            try:
                page.goto(live_server(url))
            except Error as err:  # Chromium reports the navigation as aborted: a download
                assert "Download is starting" in str(err) or "net::ERR_ABORTED" in str(err)
        assert download.value.suggested_filename == url.rsplit("/", 1)[1]

    # Loaded as scripts or frames by a page of the site itself: refused (nosniff, frame-ancestors).
    page.goto(live_server("/"))
    outcome = page.evaluate("""async (urls) => {
        const results = [];
        for (const url of urls) {
            results.push(await new Promise((resolve) => {
                const s = document.createElement('script');
                s.src = url;
                s.onload = () => resolve('ran');
                s.onerror = () => resolve('blocked');
                document.body.appendChild(s);
            }));
        }
        for (const url of urls) {
            const frame = document.createElement('iframe');
            frame.src = url;
            document.body.appendChild(frame);
        }
        await new Promise((r) => setTimeout(r, 500));
        return {results, title: document.title, pwned: window.PWNED === true};
    }""", urls)
    assert outcome["results"] == ["blocked"] * len(urls), outcome
    assert outcome["title"] != "PWNED" and not outcome["pwned"]
    assert not dialogs
    page.context.close()
