"""Files made in the tests: tiny real PDFs, images, office documents, and hostile ones."""

import io
import struct
import zipfile
import zlib

from PIL import Image


def pdf(pages: list[str]) -> bytes:
    """A minimal, valid PDF with each page's text (Helvetica; a line break starts a new line),
    built by hand. bench/files.py builds its 50-page report with it too."""
    objects: list[bytes] = []
    n = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    font_id = 3 + 2 * n
    for i, text in enumerate(pages):
        lines = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                 for line in text.split("\n")]
        shown = " 0 -16 Td ".join(f"({line}) Tj" for line in lines)
        stream = f"BT /F1 12 Tf 72 720 Td {shown} ET".encode("latin-1")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def png(size=(40, 30), color=(200, 30, 30), exif: bool = False, fmt: str = "PNG") -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam"  # Make
        data[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo
        image.save(out, fmt, exif=data.tobytes())
    else:
        image.save(out, fmt)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    return png(exif=True, fmt="JPEG")


def docx(text: str = "Budget note") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxml'
                   'formats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
                   f'{text}</w:t></w:r></w:p></w:body></w:document>')
    return out.getvalue()


def odt(text: str = "Methodology note") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:'
                   'tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
                   f'<office:body><office:text><text:p>{text}</text:p></office:text></office:body>'
                   '</office:document-content>', compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# --- hostile ---------------------------------------------------------------------------------

HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>document.title='PWNED'</script></body></html>"
SVG_WITH_SCRIPT = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="document.title=\'PWNED\'">'
                   b"<script>document.title='PWNED'</script></svg>")
SVG_BARE = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def gif_js_polyglot() -> bytes:
    """A GIF header whose bytes also parse as JavaScript (the classic GIFAR/GIF-JS trick)."""
    image = Image.new("P", (10, 10))
    out = io.BytesIO()
    image.save(out, "GIF")
    body = out.getvalue()
    return b"GIF89a/*" + body[8:] + b"*/=1;document.title='PWNED';"


def zip_bomb() -> bytes:
    """An OOXML-looking document whose one entry expands to 60 MB of zeros (ratio about 1000:1)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as entry:
            chunk = b"\0" * 1_000_000
            for _ in range(60):
                entry.write(chunk)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 30000) -> bytes:
    """A PNG declaring side x side pixels (900 million) in a few hundred bytes: what a
    decompression bomb looks like before it is decoded."""
    rows = zlib.compress(b"\0" * (side // 8 + 1) * 64, 9)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + _chunk(b"IDAT", rows) + _chunk(b"IEND", b""))
