"""Text extraction, after commit and never in a request.

A new PDF, text or office attachment is saved with `text_status = "pending"`. An `after_flush`
listener notes it in the session; `after_commit` schedules `run_pending()` according to
FILES_EXTRACT: a background thread per process (`thread`, the default), the committing thread
(`sync`), or only `marketplace files extract` (`manual`, the default under tests). Each row is
claimed with a guarded UPDATE (pending -> working), so two processes never extract one file twice.
The extracted text lands on the attachment row, which makes the search indexer re-index the
parent (search/documents.py RELATED); a file that cannot be parsed stays stored and listed, with
`text_status = "failed"` ("text not extracted").

What is extracted:
- PDF (pypdf): the text layer of each page, one entry a page (up to FILES_EXTRACT_MAX_PAGES).
  Scanned pages without a text layer give nothing (no OCR); encrypted PDFs fail.
- Plain text, Markdown, CSV: the text itself, as one page.
- ODF (.odt/.ods/.odp): the paragraphs and cells of content.xml, as one page.
- OOXML: .docx the runs of word/document.xml (one page); .xlsx the shared strings and inline
  strings (one page); .pptx each slide's text (one page a slide).
  Not extracted: headers/footers, comments, notes, embedded objects, numbers in spreadsheet cells.
"""

import io
import logging
import threading
import zipfile

from flask import Flask, current_app, has_app_context
from lxml import etree
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.files import sniff, storage
from marketplace.files.models import TEXT_DONE, TEXT_FAILED, TEXT_PENDING, Attachment

log = logging.getLogger(__name__)
WORKING = "working"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class NotExtracted(Exception):
    pass


def pdf_pages(data: bytes, max_pages: int) -> list[str]:
    import pypdf  # here: 16 MB on import, needed only by the process that extracts an upload

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise NotExtracted("encrypted PDF")
        return [(page.extract_text() or "").strip() for page in reader.pages[:max_pages]]
    except NotExtracted:
        raise
    except Exception as err:  # pypdf raises many kinds on a broken file
        raise NotExtracted(f"{type(err).__name__}: {err}"[:500]) from None


def _xml_text(data: bytes, tags: tuple[str, ...]) -> str:
    root = etree.fromstring(data, _PARSER)
    pieces = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local in tags:
            pieces.append("".join(element.itertext()))
    return "\n".join(p for p in pieces if p.strip())


def office_pages(data: bytes, media_type: str) -> list[str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        if media_type.startswith("application/vnd.oasis.opendocument"):
            return [_xml_text(archive.read("content.xml"), ("p", "h"))]
        if media_type.endswith("wordprocessingml.document"):
            return [_xml_text(archive.read("word/document.xml"), ("p",))]
        if media_type.endswith("spreadsheetml.sheet"):
            parts = [n for n in names if n == "xl/sharedStrings.xml" or n.startswith("xl/worksheets/sheet")]
            return ["\n".join(_xml_text(archive.read(n), ("si", "is")) for n in sorted(parts))]
        if media_type.endswith("presentationml.presentation"):
            slides = sorted((n for n in names if n.startswith("ppt/slides/slide") and n.endswith(".xml")),
                            key=lambda n: int("".join(c for c in n if c.isdigit()) or 0))
            return [_xml_text(archive.read(n), ("p",)) for n in slides]
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError, OSError, ValueError) as err:
        raise NotExtracted(f"{type(err).__name__}: {err}"[:500]) from None
    raise NotExtracted(f"no extractor for {media_type}")


def pages_of(data: bytes, media_type: str, max_pages: int) -> list[str]:
    if media_type == sniff.PDF:
        return pdf_pages(data, max_pages)
    if media_type.startswith("text/"):
        return [data.decode("utf-8-sig", "replace")]
    return office_pages(data, media_type)


def _claim(attachment_id: int) -> bool:
    result = db.session.execute(update(Attachment).where(
        Attachment.id == attachment_id, Attachment.text_status == TEXT_PENDING).values(text_status=WORKING))
    db.session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def run_pending(limit: int | None = None, include_stale: bool = False) -> int:
    """Extract the text of pending attachments; returns how many were done (or failed)."""
    statuses = (TEXT_PENDING, WORKING) if include_stale else (TEXT_PENDING,)
    if include_stale:
        db.session.execute(update(Attachment).where(Attachment.text_status == WORKING)
                           .values(text_status=TEXT_PENDING))
        db.session.commit()
    query = select(Attachment.id).where(Attachment.text_status.in_(statuses)).order_by(Attachment.id)
    ids = db.session.scalars(query.limit(limit) if limit else query).all()
    done = 0
    store = storage.backend(current_app)
    max_pages = current_app.config["FILES_EXTRACT_MAX_PAGES"]
    for attachment_id in ids:
        if not _claim(attachment_id):
            continue
        attachment = db.session.get(Attachment, attachment_id)
        data = store.get(attachment.blob_sha256)
        try:
            if data is None:
                raise NotExtracted("the stored file is missing")
            attachment.text_pages = pages_of(data, attachment.media_type, max_pages)
            attachment.text_status, attachment.text_error = TEXT_DONE, ""
        except NotExtracted as err:
            attachment.text_pages, attachment.text_status, attachment.text_error = None, TEXT_FAILED, str(err)
        db.session.commit()
        done += 1
    return done


# --- after commit ---------------------------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _collect(session, flush_context) -> None:
    if any(isinstance(o, Attachment) and o.text_status == TEXT_PENDING for o in session.new):
        session.info["files_extract"] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if session.info.pop("files_extract", False) and has_app_context():
        schedule(current_app._get_current_object())  # type: ignore[attr-defined]


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    session.info.pop("files_extract", None)


def mode(app: Flask) -> str:
    return app.config.get("FILES_EXTRACT") or ("manual" if app.testing else "thread")


def schedule(app: Flask) -> None:
    how = mode(app)
    if how == "sync":
        run_pending()
    elif how == "thread":
        _worker(app).wake()


class _Worker:
    def __init__(self, app: Flask):
        self.app = app
        self.event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="files-extract", daemon=True)
        self.thread.start()

    def wake(self) -> None:
        self.event.set()

    def _run(self) -> None:
        while True:
            self.event.wait(timeout=60)  # and once a minute, for what another process left
            self.event.clear()
            try:
                with self.app.app_context():
                    run_pending()
                    db.session.remove()
            except Exception:
                log.exception("files: text extraction failed; `marketplace files extract` retries")


_workers: dict[int, _Worker] = {}
_workers_lock = threading.Lock()


def _worker(app: Flask) -> _Worker:
    with _workers_lock:
        if id(app) not in _workers:
            _workers[id(app)] = _Worker(app)
        return _workers[id(app)]
