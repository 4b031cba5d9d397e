"""The workbench page of the feeds: series, last value, freshness and alerts, in Chinese."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from citycockpit.core.clock import Clock
from citycockpit.indicators import service
from tests.indicators.builders import deliver, make_feed, make_station


def test_the_page_lists_series_freshness_and_alerts_in_chinese(
    client, db: Session, clock: Clock, city, leader
) -> None:  # type: ignore[no-untyped-def]
    make_station(db, "TC01", now=clock.now())
    make_feed(
        db,
        "pm25",
        now=clock.now(),
        name="细颗粒物",
        unit="μg/m³",
        thresholds=[service.ThresholdIn("warn", "above", 75)],
    )
    make_feed(db, "hazards", now=clock.now(), name="隐患整改数")
    deliver(db, [("pm25", "2024-09-30T08:00+08:00", "TC01", 88)], now=clock.now())
    page = client.get("/app/indicators", headers=leader.headers)
    assert page.status_code == 200
    main = page.text.split("<main", 1)[1]
    assert "TC01监测站" in main and "超过预警值" in main and "尚无数据" in main
    visible = re.sub(r"<[^>]+>|μg/m³", " ", main)
    assert not re.findall(r"\b(?:pm25|hazards|threshold|warn|None)\b", visible)


def test_the_page_is_refused_without_the_permission(
    client, db: Session, clock: Clock, city, grid_worker
) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/app/indicators", headers=grid_worker.headers).status_code == 403
