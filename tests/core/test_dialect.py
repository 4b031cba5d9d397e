"""The dialect-specific SQL behind core/dialect.py gives the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, Table, insert, literal, select

from citycockpit.core.dialect import as_date, local_date, percentile_cont, try_advisory_lock
from citycockpit.db import UTCDateTime

_meta = MetaData()
samples = Table("tmp_percentile_samples", _meta, Column("id", Integer, primary_key=True), Column("x", Float))


@pytest.fixture
def values(db):  # type: ignore[no-untyped-def]
    def fill(xs: list[float | None]) -> None:
        _meta.create_all(db.connection())
        db.execute(insert(samples), [{"x": x} for x in xs])

    return fill


@pytest.mark.parametrize(
    ("xs", "fraction", "expected"),
    [
        ([300.0, 600.0, 1200.0], 0.9, 1080.0),
        ([5.0, 1.0, 3.0, 2.0, 4.0], 0.5, 3.0),
        ([10.0, 20.0, 30.0, 40.0], 0.9, 37.0),
        ([7.0], 0.9, 7.0),
        ([1.0, None, 2.0], 1.0, 2.0),
    ],
)
def test_percentile_cont_interpolates_like_postgresql(db, values, xs, fraction, expected) -> None:
    values(xs)
    assert percentile_cont(db, samples.c.x, fraction) == pytest.approx(expected)


def test_percentile_of_no_rows_is_none(db, values) -> None:
    values([1.0, 2.0])
    assert percentile_cont(db, samples.c.x, 0.9, samples.c.x > 5) is None


def test_local_date_turns_a_utc_instant_into_the_shanghai_day(db, backend) -> None:
    # 2024-09-30 17:30 UTC is 2024-10-01 01:30 in Shanghai
    instant = literal(datetime(2024, 9, 30, 17, 30, tzinfo=UTC), UTCDateTime())
    expr = local_date(instant, ZoneInfo("Asia/Shanghai"), backend)
    assert as_date(db.execute(select(expr)).scalar()) == date(2024, 10, 1)


def test_local_date_with_a_shift_puts_a_midnight_stamp_on_the_day_before(db, backend) -> None:
    # 2024-09-30 16:00 UTC is 2024-10-01 00:00 in Shanghai: an hourly value stamped at the end of its hour
    instant = literal(datetime(2024, 9, 30, 16, 0, tzinfo=UTC), UTCDateTime())
    expr = local_date(instant, ZoneInfo("Asia/Shanghai"), backend, shift=-timedelta(hours=1))
    assert as_date(db.execute(select(expr)).scalar()) == date(2024, 9, 30)


def test_an_advisory_lock_is_granted_to_one_session_at_a_time(engine) -> None:
    from sqlalchemy.orm import Session

    with Session(engine) as first, Session(engine) as second:
        assert try_advisory_lock(first, "test.lock", 42) is True
        if engine.dialect.name == "postgresql":
            assert try_advisory_lock(second, "test.lock", 42) is False
            assert try_advisory_lock(second, "test.lock", 43) is True
        first.rollback()
        second.rollback()
