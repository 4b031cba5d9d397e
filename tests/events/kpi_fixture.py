"""A small city month with hand-computed KPIs (September 2024, seen on 2024-09-30 at 10:00)."""

from __future__ import annotations

from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

from citycockpit.events.intake.service import NEW_EVENT_COUNTS
from citycockpit.events.models import Event

TZ = ZoneInfo("Asia/Shanghai")
_ids = count(1)


def t(local: str) -> datetime:
    """A local Asia/Shanghai time as an aware instant."""
    return datetime.fromisoformat(local).replace(tzinfo=TZ)


def add_event(db: Session, **fields: object) -> int:
    """Insert one event row with realistic defaults; local dates follow the instants."""
    reported_at = fields.pop("reported_at")
    n = next(_ids)
    row: dict[str, object] = {
        "public_id": f"TC2409{n:06d}",
        "version": 1,
        "channel": "hotline",
        "request_type": "complaint",
        "title": "暴露垃圾未及时清运",
        "description": "小区门口垃圾堆放两天无人清理，气味很大。",
        "is_test": False,
        "grid_code": "320585100001001",
        "village_code": "320585100001",
        "town_code": "320585100",
        "category_code": "E0102",
        "major_code": "E01",
        "category_kind": "event",
        "priority": "normal",
        "needs_triage": False,
        "state": "closed",
        "reported_at": reported_at,
        "reported_day": reported_at.astimezone(TZ).date(),  # type: ignore[union-attr]
        "updated_at": reported_at,
        "clock_kind": "work_hours",
        **NEW_EVENT_COUNTS,
    }
    row.update(fields)
    if row.get("closed_at") is not None:
        row["closed_day"] = row["closed_at"].astimezone(TZ).date()  # type: ignore[union-attr]
    return int(db.execute(insert(Event).returning(Event.id), [row]).scalar_one())


def _looped(
    reported: str,
    *,
    dept: int,
    sign_due: str,
    signed: str | None,
    handle_due: str,
    handled: str | None,
    close_due: str,
    closed: str | None,
    **more: object,
) -> dict[str, object]:
    r = t(reported)
    out: dict[str, object] = {
        "reported_at": r,
        "registered_at": r,
        "dispatched_at": r,
        "first_dispatched_at": r,
        "department_id": dept,
        "sign_due_at": t(sign_due),
        "signed_at": t(signed) if signed else None,
        "signed_on_time": (t(signed) <= t(sign_due)) if signed else None,
        "handle_due_at": t(handle_due),
        "handled_at": t(handled) if handled else None,
        "handled_on_time": (t(handled) <= t(handle_due)) if handled else None,
        "close_due_at": t(close_due),
        "closed_at": t(closed) if closed else None,
        "closed_on_time": (t(closed) <= t(close_due)) if closed else None,
    }
    out.update(more)
    return out


def build_month(db: Session, city: dict[str, object]) -> dict[str, int]:
    """The fixture of docs/domains/events-kpis.md's worked example. Returns event ids by name."""
    cgj = city["cgj"].id  # type: ignore[attr-defined]
    fgw = city["fgw"].id  # type: ignore[attr-defined]
    town_b = {"grid_code": "320585101001001", "village_code": "320585101001", "town_code": "320585101"}
    ids = {}
    # e1: received last period (August), due and closed in September: a carry-over, extended once.
    ids["e1"] = add_event(
        db,
        **_looped(
            "2024-08-28 09:00",
            dept=cgj,
            sign_due="2024-08-28 10:00",
            signed="2024-08-28 09:30",
            handle_due="2024-09-03 10:00",
            handled="2024-09-02 15:00",
            close_due="2024-09-04 10:00",
            closed="2024-09-03 11:00",
            extension_count=1,
            satisfaction="satisfied",
            callback_reached=True,
            resolved_locally=True,
            handle_minutes=600.0,
            state="rated",
        ),
    )
    # e2: signed late, handled late, closed late after one rework; 基本满意. The same caller called about
    # the same category in August (e1): a repeated request (重复诉求).
    ids["e2"] = add_event(
        db,
        **_looped(
            "2024-09-05 09:00",
            dept=cgj,
            sign_due="2024-09-05 11:00",
            signed="2024-09-05 14:00",
            handle_due="2024-09-10 10:00",
            handled="2024-09-11 10:00",
            close_due="2024-09-12 10:00",
            closed="2024-09-13 10:00",
            rework_count=1,
            repeat_of_id=ids["e1"],
            repeat_seq=2,
            satisfaction="basically_satisfied",
            callback_reached=True,
            resolved_locally=False,
            handle_minutes=1200.0,
            state="rated",
        ),
    )
    # e3: extended, now due in October; still being handled.
    ids["e3"] = add_event(
        db,
        **_looped(
            "2024-09-10 09:00",
            channel="patrol",
            request_type=None,
            dept=cgj,
            sign_due="2024-09-10 10:00",
            signed="2024-09-10 09:20",
            handle_due="2024-10-08 10:00",
            handled=None,
            close_due="2024-10-10 10:00",
            closed=None,
            extension_count=1,
            state="signed",
        ),
    )
    # e4: a consultation answered and closed by the centre (直接办结); 不满意.
    ids["e4"] = add_event(
        db,
        reported_at=t("2024-09-15 09:00"),
        request_type="consult",
        closed_at=t("2024-09-15 09:10"),
        closed_by_center=True,
        satisfaction="unsatisfied",
        callback_reached=True,
        resolved_locally=False,
    )
    # e5: rejected (不予立案).
    ids["e5"] = add_event(
        db,
        reported_at=t("2024-09-20 09:00"),
        rejected_at=t("2024-09-20 10:00"),
        state="rejected",
        reject_reason="false_report",
    )
    # e6: handling deadline passed three days ago: overdue now.
    ids["e6"] = add_event(
        db,
        **_looped(
            "2024-09-25 09:00",
            channel="app",
            request_type="report",
            dept=cgj,
            sign_due="2024-09-25 10:00",
            signed="2024-09-25 09:40",
            handle_due="2024-09-28 10:00",
            handled=None,
            close_due="2024-10-05 10:00",
            closed=None,
            state="signed",
        ),
    )
    # e7: received today; signed; handling due this afternoon (not due yet).
    ids["e7"] = add_event(
        db,
        **_looped(
            "2024-09-30 08:00",
            dept=cgj,
            sign_due="2024-09-30 09:30",
            signed="2024-09-30 09:10",
            handle_due="2024-09-30 16:00",
            handled=None,
            close_due="2024-10-02 10:00",
            closed=None,
            state="signed",
        ),
    )
    # e8: a test event: never counted.
    ids["e8"] = add_event(
        db,
        reported_at=t("2024-09-12 09:00"),
        is_test=True,
        state="rejected",
        rejected_at=t("2024-09-12 09:05"),
    )
    # e9: town B, 发改委, all on time; the callback did not reach the citizen.
    ids["e9"] = add_event(
        db,
        **town_b,
        **_looped(
            "2024-09-08 09:00",
            channel="video",
            request_type=None,
            dept=fgw,
            sign_due="2024-09-08 10:00",
            signed="2024-09-08 09:30",
            handle_due="2024-09-09 10:00",
            handled="2024-09-09 09:00",
            close_due="2024-09-10 10:00",
            closed="2024-09-10 09:00",
            satisfaction="unreachable",
            callback_reached=False,
            resolved_locally=True,
            handle_minutes=300.0,
            state="rated",
        ),
    )
    # e10: town B, merged into e9.
    ids["e10"] = add_event(
        db,
        **town_b,
        reported_at=t("2024-09-11 09:00"),
        merged_at=t("2024-09-11 09:30"),
        merged_into_id=ids["e9"],
        state="merged",
    )
    # e11: all in August: nothing in September.
    ids["e11"] = add_event(
        db,
        **_looped(
            "2024-08-01 09:00",
            dept=cgj,
            sign_due="2024-08-01 10:00",
            signed="2024-08-01 09:10",
            handle_due="2024-08-04 10:00",
            handled="2024-08-03 10:00",
            close_due="2024-08-05 10:00",
            closed="2024-08-04 10:00",
            handle_minutes=900.0,
            state="closed",
            resolved_locally=True,
        ),
    )
    # e12: handled on time, due to close in September, awaiting verification.
    ids["e12"] = add_event(
        db,
        **_looped(
            "2024-09-02 09:00",
            dept=cgj,
            sign_due="2024-09-02 10:00",
            signed="2024-09-02 09:15",
            handle_due="2024-09-16 10:00",
            handled="2024-09-16 09:00",
            close_due="2024-09-18 10:00",
            closed=None,
            state="handled",
        ),
    )
    db.flush()
    return ids


# Hand-computed counts for 2024-09-01..2024-09-30 as of 2024-09-30 10:00, no filter.
SEPTEMBER = {
    "received": 9,  # e2 e3 e4 e5 e6 e7 e9 e10 e12
    "received_live": 9,  # no imported history
    "registered": 6,  # e2 e3 e6 e7 e9 e12
    "rejected": 1,  # e5
    "merged": 1,  # e10
    "dispatched": 6,
    "closed_directly": 1,  # e4
    "repeated": 1,  # e2 (repeats e1 of August)
    "sign_due": 6,  # e2 e3 e6 e7(09:30 today) e9 e12
    "signed_on_time": 5,  # all but e2
    "handle_due": 5,  # e1(carry-over) e2 e6 e9 e12; e3 moved to October, e7 due this afternoon
    "handled_on_time": 3,  # e1 e9 e12
    "close_due": 4,  # e1(carry-over) e2 e9 e12
    "closed_of_due": 3,  # e1 e2 e9
    "closed_on_time": 2,  # e1 e9
    "reworked": 1,  # e2
    "extended": 1,  # e1
    "closed": 4,  # e1 e2 e4 e9 (closed_day in September)
    "callbacks": 4,
    "callbacks_valid": 3,  # e9 unreachable
    "satisfied": 2,  # e1 满意, e2 基本满意
    "closed_dispatched": 3,  # e1 e2 e9 (e4 was closed directly)
    "resolved_locally": 2,  # e1 e9 (e2 was escalated)
    "handle_n": 3,  # e1 600, e2 1200, e9 300
}
SEPTEMBER_RATES = {
    "registration_rate": 6 / 9,
    "dispatch_rate": 1.0,
    "signed_on_time_rate": 5 / 6,
    "handled_on_time_rate": 3 / 5,
    "closure_rate": 3 / 4,
    "closed_on_time_rate": 2 / 4,
    "rework_rate": 1 / 4,
    "extension_rate": 1 / 4,
    "direct_close_rate": 1 / 9,
    "repeat_rate": 1 / 9,
    "callback_rate": 4 / 4,
    "satisfaction_rate": 2 / 3,
    "local_resolution_rate": 2 / 3,
}
