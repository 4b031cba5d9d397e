"""A report is stored with its items for review; bad files store nothing; reviews are audited."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citycockpit.audit.models import AuditEntry
from citycockpit.cli import app as cli_app
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.report import service
from citycockpit.report.models import Report, ReportItem

ACTOR = SystemActor("test")
SEED_NAME = "taicang-2024-government-work-report.txt"
SEED = resources.files("citycockpit.report").joinpath(f"samples/{SEED_NAME}").read_bytes()


def _reports(db: Session) -> int:
    return db.scalar(select(func.count(Report.id))) or 0


def test_ingesting_the_seed_stores_every_list_of_the_ledger_for_review(db: Session, clock: Clock) -> None:
    report, ledger = service.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now())
    assert (report.region, report.year, report.review_year) == ("太仓市", 2024, 2023)
    stored = dict(
        db.execute(
            select(ReportItem.list_name, func.count())
            .where(ReportItem.report_id == report.id)
            .group_by(ReportItem.list_name)
        ).all()
    )
    for name in ("targets", "actuals", "commitments"):
        assert stored[name] == len(ledger[name]) > 0
    assert {i.review_state for i in db.scalars(select(ReportItem))} == {"extracted"}
    gdp = db.scalars(
        select(ReportItem).where(ReportItem.list_name == "targets", ReportItem.name == "地区生产总值")
    ).one()
    assert (gdp.value, gdp.unit, gdp.qualifier, gdp.measure) == (5, "%", ">=", "growth")
    assert report.text[gdp.quote_start : gdp.quote_end] == gdp.quote


def test_the_stored_ledger_round_trips_to_the_same_json(db: Session, clock: Clock) -> None:
    report, ledger = service.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now())
    assert service.ledger_json(db, report.id) == ledger


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "empty.txt", "report_empty"),
        (b"\x00\x01\x02\x03" * 100, "blob.txt", "report_binary"),
        (b"PK\x03\x04 not really a zip", "report.xls", "report_unsupported_type"),
    ],
)
def test_an_unreadable_file_is_refused_and_nothing_is_stored(
    db: Session, clock: Clock, data: bytes, name: str, code: str
) -> None:
    with pytest.raises(service.ReportFileRejected) as caught:
        service.ingest_report(db, data, name, actor=ACTOR, now=clock.now())
    assert caught.value.code == code and name in caught.value.detail
    assert _reports(db) == 0


def test_the_same_file_twice_is_a_conflict_unless_allowed(db: Session, clock: Clock) -> None:
    first, _ = service.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now())
    with pytest.raises(service.ReportAlreadyIngested) as caught:
        service.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now())
    assert caught.value.extra["report_id"] == first.id
    service.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now(), allow_duplicate=True)
    assert _reports(db) == 2


def test_an_edit_changes_the_item_keeps_the_original_and_is_audited(db: Session, clock: Clock) -> None:
    report, _ = service.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now())
    item = db.scalars(
        select(ReportItem).where(ReportItem.report_id == report.id, ReportItem.list_name == "targets")
    ).first()
    original = json.loads(item.extracted_json)
    service.review_item(
        db,
        item.id,
        action="edit",
        changes={"value": 6, "qualifier": "~"},
        note="市委调整",
        actor=ACTOR,
        now=clock.now(),
    )
    assert (item.value, item.qualifier, item.review_state, item.reviewed_by) == (6.0, "~", "edited", "test")
    assert json.loads(item.extracted_json) == original
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "report_item.edit")).one()
    assert json.loads(entry.diff_json)["value"] == [original["value"], 6.0]


def test_an_edit_with_a_bad_qualifier_is_refused(db: Session, clock: Clock) -> None:
    report, _ = service.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now())
    item = db.scalars(
        select(ReportItem).where(ReportItem.report_id == report.id, ReportItem.list_name == "targets")
    ).first()
    with pytest.raises(service.InvalidItemEdit):
        service.review_item(
            db, item.id, action="edit", changes={"qualifier": "≈≈"}, actor=ACTOR, now=clock.now()
        )
    assert item.review_state == "extracted"


def test_rejected_items_leave_the_ledger_json(db: Session, clock: Clock) -> None:
    report, ledger = service.ingest_report(db, SEED, SEED_NAME, actor=ACTOR, now=clock.now())
    item = db.scalars(
        select(ReportItem).where(ReportItem.report_id == report.id, ReportItem.list_name == "actuals")
    ).first()
    service.review_item(db, item.id, action="reject", actor=ACTOR, now=clock.now())
    assert len(service.ledger_json(db, report.id)["actuals"]) == len(ledger["actuals"]) - 1


def _ingest_over_http(client: TestClient, persona) -> object:  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/reports", files={"file": (SEED_NAME, SEED, "text/plain")}, headers=persona.headers
    )


def test_a_supervisor_ingests_over_http_and_bulk_confirms(client: TestClient, supervisor) -> None:  # type: ignore[no-untyped-def]
    r = _ingest_over_http(client, supervisor)
    assert r.status_code == 201, r.text
    report_id = r.json()["id"]
    items = client.get(
        f"/api/v1/reports/{report_id}/items", params={"list": "targets"}, headers=supervisor.headers
    ).json()
    ids = [i["id"] for i in items["items"]]
    r = client.post(
        f"/api/v1/reports/{report_id}/items/confirm", json={"item_ids": ids}, headers=supervisor.headers
    )
    assert r.json() == {"confirmed": len(ids)}
    states = client.get(
        f"/api/v1/reports/{report_id}/items", params={"state": "confirmed"}, headers=supervisor.headers
    )
    assert states.json()["total"] == len(ids)


def test_a_department_user_may_read_a_ledger_but_not_review_it(
    client: TestClient, supervisor, dept_staff
) -> None:  # type: ignore[no-untyped-def]
    report_id = _ingest_over_http(client, supervisor).json()["id"]
    assert client.get(f"/api/v1/reports/{report_id}/ledger", headers=dept_staff.headers).status_code == 200
    item = client.get(f"/api/v1/reports/{report_id}/items", headers=dept_staff.headers).json()["items"][0]
    r = client.post(
        f"/api/v1/reports/items/{item['id']}/review", json={"action": "confirm"}, headers=dept_staff.headers
    )
    assert r.status_code == 403
    assert _ingest_over_http(client, dept_staff).status_code == 403


def test_an_empty_upload_is_a_problem_naming_the_file(client: TestClient, supervisor) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/reports", files={"file": ("空.txt", b"", "text/plain")}, headers=supervisor.headers
    )
    assert (r.status_code, r.json()["code"]) == (422, "report_empty")
    assert "空.txt" in r.json()["detail"]


def test_the_cli_ingests_writes_the_json_and_lists_the_report(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "r.db"
    assert runner.invoke(cli_app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    source = tmp_path / SEED_NAME
    source.write_bytes(SEED)
    out = tmp_path / "ledger.json"
    result = runner.invoke(cli_app, ["report", "ingest", str(source), "--json", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    ledger = json.loads(out.read_text(encoding="utf-8"))
    assert set(ledger) == {
        "report",
        "targets",
        "qualitative_targets",
        "actuals",
        "commitments",
        "tasks",
        "glossary",
    }
    assert "targets" in result.output
    listed = runner.invoke(cli_app, ["report", "list", "--db", str(db)])
    assert listed.exit_code == 0 and "太仓市" in listed.output


NOTE = "会议通知\n请各部门负责同志于周三上午九点到三楼会议室参加安全生产工作会议。\n".encode()
# A review and task areas, but no targets paragraph: a report that is only partly recognised.
WITHOUT_TARGETS = """政府工作报告
——2025年1月9日在柳塘区第三届人民代表大会第五次会议上
区长  韩知远
各位代表：
一、2024年工作回顾
过去一年，新增市场主体1800户，建成社区食堂9个。
二、2025年重点工作
（一）提升营商环境。新增市场主体2000户。
（二）办好民生实事。新建社区食堂6个。
""".encode()


def test_a_note_that_is_not_a_report_is_refused_and_nothing_is_stored(db: Session, clock: Clock) -> None:
    with pytest.raises(service.ReportNotRecognised) as caught:
        service.ingest_report(db, NOTE, "通知.txt", actor=ACTOR, now=clock.now())
    assert caught.value.code == "report_not_recognised" and "通知.txt" in caught.value.detail
    assert caught.value.extra["missing"] == ["review", "targets", "tasks"]
    assert _reports(db) == 0


def test_a_report_without_its_targets_is_refused_naming_them(db: Session, clock: Clock) -> None:
    with pytest.raises(service.ReportPartsMissing) as caught:
        service.ingest_report(db, WITHOUT_TARGETS, "柳塘.txt", actor=ACTOR, now=clock.now())
    assert caught.value.extra["missing"] == ["targets"]
    assert "the year's main targets" in caught.value.detail
    assert _reports(db) == 0


def test_a_partial_report_is_stored_when_allowed_and_the_audit_names_what_is_missing(
    db: Session, clock: Clock
) -> None:
    report, ledger = service.ingest_report(
        db, WITHOUT_TARGETS, "柳塘.txt", actor=ACTOR, now=clock.now(), allow_partial=True
    )
    assert service.missing_parts(ledger) == ["targets"]
    assert [c["value"] for c in ledger["commitments"]] == [2000, 6]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "report.ingest")).one()
    assert json.loads(entry.diff_json)["missing"] == ["targets"]
    assert report.id is not None


def test_the_api_refuses_a_note_as_a_problem_and_stores_a_partial_report_only_when_asked(
    client: TestClient, supervisor
) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/reports", files={"file": ("n.txt", NOTE, "text/plain")}, headers=supervisor.headers
    )
    assert (r.status_code, r.json()["code"]) == (422, "report_not_recognised")
    assert r.headers["content-type"].startswith("application/problem+json")
    files = {"file": ("p.txt", WITHOUT_TARGETS, "text/plain")}
    r = client.post("/api/v1/reports", files=files, headers=supervisor.headers)
    assert (r.status_code, r.json()["code"], r.json()["missing"]) == (
        422,
        "report_parts_missing",
        ["targets"],
    )
    r = client.post(
        "/api/v1/reports", params={"allow_partial": True}, files=files, headers=supervisor.headers
    )
    assert (r.status_code, r.json()["missing_parts"]) == (201, ["targets"])


def test_the_cli_refuses_a_note_in_one_line_with_exit_1(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "r.db"
    assert runner.invoke(cli_app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    note = tmp_path / "通知.txt"
    note.write_bytes(NOTE)
    result = runner.invoke(cli_app, ["report", "ingest", str(note), "--db", str(db)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "通知.txt" in lines[0]
    listed = runner.invoke(cli_app, ["report", "list", "--db", str(db)])
    assert "通知.txt" not in listed.output


def test_the_cli_stores_a_partial_report_with_a_warning_when_allowed(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "r.db"
    assert runner.invoke(cli_app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    source = tmp_path / "柳塘.txt"
    source.write_bytes(WITHOUT_TARGETS)
    refused = runner.invoke(cli_app, ["report", "ingest", str(source), "--db", str(db)])
    assert refused.exit_code == 1 and "--allow-partial" in refused.output
    result = runner.invoke(cli_app, ["report", "ingest", str(source), "--allow-partial", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "the year's main targets" in result.output
