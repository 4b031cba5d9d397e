"""The workbench in Chinese (issue 20): people read as people, actions as words, statuses in their
colours, the menu marks one entry, every row carries its own buttons, and no page asks for a missing icon."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import citycockpit
from citycockpit.audit import service as audit
from citycockpit.auth.enums import Perm
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.events.enums import Action
from citycockpit.goals.enums import STATUS_TONES, GoalStatus, Tone, status_tones
from citycockpit.web import i18n
from tests.events.conftest import act, report

SRC = Path(citycockpit.__file__).parent


def _main(page: str) -> str:
    """The page's main part, its table cells without the phone's card labels (data-label, card-title)."""
    main = page.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    return re.sub(r'<td data-label="[^"]*"(?: class="card-title")?>', "<td>", main)


def _table(page: str) -> str:
    """The body of a page's data table (the filters above it list every choice), its cells without the
    phone's card labels."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return re.sub(r'<td data-label="[^"]*"(?: class="card-title")?>', "<td>", body)


def test_the_bulletin_page_marks_only_the_bulletin_in_the_menu(client: TestClient, supervisor) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/app/goals/bulletin", headers=supervisor.headers).text
    # the side menu and the phone's bottom bar may both mark it; the goal list is not marked as well
    active = re.findall(r'<a href="([^"]+)" class="active"', page)
    assert set(active) == {"/app/goals/bulletin"}
    goal_list = client.get("/app/goals", headers=supervisor.headers).text
    assert set(re.findall(r'<a href="([^"]+)" class="active"', goal_list)) == {"/app/goals"}


def test_the_favicon_is_served_where_browsers_ask_for_it(client: TestClient) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.content == (SRC / "web" / "static" / "favicon.svg").read_bytes()


def test_every_status_has_its_supervision_tone() -> None:
    assert set(STATUS_TONES) == set(GoalStatus)
    expected = {"逾期": Tone.RED, "欠进度": Tone.RED, "预警": Tone.ORANGE, "达进度": Tone.BLUE}
    expected |= {"超进度": Tone.GREEN, "已完成": Tone.GREEN, "未报送": Tone.GREY}
    assert {s.label: s.tone for s in GoalStatus if s.label in expected} == expected


def test_the_screen_takes_its_status_colours_from_the_one_mapping(client: TestClient, leader) -> None:  # type: ignore[no-untyped-def]
    import html
    import json

    page = client.get("/screen", headers=leader.headers).text
    tones = re.search(r"data-status-tones='([^']*)'", page)
    assert tones is not None and json.loads(html.unescape(tones.group(1))) == status_tones()
    script = (SRC / "web" / "static" / "js" / "screen.js").read_text(encoding="utf-8")
    # no second copy: no status name mapped to a colour literal in the script
    assert not re.search(r"\b(done|overdue|behind|on_track)\s*:\s*\"#", script)


def test_each_user_row_carries_its_own_disable_button(client: TestClient, admin, leader, dispatcher) -> None:  # type: ignore[no-untyped-def]
    page = _main(client.get("/app/admin/users", headers=admin.headers).text)
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    by_user = {re.search(r"<td>([^<]+)</td>", row).group(1): row for row in rows if "<td>" in row}  # type: ignore[union-attr]
    assert f"/app/admin/users/{leader.user.id}/disable" in by_user["leader"]
    assert f"/app/admin/users/{dispatcher.user.id}/disable" in by_user["dispatcher"]
    assert "/disable" not in by_user["admin"]  # not one's own account
    assert 'class="row-actions"' not in page


def test_an_event_timeline_names_people_not_user_codes(
    client: TestClient, db: Session, clock: Clock, categories, grid_worker, dispatcher
) -> None:  # type: ignore[no-untyped-def]
    grid_worker.user.display_name = "吴网格员"
    dispatcher.user.display_name = "赵调度"
    db.flush()
    event = report(db, grid_worker.principal, clock.now())
    act(db, event, Action.REGISTER, dispatcher.principal, clock.now())
    page = client.get(f"/app/events/{event.public_id}", headers=dispatcher.headers).text
    timeline = page.split('class="timeline"', 1)[1] if 'class="timeline"' in page else page
    assert "吴网格员" in timeline and "赵调度" in timeline
    assert "user:" not in page


def test_the_audit_log_is_newest_first_in_words_and_filters(
    client: TestClient, db: Session, clock: Clock, admin, leader
) -> None:  # type: ignore[no-untyped-def]
    leader.user.display_name = "王市长"
    db.flush()
    now = clock.now()
    # written in this order, but the second act happened earlier: the page orders by when it happened
    audit.record(db, leader.principal, "auth.login", "user", leader.user.id, at=now - timedelta(days=1))
    audit.record(
        db, SystemActor("worker"), "goal_period.lock", "goal_period", "2024-08", at=now - timedelta(days=3)
    )
    audit.record(db, leader.principal, "auth.logout", "user", leader.user.id, at=now)
    db.flush()
    page = _main(client.get("/app/admin/audit", headers=admin.headers).text)
    assert page.index("<td>退出登录</td>") < page.index("<td>登录</td>") < page.index("<td>锁定填报月份</td>")
    shown = re.sub(r"<[^>]+>", " ", page)  # what a person reads (option values are codes, not text)
    assert "auth.login" not in shown and "user:" not in shown and "王市长" in shown and "系统" in shown
    only_leader = _table(client.get("/app/admin/audit?actor=王市长", headers=admin.headers).text)
    assert "锁定填报月份" not in only_leader and "退出登录" in only_leader
    locks = _table(client.get("/app/admin/audit?action=goal_period.lock", headers=admin.headers).text)
    assert "锁定填报月份" in locks and "退出登录" not in locks
    day = (now - timedelta(days=1)).astimezone(client.app.state.settings.zone).date().isoformat()  # type: ignore[attr-defined]
    that_day = _table(client.get(f"/app/admin/audit?from={day}&to={day}", headers=admin.headers).text)
    assert "<td>登录</td>" in that_day and "退出登录" not in that_day and "锁定填报月份" not in that_day
    by_object = _table(
        client.get("/app/admin/audit?object_type=goal_period&object_id=2024-08", headers=admin.headers).text
    )
    assert "锁定填报月份" in by_object and "登录" not in by_object


def test_every_audit_action_the_code_records_has_a_name_in_both_languages() -> None:
    codes = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in ("record", "Pending", "_audit"):
                continue
            args = [k.value for k in node.keywords if k.arg == "action"] or node.args[1:3]
            codes |= {
                a.value
                for a in args
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and "." in a.value
            }
    codes |= {f"event.{a.value}" for a in Action}
    codes |= {
        "progress_report.submit",
        "progress_report.resubmit",
        "progress_report.accept",
        "progress_report.return",
    }
    codes |= {f"report_item.{a}" for a in ("confirm", "edit", "reject", "reset")}
    assert len(codes) > 40
    from citycockpit.audit.pages import action_text

    other = {lang: i18n.translate(lang, "audit.action.other") for lang in i18n.LANGUAGES}
    unnamed = sorted(c for c in codes for lang in i18n.LANGUAGES if action_text(lang, c) == other[lang])
    assert unnamed == []


def test_the_account_page_reads_in_chinese(client: TestClient, dept_staff, city) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/account", headers=dept_staff.headers).text
    assert "城管局" in page and "#" + str(city["cgj"].id) not in page
    assert "查看事件" in page and "events:read" not in page
    assert not re.search(r"Account|Permissions|Department|Sign out|Change password", page)
    english = client.get("/account?lang=en", headers=dept_staff.headers).text
    assert "Read events" in english and "查看事件" not in english


def test_the_sign_in_page_is_in_one_language_at_a_time(client: TestClient) -> None:
    zh = client.get("/login").text
    assert "用户名" in zh and "User name" not in zh and "Sign in" not in zh
    en = client.get("/login?lang=en").text
    assert "User name" in en and "用户名" not in en


def test_a_refused_sign_in_is_explained_in_chinese(client: TestClient) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": "", "password": "", "csrf_token": token, "next": "/app"})
    assert r.status_code >= 400 and re.search(r"[\u4e00-\u9fff]", r.text.split('role="alert"')[1][:200])
    assert "Enter your user name" not in r.text


def test_the_account_page_lists_every_permission_in_words() -> None:
    for lang in i18n.LANGUAGES:
        assert [p.value for p in Perm if f"perm.{p.value}" not in i18n.catalogue(lang)] == []


def test_the_workbench_greets_people_by_their_name(client: TestClient, db: Session, dept_staff) -> None:  # type: ignore[no-untyped-def]
    dept_staff.user.display_name = "城管局 陈科长"
    db.flush()
    page = client.get("/app", headers=dept_staff.headers).text
    assert (
        '您好，<span translate="no">城管局 陈科长</span>' in page
        and '<span translate="no">城管局 陈科长</span> · 部门用户' in page
    )
