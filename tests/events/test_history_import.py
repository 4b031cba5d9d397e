"""A city's closed 12345 tickets imported as history (`events import-history`): stored closed or rated,
counted in the KPIs and rankings of their days, never in a queue, Open311 or an SLA job; all or nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from citycockpit.audit.models import AuditEntry
from citycockpit.core.tabular import ImportFailed
from citycockpit.events import queries as event_queries
from citycockpit.events.analytics import kpis
from citycockpit.events.intake import history
from citycockpit.events.models import Event, EventTransition
from citycockpit.events.workflow import jobs
from citycockpit.web import i18n
from tests.events.conftest import TESTER

TZ = history.ZoneInfo("Asia/Shanghai")
HEADER = [
    "工单编号",
    "受理时间",
    "标题",
    "诉求内容",
    "诉求类型",
    "分类编码",
    "承办单位",
    "办结时间",
    "办理结果",
    "满意度",
    "网格编码",
]
GOOD = [
    [
        "RX0001",
        "2024-08-05 09:00",
        "垃圾未清运",
        "小区门口垃圾三天没人清",
        "投诉",
        "E0102",
        "城管局",
        "2024-08-06 17:00",
        "已清运",
        "满意",
        "320585100001001",
    ],
    [
        "RX0002",
        "2024-08-05 10:00",
        "",
        "路边垃圾堆积",
        "投诉",
        "E0102",
        "CGJ",
        "2024-08-07 12:00",
        "已处理",
        "不满意",
        "",
    ],
    [
        "RX0003",
        "2024-08-06 11:00",
        "",
        "咨询办事流程",
        "咨询",
        "",
        "城管局",
        "2024-08-06 15:00",
        "已答复",
        "未回访",
        "",
    ],
]
GOOD[2][5] = "H0104"
AUGUST = kpis.KpiFilter(first=date(2024, 8, 1), last=date(2024, 8, 31))


def _csv(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "gb18030") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(db: Any, clock: Any, data: bytes, name: str = "history.csv", **kw: Any) -> history.HistoryResult:
    encoding = kw.pop("encoding", "gb18030" if name.endswith(".csv") else "utf-8")
    return history.import_history_file(
        db, data, name, actor=TESTER, now=clock.now(), zone=TZ, encoding=encoding, **kw
    )


def _errors(exc: pytest.ExceptionInfo[ImportFailed]) -> list[tuple[int | None, str | None]]:
    return [(e.row, e.column) for e in exc.value.row_errors]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_good_file_imports_closed_and_rated_history(db, clock, categories, kind) -> None:  # type: ignore[no-untyped-def]
    data = _csv(GOOD) if kind == "csv" else _xlsx(GOOD)
    result = _import(db, clock, data, f"history.{kind}")
    assert (result.imported, result.first_day, result.last_day) == (3, date(2024, 8, 5), date(2024, 8, 7))
    rows = db.execute(
        select(Event.external_id, Event.state, Event.satisfaction, Event.is_history, Event.closed_day)
        .where(Event.external_id.like("RX%"))
        .order_by(Event.external_id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("RX0001", "rated", "satisfied", True, date(2024, 8, 6)),
        ("RX0002", "rated", "unsatisfied", True, date(2024, 8, 7)),
        ("RX0003", "closed", None, True, date(2024, 8, 6)),
    ]


def test_each_imported_event_gets_one_timeline_row_and_the_import_one_audit_entry(
    db, clock, categories
) -> None:  # type: ignore[no-untyped-def]
    audits_before = db.scalar(select(func.count()).select_from(AuditEntry))
    _import(db, clock, _csv(GOOD))
    ids = select(Event.id).where(Event.is_history.is_(True))
    steps = db.execute(
        select(EventTransition.action, func.count())
        .where(EventTransition.event_id.in_(ids))
        .group_by(EventTransition.action)
    ).all()
    assert [tuple(s) for s in steps] == [("import_history", 3)]
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audits_before + 1


@pytest.mark.parametrize("use_rollups", [False, True])
def test_history_counts_in_intake_closure_and_satisfaction_of_its_days_but_not_in_step_kpis(
    db, clock, categories, use_rollups
) -> None:  # type: ignore[no-untyped-def]
    _import(db, clock, _csv(GOOD))
    days = kpis.KpiFilter(first=date(2024, 8, 5), last=date(2024, 8, 7))  # the days the import rolled up
    result = kpis.compute_kpis(db, days, principal=None, zone=TZ, now=clock.now(), use_rollups=use_rollups)
    assert result["source"] == ("rollup" if use_rollups else "raw")
    counts = {name: c["value"] for name, c in result["counts"].items()}
    assert (counts["received"], counts["closed"], counts["callbacks_valid"], counts["satisfied"]) == (
        3,
        3,
        2,
        1,
    )
    assert (
        counts["received_live"],
        counts["registered"],
        counts["close_due"],
        counts["closed_dispatched"],
    ) == (0, 0, 0, 0)
    rates = {k["key"]: k["value"] for k in result["kpis"]}
    assert (rates["satisfaction_rate"], rates["registration_rate"], rates["closure_rate"]) == (
        0.5,
        None,
        None,
    )


def test_history_appears_in_the_department_ranking_of_its_days(db, clock, categories, city) -> None:  # type: ignore[no-untyped-def]
    _import(db, clock, _csv(GOOD))
    ranking = kpis.rank_units(
        db, AUGUST, by="department", min_volume=1, principal=None, zone=TZ, now=clock.now()
    )
    cgj = next(i for i in ranking["unranked"] if i["key"] == city["cgj"].id)
    assert (cgj["received"], cgj["satisfaction_rate"]) == (3, 0.5)


def test_history_is_in_no_queue_no_open311_list_and_no_sla_job(
    db, clock, categories, client, dispatcher, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    _import(db, clock, _csv(GOOD))
    for persona in (dispatcher, dept_staff):
        for queue in event_queries.ROLE_QUEUES[persona.principal.role.value]:
            assert (
                event_queries.count_events(db, persona.principal, event_queries.EventFilter(queue=queue)) == 0
            )
    listed = client.get(
        "/open311/v2/requests.json?start_date=2024-08-01T00:00:00Z&end_date=2024-08-31T00:00:00Z"
    )
    assert listed.status_code == 200 and listed.json() == []
    public_id = db.scalar(select(Event.public_id).where(Event.external_id == "RX0001"))
    assert client.get(f"/open311/v2/requests/{public_id}.json").status_code == 404
    later = clock.now().replace(year=2025)
    for job in (jobs.warn_due_soon, jobs.remind_overdue, jobs.escalate):
        assert job(db, now=later).touched == 0


def test_every_kind_of_bad_row_is_named_and_nothing_is_stored(db, clock, categories) -> None:  # type: ignore[no-untyped-def]
    bad = [
        ["", "2024-08-05 09:00", "", "内容", "", "E0102", "城管局", "2024-08-06 09:00", "", "", ""],
        ["B2", "昨天", "", "内容", "", "E0102", "城管局", "2024-08-06 09:00", "", "", ""],
        ["B3", "2024-08-05 09:00", "", "", "", "E0102", "城管局", "2024-08-06 09:00", "", "", ""],
        ["B4", "2024-08-05 09:00", "", "内容", "", "X9999", "城管局", "2024-08-06 09:00", "", "", ""],
        ["B5", "2024-08-05 09:00", "", "内容", "", "E0102", "不存在局", "2024-08-06 09:00", "", "", ""],
        ["B6", "2024-08-05 09:00", "", "内容", "", "E0102", "城管局", "2024-08-04 09:00", "", "", ""],
        ["B7", "2024-08-05 09:00", "", "内容", "", "E0102", "城管局", "2024-08-06 09:00", "", "很好", ""],
        ["B8", "2024-08-05 09:00", "", "内容", "", "E0102", "城管局", "2024-08-06 09:00", "", "", "999"],
        ["B9", "2024-08-05 09:00", "", "内容", "", "E0102", "城管局", "2025-08-06 09:00", "", "", ""],
        ["B10", "2024-08-05 09:00", "", "内容", "", "", "城管局", "2024-08-06 09:00", "", "", ""],
    ]
    with pytest.raises(ImportFailed) as exc:
        _import(db, clock, _csv([*GOOD, *bad]))
    assert _errors(exc) == [
        (5, "工单编号"),
        (6, "受理时间"),
        (7, "诉求内容"),
        (8, "分类编码"),
        (9, "承办单位"),
        (10, "办结时间"),
        (11, "满意度"),
        (12, "网格编码"),
        (13, "办结时间"),
        (14, "分类编码"),
    ]
    assert exc.value.row_errors[0].file == "history.csv"
    assert db.scalar(select(func.count()).select_from(Event)) == 0


def test_every_refused_rows_reason_has_a_chinese_text_without_english_words(db, clock, categories) -> None:  # type: ignore[no-untyped-def]
    bad = [
        ["B2", "昨天", "", "内容", "", "E0102", "城管局", "2024-08-06 09:00", "", "", ""],
        ["B4", "2024-08-05 09:00", "", "内容", "", "X9999", "城管局", "2024-08-06 09:00", "", "", ""],
        ["B5", "2024-08-05 09:00", "", "内容", "", "E0102", "不存在局", "2024-08-06 09:00", "", "", ""],
        ["B6", "2024-08-05 09:00", "", "内容", "", "E0102", "城管局", "2024-08-04 09:00", "", "很好", ""],
        ["B9", "2024-08-05 09:00", "", "", "", "", "城管局", "2025-08-06 09:00", "", "", "999"],
        ["B9", "2024-08-05 09:00", "", "内容", "", "E0102", "城管局", "2024-08-06 09:00", "", "", ""],
    ]
    with pytest.raises(ImportFailed) as exc:
        _import(db, clock, _csv(bad))
    codes = {e.code for e in exc.value.row_errors}
    assert None not in codes and len(codes) >= 9
    for code in codes:
        text = re.sub(r"\{\w+\}", "", i18n.catalogue("zh")[f"import.reason.{code}"])  # the placeholders
        assert not re.search("[A-Za-z]", text), text
        assert f"import.reason.{code}" in i18n.catalogue("en")
    shown = [i18n.row_error_text("zh", e.as_dict()) for e in exc.value.row_errors]
    assert "“昨天”不是日期时间（例：2024-05-01 09:30）" in shown and "工单编号 B9 与第 6 行重复" in shown


def test_a_ticket_twice_in_the_file_is_refused(db, clock, categories) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportFailed) as exc:
        _import(db, clock, _csv([*GOOD, GOOD[0]]))
    assert _errors(exc) == [(5, "工单编号")]
    assert "repeats row 2" in exc.value.row_errors[0].reason


def test_a_second_import_of_the_same_file_is_refused_and_stores_nothing_more(db, clock, categories) -> None:  # type: ignore[no-untyped-def]
    _import(db, clock, _csv(GOOD))
    with pytest.raises(ImportFailed) as exc:
        _import(db, clock, _csv(GOOD))
    assert _errors(exc) == [(2, "工单编号"), (3, "工单编号"), (4, "工单编号")]
    assert "already stored" in exc.value.row_errors[0].reason
    assert db.scalar(select(func.count()).select_from(Event)) == 3


def test_the_error_list_is_capped_but_counts_every_bad_row(db, clock, categories) -> None:  # type: ignore[no-untyped-def]
    rows = [
        [f"C{i}", "坏时间", "", "内容", "", "E0102", "城管局", "2024-08-06 09:00", "", "", ""]
        for i in range(250)
    ]
    with pytest.raises(ImportFailed) as exc:
        _import(db, clock, _csv(rows))
    assert (len(exc.value.row_errors), exc.value.total, exc.value.extra["error_count"]) == (200, 250, 250)


def test_a_file_without_a_required_column_is_refused(db, clock, categories) -> None:  # type: ignore[no-untyped-def]
    header = [h for h in HEADER if h != "办结时间"]
    with pytest.raises(ImportFailed) as exc:
        _import(db, clock, _csv([r[:7] + r[8:] for r in GOOD], header=header))
    assert "办结时间" in exc.value.row_errors[0].reason


def test_the_api_imports_history_for_the_centre(client, db, categories, dispatcher) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/events/history/import?encoding=gb18030",
        files={"file": ("history.csv", _csv(GOOD), "text/csv")},
        headers=dispatcher.headers,
    )
    assert (r.status_code, r.json()["imported"], r.json()["first_day"]) == (200, 3, "2024-08-05")


def test_the_api_refuses_a_role_without_the_history_permission(client, db, categories, dept_staff) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/events/history/import",
        files={"file": ("history.csv", _csv(GOOD), "text/csv")},
        headers=dept_staff.headers,
    )
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    assert db.scalar(select(func.count()).select_from(Event)) == 0


def test_the_api_names_every_bad_row_with_its_column(client, db, categories, dispatcher) -> None:  # type: ignore[no-untyped-def]
    bad = [["B1", "2024-08-05 09:00", "", "内容", "", "E0102", "不存在局", "2024-08-06 09:00", "", "", ""]]
    r = client.post(
        "/api/v1/events/history/import?encoding=gb18030",
        files={"file": ("history.csv", _csv(bad), "text/csv")},
        headers=dispatcher.headers,
    )
    assert (r.status_code, r.json()["code"], r.json()["error_count"]) == (422, "import_failed", 1)
    assert r.json()["errors"] == [
        {
            "file": "history.csv",
            "row": 2,
            "column": "承办单位",
            "reason": "unknown department 不存在局",
            "reason_code": "unknown_department",
            "params": {"value": "不存在局"},
        }
    ]


def test_the_admin_page_uploads_an_xlsx_history_file(client, db, categories, dispatcher) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/app/admin/history", headers=dispatcher.headers)
    assert page.status_code == 200 and "历史工单导入" in page.text
    r = client.post(
        "/app/admin/history/import",
        data={"csrf_token": dispatcher.csrf_token, "encoding": "utf-8"},
        files={"file": ("history.xlsx", _xlsx(GOOD), "application/octet-stream")},
        headers={"Cookie": dispatcher.headers["Cookie"]},
    )
    assert r.status_code == 200 and "导入完成：3 件历史工单" in r.text
    assert db.scalar(select(func.count()).select_from(Event).where(Event.is_history.is_(True))) == 3


def test_the_admin_page_lists_the_bad_rows_of_a_refused_file(client, db, categories, dispatcher) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/app/admin/history/import",
        data={"csrf_token": dispatcher.csrf_token, "encoding": "gb18030"},
        files={"file": ("history.csv", _csv([*GOOD, GOOD[0]]), "text/csv")},
        headers={"Cookie": dispatcher.headers["Cookie"]},
    )
    assert r.status_code == 422 and "第 5 行 工单编号: 工单编号 RX0001 与第 2 行重复" in r.text
    assert "repeats" not in r.text and "problem" not in r.text and "文件中有 1 处错误" in r.text
    assert db.scalar(select(func.count()).select_from(Event)) == 0


def test_an_english_admin_page_lists_the_bad_rows_in_english(client, db, categories, dispatcher) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/app/admin/history/import?lang=en",
        data={"csrf_token": dispatcher.csrf_token, "encoding": "gb18030"},
        files={"file": ("history.csv", _csv([*GOOD, GOOD[0]]), "text/csv")},
        headers={"Cookie": dispatcher.headers["Cookie"]},
    )
    assert r.status_code == 422 and "ticket RX0001 repeats row 2" in r.text and "重复" not in r.text


def test_imported_history_takes_no_workflow_action(client, db, clock, categories, dispatcher) -> None:  # type: ignore[no-untyped-def]
    _import(db, clock, _csv(GOOD))
    event = db.scalars(select(Event).where(Event.external_id == "RX0003")).one()
    detail = client.get(f"/api/v1/events/{event.public_id}", headers=dispatcher.headers).json()
    assert detail["allowed_actions"] == []
    r = client.post(
        f"/api/v1/events/{event.public_id}/rate",
        json={"version": event.version, "satisfaction": "satisfied"},
        headers=dispatcher.headers,
    )
    assert (r.status_code, r.json()["code"]) == (409, "event_transition_not_allowed")


def test_the_hotline_import_finds_stored_tickets_one_batch_at_a_time(db, clock, categories) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.events.intake import hotline

    _import(db, clock, _csv(GOOD))
    tickets = [f"N{i}" for i in range(hotline.HOTLINE_BATCH * 2)] + ["RX0003", "", "RX0001"]
    assert hotline.stored_tickets(db, tickets) == {"RX0001", "RX0003"}


# ---- the caller's phone: repeated requests and masking on history -----------------------------------

PHONE_HEADER = [*HEADER, "来电号码"]


def _with_phone(row: list[str], ticket: str, received: str, closed: str, phone: str) -> list[str]:
    return [ticket, received, *row[2:6], row[6], closed, *row[8:], phone]


def test_a_callers_second_ticket_in_the_same_category_is_a_repeat_of_the_first(db, clock, categories) -> None:  # type: ignore[no-untyped-def]
    rows = [
        _with_phone(GOOD[0], "P1", "2024-08-01 09:00", "2024-08-02 09:00", "13812345678"),
        _with_phone(GOOD[0], "P2", "2024-08-20 09:00", "2024-08-21 09:00", "13812345678"),
        _with_phone(GOOD[0], "P3", "2024-08-21 09:00", "2024-08-22 09:00", "13900000000"),  # another caller
        _with_phone(GOOD[2], "P4", "2024-08-22 09:00", "2024-08-23 09:00", "13812345678"),  # another category
    ]
    _import(db, clock, _csv(rows, PHONE_HEADER))
    # a later file: the same caller again within 30 days of P2 links to the stored P2 (third call)
    _import(
        db,
        clock,
        _csv(
            [_with_phone(GOOD[0], "P5", "2024-09-10 09:00", "2024-09-11 09:00", "13812345678")], PHONE_HEADER
        ),
    )
    got = {e.external_id: e for e in db.scalars(select(Event).where(Event.is_history.is_(True)))}
    assert got["P1"].reporter_phone == "13812345678"
    assert (got["P2"].repeat_of_id, got["P2"].repeat_seq) == (got["P1"].id, 2)
    assert (got["P5"].repeat_of_id, got["P5"].repeat_seq) == (got["P2"].id, 3)
    assert [got[t].repeat_of_id for t in ("P1", "P3", "P4")] == [None, None, None]


def test_the_phone_column_goes_by_its_other_names(db, clock, categories) -> None:  # type: ignore[no-untyped-def]
    header = [*HEADER, "联系电话"]
    _import(
        db,
        clock,
        _csv([_with_phone(GOOD[0], "Q1", "2024-08-01 09:00", "2024-08-02 09:00", "0512-53531234")], header),
    )
    assert db.scalar(select(Event.reporter_phone).where(Event.external_id == "Q1")) == "0512-53531234"


def test_a_history_tickets_phone_is_masked_for_a_role_that_may_not_see_it(  # type: ignore[no-untyped-def]
    client, db, clock, categories, leader, dispatcher
) -> None:
    _import(
        db,
        clock,
        _csv(
            [_with_phone(GOOD[0], "M1", "2024-08-01 09:00", "2024-08-02 09:00", "13812345678")], PHONE_HEADER
        ),
    )
    event = db.scalars(select(Event).where(Event.external_id == "M1")).one()
    seen = {
        p.principal.role: client.get(f"/api/v1/events/{event.id}", headers=p.headers).json()["reporter_phone"]
        for p in (leader, dispatcher)
    }
    assert seen == {"leader": "138****5678", "dispatcher": "13812345678"}
