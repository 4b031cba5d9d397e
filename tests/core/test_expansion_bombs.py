"""Expansion bombs: every route that takes a file refuses one that would expand past the limits (zip
members' sizes and ratios read before anything is inflated, rows counted, report text and pages
counted) with a small 4xx naming the setting, and stores nothing. The upload routes are found by
walking the app, so a new one is covered without touching this test."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from fastapi.routing import APIRoute
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit import models as every_table
from citycockpit.audit.models import AuditEntry
from citycockpit.core import expansion, tabular
from tests.auth.routes import _raw_routes

MB = 1024 * 1024
SMALL_ANSWER = 4096  # bytes: a refusal names the limit, it does not echo the file
SMALL_PAGE = 32 * 1024  # a page's refusal is the whole page (menu, bottom bar) around one message


def _inflating_member(archive: zipfile.ZipFile, name: str, prefix: bytes, unit: bytes, size: int) -> None:
    """Write `name` as `prefix` followed by `unit` repeated to `size` bytes, in chunks (the test never
    holds the expanded data)."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        member.write(prefix)
        chunk = unit * (MB // len(unit))
        for _ in range(size // len(chunk)):
            member.write(chunk)


def _bomb(kind: str, size: int) -> bytes:
    """A real XLSX or DOCX whose main part is replaced by `size` bytes of repeated rows/paragraphs."""
    if kind == "xlsx":
        book = Workbook()
        book.active.append(["title", "description"])  # type: ignore[union-attr]
        base = io.BytesIO()
        book.save(base)
        main, prefix, unit = (
            "xl/worksheets/sheet1.xml",
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
            b'<row><c t="inlineStr"><is><t>x</t></is></c></row>',
        )
    else:
        import docx

        base = io.BytesIO()
        docx.Document().save(base)
        main, prefix, unit = (
            "word/document.xml",
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>',
            b"<w:p><w:r><w:t>x</w:t></w:r></w:p>",
        )
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != main:
                dst.writestr(item, src.read(item))
        _inflating_member(dst, main, prefix, unit, size)
    return out.getvalue()


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    # 165 MB of sheet (the probe's 2 M rows) and of document: past import_max_expanded_mb's 100 MB.
    return {"xlsx": _bomb("xlsx", 165 * MB), "docx": _bomb("docx", 165 * MB), "ratio": _bomb("xlsx", 20 * MB)}


def _upload_routes(app: Any) -> list[str]:
    urls = []
    for path, route in _raw_routes(app):
        if not isinstance(route, APIRoute) or "POST" not in route.methods or "{" in path:
            continue
        if any("UploadFile" in str(p.field_info.annotation) for p in route.dependant.body_params):
            query = "?year=2024" if any(q.name == "year" for q in route.dependant.query_params) else ""
            urls.append(path + query)
    return urls


def _stored(db: Session) -> dict[str, int]:
    """Rows in every table but the audit log's (a refusal may be audited, never stored)."""
    counts = {}
    for table in every_table.Base.metadata.sorted_tables:
        if table.name not in (AuditEntry.__tablename__, "audit_head", "user_sessions", "api_tokens"):
            counts[table.name] = db.scalar(select(func.count()).select_from(table)) or 0
    return counts


def test_every_upload_route_refuses_an_expansion_bomb_small_and_stores_nothing(
    app, client, db: Session, city, admin, bombs
) -> None:  # type: ignore[no-untyped-def]
    urls = _upload_routes(app)
    assert {"/api/v1/events/import", "/api/v1/reports", "/api/v1/goals/import-tasks?year=2024"} <= set(urls)
    before = _stored(db)
    for url in urls:
        for kind, name in (("xlsx", "bomb.xlsx"), ("docx", "bomb.docx"), ("ratio", "ratio.xlsx")):
            r = client.post(url, files={"file": (name, bombs[kind])}, headers=admin.headers)
            assert 400 <= r.status_code < 500, (url, name, r.status_code, r.text[:300])
            limit = SMALL_PAGE if url.startswith("/app/") else SMALL_ANSWER
            assert len(r.content) < limit, (url, name, len(r.content))
            if r.status_code == 413:
                # the API names the setting; a Chinese page says in Chinese that the file is over the limit
                named = "import_max" in r.text or "report_max" in r.text
                assert named or (url.startswith("/app/") and "超出系统限制" in r.text), (url, r.text[-600:])
    assert _stored(db) == before


def test_the_limits_are_named_and_checked_before_anything_is_inflated(bombs) -> None:
    with pytest.raises(expansion.FileTooLarge) as total:
        expansion.check_zip(bombs["xlsx"], "bomb.xlsx")
    assert total.value.status == 413 and "import_max_expanded_mb" in total.value.detail
    with pytest.raises(expansion.FileTooLarge) as ratio:
        expansion.check_zip(bombs["ratio"], "ratio.xlsx")
    assert "import_max_compression_ratio" in ratio.value.detail
    with pytest.raises(expansion.FileTooLarge):
        tabular.stream_rows(bombs["xlsx"], "bomb.xlsx", {})
    normal = Workbook()
    for i in range(2000):
        normal.active.append([f"第{i}行", i, "东门街口有一堆暴露垃圾"])  # type: ignore[union-attr]
    data = io.BytesIO()
    normal.save(data)
    expansion.check_zip(data.getvalue(), "normal.xlsx")  # an ordinary workbook passes


def test_a_csv_with_more_rows_than_the_limit_is_refused_before_it_is_parsed(client, admin) -> None:  # type: ignore[no-untyped-def]
    rows = expansion.LIMITS.max_rows + 2
    data = b"title,description\n" + b"a,b\n" * rows
    r = client.post("/api/v1/events/import", files={"file": ("many.csv", data)}, headers=admin.headers)
    assert (r.status_code, r.json()["code"], r.json()["limit"]) == (413, "file_too_large", "import_max_rows")


def test_a_file_with_many_long_bad_rows_gets_a_small_error_answer(client, admin, db: Session) -> None:  # type: ignore[no-untyped-def]
    # The probe's 62 KB workbook answered 12.9 MB: every bad row's reason quoted its whole cell.
    long = "=" + "很长的内容" * 300
    data = (
        b"external_id,reported_at,description,category_code\n"
        + "".join(f"X{i},{long},垃圾,{long}\n" for i in range(1000)).encode()
    )
    r = client.post("/api/v1/events/import", files={"file": ("bad.csv", data)}, headers=admin.headers)
    body = r.json()
    assert r.status_code == 422 and body["error_count"] >= 1000, r.text[:300]
    assert len(body["errors"]) == tabular.MAX_LISTED_ERRORS
    assert all(len(e["reason"]) <= tabular.MAX_REASON_CHARS for e in body["errors"])
    assert any(e["reason"].endswith("…") for e in body["errors"])  # reasons quote the cell: cut
    assert len(r.content) < 200_000
