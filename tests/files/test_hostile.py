"""Issue 16, acceptance 2: a corpus of hostile files is refused or neutralised."""

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.files.models import Attachment
from tests.files import samples

REFUSED = [
    ("html-as-pdf", samples.HTML_AS_PDF, "evaluation.pdf", "HTML, SVG and XML files are not accepted."),
    ("svg-script", samples.SVG_WITH_SCRIPT, "logo.svg", "HTML, SVG and XML files are not accepted."),
    ("svg-bare", samples.SVG_BARE, "logo.png", "HTML, SVG and XML files are not accepted."),
    ("html-as-text", b"Notes\n<script>alert(1)</script>\n", "notes.txt", "HTML, SVG and XML files are not accepted."),
    ("empty", b"", "empty.pdf", "The file is empty."),
    ("binary", bytes(range(256)) * 4, "data.txt", "neither a known document nor UTF-8 text"),
    ("controls", b"text\x01\x02\x03 more text", "data.txt", "This text file contains binary data."),
    ("exe", b"MZ\x90\x00" + b"\x00" * 200, "setup.pdf", "This kind of file is not accepted."),
    ("latin-1", "Caf\xe9 r\xe9sum\xe9".encode("latin-1"), "cafe.txt", "neither a known document nor UTF-8 text"),
    ("macro", None, "budget.xlsm", "macros"),
]


@pytest.fixture
def author(client, auth, make_user, make_practice):
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    return practice


def _macro_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/vbaProject.bin", b"\0" * 100)
    return out.getvalue()


@pytest.mark.parametrize("label, data, name, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused(author, upload, label, data, name, message):
    data = _macro_document() if data is None else data
    answer = upload("practice", author.id, data, name)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Attachment)) == 0


def test_a_zip_bomb_is_refused(author, upload):
    answer = upload("practice", author.id, samples.zip_bomb(), "budget.docx")
    assert answer.status_code == 422
    assert "compression bomb" in answer.get_data(as_text=True)


def test_a_decompression_bomb_png_is_refused(author, upload):
    answer = upload("practice", author.id, samples.png_bomb(), "photo.png")
    assert answer.status_code == 422
    assert "This image is too large" in answer.get_data(as_text=True)


def test_over_the_limit_is_refused_before_it_is_read(app, author, upload):
    app.config["FILES_MAX_BYTES"] = {"document": 1000, "office": 1000, "text": 1000, "image": 1000}
    answer = upload("practice", author.id, b"%PDF-1.4\n" + b"0" * 200_000, "big.pdf")
    assert answer.status_code == 413
    assert "the most accepted" in answer.get_data(as_text=True)


def test_a_gif_js_polyglot_is_re_encoded_without_its_script(client, author, upload):
    data = samples.gif_js_polyglot()
    answer = upload("practice", author.id, data, "photo.gif")
    if answer.status_code == 422:  # Pillow could not decode it: refused, also fine
        assert "This image could not be read." in answer.get_data(as_text=True)
        return
    attachment = db.session.scalar(select(Attachment))
    served = client.get(f"/files/{attachment.id}/{attachment.name}")
    assert served.mimetype == "image/png" and attachment.name == "photo.gif.png"
    assert b"PWNED" not in served.data and served.data.startswith(b"\x89PNG")


def test_exif_and_gps_are_stripped(client, author, upload):
    data = samples.jpeg_with_gps()
    assert b"SpyCam" in data
    assert upload("practice", author.id, data, "field.jpg").status_code == 302
    attachment = db.session.scalar(select(Attachment))
    served = client.get(f"/files/{attachment.id}/field.jpg")
    assert served.mimetype == "image/jpeg" and b"SpyCam" not in served.data
    assert not Image.open(io.BytesIO(served.data)).getexif()


@pytest.mark.parametrize("raw, shown", [
    ("../../../etc/passwd", "passwd.txt"),
    ("..\\..\\windows\\system32\\evil.txt", "evil.txt"),  # (the test client drops the backslashes)
    ("report\x00.pdf.txt", "report.pdf.txt"),
    ("bad\x1b[31mname\u202egnp.txt", "bad[31mnamegnp.txt"),
    ("...hidden.md", "hidden.md"),
    ("notes.html", "notes.html.txt"),
    ("", "file.txt"),
])
def test_names_are_sanitised_and_never_a_path(app, client, author, upload, raw, shown):
    assert upload("practice", author.id, f"Notes for {raw!r}".encode(), raw).status_code in (302, 400)
    attachment = db.session.scalar(select(Attachment))
    if attachment is None:  # the client library itself refused the name (an empty one)
        return
    assert attachment.name == shown or raw.startswith("..\\") and attachment.name.endswith(shown)
    stored = [p.name for p in Path(app.instance_path, "files").rglob("*") if p.is_file()]
    assert stored == [attachment.blob_sha256]
    served = client.get(f"/files/{attachment.id}/{attachment.name}")
    assert served.status_code == 200
    assert "\x1b" not in served.headers["Content-Disposition"] and "/" not in attachment.name


def test_a_pdf_with_javascript_is_only_ever_a_sandboxed_download(client, author, upload):
    pdf = samples.pdf(["Report"]).replace(b"<< /Type /Catalog /Pages 2 0 R >>",
                                          b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript "
                                          b"/JS (app.alert(1)) >> >>")
    assert upload("practice", author.id, pdf, "report.pdf").status_code == 302
    attachment = db.session.scalar(select(Attachment))
    served = client.get(f"/files/{attachment.id}/report.pdf")
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
