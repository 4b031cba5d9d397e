"""Limits on what an uploaded file may expand to: the one home of the zip check and of the caps every
reader of XLSX, DOCX, PDF and CSV applies, so a small file cannot cost minutes and gigabytes.

An XLSX or DOCX is a zip archive: its members' sizes and compression ratios are read from the central
directory *before* anything is decompressed, and a file whose members would expand past the limit, or
one member of which is compressed suspiciously well (a "zip bomb"), is refused with 413 naming the
setting. Rows, report text and PDF pages are counted while streaming and refused the same way.

The limits come from the settings (`import_max_expanded_mb`, `import_max_compression_ratio`,
`import_max_rows`, `report_max_text_chars`, `report_max_pdf_pages`); `configure` applies them for the
process at start-up (the app factory and every CLI command), the defaults hold until then."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from citycockpit.config import Settings
from citycockpit.core.errors import AppError

# A member smaller than this is not judged by its ratio: small XML parts (styles, shared strings of
# a few repeated words) legitimately compress very well, and cannot hurt.
RATIO_FLOOR_BYTES = 1024 * 1024


class FileTooLarge(AppError):
    """A file that would expand past a limit: refused before it is read (413)."""

    status, code, title = 413, "file_too_large", "File too large"


@dataclass(frozen=True)
class Limits:
    max_expanded_bytes: int = 100 * 1024 * 1024
    max_compression_ratio: int = 100
    max_rows: int = 1_000_000
    max_text_chars: int = 2_000_000
    max_pdf_pages: int = 2_000


LIMITS = Limits()


def configure(settings: Settings) -> None:
    """Apply the settings' limits to this process (called by `create_app` and `load_settings`)."""
    global LIMITS
    LIMITS = Limits(
        max_expanded_bytes=settings.import_max_expanded_mb * 1024 * 1024,
        max_compression_ratio=settings.import_max_compression_ratio,
        max_rows=settings.import_max_rows,
        max_text_chars=settings.report_max_text_chars,
        max_pdf_pages=settings.report_max_pdf_pages,
    )


def check_zip(data: bytes, name: str) -> None:
    """Refuse a zip-based file (XLSX, DOCX) whose members would expand past `import_max_expanded_mb` in
    all, or one of which is compressed more than `import_max_compression_ratio` to one; reads only the
    central directory. A file that is not a zip is left to its reader to refuse."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    limits = LIMITS
    total = sum(m.file_size for m in members)
    if total > limits.max_expanded_bytes:
        raise FileTooLarge(
            f"{name}: the file would expand to {total // 2**20} MB, more than the limit of "
            f"{limits.max_expanded_bytes // 2**20} MB (setting import_max_expanded_mb)",
            limit="import_max_expanded_mb",
        )
    for member in members:
        if member.file_size < RATIO_FLOOR_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise FileTooLarge(
                f"{name}: part {member.filename} is compressed {ratio:.0f} to 1, more than the limit of "
                f"{limits.max_compression_ratio} to 1 (setting import_max_compression_ratio): it looks "
                "like a zip bomb",
                limit="import_max_compression_ratio",
            )


def check_rows(count: int, name: str) -> None:
    """Refuse a table once it has more data rows than `import_max_rows`."""
    if count > LIMITS.max_rows:
        raise FileTooLarge(
            f"{name}: more than {LIMITS.max_rows} rows (setting import_max_rows); split the file",
            limit="import_max_rows",
        )


def check_text(chars: int, name: str) -> None:
    """Refuse a report whose text runs past `report_max_text_chars`."""
    if chars > LIMITS.max_text_chars:
        raise FileTooLarge(
            f"{name}: the text is longer than {LIMITS.max_text_chars} characters "
            "(setting report_max_text_chars)",
            limit="report_max_text_chars",
        )


def check_pages(pages: int, name: str) -> None:
    """Refuse a PDF with more pages than `report_max_pdf_pages`."""
    if pages > LIMITS.max_pdf_pages:
        raise FileTooLarge(
            f"{name}: {pages} pages, more than the limit of {LIMITS.max_pdf_pages} "
            "(setting report_max_pdf_pages)",
            limit="report_max_pdf_pages",
        )
