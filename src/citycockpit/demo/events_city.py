"""The demo's events step: categories (if none yet), a year of synthetic events, rollups, a classifier."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.core.actors import SystemActor
from citycockpit.db import session_scope
from citycockpit.events.models import EventCategory

DEMO_EVENTS = 30_000
DEMO_TRAIN_EVENTS = 20_000
DEMO_ACTOR = SystemActor("demo")


def build_events_city(session: Session, ctx: Any) -> None:
    from citycockpit.demo.generate import generate_events
    from citycockpit.events import categories
    from citycockpit.events.analytics import rollup
    from citycockpit.events.intake import classifier

    now = ctx.clock.now()
    zone = ctx.clock.zone
    if not session.scalar(select(func.count()).select_from(EventCategory)):
        categories.import_categories(
            session, categories.shipped_categories_file(), "categories.yaml", actor=DEMO_ACTOR, now=now
        )
    session.commit()  # the generator writes through its own transactions
    engine = session.get_bind()
    n = ctx.events or DEMO_EVENTS
    year = ctx.clock.local_today().year
    result = generate_events(engine, n=n, year=year, now=now, zone=zone, actor=DEMO_ACTOR, seed=2024)
    rollup.recompute_range(
        lambda: session_scope(engine),
        date(year, 1, 1),
        ctx.clock.local_today() - timedelta(days=1),
        zone=zone,
        now=now,
    )
    # Character n-grams only and the newest 20 k events: the generated texts are built from a few
    # phrases per category, so jieba words and more events add nothing measurable (bench/classifier.py
    # --db), and cross-validation's extra fits then keep the demo step about as fast as it was.
    trained = classifier.train_classifier(
        session, now=now, actor=DEMO_ACTOR, max_events=DEMO_TRAIN_EVENTS, use_words=False
    )
    ctx.summary["events"] = result.events
    ctx.summary["classifier accuracy"] = f"{(trained.accuracy or 0):.1%}"
