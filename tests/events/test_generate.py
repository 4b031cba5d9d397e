"""The synthetic city: N events with a plausible mix, rollups that agree with the raw events, and a
classifier that learns from them; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit import migrate
from citycockpit.audit.models import AuditEntry
from citycockpit.audit.service import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.events import categories, classifier, kpis, rollup
from citycockpit.events.generate import generate_events
from citycockpit.events.models import Event, EventTransition
from citycockpit.org import service as org
from tests.conftest import create_postgres_database, drop_postgres_database

TZ = ZoneInfo("Asia/Shanghai")
CLOCK = fixed_clock("2024-09-30T10:00:00")
ACTOR = SystemActor("test")
N = 3000


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city_engine(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A database of its own with the demo organisation, the shipped categories and N generated events
    (the generator commits in its own transactions, so it cannot share the rolled-back test database)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('gen') / 'gen.db'}"
    else:
        url = create_postgres_database("gen")
    engine = make_engine(url)
    migrate.upgrade(engine)
    org_file = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()
    with session_scope(engine) as s:
        org.import_org(s, org_file, "taicang-org.yaml", actor=ACTOR, now=CLOCK.now())
        categories.import_categories(
            s, categories.shipped_categories_file(), "categories.yaml", actor=ACTOR, now=CLOCK.now()
        )
    result = generate_events(
        engine,
        n=N,
        year=2024,
        now=CLOCK.now(),
        zone=TZ,
        actor=ACTOR,
        seed=11,
        with_timeline=True,
        batch_size=1000,
    )
    yield engine, result
    engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


def test_the_generator_writes_exactly_n_events_and_one_audit_entry(city_engine) -> None:
    engine, result = city_engine
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == N
        assert (result.first_id, result.last_id) == (result.first_id, result.first_id + N - 1)
        assert s.scalar(select(func.count()).where(AuditEntry.action == "events.generate")) >= 1
        assert s.scalar(select(func.count()).select_from(EventTransition)) > 5 * N


def test_generated_events_have_a_plausible_mix(city_engine) -> None:
    engine, _ = city_engine
    with Session(engine) as s:
        channels = dict(s.execute(select(Event.channel, func.count()).group_by(Event.channel)).all())
        assert max(channels, key=channels.get) == "hotline"
        assert {"patrol", "app", "video", "open311"} <= set(channels)
        last = s.scalar(select(func.max(Event.reported_day)))
        assert last <= date(2024, 9, 30)
        open_recent = s.scalar(
            select(func.count()).where(
                Event.state.in_(("registered", "dispatched", "signed", "handled", "verified")),
                Event.reported_day >= date(2024, 9, 20),
            )
        )
        open_old = s.scalar(
            select(func.count()).where(
                Event.state.in_(("registered", "dispatched", "signed", "handled", "verified")),
                Event.reported_day < date(2024, 6, 1),
            )
        )
        assert open_recent > 0 and open_old == 0
        merged = s.scalar(select(func.count()).where(Event.merged_into_id.is_not(None)))
        assert 0.01 * N < merged < 0.06 * N


def test_generated_kpis_are_near_the_city_figures(city_engine) -> None:
    engine, _ = city_engine
    f = kpis.KpiFilter(date(2024, 1, 1), date(2024, 8, 31))
    with Session(engine) as s:
        rates = {
            k["key"]: k["value"]
            for k in kpis.compute_kpis(s, f, principal=None, zone=TZ, now=CLOCK.now())["kpis"]
        }
    assert rates["satisfaction_rate"] == pytest.approx(0.98, abs=0.02)
    assert rates["local_resolution_rate"] > 0.8
    assert 0.8 < rates["closed_on_time_rate"] < 1.0
    assert 0 < rates["rework_rate"] < 0.05


def test_rollups_of_generated_events_equal_the_raw_computation(city_engine) -> None:
    engine, _ = city_engine
    rollup.recompute_range(
        lambda: session_scope(engine), date(2024, 1, 1), date(2024, 9, 29), zone=TZ, now=CLOCK.now()
    )
    with Session(engine) as s:
        for f in (
            kpis.KpiFilter(date(2024, 1, 1), date(2024, 9, 30)),
            kpis.KpiFilter(date(2024, 7, 1), date(2024, 7, 31), area="320585101"),
            kpis.KpiFilter(date(2024, 3, 1), date(2024, 9, 30), category="E01"),
        ):
            rolled = kpis.compute_kpis(s, f, principal=None, zone=TZ, now=CLOCK.now())
            raw = kpis.compute_kpis(s, f, principal=None, zone=TZ, now=CLOCK.now(), use_rollups=False)
            assert rolled["source"] == "rollup" and raw["source"] == "raw"
            assert rolled["counts"] == raw["counts"] and rolled["kpis"] == raw["kpis"]


def test_the_classifier_trains_on_generated_history_and_suggests_a_category(city_engine) -> None:
    engine, _ = city_engine
    with session_scope(engine) as s:
        result = classifier.train_classifier(s, now=CLOCK.now(), actor=ACTOR, use_words=False)
    assert result.n_test > 100 and result.accuracy is not None and result.accuracy > 0.5
    with Session(engine) as s:
        category, department, confidence = classifier.suggest(s, "小区门口垃圾堆放两天无人清理，气味很大")
        assert category.startswith(("E01", "C03")) and 0 < confidence <= 1
        assert classifier.TrainedClassifier(engine).suggest("人行道上有摊贩占道经营") is not None
