"""Issue 16, acceptance 1 in Chromium: an author attaches a PDF evaluation report to a practice and
an image to a post; a reader finds the practice by a sentence that is only inside the PDF, and
the hit names the file; the image shows in the post; a draft's file is a 404 for others.
Extraction and indexing run as in production: background threads after each commit."""

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in_page
from tests.conftest import PASSWORD
from tests.files import samples

pytestmark = pytest.mark.browser

AUTHOR, READER = "author16@example.org", "reader16@example.org"
SENTENCE = "Solar pumps cut the walk to water from forty minutes to six"


def _seed(app):
    from marketplace.accounts.services import register_user
    from marketplace.communities.services import add_member, create_community
    from marketplace.extensions import db
    from marketplace.forums.models import Post
    from marketplace.forums.services import categories_of, start_thread
    from marketplace.knowledge import services as knowledge
    from marketplace.knowledge.models import Status

    with app.app_context():
        author = register_user(AUTHOR, "Amara Author", PASSWORD, confirmed=True)
        reader = register_user(READER, "Rui Reader", PASSWORD, confirmed=True)
        data = {"problem": "Long walks for water.", "countries": ["KE"], "themes": ["governance"]}
        practice = knowledge.create_practice(author, {"title": "Village water points", **data},
                                             status=Status.PUBLISHED)
        draft = knowledge.create_practice(author, {"title": "Unfinished water note", **data})
        community = create_community(author, name="Water people", description="Wells and pumps",
                                     themes=[], countries=[], is_private=False)
        add_member(community, reader)
        db.session.flush()
        author.created_at -= timedelta(days=30)  # an established member: no approval queue
        thread = start_thread(author, categories_of(community)[0], title="Field visit",
                              body="Photos from the visit", kind="discussion")
        db.session.commit()
        post = db.session.query(Post).filter_by(thread_id=thread.id, number=1).one()
        return practice.slug, practice.id, draft.slug, draft.id, thread.id, post.id


def test_evidence_files_journey(browser, live_server, axe_audit):
    app = live_server.app
    app.config.update(FILES_EXTRACT="thread", SEARCH_DRAIN="thread")
    slug, practice_id, draft_slug, draft_id, thread_id, post_id = _seed(app)

    author = signed_in_page(browser, live_server, AUTHOR, PASSWORD)
    author.goto(live_server(f"/practices/{slug}"))
    author.set_input_files(f"#file-practice-{practice_id}", files=[{
        "name": "evaluation-report.pdf", "mimeType": "application/pdf",
        "buffer": samples.pdf(["Evaluation of the water points", SENTENCE, "Annex"])}])
    author.get_by_role("button", name="Upload").click()
    expect(author.get_by_role("status")).to_contain_text("evaluation-report.pdf is attached.")
    expect(author.get_by_role("link", name="evaluation-report.pdf", exact=True)).to_be_visible()
    axe_audit(author, "practice with an attached file")

    author.goto(live_server(f"/practices/{draft_slug}"))
    author.set_input_files(f"#file-practice-{draft_id}", files=[{
        "name": "draft-findings.pdf", "mimeType": "application/pdf", "buffer": samples.pdf([SENTENCE])}])
    author.get_by_role("button", name="Upload").click()
    expect(author.get_by_role("status")).to_contain_text("draft-findings.pdf is attached.")
    draft_file = author.get_by_role("link", name="draft-findings.pdf", exact=True).get_attribute("href")

    # An image in the post: uploaded from the editor, its Markdown inserted by the script.
    author.goto(live_server(f"/posts/{post_id}/edit"))
    author.set_input_files(f"#image-post-{post_id}", files=[{
        "name": "pump.png", "mimeType": "image/png", "buffer": samples.png(size=(120, 80), color=(20, 120, 200))}])
    author.get_by_role("button", name=re.compile("Upload image")).click()
    expect(author.locator("#body")).to_have_value(re.compile(r"!\[pump\]\(/files/\d+/pump\.png\)"))
    author.get_by_role("button", name="Save changes").click()
    image = author.locator(".post-body img")
    expect(image).to_have_attribute("src", re.compile(r"^/files/\d+/pump\.png$"))
    assert image.evaluate("""img => img.complete ? img.naturalWidth : new Promise(done => {
        img.addEventListener("load", () => done(img.naturalWidth));
        img.addEventListener("error", () => done(0)); })""") == 120  # loaded, whenever it finishes
    assert not [e for e in author.console_errors if "Content Security Policy" in e]
    author.context.close()

    reader = signed_in_page(browser, live_server, READER, PASSWORD)
    deadline = time.monotonic() + 30
    while True:  # extraction, then indexing, run in background threads after the commits
        reader.goto(live_server("/search?q=" + "+".join(SENTENCE.split()[:6])))
        if reader.locator(".search-result").count():
            break
        assert time.monotonic() < deadline, "the PDF's text never became searchable"
        time.sleep(0.5)
    hit = reader.locator(".search-result")
    expect(hit).to_have_count(1)
    expect(hit.get_by_role("link", name="Village water points")).to_be_visible()
    expect(hit.get_by_role("link", name="in evaluation-report.pdf, page 2")).to_be_visible()
    assert "Unfinished water note" not in reader.content()

    reader.goto(live_server(f"/threads/{thread_id}"))
    shown = reader.locator(".post-body img")
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.naturalWidth") == 120

    assert reader.request.get(live_server(draft_file)).status == 404
    assert reader.request.get(live_server(f"/practices/{draft_slug}")).status == 404
    reader.context.close()
