"""Read a government work report file (.txt, .docx, .pdf) into clean text.

Conversion leaves debris: spaced-out titles (``政 府 工 作 报 告``), Word bookmarks (``[bookmark: _GoBack]``),
page-number lines, full-width digits, and in PDFs lines broken at the page width. ``clean_text`` removes it
without changing what the report says. Bad input raises a ``ReportReadError`` whose ``code`` says why.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
import threading
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from citycockpit.core import expansion

MAX_REPORT_BYTES = 20 * 1024 * 1024
SUPPORTED_SUFFIXES = (".txt", ".docx", ".pdf")


class ReportReadError(Exception):
    """A report file that cannot be turned into text. ``code`` is stable; the message names the file."""

    code = "report_unreadable"
    status = 422

    def __init__(self, filename: str, message: str) -> None:
        super().__init__(f"{filename}: {message}")
        self.filename = filename
        self.detail = f"{filename}: {message}"


class ReportEmpty(ReportReadError):
    code = "report_empty"


class ReportTooLarge(ReportReadError):
    code = "report_too_large"
    status = 413


class ReportBinary(ReportReadError):
    code = "report_binary"


class ReportUnreadable(ReportReadError):
    code = "report_unreadable"


class ReportScannedPdf(ReportReadError):
    code = "report_scanned_pdf"


class ReportUnsupportedType(ReportReadError):
    code = "report_unsupported_type"
    status = 415


@dataclass(frozen=True, slots=True)
class ReportDocument:
    """The cleaned text of a report file and how it was read."""

    text: str
    filename: str
    file_type: str  # "txt" | "docx" | "pdf"
    encoding: str | None  # for .txt only
    size_bytes: int


def read_report(source: str | Path | tuple[bytes, str]) -> ReportDocument:
    """Read a report from a path, or from ``(data, filename)`` as an upload gives it, into clean text.

    Raises ReportTooLarge over 20 MB, ReportEmpty when no text is left, ReportBinary for non-text data,
    ReportScannedPdf for a PDF without a text layer, ReportUnsupportedType for other formats and
    ReportUnreadable for damaged files.
    """
    if isinstance(source, tuple):
        data, filename = source
        _check_size(len(data), filename)
    else:
        path = Path(source)
        filename = path.name
        try:
            _check_size(path.stat().st_size, filename)
            data = path.read_bytes()
        except OSError as exc:
            raise ReportUnreadable(filename, f"cannot open the file ({exc.strerror})") from exc
    return read_report_bytes(data, filename)


def read_report_bytes(data: bytes, filename: str) -> ReportDocument:
    """Like ``read_report`` for bytes already in memory; the type comes from the name, else the content."""
    _check_size(len(data), filename)
    if not data.strip():
        raise ReportEmpty(filename, "the file is empty")
    file_type = _file_type(data, filename)
    encoding = None
    try:
        if file_type == "docx":
            raw = _docx_text(data, filename)
        elif file_type == "pdf":
            raw = _pdf_text(data, filename)
        else:
            raw, encoding = _decode_text(data, filename)
        expansion.check_text(len(raw), filename)
    except expansion.FileTooLarge as exc:
        raise ReportTooLarge(filename, exc.detail.removeprefix(f"{filename}: ")) from exc
    text = clean_text(raw, wrapped=file_type == "pdf")
    if not text.strip():
        raise ReportEmpty(filename, "the file holds no text")
    return ReportDocument(text, filename, file_type, encoding, len(data))


def clean_text(raw: str, *, wrapped: bool = False) -> str:
    """Remove conversion debris; idempotent. ``wrapped`` re-joins lines broken at the page width (PDF)."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").replace("\x0c", "\n")
    text = _BOOKMARK_RE.sub("", text)
    text = _normalise_width(text)
    text = _SUBSCRIPT_BREAK_RE.sub(r"\1\2", text)
    text = _INVISIBLE_BREAK_RE.sub("", text)
    text = _INVISIBLE_RE.sub("", text)
    if wrapped:
        text = _unspace_cjk(text)
    lines = []
    indented = []
    for raw_line in text.split("\n"):
        line = raw_line.replace("\u3000", " ").replace("\xa0", " ")
        indented.append(len(line) - len(line.lstrip(" ")) >= 2)
        line = line.strip()
        if _PAGE_NUMBER_RE.fullmatch(line):
            indented.pop()
            continue
        if _SPACED_RE.fullmatch(line):
            line = re.sub(r"\s+", "", line)
        lines.append(line)
    if wrapped:
        lines = _join_wrapped(lines, indented)
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


_BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]")
# Zero-width characters are copy debris; a line holding nothing else inside a sentence (…阶段性稳⏎\u200b⏎岗政策…)
# broke the sentence in two, and is taken out with its breaks.
_INVISIBLE = "\u200b\u200c\u200d\u2060"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_INVISIBLE_BREAK_RE = re.compile(
    f"(?<=[^。！？；：”」）\\n])[ \\t]*\\n+[ \\t]*[{_INVISIBLE}]+[ \\t]*\\n+[ \\t]*"
)
# A subscript copied from a web page lands on a line of its own: 细颗粒物（PM\n2.5\n）浓度 → （PM2.5）.
_SUBSCRIPT_BREAK_RE = re.compile(
    r"([（(][A-Za-z]{1,5})[ \t]*\n[ \t]*(\d{1,2}(?:\.\d{1,2})?)[ \t]*\n[ \t]*(?=[）)])"
)
_PAGE_NUMBER_RE = re.compile(
    r"[-—－–]*\s*\d{1,3}\s*[-—－–]*|第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|[Pp]age\s*\d+"
)
_SPACED_RE = re.compile(r"(?:[\u4e00-\u9fff][ \t]+){2,}[\u4e00-\u9fff]")
# Full-width ASCII letters, digits and the symbols that sit inside numbers. Chinese punctuation (，：“”（）)
# is left as written: the report's sentences depend on it.
_WIDTH_CHARS = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ％．＋／"
_WIDTH_TABLE = str.maketrans({c: unicodedata.normalize("NFKC", c) for c in _WIDTH_CHARS})


_CJK_GAP_RE = re.compile(
    r"(?<=[\u4e00-\u9fff，。、；：“”（）《》！？]) (?=[\u4e00-\u9fff，。、；：“”（）《》！？\d])"
)


_SINGLE_GAP_RE = re.compile(r"(?<=\S) (?=\S)")


def _unspace_cjk(text: str) -> str:
    """Some PDFs put a space after every Chinese character; Chinese has no spaces, so they go.

    Only when most characters are spaced out: a single gap (市长 徐华东) in normal text is kept.
    """
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    gaps = len(_CJK_GAP_RE.findall(text))
    if not cjk or gaps <= 0.3 * cjk:
        return text
    text = re.sub(r" {3,}", "  ", text)  # a real space or a layout gap became three or more: it stays
    return _SINGLE_GAP_RE.sub("", text)


def _normalise_width(text: str) -> str:
    return text.translate(_WIDTH_TABLE)


_PARAGRAPH_START_RE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)]|\d{1,2}[.．](?!\d)|——)"
)


def _join_wrapped(lines: list[str], indented: list[bool]) -> list[str]:
    """Join PDF lines that were broken at the page width back into paragraphs.

    A line as long as most lines that does not end a sentence continues on the next line; short lines
    (headings, the last line of a paragraph) stand alone, and an indented line starts a paragraph.
    """
    lengths = [len(x) for x in lines if len(x) >= 10]
    if not lengths:
        return lines
    full = statistics.median(lengths) * 0.85
    out: list[str] = []
    carry = ""
    by_indent = sum(indented) >= 3  # paragraphs are marked by indentation: only it ends one
    for line, indent in zip(lines, indented, strict=True):
        if (indent or _PARAGRAPH_START_RE.match(line)) and carry:
            out.append(carry)
            carry = ""
        if not line:
            if carry:
                out.append(carry)
                carry = ""
            out.append("")
            continue
        if len(line) <= 20 and re.search(
            r"\S {2,}\S", line
        ):  # a layout gap (市长  徐华东): a line of its own
            if carry:
                out.append(carry)
                carry = ""
            out.append(line)
            continue
        carry += line
        ends_sentence = line.endswith(("。", "！", "？", "：")) and not by_indent
        if len(line) < full or ends_sentence and len(line) < full * 1.2:
            out.append(carry)
            carry = ""
    if carry:
        out.append(carry)
    return out


def _check_size(size: int, filename: str) -> None:
    if size > MAX_REPORT_BYTES:
        raise ReportTooLarge(
            filename,
            f"the file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_REPORT_BYTES // 2**20} MB",
        )


def _file_type(data: bytes, filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return suffix[1:]
    if suffix == "" or suffix in (".text", ".md"):
        if data.startswith(b"%PDF"):
            return "pdf"
        if data.startswith(b"PK\x03\x04"):
            return "docx"
        return "txt"
    raise ReportUnsupportedType(filename, f"unsupported file type {suffix!r}; use .txt, .docx or .pdf")


def _decode_text(data: bytes, filename: str) -> tuple[str, str]:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    sample = data[:65536]
    if b"\x00" in sample or sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) * 0.01:
        raise ReportBinary(filename, "the file is binary data, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = best.encoding if best is not None else "gb18030"
    if encoding.replace("_", "").lower() in ("gb2312", "gbk", "cp936", "gb18030", "hz"):
        encoding = "gb18030"  # the superset: GBK files often hold a few GB18030-only characters
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ReportUnreadable(filename, "cannot detect the text encoding") from exc
    return text, encoding


def _docx_text(data: bytes, filename: str) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    expansion.check_zip(data, filename)  # before python-docx inflates the parts
    try:
        document = docx.Document(io.BytesIO(data))
    # XMLSyntaxError: a part that is not well-formed XML, or one declaring entities that expand past
    # libxml2's amplification limit (python-docx's parser resolves none, but libxml2 still counts them)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as exc:
        raise ReportUnreadable(filename, "the .docx file is damaged or not a Word document") from exc
    labels = _numbering_labels(document)
    lines = [labels.get(i, "") + p.text for i, p in enumerate(document.paragraphs)]
    for table in document.tables:
        for row in table.rows:
            lines.append("  ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN_DIGITS = "零一二三四五六七八九"


def _chinese_counting(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def _format_number(n: int, fmt: str) -> str:
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "ideographTraditional",
        "japaneseCounting",
        "chineseLegalSimplified",
        "taiwaneseCounting",
    ):
        return _chinese_counting(n)
    return str(n)


def _numbering_labels(document) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Labels that Word draws for automatically numbered paragraphs (一、 （一） 1.), which ``.text`` omits.

    Headings of reports are often auto-numbered; without their labels the task areas cannot be found.
    Only numbering set on the paragraph itself is rendered; a level's counter restarts under its parent.
    """
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return {}
    abstract = {a.get(_W + "abstractNumId"): a for a in numbering.findall(_W + "abstractNum")}
    nums = {}
    for num in numbering.findall(_W + "num"):
        ref = num.find(_W + "abstractNumId")
        if ref is not None:
            nums[num.get(_W + "numId")] = ref.get(_W + "val")
    counters: dict[tuple[str, int], int] = {}
    labels: dict[int, str] = {}
    for index, paragraph in enumerate(document.paragraphs):
        ppr = paragraph._p.pPr
        num_pr = ppr.numPr if ppr is not None else None
        if num_pr is None or num_pr.numId is None:
            continue
        abstract_id = nums.get(str(num_pr.numId.val))
        level = int(num_pr.ilvl.val) if num_pr.ilvl is not None else 0
        definition = abstract.get(abstract_id)
        if abstract_id is None or definition is None:
            continue
        levels = {int(lvl.get(_W + "ilvl")): lvl for lvl in definition.findall(_W + "lvl")}
        if level not in levels:
            continue
        start_el = levels[level].find(_W + "start")
        start = int(start_el.get(_W + "val")) if start_el is not None else 1
        key = (abstract_id, level)
        counters[key] = counters.get(key, start - 1) + 1
        for deeper in [k for k in counters if k[0] == abstract_id and k[1] > level]:
            del counters[deeper]
        text_el = levels[level].find(_W + "lvlText")
        label = text_el.get(_W + "val") if text_el is not None else ""
        for n in range(level + 1):
            fmt_el = levels[n].find(_W + "numFmt") if n in levels else None
            fmt = fmt_el.get(_W + "val") if fmt_el is not None else "decimal"
            if fmt == "bullet":
                label = ""
                break
            label = label.replace(f"%{n + 1}", _format_number(counters.get((abstract_id, n), 1), fmt))
        labels[index] = label
    return labels


class _PypdfLog:
    """pypdf logs each repair it makes to a broken file ("EOF marker not found" …) on its own logger,
    which without logging set up reaches stderr before our error. While PDFs are read, that logger keeps
    them (no propagation, a null handler), so a damaged file reads as our one error. Readers are counted,
    so concurrent ones leave the logger as they found it."""

    logger = logging.getLogger("pypdf")
    lock = threading.Lock()
    readers = 0
    propagate = True

    @classmethod
    @contextmanager
    def silenced(cls) -> Iterator[None]:
        handler = logging.NullHandler()
        with cls.lock:
            if cls.readers == 0:
                cls.propagate, cls.logger.propagate = cls.logger.propagate, False
            cls.readers += 1
            cls.logger.addHandler(handler)
        try:
            yield
        finally:
            with cls.lock:
                cls.logger.removeHandler(handler)
                cls.readers -= 1
                if cls.readers == 0:
                    cls.logger.propagate = cls.propagate


def _pdf_text(data: bytes, filename: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        with _PypdfLog.silenced():
            reader = PdfReader(io.BytesIO(data))
            expansion.check_pages(len(reader.pages), filename)
            # Each page's text is stripped so that a paragraph running over a page break joins up again;
            # the text is counted page by page, so a PDF of endless text stops at the limit.
            pages, chars_read = [], 0
            for page in reader.pages:
                pages.append((page.extract_text() or "").strip("\n"))
                chars_read += len(pages[-1])
                expansion.check_text(chars_read, filename)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        # PyPdfError, not only PdfReadError: LimitReachedError (a stream expanding past pypdf's
        # decompression limit) derives from the base class alone
        raise ReportUnreadable(filename, "the PDF is damaged and cannot be read") from exc
    chars = sum(len(re.sub(r"\s", "", p)) for p in pages)
    if pages and chars < 20 * len(pages):
        raise ReportScannedPdf(filename, "the PDF has no text layer: it is a scan; run OCR first")
    if not pages:
        raise ReportEmpty(filename, "the PDF has no pages")
    return "\n".join(pages)
