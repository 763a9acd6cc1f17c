"""Hostile PDFs built byte by byte for the upload tests (no fixtures on disk)."""

from __future__ import annotations

import zlib

from egov.bench.seed import pdf_file

MB = 1024 * 1024


def _file(objects: list[bytes]) -> bytes:
    """A PDF 1.7 with a classic xref table; object n is objects[n - 1], the catalog is object 1."""
    return pdf_file(objects, header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")


def deep_page_tree(depth: int = 150) -> bytes:
    """Pages nodes nested `depth` deep above a single page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        number = 2 + level
        parent = b" /Parent %d 0 R" % (number - 1) if level else b""
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>" % (number + 1, parent))
    objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>" % (depth + 1))
    return _file(objects)


def object_stream_bomb(inflated: int = 120 * MB) -> bytes:
    """~120 KB on disk; the object stream holding the page tree inflates to `inflated` bytes, so
    merely counting the pages decompresses it."""
    header = b"5 0 "
    pages = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    data = zlib.compress(header + pages + b" " * (inflated - len(pages)), 9)
    objects = [
        b"<< /Type /Catalog /Pages 5 0 R >>",
        b"<< >>",
        b"<< /Type /Page /Parent 5 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Type /ObjStm /N 1 /First %d /Length %d /Filter /FlateDecode >>\nstream\n"
        % (len(header), len(data))
        + data
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    rows = [b"\x00\x00\x00\x00\xff\xff"]
    rows += [b"\x01" + offset.to_bytes(4, "big") + b"\x00" for offset in offsets]
    rows.append(b"\x02" + (4).to_bytes(4, "big") + b"\x00")  # object 5: first in stream 4
    rows.append(b"\x01" + xref.to_bytes(4, "big") + b"\x00")  # object 6: this xref stream
    table = b"".join(rows)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 1] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return bytes(out)


ACTIVE = {
    "open_action_js": b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>",
    "additional_actions": b"/AA << /WC << /S /Launch /F (x) >> >>",
    "launch": b"/OpenAction << /S /Launch /F (cmd.exe) >>",
    "embedded_file": b"/Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >>",
    "hex_escaped_js": b"/OpenAction << /S /J#61vaScript /J#53 (x) >>",
}


def active_content(kind: str) -> bytes:
    """A one-page PDF whose catalog carries the active content `kind` (see ACTIVE)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + ACTIVE[kind] + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    if kind == "embedded_file":
        objects += [
            b"<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>",
            b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
        ]
    return _file(objects)
