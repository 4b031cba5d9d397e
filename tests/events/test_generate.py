"""The synthetic city: N events with a plausible mix, rollups that agree with the raw events, and a
classifier that learns from them and routes by the rules; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import String, func, select, text
from sqlalchemy.orm import Session

from citycockpit import migrate
from citycockpit.audit.models import AuditEntry
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.core.errors import Unprocessable
from citycockpit.db import make_engine, session_scope
from citycockpit.demo.city import city_profile
from citycockpit.demo.generate import generate_events
from citycockpit.events import categories, routing
from citycockpit.events.analytics import kpis, rollup
from citycockpit.events.enums import RoutingSource
from citycockpit.events.intake import classifier
from citycockpit.events.models import Event, EventCategory, EventTransition
from citycockpit.org import service as org
from citycockpit.org.models import Department
from tests.conftest import create_postgres_database, drop_postgres_database, with_audit_keys

TZ = ZoneInfo("Asia/Shanghai")
CLOCK = fixed_clock("2024-09-30T10:00:00")
ACTOR = SystemActor("test")
N = 3000


def _city_without_events(url: str):  # type: ignore[no-untyped-def]
    """A migrated database with the demo organisation and the shipped categories."""
    engine = with_audit_keys(make_engine(url))
    migrate.upgrade(engine)
    org_file = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()
    with session_scope(engine) as s:
        org.import_org(s, org_file, "taicang-org.yaml", actor=ACTOR, now=CLOCK.now())
        categories.import_categories(
            s, categories.shipped_categories_file(), "categories.yaml", actor=ACTOR, now=CLOCK.now()
        )
    return engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city_engine(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A database of its own with the demo organisation, the shipped categories and N generated events
    (the generator commits in its own transactions, so it cannot share the rolled-back test database)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('gen') / 'gen.db'}"
    else:
        url = create_postgres_database("gen")
    engine = _city_without_events(url)
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


def test_on_postgresql_the_generator_leaves_what_it_loaded_analysed_and_vacuumed(city_engine) -> None:
    engine, _ = city_engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no statistics unless asked; the generator leaves it as it was")
    with engine.connect() as conn:  # reltuples is -1 until a table is first analysed (or vacuumed)
        estimates = dict(
            conn.execute(
                text(
                    "SELECT relname, reltuples FROM pg_class WHERE relname IN ('events', 'event_transitions')"
                )
            ).all()
        )
        transitions = conn.execute(text("SELECT count(*) FROM event_transitions")).scalar()
        # the events' heap: the table itself, or on PostgreSQL its monthly partitions
        all_visible = conn.execute(
            text(
                "SELECT bool_and(relallvisible = relpages) FROM pg_class "
                "WHERE relkind = 'r' AND (relname = 'events' OR relname ~ '^events_p')"
            )
        ).scalar()
    assert estimates == {"events": N, "event_transitions": transitions}
    assert all_visible  # vacuumed too: index-only scans need not visit the table


def test_on_postgresql_a_generated_year_lands_in_its_own_month_partitions(city_engine) -> None:
    engine, _ = city_engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps one plain events table")
    with engine.connect() as conn:  # 2024 is long before the migration's months (today's and 3 ahead)
        per_partition = dict(
            conn.execute(
                text("SELECT tableoid::regclass::text, count(*) FROM events GROUP BY 1 ORDER BY 1")
            ).all()
        )
    assert "events_pdefault" not in per_partition
    assert sorted(per_partition) == [f"events_p2024{m:02d}" for m in range(1, 10)]  # up to 30 September
    assert sum(per_partition.values()) == N


def test_on_partitioned_postgresql_the_load_writes_every_events_keys_and_leaves_the_trigger_on(
    city_engine,
) -> None:
    """The generator copies the keys into event_keys itself, with the row trigger off for its COPY: every
    event must still have its key row, with the same values, and the trigger must be on again after."""
    engine, _ = city_engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps its unique keys on the one events table")
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT count(*) FROM event_keys")).scalar()
        same = conn.execute(
            text(
                "SELECT count(*) FROM events e JOIN event_keys k ON k.id = e.id "
                "AND k.reported_day = e.reported_day AND k.public_id = e.public_id"
            )
        ).scalar()
        enabled = (
            conn.execute(
                text("SELECT DISTINCT tgenabled FROM pg_trigger WHERE tgname = 'events_keys_insert'")
            )
            .scalars()
            .all()
        )
    assert keys == same == N
    assert enabled == ["O"]  # on the table and every partition


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_city(request, tmp_path):  # type: ignore[no-untyped-def]
    """A database with the demo organisation and categories and no events yet."""
    url = (
        f"sqlite:///{tmp_path / 'years.db'}"
        if request.param == "sqlite"
        else create_postgres_database("years")
    )
    engine = _city_without_events(url)
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


def test_one_run_spreads_its_events_over_several_years_by_their_days(empty_city) -> None:
    result = generate_events(
        empty_city,
        n=2000,
        year=2022,
        through_year=2024,
        now=CLOCK.now(),
        zone=TZ,
        actor=ACTOR,
        seed=5,
        batch_size=500,
    )
    with Session(empty_city) as s:
        year_of = func.substr(func.cast(Event.reported_day, String), 1, 4)
        per_year = dict(s.execute(select(year_of, func.count()).group_by(year_of)).all())
        audits = s.scalars(select(AuditEntry.diff_json).where(AuditEntry.action == "events.generate")).all()
    # 365 + 365 + 274 days (2024 up to 30 September): the events follow the days
    assert per_year == {"2022": 727, "2023": 727, "2024": 546}
    assert (result.events, result.last_id - result.first_id + 1) == (2000, 2000)
    assert len(audits) == 1
    assert json.loads(audits[0]) | {"first_id": 0, "last_id": 0} == {
        "events": 2000,
        "year": 2022,
        "through_year": 2024,
        "seed": 5,
        "with_timeline": False,
        "first_id": 0,
        "last_id": 0,
        "transitions": 0,
    }


def test_a_run_through_a_year_not_yet_begun_is_refused_before_anything_is_written(empty_city) -> None:
    with pytest.raises(Unprocessable, match="2025 has not started"):
        generate_events(empty_city, n=10, year=2024, through_year=2025, now=CLOCK.now(), zone=TZ, actor=ACTOR)
    with pytest.raises(Unprocessable, match="last year 2022 comes before the first 2024"):
        generate_events(empty_city, n=10, year=2024, through_year=2022, now=CLOCK.now(), zone=TZ, actor=ACTOR)
    with Session(empty_city) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0


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


def test_generated_addresses_and_callers_come_from_the_city_profile(city_engine) -> None:
    engine, _ = city_engine
    profile = city_profile()
    with Session(engine) as s:
        rows = s.execute(select(Event.address, Event.reporter_name).limit(500)).all()
    places = {f"{profile.address_prefix}{road}" for road in profile.roads}
    assert all(any(address.startswith(p) for p in places) for address, _ in rows)
    callers = [name for _, name in rows if name]
    assert callers and all(name[0] in profile.surnames and name[1:] in ("先生", "女士") for name in callers)


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


@pytest.fixture(scope="module")
def trained(city_engine):  # type: ignore[no-untyped-def]
    """The city's engine with a classifier trained on its history (character n-grams only: faster)."""
    engine, _ = city_engine
    with session_scope(engine) as s:
        result = classifier.train_classifier(s, now=CLOCK.now(), actor=ACTOR, use_words=False)
    return engine, result


@pytest.fixture
def model_routing(trained):  # type: ignore[no-untyped-def]
    """Intake routing through the trained model (the hook `classifier.install` sets), reset afterwards."""
    engine, _ = trained
    routing.set_classifier(classifier.TrainedClassifier(engine))
    yield engine
    routing.set_classifier(None)


def _town_government(s: Session, town_code: str) -> int:
    return s.scalars(select(Department.id).where(Department.area_code == town_code)).one()


def test_the_classifier_trains_on_generated_history_and_suggests_a_category(trained) -> None:
    engine, result = trained
    assert result.n_test > 100 and result.accuracy is not None and result.accuracy > 0.5
    with Session(engine) as s:
        category, department, confidence = classifier.suggest(s, "小区门口垃圾堆放两天无人清理，气味很大")
        assert category.startswith(("E01", "C03")) and 0 < confidence <= 1
        assert classifier.TrainedClassifier(engine).suggest("人行道上有摊贩占道经营") is not None


def test_the_suggested_department_is_the_rule_of_the_suggested_category(trained) -> None:
    engine, _ = trained
    with Session(engine) as s:
        category, department, _ = classifier.suggest(s, "人行道上有摊贩占道经营，行人只能走到车行道上")
        rule = s.scalar(select(EventCategory.default_department_code).where(EventCategory.code == category))
    # Not the department that most often closed such cases in history (a town government: 属地).
    assert (category, department) == ("E0502", rule) and rule == "CGJ"


def test_department_accuracy_compares_the_departments_routing_gives_the_predicted_and_confirmed_category(
    trained,
) -> None:
    _, result = trained
    # Categories that share a department make it at least as high as the category accuracy; scored
    # against the final department (mostly the event's own town) it was about the largest town's share.
    assert result.department_accuracy is not None and result.department_accuracy > 0.9
    assert result.department_accuracy >= result.accuracy - 0.01


def test_rule_agreement_shows_how_rarely_the_rules_name_the_department_that_finally_handled_a_case(
    trained,
) -> None:
    _, result = trained
    # The generator lets the town handle ~98 % of cases (属地); only three minor categories route there.
    assert result.rule_agreement is not None and result.rule_agreement < 0.3


def test_an_event_the_model_routes_goes_to_its_categorys_department_wherever_it_is(model_routing) -> None:
    with Session(model_routing) as s:
        cgj = s.scalars(select(Department.id).where(Department.code == "CGJ")).one()
        decisions = [
            routing.route(
                s, category=None, text="人行道上有摊贩占道经营，行人只能走到车行道上", town_code=town
            )
            for town in ("320585001", "320585105")
        ]
    assert [(d.category_code, d.department_id, d.source) for d in decisions] == [
        ("E0502", cgj, RoutingSource.MODEL)
    ] * 2


def test_an_event_the_model_puts_in_a_town_category_goes_to_the_government_of_its_own_town(
    model_routing,
) -> None:
    text = "邻里纠纷：楼上邻居长期噪音，双方发生纠纷，请求社区调解"
    with Session(model_routing) as s:
        decisions = {
            town: routing.route(s, category=None, text=text, town_code=town)
            for town in ("320585001", "320585105")
        }
        expected = {town: ("H0601", _town_government(s, town)) for town in decisions}
    assert {town: (d.category_code, d.department_id) for town, d in decisions.items()} == expected
