"""Refusals on pages are explained in Chinese (the domain's own English message stays out of a Chinese
page), and in English as the domain says them; every error code the code base can raise has its Chinese explanation."""

from __future__ import annotations

import importlib
import pkgutil

import citycockpit
from citycockpit.core.errors import AppError
from citycockpit.events.enums import Action
from citycockpit.report.read import ReportReadError
from citycockpit.web import i18n
from tests.events.conftest import act, report


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _every_error_code() -> set[str]:
    for module in pkgutil.walk_packages(citycockpit.__path__, "citycockpit."):
        if ".migrations" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    codes = {AppError.code, *(c.code for c in _subclasses(AppError))}
    codes |= {c.code for c in _subclasses(ReportReadError)}  # carried by ReportFileRejected
    return codes | {"database_unavailable", "database_read_only", "storage_full"}  # database faults


def test_every_error_code_has_a_chinese_explanation() -> None:
    zh = i18n.catalogue("zh")
    missing = sorted(code for code in _every_error_code() if f"error.explain.{code}" not in zh)
    assert missing == []


def test_a_refusal_reads_as_chinese_alone_and_as_english_alone() -> None:
    detail = "Event E1 is dispatched; close needs verified"
    zh = i18n.error_text("zh", "event_transition_not_allowed", detail)
    assert zh == "事件当前所处环节不能执行此操作。"
    assert i18n.error_text("en", "event_transition_not_allowed", detail) == detail
    assert (
        i18n.error_text("zh", "some_code_nobody_raises", detail)
        == i18n.catalogue("zh")["error.explain.unknown"]
    )


def test_an_event_page_explains_a_refused_action_in_the_users_language(  # type: ignore[no-untyped-def]
    client, db, clock, categories, grid_worker, dispatcher, dept_staff
) -> None:
    event = report(db, grid_worker.principal, clock.now())
    act(db, event, Action.REGISTER, dispatcher.principal, clock.now())
    act(db, event, Action.DISPATCH, dispatcher.principal, clock.now())
    form = {"csrf_token": dept_staff.csrf_token, "action": "close", "version": str(event.version)}
    cookie = {"Cookie": dept_staff.headers["Cookie"]}
    zh = client.post(f"/app/events/{event.public_id}/actions", data=form, headers=cookie)
    assert zh.status_code in (403, 409) and "执行此操作" in zh.text and "close needs" not in zh.text
    en = client.post(f"/app/events/{event.public_id}/actions?lang=en", data=form, headers=cookie)
    assert en.status_code == zh.status_code and "执行此操作" not in en.text and "详情" not in en.text
