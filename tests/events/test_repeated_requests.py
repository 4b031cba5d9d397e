"""Repeated requests (重复诉求): the same caller (phone, as stored) about the same minor category within
the window is linked to the earlier ticket at intake, shown on both tickets without the phone, and
counted in 重复诉求率 alike by the live KPIs and the rollups."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from citycockpit.events import queries
from citycockpit.events.analytics import kpis
from citycockpit.events.analytics.rollup import recompute_days
from citycockpit.events.intake import service as intake
from tests.events.conftest import report

TZ = ZoneInfo("Asia/Shanghai")
PHONE = "13912345678"


def _call(db, actor, at, **overrides):  # type: ignore[no-untyped-def]
    values = {"channel": "hotline", "reporter_phone": PHONE, "reported_at": at, **overrides}
    return report(db, actor, at, **values)


def test_a_second_request_from_the_same_phone_in_the_same_category_is_linked_to_the_first(
    db, clock, categories, dispatcher
):
    now = clock.now()
    first = _call(db, dispatcher.principal, now - timedelta(days=10))
    second = _call(db, dispatcher.principal, now)
    assert (first.repeat_of_id, second.repeat_of_id, second.repeat_seq) == (None, first.id, 2)
    assert [e.id for e in queries.repeat_info(db, first).later] == [second.id]


def test_each_further_repeat_links_to_the_latest_and_counts_its_place(db, clock, categories, dispatcher):
    now = clock.now()
    first = _call(db, dispatcher.principal, now - timedelta(days=20))
    second = _call(db, dispatcher.principal, now - timedelta(days=5))
    third = _call(db, dispatcher.principal, now)
    assert (third.repeat_of_id, third.repeat_seq) == (second.id, 3)
    assert second.repeat_of_id == first.id


def test_a_request_outside_the_window_is_not_a_repeat(db, clock, categories, dispatcher):
    now = clock.now()
    _call(db, dispatcher.principal, now - timedelta(days=31))
    later = _call(db, dispatcher.principal, now)
    assert (later.repeat_of_id, later.repeat_seq) == (None, None)


def test_a_request_in_another_category_or_from_another_phone_is_not_a_repeat(
    db, clock, categories, dispatcher
):
    now = clock.now()
    _call(db, dispatcher.principal, now - timedelta(days=2))
    other_category = _call(db, dispatcher.principal, now, category_code="E0401")
    other_phone = _call(db, dispatcher.principal, now, reporter_phone="13700000000")
    assert (other_category.repeat_of_id, other_phone.repeat_of_id) == (None, None)


def test_the_window_is_a_setting(db, clock, categories, dispatcher):
    now = clock.now()
    _call(db, dispatcher.principal, now - timedelta(days=10))
    event = intake.create_event(
        db,
        intake.EventInput(
            description="东门街口又有暴露垃圾",
            channel="hotline",
            category_code="E0102",
            reporter_phone=PHONE,
            reported_at=now,
        ),
        actor=dispatcher.principal,
        now=now,
        repeat_window_days=7,
    )
    assert event.repeat_of_id is None


def test_two_requests_of_one_batch_are_linked_to_each_other(db, clock, categories, dispatcher):
    now = clock.now()
    submissions = [
        intake.Submission(
            intake.EventInput(
                description=f"第{i}次反映暴露垃圾",
                channel="hotline",
                category_code="E0102",
                reporter_phone=PHONE,
                reported_at=now + timedelta(minutes=i),
            ),
            dispatcher.principal,
        )
        for i in (1, 2)
    ]
    first, second = intake.create_events(db, submissions, now=now)
    assert db.get(intake.Event, second.id).repeat_of_id == first.id


def test_both_tickets_show_the_link_and_no_phone_to_a_role_without_pii_read(
    client, db, clock, categories, dispatcher, leader
):
    now = clock.now()
    first = _call(db, dispatcher.principal, now - timedelta(days=3))
    second = _call(db, dispatcher.principal, now)
    later = client.get(f"/api/v1/events/{second.public_id}", headers=leader.headers).json()
    earlier = client.get(f"/api/v1/events/{first.public_id}", headers=leader.headers).json()
    assert (later["repeat"]["seq"], later["repeat"]["earlier"]["public_id"]) == (2, first.public_id)
    assert [e["public_id"] for e in earlier["repeat"]["later"]] == [second.public_id]
    assert later["reporter_phone"] == "139****5678"
    page = client.get(f"/app/events/{second.public_id}", headers=leader.headers).text
    assert "重复诉求：第2次" in page and first.public_id in page and PHONE not in page
    assert second.public_id in client.get(f"/app/events/{first.public_id}", headers=leader.headers).text


def test_the_repeat_rate_counts_repeats_alike_live_and_from_the_rollups(db, clock, categories, dispatcher):
    now = clock.now()
    _call(db, dispatcher.principal, now - timedelta(days=12))
    _call(db, dispatcher.principal, now - timedelta(days=8))
    _call(db, dispatcher.principal, now - timedelta(days=8), reporter_phone="13700000000")
    recompute_days(db, date(2024, 9, 1), date(2024, 9, 29), zone=TZ, now=now)
    f = kpis.KpiFilter(date(2024, 9, 1), date(2024, 9, 29))
    answers = [
        kpis.compute_kpis(db, f, principal=None, zone=TZ, now=now, use_rollups=use) for use in (True, False)
    ]
    assert [a["source"] for a in answers] == ["rollup", "raw"]
    rates = [next(k for k in a["kpis"] if k["key"] == "repeat_rate") for a in answers]
    assert [(r["numerator"], r["denominator"]) for r in rates] == [(1, 3), (1, 3)]


def test_a_repeated_request_posted_over_open311_is_linked_by_the_intake_writer(live_intake):
    from sqlalchemy import select

    from citycockpit.events.models import Event

    form = {
        "api_key": live_intake.api_key,
        "service_code": "E0102",
        "lat": 31.463,
        "long": 121.107,
        "description": "路口有垃圾",
        "phone": PHONE,
    }
    for _ in range(2):
        r = live_intake.client.post("/open311/v2/requests.json", data=form)
        assert r.status_code == 201, r.text
    with live_intake.session() as s:
        rows = s.execute(select(Event.id, Event.repeat_of_id, Event.repeat_seq).order_by(Event.id)).all()
    assert [(r.repeat_of_id, r.repeat_seq) for r in rows] == [(None, None), (rows[0].id, 2)]


def test_two_calls_in_one_hotline_file_are_linked(db, clock, categories, dispatcher):
    from sqlalchemy import select

    from citycockpit.events.intake import hotline
    from citycockpit.events.models import Event

    text = (
        "工单编号,受理时间,诉求内容,分类编码,来电号码\n"
        f"T001,2024-09-20 09:00,东门街口有暴露垃圾,E0102,{PHONE}\n"
        f"T002,2024-09-25 09:00,东门街口垃圾又堆起来了,E0102,{PHONE}\n"
    )
    hotline.import_hotline_file(db, text.encode(), "calls.csv", actor=dispatcher.principal, now=clock.now())
    first, second = (db.scalars(select(Event).where(Event.external_id == t)).one() for t in ("T001", "T002"))
    assert (second.repeat_of_id, second.repeat_seq, first.repeat_of_id) == (first.id, 2, None)
