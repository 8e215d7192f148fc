"""Issue 16: text from PDFs and office documents, extracted after commit (never in the request),
indexed with the parent (permission-aware); a hit in a file names the file and the page."""

import time

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.files import extract
from marketplace.files.models import Attachment
from tests.files import samples

SENTENCE = "Chlorination kiosks halved diarrhoea among children under five"


def _attachment(name: str) -> Attachment:
    db.session.expire_all()
    return db.session.scalar(select(Attachment).where(Attachment.name == name))


def test_pdf_text_is_extracted_after_the_request_page_by_page(client, auth, make_user, make_practice, upload):
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    upload("practice", practice.id, samples.pdf(["Introduction", "Method", SENTENCE]), "evaluation.pdf")
    assert _attachment("evaluation.pdf").text_status == "pending"  # the request did not extract
    assert extract.run_pending() == 1
    attachment = _attachment("evaluation.pdf")
    assert attachment.text_status == "extracted"
    assert attachment.text_pages == ["Introduction", "Method", SENTENCE]


def test_office_documents_and_text(client, auth, make_user, make_practice, upload):
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    upload("practice", practice.id, samples.docx("Budget for the wells"), "budget.docx")
    upload("practice", practice.id, samples.odt("Methodology of the survey"), "method.odt")
    upload("practice", practice.id, "# Notes\n\nRésumé des visites".encode(), "notes.md")
    extract.run_pending()
    assert _attachment("budget.docx").text_pages == ["Budget for the wells"]
    assert _attachment("method.odt").text_pages == ["Methodology of the survey"]
    assert _attachment("notes.md").text == "# Notes\n\nRésumé des visites"


def test_an_unparseable_file_is_kept_and_listed_as_text_not_extracted(client, auth, make_user, make_practice,
                                                                        upload):
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    upload("practice", practice.id, b"%PDF-1.7\nthis is not really a PDF at all\n", "broken.pdf")
    extract.run_pending()
    attachment = _attachment("broken.pdf")
    assert attachment.text_status == "failed" and attachment.text_error
    page = client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    assert "broken.pdf" in page and "text not extracted" in page
    assert client.get(f"/files/{attachment.id}/broken.pdf").status_code == 200


def test_the_background_thread_extracts_after_commit(app, client, auth, make_user, make_practice, upload):
    app.config["FILES_EXTRACT"] = "thread"
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    upload("practice", practice.id, samples.pdf([SENTENCE]), "report.pdf")
    deadline = time.monotonic() + 20
    while _attachment("report.pdf").text_status != "extracted":
        assert time.monotonic() < deadline, "the extraction thread did not run"
        time.sleep(0.1)


def test_a_sentence_only_in_the_pdf_finds_the_practice_and_names_the_file(
        client, auth, make_user, make_practice, upload, indexed, search_results):
    owner, reader = make_user(), make_user()
    practice = make_practice(owner=owner, title="Water kiosks")
    draft = make_practice(owner=owner, title="Unpublished kiosks", status="draft")
    auth.login(owner.email)
    upload("practice", practice.id, samples.pdf(["Summary", "Context", "Data", SENTENCE]), "evaluation-report.pdf")
    upload("practice", draft.id, samples.pdf([SENTENCE]), "draft-notes.pdf")
    extract.run_pending()
    indexed()
    auth.logout()
    assert search_results("chlorination kiosks halved diarrhoea") == [f"practice:{practice.id}"]
    assert f"practice:{draft.id}" in search_results("chlorination kiosks halved diarrhoea", viewer=owner)
    auth.login(reader.email)
    page = client.get("/search?q=chlorination+kiosks+halved+diarrhoea").get_data(as_text=True)
    attachment = _attachment("evaluation-report.pdf")
    assert "in evaluation-report.pdf, page 4" in page
    assert f'href="/files/{attachment.id}/evaluation-report.pdf#page=4"' in page
    assert "draft-notes.pdf" not in page and "Unpublished kiosks" not in page


def test_removing_the_file_removes_its_text_from_search(client, auth, make_user, make_practice, upload,
                                                        indexed, search_results):
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    upload("practice", practice.id, samples.pdf([SENTENCE]), "report.pdf")
    extract.run_pending()
    assert search_results("chlorination diarrhoea") == [f"practice:{practice.id}"]
    client.post(f"/files/{_attachment('report.pdf').id}/remove")
    assert search_results("chlorination diarrhoea") == []
