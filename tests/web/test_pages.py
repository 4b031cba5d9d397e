"""Workbench pages over the real app: sign-in redirect, role navigation, ledger review forms, i18n,
XLSX export, escaping and HTML error pages."""

from __future__ import annotations

import io
from importlib import resources
from urllib.parse import unquote

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.report import service as report_service
from citycockpit.report.models import ReportItem
from tests.builders import make_department

ACTOR = SystemActor("test")


def _report(db: Session, clock: Clock):  # type: ignore[no-untyped-def]
    data = resources.files("citycockpit.report").joinpath("samples/taicang-2024-government-work-report.txt")
    report, _ = report_service.ingest_report(db, data.read_bytes(), "r.txt", actor=ACTOR, now=clock.now())
    return report


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: TestClient) -> None:
    r = client.get("/app/reports?list=targets", follow_redirects=False)
    assert r.status_code == 303
    location = r.headers["location"]
    assert location.startswith("/login?next=")
    assert unquote(location.removeprefix("/login?next=")) == "/app/reports?list=targets"


def test_an_anonymous_htmx_request_is_told_to_redirect(client: TestClient) -> None:
    r = client.get("/app", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.headers["HX-Redirect"].startswith("/login?next=")


def test_navigation_shows_only_what_the_role_may_use(client: TestClient, leader, admin) -> None:
    leader_page = client.get("/app", headers=leader.headers).text
    assert 'href="/screen"' in leader_page and 'href="/app/admin/audit"' in leader_page
    assert 'href="/app/admin/users"' not in leader_page
    admin_page = client.get("/app", headers=admin.headers).text
    assert 'href="/app/admin/users"' in admin_page and 'href="/app/admin/kiosk"' in admin_page


def test_a_page_the_role_may_not_use_is_an_html_403(client: TestClient, leader) -> None:
    r = client.get("/app/admin/users", headers=leader.headers)
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "没有权限" in r.text


def test_an_unknown_report_is_an_html_404_page(client: TestClient, supervisor) -> None:
    r = client.get("/app/reports/999999", headers=supervisor.headers)
    assert r.status_code == 404 and "找不到该页面或对象" in r.text and "report_not_found" in r.text


def test_the_report_list_shows_how_many_items_each_report_holds(
    client: TestClient, db: Session, clock: Clock, supervisor
) -> None:
    report = _report(db, clock)
    held = db.scalar(select(func.count()).select_from(ReportItem).where(ReportItem.report_id == report.id))
    page = client.get("/app/reports", headers=supervisor.headers).text
    assert held and f"<td>{held}</td>" in page and "built-in method" not in page


def test_the_review_page_highlights_each_items_quote_in_the_text(
    client: TestClient, db: Session, clock: Clock, supervisor
) -> None:
    report = _report(db, clock)
    items, _ = report_service.list_items(db, report.id, list_name="targets")
    page = client.get(f"/app/reports/{report.id}?list=targets", headers=supervisor.headers).text
    first = items[0]
    assert f'id="quote-{first.id}"' in page
    assert f'id="item-{first.id}"' in page
    assert "<mark data-items=" in page


def test_a_supervisor_confirms_an_item_with_the_form(
    client: TestClient, db: Session, clock: Clock, supervisor
) -> None:
    report = _report(db, clock)
    item = report_service.list_items(db, report.id, list_name="targets")[0][0]
    r = client.post(
        f"/app/reports/items/{item.id}/review",
        data={"csrf_token": supervisor.csrf_token, "action": "confirm"},
        headers={"Cookie": supervisor.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.refresh(item)
    assert item.review_state == "confirmed"


def test_a_review_post_without_the_csrf_token_is_refused(
    client: TestClient, db: Session, clock: Clock, supervisor
) -> None:
    report = _report(db, clock)
    item = report_service.list_items(db, report.id, list_name="targets")[0][0]
    r = client.post(
        f"/app/reports/items/{item.id}/review",
        data={"action": "confirm"},
        headers={"Cookie": supervisor.headers["Cookie"]},
    )
    assert r.status_code == 403 and "csrf_" in r.text  # refused by the auth layer or by the page
    db.refresh(item)
    assert item.review_state == "extracted"


def test_an_edit_with_a_non_number_is_explained_in_chinese(
    client: TestClient, db: Session, clock: Clock, supervisor
) -> None:
    report = _report(db, clock)
    item = report_service.list_items(db, report.id, list_name="targets")[0][0]
    r = client.post(
        f"/app/reports/items/{item.id}/review",
        data={"action": "edit", "name": item.name, "value": "五", "qualifier": ">=", "measure": "growth"},
        headers={**supervisor.headers, "HX-Request": "true"},
    )
    assert r.status_code == 200 and "请输入数字" in r.text
    db.refresh(item)
    assert item.review_state == "extracted"


def test_an_htmx_edit_swaps_the_card_with_the_new_value(
    client: TestClient, db: Session, clock: Clock, supervisor
) -> None:
    report = _report(db, clock)
    item = report_service.list_items(db, report.id, list_name="targets")[0][0]
    r = client.post(
        f"/app/reports/items/{item.id}/review",
        data={
            "action": "edit",
            "name": item.name,
            "value": "6.5",
            "unit": "%",
            "qualifier": ">=",
            "measure": "growth",
            "note": "按人大批准稿",
        },
        headers={**supervisor.headers, "HX-Request": "true"},
    )
    assert r.status_code == 200 and r.text.lstrip().startswith(
        f'<li class="item state-edited" id="item-{item.id}"'
    )
    db.refresh(item)
    assert (item.value, item.review_state) == (6.5, "edited")


def test_bulk_confirm_confirms_the_ticked_items(
    client: TestClient, db: Session, clock: Clock, supervisor
) -> None:
    report = _report(db, clock)
    items = report_service.list_items(db, report.id, list_name="targets")[0][:3]
    r = client.post(
        f"/app/reports/{report.id}/confirm",
        data={"csrf_token": supervisor.csrf_token, "item_ids": [i.id for i in items], "list": "targets"},
        headers={"Cookie": supervisor.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "done=3" in r.headers["location"]


def test_a_leader_may_read_the_ledger_but_not_review_it(
    client: TestClient, db: Session, clock: Clock, leader
) -> None:
    report = _report(db, clock)
    page = client.get(f"/app/reports/{report.id}", headers=leader.headers)
    assert page.status_code == 200 and "bulk-form" not in page.text
    item = report_service.list_items(db, report.id, list_name="targets")[0][0]
    r = client.post(
        f"/app/reports/items/{item.id}/review", data={"action": "confirm"}, headers=leader.headers
    )
    assert r.status_code == 403


def test_english_is_chosen_by_the_query_and_remembered(client: TestClient, leader) -> None:
    r = client.get("/app?lang=en", headers=leader.headers)
    assert "Sign out" in r.text and r.cookies.get("cc_lang") == "en"
    r = client.get("/app", headers={**leader.headers, "Cookie": leader.headers["Cookie"] + "; cc_lang=en"})
    assert "Sign out" in r.text and "退出登录" not in r.text


def test_tables_export_to_xlsx_with_their_sort(client: TestClient, admin) -> None:
    r = client.get("/app/admin/org?tab=departments&sort=-code&export=xlsx", headers=admin.headers)
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.values)
    assert rows[0] == ("代码", "名称", "类型")
    codes = [row[0] for row in rows[1:]]
    assert codes == sorted(codes, reverse=True) and len(codes) == 3


def test_tables_paginate(client: TestClient, admin) -> None:
    page = client.get("/app/admin/org?tab=areas", headers=admin.headers).text
    assert "共 7 条" in page


def test_a_department_name_with_markup_is_shown_escaped(
    client: TestClient, db: Session, clock: Clock, admin
) -> None:
    make_department(
        db,
        "XSS",
        '<script>alert(1)</script><img src=x onerror="alert(2)">',
        short_name="<b>x</b>",
        now=clock.now(),
    )
    page = client.get("/app/admin/org?tab=departments", headers=admin.headers).text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_audit_page_reports_the_chain_check(client: TestClient, db: Session, clock: Clock, admin) -> None:
    _report(db, clock)
    page = client.get("/app/admin/audit?verify=true", headers=admin.headers).text
    assert "哈希链校验通过" in page and "report.ingest" in page


def test_an_admin_creates_and_revokes_a_kiosk_link_in_the_page(client: TestClient, admin) -> None:
    r = client.post(
        "/app/admin/kiosk",
        data={"csrf_token": admin.csrf_token, "name": "指挥中心大屏"},
        headers={"Cookie": admin.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"], headers=admin.headers).text
    assert "指挥中心大屏" in page and "/screen/kiosk/" in page


def test_a_kiosk_form_without_a_name_says_so_in_chinese(client: TestClient, admin) -> None:
    r = client.post(
        "/app/admin/kiosk", data={"csrf_token": admin.csrf_token, "name": " "}, headers=admin.headers
    )
    assert r.status_code == 422 and "此项为必填项" in r.text


def test_an_admin_creates_a_town_user_from_the_form(client: TestClient, db: Session, admin) -> None:
    from sqlalchemy import select

    from citycockpit.auth.models import User

    r = client.post(
        "/app/admin/users",
        data={
            "csrf_token": admin.csrf_token,
            "username": "town_sx",
            "display_name": "沙溪镇值班员",
            "role": "town",
            "area_code": "320585101",
            "password": "Shaxi-Duty-2024!",
        },
        headers={"Cookie": admin.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    user = db.scalars(select(User).where(User.username == "town_sx")).one()
    assert (user.role, user.area_code, user.must_change_password) == ("town", "320585101", True)


def test_a_town_user_without_an_area_is_refused_in_chinese(client: TestClient, admin) -> None:
    r = client.post(
        "/app/admin/users",
        data={
            "csrf_token": admin.csrf_token,
            "username": "x1",
            "role": "town",
            "password": "Shaxi-Duty-2024!",
        },
        headers=admin.headers,
    )
    assert r.status_code == 422 and "镇街用户和网格员必须填写区域代码" in r.text


def test_an_admin_disables_a_user_and_revokes_a_token(
    client: TestClient, db: Session, clock: Clock, admin, leader
) -> None:
    from citycockpit.auth import tokens

    created = tokens.create_token(db, name="导出", scopes=["org:read"], actor=ACTOR, now=clock.now())
    cookie = {"Cookie": admin.headers["Cookie"]}
    r1 = client.post(
        f"/app/admin/users/{leader.user.id}/disable",
        data={"csrf_token": admin.csrf_token},
        headers=cookie,
        follow_redirects=False,
    )
    r2 = client.post(
        f"/app/admin/tokens/{created.token.id}/revoke",
        data={"csrf_token": admin.csrf_token},
        headers=cookie,
        follow_redirects=False,
    )
    assert r1.status_code == r2.status_code == 303
    db.refresh(leader.user)
    db.refresh(created.token)
    assert leader.user.is_active is False and created.token.revoked_at is not None


def test_the_root_address_leads_to_the_workbench(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/app")


def test_signing_out_from_the_workbench_ends_the_session(client: TestClient, leader) -> None:
    page = client.get("/app", headers=leader.headers).text
    assert 'action="/logout"' in page and leader.csrf_token in page
    r = client.post(
        "/logout",
        data={"csrf_token": leader.csrf_token},
        headers={"Cookie": leader.headers["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code in (302, 303)
    assert (
        client.get("/app", headers={"Cookie": leader.headers["Cookie"]}, follow_redirects=False).status_code
        == 303
    )


def test_an_admin_cannot_disable_their_own_account_or_the_last_administrator(
    client: TestClient, db: Session, clock: Clock, admin
) -> None:
    import pytest

    from citycockpit.auth import service as users
    from citycockpit.core.errors import Conflict

    r = client.post(f"/api/v1/admin/users/{admin.user.id}/disable", headers=admin.headers)
    assert (
        r.status_code == 409 and r.json()["code"] == "cannot_disable" and "own account" in r.json()["detail"]
    )
    page = client.post(
        f"/app/admin/users/{admin.user.id}/disable",
        data={"csrf_token": admin.csrf_token},
        headers={"Cookie": admin.headers["Cookie"]},
        follow_redirects=False,
    )
    assert page.status_code == 409 and "不能停用该账号" in page.text and "own account" not in page.text
    db.refresh(admin.user)
    assert admin.user.is_active
    with pytest.raises(Conflict, match="last active administrator"):  # the CLI too
        users.disable_user(db, admin.user, actor=SystemActor("cli"), now=clock.now())
    second = users.create_user(
        db,
        username="admin2",
        display_name="第二管理员",
        password="Second-Admin-2024!",
        role="admin",
        actor=SystemActor("t"),
        now=clock.now(),
    )
    assert client.post(f"/api/v1/admin/users/{second.id}/disable", headers=admin.headers).status_code == 200


def test_an_org_file_with_bad_rows_is_explained_row_by_row_in_chinese(client: TestClient, admin) -> None:
    yaml = (
        "areas:\n- {code: '12', name: 坏区域}\n- {code: '320585101', name: '', lat: 95}\n"
        "departments:\n- {code: BADDEPT, name: 坏单位, kind: nonsense, area_code: '999999'}\n"
    )
    r = client.post(
        "/app/admin/org/import",
        files={"file": ("org.yaml", yaml.encode(), "application/x-yaml")},
        data={"csrf_token": admin.csrf_token},
        headers={"Cookie": admin.headers["Cookie"]},
    )
    assert r.status_code == 422
    assert "区域编码“12”须为 6、9、12 或 15 位数字" in r.text
    assert "名称不能为空" in r.text and "“95.0”超出 -90 到 90 的范围" in r.text
    assert "单位类型“nonsense”无法识别" in r.text and "找不到区域编码“999999”" in r.text
    for english in ("must be", "is empty", "is outside", "unknown area"):
        assert english not in r.text
    assert "坏单位" not in client.get("/app/admin/org?tab=departments", headers=admin.headers).text
