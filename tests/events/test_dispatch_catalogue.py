"""The dispatch catalogue (派单目录): a spreadsheet round trip, all or nothing with every bad row named,
versions kept, audited; routing by its most specific row, recorded on the event and shown."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from citycockpit.audit.models import AuditEntry
from citycockpit.core.tabular import ImportFailed
from citycockpit.events import catalogue
from citycockpit.events.models import Event
from citycockpit.org.models import Department
from tests.builders import make_department, xlsx_bytes
from tests.events.conftest import GRID_A, GRID_B, TESTER, report

HEADERS = ["条目", "分类编码", "分类名称", "承办单位", "承办单位名称", "区域编码", "区域名称", "关键词"]
ZONE = "320585101"  # 沙溪镇 stands in for a development zone (功能区) here


@pytest.fixture
def zone_depts(db, clock, city) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    now = clock.now()
    return {
        "gwh": make_department(
            db, "KFQGWH", "太仓港经济技术开发区管理委员会", short_name="港区管委会", now=now
        ),
        "hbj": make_department(db, "HBJ", "太仓市生态环境局", short_name="环保局", now=now),
        "zjj": make_department(db, "ZJJ", "太仓港区建设局", short_name="港区建设局", now=now),
    }


def publish(db: Any, clock: Any, rows: list[list[Any]], name: str = "派单目录.xlsx") -> Any:
    data = xlsx_bytes("派单目录", HEADERS, rows)
    return catalogue.import_catalogue(db, data, name, actor=TESTER, now=clock.now())


FOUR_ROWS = [
    [1, "E0102", "暴露垃圾", "CGJ", "", "", "", ""],
    [2, "E0102", "暴露垃圾", "HBJ", "", "", "", "建筑垃圾、渣土"],
    [3, "E0102", "暴露垃圾", "KFQGWH", "", ZONE, "", ""],
    [4, "E0102", "暴露垃圾", "ZJJ", "", ZONE, "", "建筑垃圾"],
]


def routed(db: Any, dispatcher: Any, clock: Any, text: str, where: tuple[float, float]) -> Event:
    return report(db, dispatcher.principal, clock.now(), description=text, lat=where[0], lon=where[1])


def test_version_zero_is_each_categorys_own_default_department(db, categories):
    number, rules = catalogue.version_rules(db)
    assert number == 0
    assert [(r.category_code, r.department_code) for r in rules] == [
        ("E0102", "CGJ"),
        ("E0401", "CGJ"),
        ("H0104", "CGJ"),
        ("H0601", "@town"),
    ]


def test_an_exported_catalogue_imports_back_as_the_same_rows(db, clock, categories, zone_depts):
    publish(db, clock, FOUR_ROWS)
    exported = catalogue.export_catalogue(db, "xlsx")
    again = catalogue.import_catalogue(db, exported, "导出.xlsx", actor=TESTER, now=clock.now())
    _, first = catalogue.version_rules(db, 1)
    _, second = catalogue.version_rules(db, 2)

    def shape(rules: list[catalogue.CatalogueRule]) -> list[tuple[Any, ...]]:
        return [(r.position, r.category_code, r.department_code, r.area_code, r.keywords) for r in rules]

    assert (again.version, again.added, again.removed) == (2, 0, 0)
    assert shape(second) == shape(first)


def test_the_export_names_categories_departments_and_areas_beside_their_codes(
    db, clock, categories, zone_depts
):
    publish(db, clock, FOUR_ROWS[2:3])
    sheet = load_workbook(io.BytesIO(catalogue.export_catalogue(db, "xlsx"))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows == [
        HEADERS,
        [1, "E0102", "暴露垃圾", "KFQGWH", "太仓港经济技术开发区管理委员会", ZONE, "沙溪镇", None],
    ]


def test_every_bad_row_is_named_and_nothing_is_published(db, clock, categories, zone_depts):
    rows = [
        FOUR_ROWS[0],
        [2, "E9999", "", "CGJ", "", "", "", ""],
        [3, "E0102", "", "NOSUCH", "", "", "", ""],
        [4, "E0102", "", "CGJ", "", "999999", "", ""],
        [5, "E0102", "", "FGW", "", "", "", ""],  # repeats row 2's category without area or keywords
    ]
    with pytest.raises(ImportFailed) as failed:
        publish(db, clock, rows)
    assert [(e.row, e.reason) for e in failed.value.row_errors] == [
        (3, "分类编码 E9999 is not an active minor category"),
        (4, "承办单位 NOSUCH is not an active department code or name"),
        (5, "区域编码 999999 is not an area code"),
        (6, "duplicate category, area and keywords E0102 — — (first on row 2)"),
    ]
    assert catalogue.list_versions(db) == []


def test_a_department_may_be_named_instead_of_coded(db, clock, categories, zone_depts):
    publish(db, clock, [[1, "E0102", "", "港区管委会", "", "", "", ""]])
    _, rules = catalogue.version_rules(db)
    assert rules[0].department_code == "KFQGWH"


def test_each_import_publishes_a_new_version_and_old_versions_stay_readable(
    db, clock, categories, zone_depts
):
    publish(db, clock, FOUR_ROWS)
    publish(db, clock, FOUR_ROWS[:1])
    assert [v.number for v in catalogue.list_versions(db)] == [2, 1]
    assert len(catalogue.version_rules(db, 1)[1]) == 4
    assert len(catalogue.version_rules(db)[1]) == 1


def test_an_unknown_version_is_not_found(db, categories):
    with pytest.raises(catalogue.CatalogueVersionNotFound):
        catalogue.version_rules(db, 7)


def test_publishing_is_audited_with_the_rows_added_and_removed(db, clock, categories, zone_depts):
    publish(db, clock, FOUR_ROWS[:2])
    publish(db, clock, [FOUR_ROWS[0], FOUR_ROWS[2]])
    entry = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "events.catalogue.publish")
        .order_by(AuditEntry.id.desc())
    ).first()
    diff = json.loads(entry.diff_json)
    assert (entry.object_id, diff["previous_version"], diff["added"], diff["removed"]) == (
        "2",
        1,
        [f"E0102 @{ZONE}→KFQGWH"],
        ["E0102 [建筑垃圾、渣土]→HBJ"],
    )


@pytest.mark.parametrize(
    ("text", "where", "department", "position"),
    [
        ("东门街口有一堆暴露垃圾", GRID_A, "CGJ", 1),
        ("东门街口有人倾倒建筑垃圾", GRID_A, "HBJ", 2),
        ("沙南路边有一堆暴露垃圾", GRID_B, "KFQGWH", 3),
        ("沙南路边有人倾倒建筑垃圾", GRID_B, "ZJJ", 4),
    ],
)
def test_routing_takes_the_most_specific_catalogue_row_and_records_it(
    db, clock, categories, zone_depts, dispatcher, text, where, department, position
):
    publish(db, clock, FOUR_ROWS)
    event = routed(db, dispatcher, clock, text, where)
    rule = catalogue.find_rule(db, event.routing_rule_id)
    codes = {d.id: d.code for d in db.scalars(select(Department))}
    assert (codes[event.department_id], rule.version, rule.position) == (department, 1, position)
    assert event.routing_rule == f"catalogue:v1#{position}→{department}"


def test_an_area_exception_routes_a_development_zone_event_to_its_committee(
    db, clock, categories, zone_depts, dispatcher, city
):
    publish(db, clock, [FOUR_ROWS[0], FOUR_ROWS[2]])
    inside = routed(db, dispatcher, clock, "沙南路边有一堆暴露垃圾", GRID_B)
    outside = routed(db, dispatcher, clock, "东门街口有一堆暴露垃圾", GRID_A)
    assert (inside.department_id, outside.department_id) == (zone_depts["gwh"].id, city["cgj"].id)


def test_a_category_the_catalogue_leaves_out_keeps_its_default_department(
    db, clock, categories, zone_depts, dispatcher, city
):
    publish(db, clock, [[1, "E0401", "", "FGW", "", "", "", ""]])
    event = routed(db, dispatcher, clock, "东门街口有一堆暴露垃圾", GRID_A)
    assert (event.department_id, event.routing_rule_id, event.routing_rule) == (
        city["cgj"].id,
        None,
        "category:E0102→CGJ",
    )


def test_the_event_shows_which_catalogue_row_decided(client, db, clock, categories, zone_depts, dispatcher):
    publish(db, clock, FOUR_ROWS)
    event = routed(db, dispatcher, clock, "沙南路边有一堆暴露垃圾", GRID_B)
    body = client.get(f"/api/v1/events/{event.public_id}", headers=dispatcher.headers).json()
    page = client.get(f"/app/events/{event.public_id}", headers=dispatcher.headers).text
    assert (body["routing_catalogue"]["version"], body["routing_catalogue"]["position"]) == (1, 3)
    assert "按派单目录第3条（第1版）" in page


def test_the_centre_publishes_over_the_api_and_a_department_may_not(
    client, db, clock, categories, zone_depts, dispatcher, dept_staff
):
    data = xlsx_bytes("派单目录", HEADERS, FOUR_ROWS)
    files = {"file": ("派单目录.xlsx", data)}
    refused = client.post("/api/v1/events/catalogue/import", files=files, headers=dept_staff.headers)
    done = client.post("/api/v1/events/catalogue/import", files=files, headers=dispatcher.headers)
    assert (refused.status_code, done.status_code, done.json()) == (
        403,
        200,
        {"version": 1, "rules": 4, "added": 3, "removed": 3},
    )


def test_a_bad_upload_over_the_api_names_its_rows(client, db, clock, categories, dispatcher):
    data = xlsx_bytes("派单目录", HEADERS, [[1, "E0102", "", "NOSUCH", "", "", "", ""]])
    r = client.post(
        "/api/v1/events/catalogue/import", files={"file": ("坏.xlsx", data)}, headers=dispatcher.headers
    )
    assert (r.status_code, r.json()["code"], r.json()["errors"]) == (
        422,
        "import_failed",
        [
            {
                "file": "坏.xlsx",
                "row": 2,
                "reason": "承办单位 NOSUCH is not an active department code or name",
                "sheet": "派单目录",
                "column": "承办单位",
                "reason_code": "unknown_department",
                "params": {"value": "NOSUCH"},
            }
        ],
    )


def test_the_cli_exports_and_imports_the_catalogue(tmp_path, fresh_db, clock):
    from citycockpit.cli import app
    from citycockpit.db import session_scope
    from citycockpit.events import categories as cats
    from tests.builders import make_small_city
    from tests.events.conftest import CATEGORY_YAML

    url, engine = fresh_db
    with session_scope(engine) as s:
        make_small_city(s, now=clock.now())
        cats.import_categories(s, CATEGORY_YAML.encode(), "t.yaml", actor=TESTER, now=clock.now())
    out = tmp_path / "派单目录.xlsx"
    runner = CliRunner()
    exported = runner.invoke(app, ["events", "catalogue", "export", "--out", str(out), "--db", url])
    imported = runner.invoke(app, ["events", "catalogue", "import", str(out), "--db", url])
    assert (exported.exit_code, imported.exit_code) == (0, 0), exported.output + imported.output
    assert "dispatch catalogue version 1: 4 rows (0 added, 0 removed)" in imported.output


def test_the_admin_page_names_every_bad_row_of_an_upload_and_publishes_a_good_one(
    client, db, clock, categories, zone_depts, dispatcher
):
    def upload(rows: list[list[Any]]) -> Any:
        return client.post(
            "/app/admin/catalogue/import",
            data={"csrf_token": dispatcher.csrf_token},
            files={"file": ("派单目录.xlsx", xlsx_bytes("派单目录", HEADERS, rows))},
            headers={"Cookie": dispatcher.headers["Cookie"]},
        )

    bad = upload([[1, "E9999", "", "CGJ", "", "", "", ""], [2, "E0102", "", "NOSUCH", "", "", "", ""]])
    good = upload(FOUR_ROWS)
    assert bad.status_code == 422
    assert (
        "第2行 分类编码：找不到启用中的小类“E9999”" in bad.text
        and "第3行 承办单位：找不到启用中的单位“NOSUCH”" in bad.text
        and "is not an active" not in bad.text
    )
    assert (
        good.status_code,
        "已发布第1版：共4条" in good.text,
        "太仓港经济技术开发区管理委员会" in good.text,
    ) == (
        200,
        True,
        True,
    )


def test_a_department_may_read_the_catalogue_page_but_not_upload(client, db, clock, categories, dept_staff):
    page = client.get("/app/admin/catalogue", headers=dept_staff.headers)
    upload = client.post(
        "/app/admin/catalogue/import",
        data={"csrf_token": dept_staff.csrf_token},
        files={"file": ("派单目录.xlsx", xlsx_bytes("派单目录", HEADERS, FOUR_ROWS[:1]))},
        headers={"Cookie": dept_staff.headers["Cookie"]},
    )
    assert (page.status_code, "上传并发布新版本" in page.text, upload.status_code) == (200, False, 403)


def test_an_old_version_stays_readable_over_the_api(client, db, clock, categories, zone_depts, supervisor):
    publish(db, clock, FOUR_ROWS)
    publish(db, clock, FOUR_ROWS[:1])
    old = client.get("/api/v1/events/catalogue?version=1", headers=supervisor.headers).json()
    newest = client.get("/api/v1/events/catalogue", headers=supervisor.headers).json()
    missing = client.get("/api/v1/events/catalogue?version=9", headers=supervisor.headers)
    assert (old["version"], len(old["rules"]), old["rules"][3]["keywords"]) == (1, 4, ["建筑垃圾"])
    assert (newest["version"], len(newest["rules"]), [v["version"] for v in newest["versions"]]) == (
        2,
        1,
        [2, 1],
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "catalogue_version_not_found")


def test_dispatching_elsewhere_by_hand_no_longer_credits_the_catalogue_row(
    db, clock, categories, zone_depts, dispatcher, city
):
    from citycockpit.events.enums import Action
    from tests.events.conftest import act

    publish(db, clock, FOUR_ROWS)
    kept = routed(db, dispatcher, clock, "东门街口有一堆暴露垃圾", GRID_A)
    moved = routed(db, dispatcher, clock, "东门街口有一堆暴露垃圾", GRID_A)
    for event, department in ((kept, None), (moved, city["fgw"].id)):
        act(db, event, Action.REGISTER, dispatcher.principal, clock.now())
        act(db, event, Action.DISPATCH, dispatcher.principal, clock.now(), department_id=department)
    assert (catalogue.find_rule(db, kept.routing_rule_id).position, moved.routing_rule_id) == (1, None)


def test_the_triage_card_prefills_the_catalogues_department_for_the_place(
    client, db, clock, categories, zone_depts, dispatcher, city
):
    publish(db, clock, [FOUR_ROWS[0], FOUR_ROWS[2]])
    inside = routed(db, dispatcher, clock, "沙南路边有一堆暴露垃圾", GRID_B)
    outside = routed(db, dispatcher, clock, "东门街口有一堆暴露垃圾", GRID_A)
    picked = {}
    for name, event in (("inside", inside), ("outside", outside)):
        page = client.get(
            f"/app/events/{event.public_id}/department?category_code=E0102", headers=dispatcher.headers
        ).text
        picked[name] = re.search(r'<option value="(\d+)" selected', page).group(1)
    assert picked == {"inside": str(zone_depts["gwh"].id), "outside": str(city["cgj"].id)}
