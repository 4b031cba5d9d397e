"""Text at intake: one normalisation (core.text.clean_text) on every channel, the same field limits on
every channel, and Open311's XML well-formed whatever is stored."""

from __future__ import annotations

import unicodedata
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select, update

from citycockpit.core.tabular import ImportFailed
from citycockpit.core.text import clean_text, xml_safe
from citycockpit.events.intake import hotline
from citycockpit.events.intake.writer import _failure
from citycockpit.events.models import INTAKE_LIMITS, Event
from tests.events.conftest import GRID_A, TESTER, report

COMBINING = "cafe\u0301"  # e + combining acute: NFC makes it one code point
TYPED = "东门\x01街口\x1b有垃圾\r\n第二行\t完\x7f " + COMBINING + " １２３号，ＡＢＣ"
STORED = "东门街口有垃圾\n第二行\t完 caf\u00e9 １２３号，ＡＢＣ"


def test_clean_text_drops_controls_keeps_lines_and_tabs_and_composes_without_folding_full_width():
    assert clean_text(TYPED) == STORED
    assert unicodedata.is_normalized("NFC", clean_text(TYPED))
    assert clean_text("a\rb") == "a\nb"
    assert clean_text("\ud800坏") == "坏"


def test_xml_safe_leaves_out_only_what_xml_cannot_hold():
    assert xml_safe("a\x01b\x0bc\td\ne\rf\ufffeg\u0085h") == "abc\td\ne\rfg\u0085h"


def test_the_json_api_stores_normalised_text(client, db, categories, dispatcher):
    body = {"description": TYPED, "category_code": "E0102", "lat": GRID_A[0], "lon": GRID_A[1]}
    body["reporter_name"] = "张\x00伟"[0] + "\x02伟"
    r = client.post("/api/v1/events", json=body, headers=dispatcher.headers)
    assert r.status_code == 201, r.text
    stored = db.scalars(select(Event).where(Event.public_id == r.json()["public_id"])).one()
    assert (stored.description, stored.reporter_name) == (STORED, "张伟")


def test_a_service_call_stores_normalised_text(db, clock, categories, dispatcher):
    event = report(db, dispatcher.principal, clock.now(), description=TYPED, address="东门街\x0312号")
    assert (event.description, event.address) == (STORED, "东门街12号")


def test_a_hotline_file_stores_normalised_text(db, clock, categories):
    text = '工单编号,受理时间,分类编码,诉求内容,来电人\nTC1,2024-09-30 09:10,E0102,"' + TYPED + '",李\x01娜\n'
    hotline.import_hotline_file(db, text.encode(), "h.csv", actor=TESTER, now=clock.now())
    stored = db.scalars(select(Event).where(Event.external_id == "TC1")).one()
    assert (stored.description, stored.reporter_name) == (STORED, "李娜")


def test_an_open311_post_stores_normalised_text(live_intake):
    r = live_intake.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": live_intake.api_key,
            "service_code": "E0102",
            "lat": GRID_A[0],
            "long": GRID_A[1],
            "description": TYPED,
            "first_name": "\x07娜",
        },
    )
    assert r.status_code == 201, r.text
    with live_intake.session() as s:
        stored = s.scalars(select(Event).where(Event.public_id == r.json()[0]["service_request_id"])).one()
        assert (stored.description, stored.reporter_name) == (STORED, "娜")


def test_the_public_xml_parses_whatever_is_stored(client, db, clock, categories, dispatcher):
    event = report(db, dispatcher.principal, clock.now(), channel="app", description="正常描述")
    # written past intake, as by an older version or by hand: every XML-illegal character there is
    db.execute(
        update(Event)
        .where(Event.id == event.id)
        .values(description="路灯\x01不亮\x0b了\ufffe", address="东门\x1f街")
    )
    db.flush()
    for path in ("/open311/v2/requests.xml", f"/open311/v2/requests/{event.public_id}.xml?extensions=true"):
        r = client.get(path)
        assert r.status_code == 200, r.text
        root = ET.fromstring(r.content)
        request = root.find("request")
        assert request is not None
        assert (request.findtext("description"), request.findtext("address")) == ("路灯不亮了", "东门街")


# ---- field limits: one definition, every channel, a 4xx naming the field ----------------------

TOO_LONG = {
    "phone": ("reporter_phone", "1" * (INTAKE_LIMITS["reporter_phone"] + 1)),
    "first_name": ("reporter_name", "名" * (INTAKE_LIMITS["reporter_name"] + 100)),
    "email": ("reporter_email", "a" * (INTAKE_LIMITS["reporter_email"] + 100) + "@example.cn"),
    "address_string": ("address", "路" * (INTAKE_LIMITS["address"] + 1)),
    "description": ("description", "垃" * (INTAKE_LIMITS["description"] + 1)),
}


@pytest.mark.parametrize("field", sorted(TOO_LONG))
def test_an_open311_field_over_its_limit_is_a_400_naming_it_on_both_engines(live_intake, field):
    form = {
        "api_key": live_intake.api_key,
        "service_code": "E0102",
        "lat": GRID_A[0],
        "long": GRID_A[1],
        "description": "路口有垃圾",
        field: TOO_LONG[field][1],
    }
    r = live_intake.client.post("/open311/v2/requests.json", data=form)
    assert r.status_code == 400, r.text
    assert "Retry-After" not in r.headers
    assert field in r.json()[0]["description"]


@pytest.mark.parametrize("field", ["reporter_phone", "reporter_name", "reporter_email", "address", "title"])
def test_a_json_api_field_over_its_limit_is_a_422_naming_it(client, categories, dispatcher, field):
    body = {"description": "垃圾", "category_code": "E0102", "lat": GRID_A[0], "lon": GRID_A[1]}
    body[field] = "1" * (INTAKE_LIMITS[field] + 1)
    r = client.post("/api/v1/events", json=body, headers=dispatcher.headers)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


def test_a_hotline_row_over_a_limit_is_refused_naming_the_field(db, clock, categories):
    phone = "1" * (INTAKE_LIMITS["reporter_phone"] + 1)
    text = f"工单编号,分类编码,诉求内容,来电号码\nTC2,E0102,垃圾,{phone}\n"
    with pytest.raises(ImportFailed) as info:
        hotline.import_hotline_file(db, text.encode(), "h.csv", actor=TESTER, now=clock.now())
    assert "reporter_phone is longer than 32" in info.value.extra["errors"][0]["reason"]


def test_a_value_the_database_refuses_is_not_a_retryable_503():
    from sqlalchemy.exc import DataError

    refused = _failure(DataError("INSERT …", {}, Exception("value too long for type character varying(32)")))
    assert refused.status == 422  # Open311 answers it as 400


def test_every_xlsx_export_holds_text_xml_cannot(client, db, clock, admin):  # type: ignore[no-untyped-def]
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.goals.builders import make_goal

    make_goal(db, now=clock.now(), title="新建充电站\x0140座")
    r = client.get("/api/v1/goals/export-tasks", headers=admin.headers)
    assert r.status_code == 200, r.text
    cells = [c for row in load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True) for c in row]
    assert "新建充电站40座" in cells


def test_a_history_file_stores_normalised_text(db, clock, categories):
    from tests.events.test_history_import import GOOD, HEADER, _csv, _import

    row = list(GOOD[0])
    row[HEADER.index("诉求内容")] = TYPED
    row[HEADER.index("办理结果")] = "已\x01清运"
    _import(db, clock, _csv([row]))
    stored = db.scalars(select(Event).where(Event.external_id == row[0])).one()
    assert (stored.description, stored.result_text) == (STORED.strip(), "已清运")


def test_the_workbench_form_stores_normalised_text(client, db, categories, grid_worker):
    form = {"csrf_token": grid_worker.csrf_token, "description": TYPED, "category_code": "E0102"}
    r = client.post(
        "/app/events/new",
        data=form,
        headers={"Cookie": grid_worker.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    stored = db.scalars(select(Event).where(Event.channel == "patrol")).one()
    assert stored.description == STORED.strip()


def test_every_intake_check_names_its_field_and_a_reason_both_languages_can_say():
    from citycockpit.events.intake.service import EventInput, check_fields
    from citycockpit.web.i18n import catalogue, translate

    bad = [
        EventInput(description=""),
        EventInput(description="x" * (INTAKE_LIMITS["description"] + 1)),
        EventInput(description="路灯不亮", title="x" * (INTAKE_LIMITS["title"] + 1)),
        EventInput(description="路灯不亮", media_urls=["http://x/" + "y" * INTAKE_LIMITS["media_url"]]),
        EventInput(description="路灯不亮", channel="pigeon"),
        EventInput(description="路灯不亮", request_type="wish"),
        EventInput(description="路灯不亮", lat=31.4),
        EventInput(description="路灯不亮", lat=95.0, lon=200.0),
        EventInput(description="路灯不亮", location_accuracy_m=5.0),
        EventInput(description="路灯不亮", lat=31.4, lon=121.1, location_accuracy_m=-1.0),
        EventInput(description="路灯不亮", coord_system="mars"),
        EventInput(description="路灯不亮", priority="whenever"),
        EventInput(description="路灯不亮", idempotency_key="短"),
    ]
    codes = set()
    for data in bad:
        problems = check_fields(data)
        assert problems, data
        for problem in problems:
            assert problem.field and problem.code
            codes.add(problem.code)
            for lang in ("zh", "en"):
                key = f"import.reason.{problem.code}"
                assert key in catalogue(lang), (lang, key)
                said = translate(lang, key, **problem.params)
                assert "{" not in said, said  # every placeholder filled
    assert len(codes) >= 13
    assert check_fields(EventInput(description="路灯不亮", lat=31.4, lon=121.1)) == []
