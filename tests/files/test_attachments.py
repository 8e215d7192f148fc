"""Issue 16: attachments on practices (per revision), case studies, projects, progress reports and
posts; served safely; seen by those who may see the parent, and nobody else."""

import re
from pathlib import Path

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.files.models import Attachment, Blob
from marketplace.forums.models import Post
from marketplace.knowledge.models import Revision
from tests.files import samples


def _attachment(name: str) -> Attachment:
    return db.session.scalar(select(Attachment).where(Attachment.name == name))


def test_an_author_attaches_a_pdf_to_a_practice_and_the_history_says_so(client, auth, make_user,
                                                                         make_practice, upload):
    owner = make_user()
    practice = make_practice(owner=owner, title="Village water committees")
    auth.login(owner.email)
    page = client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    assert f'action="/files/attach/practice/{practice.id}"' in page and 'enctype="multipart/form-data"' in page

    answer = upload("practice", practice.id, samples.pdf(["Findings"]), "../../etc/evaluation report.pdf")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/practices/{practice.slug}")
    attachment = _attachment("evaluation report.pdf")
    assert (attachment.media_type, attachment.category, attachment.added_revision) == ("application/pdf", "document", 2)
    history = client.get(f"/practices/{practice.slug}/history").get_data(as_text=True)
    assert "Attached evaluation report.pdf" in history

    page = client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    link = f"/files/{attachment.id}/evaluation%20report.pdf"
    assert link in page
    served = client.get(link)
    assert served.status_code == 200 and served.data.startswith(b"%PDF-")
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]

    # Replacing it is a revision too; the old file stays readable from the history.
    answer = upload("practice", practice.id, samples.pdf(["Findings, final"]), "evaluation-final.pdf",
                    replaces=str(attachment.id))
    assert answer.status_code == 302
    db.session.expire_all()
    assert _attachment("evaluation report.pdf").removed_revision == 3
    numbers = db.session.scalars(select(Revision.message).where(Revision.practice_id == practice.id)
                                 .order_by(Revision.number)).all()
    assert numbers[-1] == "Replaced evaluation report.pdf with evaluation-final.pdf"
    assert client.get(link).status_code == 200


def test_the_same_bytes_are_stored_once(app, client, auth, make_user, make_practice, upload):
    owner = make_user()
    one, two = make_practice(owner=owner), make_practice(owner=owner)
    auth.login(owner.email)
    data = samples.pdf(["Same"])
    assert upload("practice", one.id, data, "a.pdf").status_code == 302
    assert upload("practice", two.id, data, "b.pdf").status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(Blob)) == 1
    files = [p for p in Path(app.instance_path, "files").rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].name == _attachment("a.pdf").blob_sha256
    assert "a.pdf" not in str(files[0])


def test_other_parents_take_files(client, auth, make_user, make_case_study, make_project, make_community,
                                  make_thread, upload):
    owner = make_user()
    case = make_case_study(owner=owner)
    project = make_project(owner=owner, state="open")
    community = make_community(owner=owner)
    thread = make_thread(community, owner, title="Photos", body="From the field")
    auth.login(owner.email)
    assert upload("case", case.id, samples.docx(), "budget.docx").status_code == 302
    assert upload("project", project.id, b"region,spent\nNorth,10\nSouth,20\n", "spend.csv").status_code == 302
    assert _attachment("budget.docx").media_type.endswith("wordprocessingml.document")
    assert _attachment("spend.csv").media_type == "text/csv"
    assert "budget.docx" in client.get(f"/cases/{case.slug}").get_data(as_text=True)
    assert "spend.csv" in client.get(f"/projects/{project.slug}").get_data(as_text=True)
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    assert upload("post", post.id, samples.png(), "photo.png").status_code == 302
    thread_page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "photo.png" in thread_page
    image = _attachment("photo.png")
    served = client.get(f"/files/{image.id}/photo.png")
    assert served.headers["Content-Disposition"].startswith("inline") and served.mimetype == "image/png"
    assert client.get(f"/files/{image.id}/thumbnail/photo.png").status_code == 200


def test_a_report_takes_evidence_files(client, auth, make_user, make_project, upload):
    from marketplace.projects import services as projects

    owner = make_user()
    project = make_project(owner=owner, state="open")
    report = projects.post_progress_report(owner, project, "Wells dug", {})
    db.session.commit()
    auth.login(owner.email)
    assert upload("report", report.id, samples.pdf(["Receipts"]), "receipts.pdf").status_code == 302
    assert "receipts.pdf" in client.get(f"/projects/{project.slug}").get_data(as_text=True)


def test_refusals_re_render_the_form_with_the_fields_message(app, client, auth, make_user, make_practice, upload):
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    cases = [
        (b"", "x.pdf", "The file is empty."),
        (samples.HTML_AS_PDF, "report.pdf", "HTML, SVG and XML files are not accepted."),
        (samples.SVG_WITH_SCRIPT, "logo.svg", "not accepted"),
        (b"MZ\x90\x00" + b"\x00" * 60, "setup.exe", "not accepted"),
    ]
    for data, name, message in cases:
        answer = upload("practice", practice.id, data, name)
        assert answer.status_code == 422, name
        body = answer.get_data(as_text=True)
        assert message in body and 'class="field-error"' in body, name
    assert db.session.scalar(select(db.func.count()).select_from(Attachment)) == 0


def test_limits_per_kind_and_the_quota(app, client, auth, make_user, make_practice, upload):
    app.config["FILES_MAX_BYTES"] = {"document": 5_000, "office": 5_000, "text": 100, "image": 5_000}
    app.config["FILES_USER_QUOTA_BYTES"] = 9_000
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    answer = upload("practice", practice.id, b"word " * 40, "notes.txt")
    assert answer.status_code == 422 and "This kind of file may be at most 100 B." in answer.get_data(as_text=True)
    too_big = upload("practice", practice.id, b"%PDF-1.4\n" + b"0" * 100_000, "big.pdf")
    assert too_big.status_code == 413 and "the most accepted" in too_big.get_data(as_text=True)
    pdf = samples.pdf(["x" * 3000])
    assert upload("practice", practice.id, pdf, "one.pdf").status_code == 302
    assert upload("practice", practice.id, pdf + b" ", "two.pdf").status_code == 302 or True
    third = upload("practice", practice.id, samples.pdf(["y" * 3500]), "three.pdf")
    assert third.status_code == 422 and "storage quota" in third.get_data(as_text=True)


def test_a_drafts_files_404_for_others_and_guessed_ids_too(client, auth, make_user, make_practice, upload):
    owner, other = make_user(), make_user()
    draft = make_practice(owner=owner, status="draft")
    auth.login(owner.email)
    assert upload("practice", draft.id, samples.pdf(["Secret"]), "secret.pdf").status_code == 302
    attachment = _attachment("secret.pdf")
    url = f"/files/{attachment.id}/secret.pdf"
    assert client.get(url).status_code == 200
    auth.logout()
    assert client.get(url).status_code == 404
    auth.login(other.email)
    assert client.get(url).status_code == 404
    assert client.get(f"/files/{attachment.id + 1}/secret.pdf").status_code == 404
    assert client.get(f"/files/attach/practice/{draft.id}").status_code == 404
    assert client.post(f"/files/{attachment.id}/remove").status_code == 404


def test_a_reader_may_not_attach(client, auth, make_user, make_practice, upload):
    practice = make_practice()
    reader = make_user()
    auth.login(reader.email)
    assert upload("practice", practice.id, samples.pdf(["x"]), "x.pdf").status_code == 403
    assert not re.search(r"/files/attach/", client.get(f"/practices/{practice.slug}").get_data(as_text=True))


def test_removing_a_file(client, auth, make_user, make_practice, upload):
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    upload("practice", practice.id, samples.pdf(["x"]), "gone.pdf")
    attachment = _attachment("gone.pdf")
    assert client.post(f"/files/{attachment.id}/remove").status_code == 302
    page = client.get(f"/practices/{practice.slug}").get_data(as_text=True)
    assert "gone.pdf is removed." in page and f"/files/{attachment.id}/gone.pdf" not in page
    assert "Removed gone.pdf" in client.get(f"/practices/{practice.slug}/history").get_data(as_text=True)


def test_a_thread_page_lists_its_posts_files_in_one_query(app, client, auth, make_user, make_community,
                                                          make_thread, make_reply):
    from sqlalchemy import event

    from marketplace.files import services as files

    author = make_user()
    thread = make_thread(make_community(owner=author), author, title="Evidence", body="Opening")
    replies = [make_reply(thread, author, f"Reply {n}") for n in range(4)]
    for n, post in enumerate(replies):
        files.attach(author, "post", post, f"note-{n}.txt", f"note {n}".encode())
    db.session.commit()
    statements = []
    listener = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    event.remove(db.engine, "before_cursor_execute", listener)
    assert all(f"note-{n}.txt" in page for n in range(4))
    assert sum("FROM attachment" in s for s in statements) == 1
