"""The indicator feeds' page in a real Chromium: a value pushed by another system's token shows with its
station and alert, in Chinese, with no console errors or outside requests."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from tests.browser.conftest import Demo, Watch, log_in


def test_a_pushed_value_shows_on_the_feeds_page_with_its_alert(context, demo: Demo, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.auth import tokens
    from citycockpit.auth.models import ApiToken
    from citycockpit.core.actors import SystemActor
    from citycockpit.core.clock import utcnow
    from citycockpit.db import session_scope
    from citycockpit.indicators import service
    from citycockpit.indicators.models import Station

    actor = SystemActor("browser-tests")
    engine = demo.engine()
    with session_scope(engine) as session:
        if session.scalar(select(Station.id).where(Station.code == "BRW01")) is None:
            session.add(Station(code="BRW01", name="浏览器测试站", level="town", updated_at=utcnow()))
            service.create_feed(
                session,
                code="brw_pm25",
                name="测试细颗粒物",
                unit="μg/m³",
                min_value=0,
                max_value=1000,
                thresholds=[service.ThresholdIn("alarm", "above", 150)],
                actor=actor,
                now=utcnow(),
            )
        created = tokens.create_token(
            session, name="环境监测平台", scopes=["indicators:write"], actor=actor, now=utcnow()
        )
        session.flush()
        token_id = session.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == tokens.hash_token(created.secret))
        )
        service.grant_feeds(session, token_id, ["brw_pm25"], actor=actor, now=utcnow())
    engine.dispose()
    pushed = httpx.post(
        f"{demo.url}/api/v1/indicators/brw_pm25/values",
        json={"values": [{"time": utcnow().isoformat(), "station": "BRW01", "value": 188}]},
        headers={"Authorization": f"Bearer {created.secret}"},
    )
    assert pushed.status_code == 200, pushed.text
    page = context.new_page()
    log_in(page, demo, "web_leader", "/app/indicators")
    alerts = page.locator("#indicator-alerts")
    assert "浏览器测试站" in alerts.inner_text() and "超过告警值" in alerts.inner_text()
    row = page.locator("#indicator-series tr", has_text="测试细颗粒物")
    assert "188" in row.inner_text() and "分钟前" in row.inner_text()
    assert watch.console_errors == [] and watch.outside_requests == []
