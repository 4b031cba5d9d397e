"""Write small PDF files by hand for the reader tests: a CJK text layer, or a page with no text (a scan).

No PDF library that writes is installed, so the file is built from the spec: one Type0 font with
Identity-H encoding whose CIDs are the characters' UTF-16 code units, and a ToUnicode CMap that maps
them back, which is what text extraction reads. Nothing is embedded, so viewers substitute a font.
"""

from __future__ import annotations


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _to_unicode(chars: set[str]) -> bytes:
    codes = sorted(ord(c) for c in chars)
    blocks = []
    for i in range(0, len(codes), 100):
        chunk = codes[i : i + 100]
        lines = "\n".join(f"<{c:04X}> <{c:04X}>" for c in chunk)
        blocks.append(f"{len(chunk)} beginbfchar\n{lines}\nendbfchar")
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )
    return _stream(cmap.encode())


def text_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose pages hold the given lines as real text (BMP characters only)."""
    chars = {c for page in pages for line in page for c in line}
    page_count = len(pages)
    font_obj = 3 + 2 * page_count
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        (
            b"<< /Type /Pages /Kids ["
            + b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(page_count))
            + b"] /Count %d >>" % page_count
        ),
    ]
    for i, page in enumerate(pages):
        ops = [b"BT /F1 10.5 Tf 14 TL 50 800 Td"]
        for line in page:
            ops.append(b"<" + line.encode("utf-16-be").hex().upper().encode() + b"> Tj T*")
        ops.append(b"ET")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * i, font_obj)
        )
        objects.append(_stream(b"\n".join(ops)))
    objects.append(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (font_obj + 1, font_obj + 2)
    )
    objects.append(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>"
    )
    objects.append(_to_unicode(chars))
    return _pdf(objects)


def scanned_pdf(page_count: int = 2) -> bytes:
    """A PDF whose pages only paint shapes, as a scan's pages only paint images: no text layer."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        (
            b"<< /Type /Pages /Kids ["
            + b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(page_count))
            + b"] /Count %d >>" % page_count
        ),
    ]
    for i in range(page_count):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>" % (4 + 2 * i)
        )
        objects.append(_stream(b"0.5 g 50 50 495 742 re f"))
    return _pdf(objects)


def report_pages(
    text: str, *, width: int = 38, lines_per_page: int = 40, indent: bool = False
) -> list[list[str]]:
    """Lay a report out as a word processor would: lines of ``width`` characters, numbered pages."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            continue
        for i in range(0, len(paragraph), width):
            lines.append(("\u3000\u3000" if indent and i == 0 else "") + paragraph[i : i + width])
    chunks = range(0, len(lines), lines_per_page)
    return [lines[i : i + lines_per_page] + [f"- {n} -"] for n, i in enumerate(chunks, start=1)]
