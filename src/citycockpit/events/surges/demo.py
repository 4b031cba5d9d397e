"""The demo's surge (未诉先办): a burst of 停水 calls in one town in the two hours before the demo's now,
then one detection run, so the dispatcher's card and the screen's banner show it on the demo's day."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.events.demo import call_centre
from citycockpit.events.enums import Channel
from citycockpit.events.intake import service as intake
from citycockpit.events.models import EventCategory
from citycockpit.events.surges.rule import SurgeRule
from citycockpit.events.surges.service import detect_surges
from citycockpit.org.models import Area

CATEGORY = "H0201"  # 停水停电
TOWN_NAME = "城厢镇"
CALLS = 26
STREETS = ["县府街", "人民南路", "朝阳路", "上海东路", "弇山路", "南郊新村"]


def build_demo_surge(session: Session, ctx: Any, *, seed: int = 923) -> int:
    """26 calls about 停水 in 城厢镇 (or the first town) over the last 110 minutes, then detection with the
    settings' rule; returns the alerts opened."""
    from citycockpit.config import get_settings

    now = ctx.clock.now()
    if session.scalar(select(EventCategory.id).where(EventCategory.code == CATEGORY)) is None:
        return 0
    town = session.scalars(
        select(Area).where(Area.level == "town").order_by((Area.name == TOWN_NAME).desc(), Area.code)
    ).first()
    if town is None:
        return 0
    grids = session.execute(
        select(Area.code, Area.centroid_lat, Area.centroid_lon)
        .where(Area.level == "grid", Area.code.startswith(town.code))
        .order_by(Area.code)
        .limit(6)
    ).all()
    if not grids:
        return 0
    centre = call_centre()
    rng = random.Random(seed)
    for i in range(CALLS):
        grid_code, lat, lon = grids[i % len(grids)]
        reported = now - timedelta(minutes=110 - i * 4 - rng.uniform(0, 3))
        street = rng.choice(STREETS)
        data = intake.EventInput(
            description=f"{street}{rng.randrange(1, 200)}号一带从上午起停水，没有接到停水通知，请尽快处理",
            channel=Channel.HOTLINE,
            request_type="complaint",
            category_code=CATEGORY,
            lat=(lat or 31.46) + rng.uniform(-0.003, 0.003),
            lon=(lon or 121.1) + rng.uniform(-0.003, 0.003),
            grid_code=grid_code,
            reporter_phone=f"139{rng.randrange(10**8):08d}",
            reported_at=reported,
        )
        intake.create_event(session, data, actor=centre, now=reported)
    return detect_surges(session, now=now, rule=SurgeRule.from_settings(get_settings())).opened
