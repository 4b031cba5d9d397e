"""Indicator feeds (指标数据接入): series fed by other systems, their values with provenance, revisions,
thresholds and alerts, pulls, monitoring stations and the daily air-quality results."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citycockpit.db import Base, UTCDateTime


class Station(Base):
    """A monitoring station (监测站点): national, provincial or town level, with its place."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12))  # national | provincial | town
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    area_code: Mapped[str | None] = mapped_column(String(15), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Feed(Base):
    """An indicator series fed by another system (PM2.5 hourly, hazards found …). `theme` groups the
    series of a board; `pollutant` names the HJ 633 pollutant an air series carries; a feed linked to a
    goals series (`goal_series_id`) gives that series its monthly actuals by `monthly_rule`. `resolution`
    is `hour` (hourly means, stamped at the end of their hour) or `day` (one figure a day, stamped at the
    day's local midnight: the 24-h mean, or for ozone the day's maximum 8-h mean, taken as it is)."""

    __tablename__ = "indicator_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(32))
    theme: Mapped[str | None] = mapped_column(String(40), index=True)
    pollutant: Mapped[str | None] = mapped_column(String(12))
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    silence_minutes: Mapped[int | None] = mapped_column(Integer)
    goal_series_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_series.id", ondelete="SET NULL"))
    monthly_rule: Mapped[str] = mapped_column(String(8), default="mean")  # mean | sum | last
    resolution: Mapped[str] = mapped_column(String(4), default="hour", server_default="hour")  # hour | day
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Batch(Base):
    """One delivery of values: where it came from (push, file, pull), when and from whom. Every value
    points at the batch that last wrote it, so its provenance costs one integer a row."""

    __tablename__ = "indicator_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(8))  # push | file | pull
    reference: Mapped[str | None] = mapped_column(String(255))  # file name or URL
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_by: Mapped[str] = mapped_column(String(120))
    created: Mapped[int] = mapped_column(Integer, default=0)
    revised: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)


class Value(Base):
    """One observation of a feed at a place (a station code, an area code, or '' for the whole city)."""

    __tablename__ = "indicator_values"
    __table_args__ = (UniqueConstraint("feed_id", "place_code", "observed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("indicator_feeds.id", ondelete="CASCADE"))
    place_code: Mapped[str] = mapped_column(String(32))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    value: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[int] = mapped_column(ForeignKey("indicator_batches.id", ondelete="RESTRICT"), index=True)


class Revision(Base):
    """A value that a later delivery changed: the old figure and the batch that had written it."""

    __tablename__ = "indicator_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    value_id: Mapped[int] = mapped_column(ForeignKey("indicator_values.id", ondelete="CASCADE"), index=True)
    old_value: Mapped[float] = mapped_column(Float)
    old_batch_id: Mapped[int] = mapped_column(ForeignKey("indicator_batches.id", ondelete="RESTRICT"))
    new_value: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[int] = mapped_column(ForeignKey("indicator_batches.id", ondelete="RESTRICT"), index=True)


class Threshold(Base):
    """A warn or alarm limit of a feed, crossed above or below."""

    __tablename__ = "indicator_thresholds"
    __table_args__ = (UniqueConstraint("feed_id", "level", "direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("indicator_feeds.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(8))  # warn | alarm
    direction: Mapped[str] = mapped_column(String(8))  # above | below
    limit_value: Mapped[float] = mapped_column(Float)


class Alert(Base):
    """A threshold crossed at a place, or a feed gone silent; open until `resolved_at`."""

    __tablename__ = "indicator_alerts"
    __table_args__ = (Index("ix_indicator_alerts_open", "feed_id", "kind", "place_code", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("indicator_feeds.id", ondelete="CASCADE"))
    place_code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(10))  # threshold | silence
    level: Mapped[str] = mapped_column(String(8))  # warn | alarm
    value: Mapped[float | None] = mapped_column(Float)
    limit_value: Mapped[float | None] = mapped_column(Float)
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Pull(Base):
    """A scheduled fetch of a feed from another system's URL (JSON or CSV), with the mapping of its
    fields to ours: {"items": "data", "time": "ts", "value": "pm25", "place": "station"}."""

    __tablename__ = "indicator_pulls"

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("indicator_feeds.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(4))  # json | csv
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    every_minutes: Mapped[int] = mapped_column(Integer, default=60)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class TokenFeed(Base):
    """A feed an API token holding `indicators:write` may write (the token writes no other)."""

    __tablename__ = "indicator_token_feeds"
    __table_args__ = (UniqueConstraint("token_id", "feed_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    feed_id: Mapped[int] = mapped_column(ForeignKey("indicator_feeds.id", ondelete="CASCADE"))


class Mark(Base):
    """A day of a feed at a place whose values changed: what depends on it (the day's air quality, the
    month's goal actual) is recomputed by the worker, which then deletes the mark."""

    __tablename__ = "indicator_marks"
    __table_args__ = (UniqueConstraint("feed_id", "place_code", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("indicator_feeds.id", ondelete="CASCADE"))
    place_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    is_aq_done: Mapped[bool] = mapped_column(Boolean, default=False)  # air quality recomputed
    is_goal_done: Mapped[bool] = mapped_column(Boolean, default=False)  # goal actual recomputed


class AirQualityDay(Base):
    """A day's air quality at a station ('' = the city): daily concentrations, AQI and primary
    pollutant per HJ 633-2012; `is_valid` when every pollutant met the completeness rules."""

    __tablename__ = "air_quality_days"
    __table_args__ = (UniqueConstraint("place_code", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date, index=True)
    pm25: Mapped[float | None] = mapped_column(Float)
    pm10: Mapped[float | None] = mapped_column(Float)
    so2: Mapped[float | None] = mapped_column(Float)
    no2: Mapped[float | None] = mapped_column(Float)
    co: Mapped[float | None] = mapped_column(Float)
    o3_8h: Mapped[float | None] = mapped_column(Float)
    aqi: Mapped[int | None] = mapped_column(Integer)
    primary_pollutants: Mapped[str | None] = mapped_column(String(40))
    is_valid: Mapped[bool] = mapped_column(Boolean, default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Theme(Base):
    """A theme (专题: 生态环境, 安全生产 …) as loaded from its YAML: its name and its board, the panels
    of `/screen?theme=<code>` (type, title, params, place on the grid), checked when loaded."""

    __tablename__ = "indicator_themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    board: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True)
    )  # no board: SQL NULL, not JSON null
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
