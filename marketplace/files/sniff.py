"""What a file is, decided from its bytes (puremagic, then our own checks), never from its name or
the client's Content-Type; images decoded and re-encoded with Pillow; names made safe to show.

    inspect(data, config) -> Inspected   or Refused(message)
    reencode_image(data, config) -> (bytes, media_type, thumbnail bytes, thumbnail media_type)
    safe_name(raw, media_type) -> str

Accepted: PDF; plain text (Markdown and CSV are text) in UTF-8; ODF and OOXML documents
(without macros, and not a compression bomb); PNG, JPEG, GIF and WebP images, which are
re-encoded (EXIF, GPS and every other metadata chunk dropped; the first frame of an animation)
and refused past a pixel count. Everything else, HTML and SVG included, is refused.
"""

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

import puremagic
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
TEXT, CSV = "text/plain", "text/csv"
OFFICE = {
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}
_OOXML_PARTS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
# The extensions a name may keep for each type; any other gets the first one appended.
EXTENSIONS = {PDF: (".pdf",), TEXT: (".txt", ".md", ".markdown", ".text"), CSV: (".csv", ".txt"),
              PNG: (".png",), JPEG: (".jpg", ".jpeg"),
              **{mime: (ext,) for mime, ext in OFFICE.items()}}
_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|meta|\?xml|"
                     r"xml|style|link|form|math)\b", re.IGNORECASE)
_MARKUP_TYPES = ("text/html", "text/xml", "application/xml", "image/svg+xml", "application/xhtml+xml")
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class Refused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Inspected:
    category: str  # document | office | text | image
    media_type: str


def inspect(data: bytes, config) -> Inspected:
    if not data:
        raise Refused(_("The file is empty."))
    try:
        guesses = puremagic.magic_string(data)
    except (puremagic.PureError, ValueError):
        guesses = []
    best = guesses[0].mime_type if guesses else ""
    if best == PDF and data.startswith(b"%PDF-"):
        return Inspected("document", PDF)
    if best in IMAGE_FORMATS.values():
        return Inspected("image", best)
    if data.startswith(b"PK\x03\x04"):
        return Inspected("office", _office(data, config))
    if best in _MARKUP_TYPES or "html" in best or "xml" in best or "svg" in best:
        raise Refused(_("HTML, SVG and XML files are not accepted."))
    if not best or best.startswith("text/"):
        return Inspected("text", _text(data))
    raise Refused(_("This kind of file is not accepted. Upload a PDF, a text, Markdown or CSV "
                    "file, an office document (ODF or OOXML) or an image."))


def _office(data: bytes, config) -> str:
    not_office = Refused(_("This archive is not an office document (ODF or OOXML)."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_office from None
    bomb = Refused(_("This document expands to far more than its size (a compression bomb)."))
    if len(entries) > config["FILES_ZIP_MAX_ENTRIES"]:
        raise bomb
    if sum(e.file_size for e in entries) > config["FILES_ZIP_MAX_UNCOMPRESSED"]:
        raise bomb
    if any(e.file_size > 1_000_000 and e.file_size > 200 * max(e.compress_size, 1) for e in entries):
        raise bomb
    names = {e.filename for e in entries}
    if any(n.lower().endswith(("vbaproject.bin", ".bin")) and "vba" in n.lower() for n in names):
        raise Refused(_("Documents with macros are not accepted."))
    try:
        if "mimetype" in names:
            mime = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
            if mime in OFFICE:
                return mime
        if "[Content_Types].xml" in names:
            for part, mime in _OOXML_PARTS.items():
                if part in names:
                    return mime
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        pass
    raise not_office


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(_("This file is neither a known document nor UTF-8 text.")) from None
    if _TEXT_CONTROLS.search(text):
        raise Refused(_("This text file contains binary data."))
    if _MARKUP.search(text[:65536]):
        raise Refused(_("HTML, SVG and XML files are not accepted."))
    return CSV if _looks_like_csv(text) else TEXT


def _looks_like_csv(text: str) -> bool:
    lines = [line for line in text[:8192].splitlines() if line.strip()][:20]
    if len(lines) < 2:
        return False
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t")
    except csv.Error:
        return False
    widths = {len(row) for row in csv.reader(lines, dialect)}
    return len(widths) == 1 and widths.pop() > 1


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    media_type: str
    thumb: bytes
    thumb_media_type: str
    width: int
    height: int


def reencode_image(data: bytes, config) -> CleanImage:
    """Decode and re-encode: only pixels survive (no EXIF, GPS, comments or trailing bytes)."""
    unreadable = Refused(_("This image could not be read."))
    limit = config["FILES_IMAGE_MAX_PIXELS"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            source_format = opened.format
            if source_format not in IMAGE_FORMATS:
                raise unreadable
            width, height = opened.size
            if width * height > limit or width > 20000 or height > 20000:
                raise Refused(_("This image is too large (at most %(n)s million pixels).",
                                n=limit // 1_000_000))
            opened.seek(0)
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(_("This image is too large (at most %(n)s million pixels).",
                        n=limit // 1_000_000)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise unreadable from None
    jpeg = source_format == "JPEG"
    clean = _pixels(image, jpeg)
    out = io.BytesIO()
    if jpeg:
        clean.save(out, "JPEG", quality=88, optimize=True)
    else:
        clean.save(out, "PNG", optimize=True)
    thumb = clean.copy()
    thumb.thumbnail((config["FILES_THUMB_SIZE"],) * 2)
    thumb_out = io.BytesIO()
    if jpeg:
        thumb.save(thumb_out, "JPEG", quality=80)
    else:
        thumb.save(thumb_out, "PNG", optimize=True)
    media = JPEG if jpeg else PNG
    return CleanImage(out.getvalue(), media, thumb_out.getvalue(), media, clean.width, clean.height)


def _pixels(image: Image.Image, jpeg: bool) -> Image.Image:
    """A new image holding only the pixels (a fresh `info`: nothing of the original's metadata)."""
    if jpeg:
        mode = "L" if image.mode in ("L", "1") else "RGB"
    else:
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info \
            else ("L" if image.mode in ("L", "1") else "RGB")
    converted = image.convert(mode)
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    return clean


_UNSAFE = re.compile(r"[\\/:*?\"<>|\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def safe_name(raw: str | None, media_type: str) -> str:
    """A name to show and to offer in Content-Disposition: the last path part, no control, format
    or bidi characters, no path separators or leading dots, at most 120 characters, ending in an
    extension that matches what the file is. Never used to store anything."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _SPACES.sub(" ", _UNSAFE.sub("_", name)).strip().lstrip(".").strip()
    allowed = EXTENSIONS.get(media_type, ())
    stem, dot, ext = name.rpartition(".")
    if not (dot and "." + ext.lower() in allowed):
        stem = name
        ext = allowed[0].lstrip(".") if allowed else "bin"
    stem = stem[:110].strip() or "file"
    return f"{stem}.{ext.lower()}"
