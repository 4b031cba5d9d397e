"""Surges (未诉先办): requests about one category in one town far above the same weekday and hours of
past weeks raise one alert, with the events behind it linked; a normal week raises none; on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from citycockpit.audit.models import AuditEntry
from citycockpit.events.models import Event
from citycockpit.events.surges import service
from citycockpit.events.surges.models import SurgeAlert
from citycockpit.events.surges.rule import SurgeRule, decide_surge
from tests.events.surge_traffic import (
    GRID_A,
    GRID_B,
    PARKING,
    TOWN_A,
    TOWN_B,
    WATER,
    add_requests,
    import_surge_categories,
    normal_weeks,
    steady,
)

RULE = SurgeRule()  # the settings' defaults: 2 hours, 4 weeks, ×3, at least 10, p ≤ 0.001


@pytest.fixture
def surge_city(db, city, clock):  # type: ignore[no-untyped-def]
    import_surge_categories(db, clock.now())


def _baseline(db, now, per_hour, *, category=WATER, town=TOWN_A, grid=GRID_A):  # type: ignore[no-untyped-def]
    """`per_hour` requests an hour from 06:00 to now on this weekday of each of the 4 past weeks, and
    today up to the surge."""
    for k in range(0, 5):
        day_end = now - timedelta(weeks=k)
        add_requests(
            db,
            steady(day_end - timedelta(hours=4), day_end, per_hour),
            category=category,
            town=town,
            grid=grid,
        )


def _alerts(db):  # type: ignore[no-untyped-def]
    return list(db.scalars(select(SurgeAlert).order_by(SurgeAlert.id)))


def test_the_rule_needs_the_minimum_the_ratio_and_an_improbable_count() -> None:
    assert decide_surge(30, [4, 4, 5, 3], RULE).is_surge
    assert not decide_surge(9, [0, 0, 0, 0], RULE).is_surge  # below the minimum, however rare
    assert decide_surge(10, [0, 0, 0, 0], RULE).is_surge  # a silent past is held at the floor
    assert not decide_surge(30, [12, 10, 11, 12], RULE).is_surge  # under three times the usual
    assert not decide_surge(12, [4, 4, 4, 4], SurgeRule(max_p=1e-9)).is_surge  # ×3 but not improbable enough
    decision = decide_surge(20, [4, 4, 4, 4], RULE)
    assert (decision.expected, decision.ratio) == (4.0, 5.0) and decision.p_value < 1e-6


def test_a_replayed_surge_raises_exactly_one_alert_with_its_events_linked(db, surge_city, clock) -> None:
    now = clock.now()  # Monday 2024-09-30 10:00
    _baseline(db, now, 2.0)  # ~4 in each two-hour window of the past Mondays
    surge = add_requests(
        db, steady(now - timedelta(hours=2), now, 15.0), category=WATER, town=TOWN_A, grid=GRID_A
    )
    assert len(surge) == 30
    run = service.detect_surges(db, now=now, rule=RULE)
    (alert,) = _alerts(db)
    assert (run.opened, alert.category_code, alert.town_code, alert.state) == (1, WATER, TOWN_A, "open")
    # the window holds the 30 surge requests and the 4 of the steady traffic
    assert (alert.count, alert.expected, alert.event_count) == (34, 4.0, 34)
    linked = set(
        db.scalars(select(Event.public_id).where(Event.id.in_(service.linked_event_ids(db, alert.id))))
    )
    assert set(surge) <= linked and len(linked) == 34
    assert db.scalar(select(func.count()).where(AuditEntry.action == "event.surge.open")) == 1


def test_a_surge_keeps_one_alert_while_it_lasts_and_closes_when_it_ends(db, surge_city, clock) -> None:
    now = clock.now()
    _baseline(db, now, 2.0)
    add_requests(
        db,
        steady(now - timedelta(hours=2), now + timedelta(minutes=30), 15.0),
        category=WATER,
        town=TOWN_A,
        grid=GRID_A,
    )
    service.detect_surges(db, now=now, rule=RULE)
    later = service.detect_surges(db, now=now + timedelta(minutes=30), rule=RULE)
    (alert,) = _alerts(db)
    # the half hour after brought 7 more (linked); the window from 08:30 holds 33, the peak stays 34
    assert (later.opened, later.updated, alert.event_count, alert.count, alert.peak_count) == (
        0,
        1,
        41,
        33,
        34,
    )
    ended = service.detect_surges(db, now=now + timedelta(hours=4), rule=RULE)
    db.refresh(alert)
    assert (ended.closed, alert.state, alert.open_key) == (1, "closed", None)
    assert db.scalar(select(func.count()).where(AuditEntry.action == "event.surge.close")) == 1


def test_an_increase_below_the_minimum_count_raises_nothing(db, surge_city, clock) -> None:
    now = clock.now()
    _baseline(db, now - timedelta(hours=2), 0.25)  # about one request a morning
    add_requests(db, steady(now - timedelta(hours=2), now, 3.0), category=WATER, town=TOWN_A, grid=GRID_A)
    assert service.detect_surges(db, now=now, rule=RULE).opened == 0
    # the same six requests are a surge for a rule that asks for five
    assert service.detect_surges(db, now=now, rule=SurgeRule(min_count=5)).opened == 1


def test_a_normal_week_of_generated_traffic_raises_no_alarm(db, surge_city, clock) -> None:
    """Five weeks of seeded Poisson traffic in two towns and two categories, one with a Monday-morning
    rush five times its usual level every week; detection every hour of the last week raises nothing,
    while the same traffic with a replayed surge on top does raise one."""
    now = clock.now()
    rng = np.random.default_rng(23)
    for category, town, grid, base, peak in (
        (WATER, TOWN_A, GRID_A, 3.0, 1.0),
        (WATER, TOWN_B, GRID_B, 1.0, 1.0),
        (PARKING, TOWN_A, GRID_A, 4.0, 5.0),
        (PARKING, TOWN_B, GRID_B, 2.0, 5.0),
    ):
        add_requests(db, normal_weeks(rng, now, 5, base, peak), category=category, town=town, grid=grid)
    for hours_back in range(7 * 24, -1, -1):
        service.detect_surges(db, now=now - timedelta(hours=hours_back), rule=RULE)
    assert _alerts(db) == []
    # an everyday baseline would have called the Monday rush a surge: the rule compares like with like
    rush = db.scalar(
        select(func.count()).where(
            Event.category_code == PARKING,
            Event.town_code == TOWN_A,
            Event.reported_at > now - timedelta(hours=2),
            Event.reported_at <= now,
        )
    )
    assert rush >= RULE.min_count
    add_requests(db, steady(now - timedelta(minutes=90), now, 20.0), category=WATER, town=TOWN_B, grid=GRID_B)
    service.detect_surges(db, now=now, rule=RULE)
    assert [(a.category_code, a.town_code) for a in _alerts(db)] == [(WATER, TOWN_B)]


def test_test_events_and_other_towns_are_not_counted(db, surge_city, clock) -> None:
    now = clock.now()
    add_requests(db, steady(now - timedelta(hours=2), now, 6.0), category=WATER, town=TOWN_A, grid=GRID_A)
    add_requests(db, steady(now - timedelta(hours=2), now, 6.0), category=WATER, town=TOWN_B, grid=GRID_B)
    db.execute(Event.__table__.update().where(Event.town_code == TOWN_B).values(is_test=True))
    counts = service.count_windows(db, now=now, rule=RULE)
    assert counts == {(WATER, TOWN_A): [12, 0, 0, 0, 0]}


@pytest.fixture
def surge_alert(db, surge_city, clock):  # type: ignore[no-untyped-def]
    """The replayed 停水 surge in 城厢镇, detected."""
    now = clock.now()
    _baseline(db, now, 2.0)
    add_requests(db, steady(now - timedelta(hours=2), now, 15.0), category=WATER, town=TOWN_A, grid=GRID_A)
    service.detect_surges(db, now=now, rule=RULE)
    (alert,) = _alerts(db)
    return alert


def test_the_dispatcher_and_the_town_see_the_surge_and_others_do_not(
    client, surge_alert, dispatcher, town_staff, dept_staff, grid_worker
) -> None:
    seen = {
        p.user.username: [s["id"] for s in client.get("/api/v1/events/surges", headers=p.headers).json()]
        for p in (dispatcher, town_staff, dept_staff)
    }
    assert seen == {"dispatcher": [surge_alert.id], "town_a": [surge_alert.id], "cgj_staff": []}
    body = client.get(f"/api/v1/events/surges/{surge_alert.id}", headers=dispatcher.headers).json()
    assert (body["category_name"], body["town_name"], body["count"]) == ("停水停电", "城厢镇", 34)
    refused = client.get(f"/api/v1/events/surges/{surge_alert.id}", headers=dept_staff.headers)
    assert (refused.status_code, refused.json()["code"]) == (404, "surge_not_found")


def test_the_drill_down_lists_exactly_the_events_behind_the_surge(
    db, client, surge_alert, dispatcher
) -> None:
    page = client.get(f"/api/v1/events?surge={surge_alert.id}&limit=500", headers=dispatcher.headers).json()
    linked = set(service.linked_event_ids(db, surge_alert.id))
    assert page["total"] == 34 and {e["id"] for e in page["items"]} == linked
    html = client.get(f"/app/events?surge={surge_alert.id}", headers=dispatcher.headers).text
    assert "激增预警：城厢镇 · 停水停电" in html and "共 34 条" in html


def test_the_queue_carries_the_surge_card_and_a_dispatcher_acknowledges_it_once(
    db, client, surge_alert, dispatcher, leader
) -> None:
    html = client.get("/app/events", headers=dispatcher.headers).text
    assert "诉求激增预警" in html and f"/app/events?surge={surge_alert.id}" in html and "已知悉" in html
    url = f"/api/v1/events/surges/{surge_alert.id}/acknowledge"
    assert client.post(url, headers=leader.headers).status_code == 403
    done = client.post(url, headers=dispatcher.headers)
    assert (done.status_code, done.json()["acknowledged_by_name"]) == (200, "dispatcher")
    again = client.post(url, headers=dispatcher.headers)
    assert (again.status_code, again.json()["code"]) == (409, "surge_already_acknowledged")
    assert db.scalar(select(func.count()).where(AuditEntry.action == "event.surge.acknowledge")) == 1


def test_the_screen_shows_the_surge_first_in_its_alerts(client, surge_alert, leader) -> None:
    items = client.get("/api/v1/screen/alerts", headers=leader.headers).json()["items"]
    assert items[0]["kind"] == "surge"
    assert (items[0]["area_name"], items[0]["count"], items[0]["href"]) == (
        "城厢镇",
        34,
        f"/app/events?surge={surge_alert.id}",
    )
