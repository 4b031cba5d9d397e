"""`/api/v1/indicators…`: series, pushed and imported values, thresholds' alerts, stations, air quality."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, UploadFile
from pydantic import BaseModel, Field

from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core.tabular import Row
from citycockpit.db import SessionDep
from citycockpit.indicators import jobs as indicator_jobs
from citycockpit.indicators import queries, service

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])

Reader = Annotated[Principal, require(Perm.INDICATORS_READ)]
Writer = Annotated[Principal, require(Perm.INDICATORS_WRITE)]
Manager = Annotated[Principal, require(Perm.INDICATORS_MANAGE)]

MAX_BATCH = 5_000  # with `request_body_limit_bytes` (1 MB by default): about 200 bytes a value


class ValueIn(BaseModel):
    time: str = Field(description="ISO 8601 instant; without an offset it is in the city's time zone")
    value: float | str = Field(description="the figure in the series' unit")
    station: str = Field("", description="station or area code; empty for the whole city", max_length=32)


class ValuesIn(BaseModel):
    values: list[ValueIn] = Field(min_length=1, max_length=MAX_BATCH)


class ThresholdBody(BaseModel):
    level: str
    direction: str
    limit_value: float


class FeedIn(BaseModel):
    code: str = Field(max_length=40)
    name: str = Field(max_length=100)
    unit: str | None = Field(None, max_length=32)
    theme: str | None = Field(None, max_length=40)
    pollutant: str | None = Field(None, max_length=12)
    min_value: float | None = None
    max_value: float | None = None
    silence_minutes: int | None = None
    goal_series_id: int | None = None
    monthly_rule: str = "mean"
    resolution: str = "hour"
    thresholds: list[ThresholdBody] = []


class GrantIn(BaseModel):
    token_id: int
    series: list[str] = Field(min_length=1)


class PullIn(BaseModel):
    url: str = Field(max_length=500)
    format: str
    mapping: dict[str, str]
    every_minutes: int = Field(60, ge=1)


def _now(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.clock.now()


def _zone(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.settings.zone


def _result(result: service.BatchResult) -> dict[str, Any]:
    return {
        "batch_id": result.batch_id,
        "created": result.created,
        "revised": result.revised,
        "unchanged": result.unchanged,
        "alerts_raised": result.alerts_raised,
    }


@router.get("")
def list_feeds(request: Request, session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    """Every series with its last value, freshness and open alerts."""
    return queries.list_feeds(session, now=_now(request))


@router.post("", status_code=201)
def create_feed(request: Request, body: FeedIn, session: SessionDep, principal: Manager) -> dict[str, Any]:
    data = body.model_dump()
    limits = [service.ThresholdIn(**t) for t in data.pop("thresholds")]
    feed = service.create_feed(session, **data, thresholds=limits, actor=principal, now=_now(request))
    session.commit()
    return {"id": feed.id, "code": feed.code}


@router.get("/alerts")
def list_alerts(
    session: SessionDep, principal: Reader, state: Annotated[str, Query(pattern="^(open|all)$")] = "open"
) -> list[dict[str, Any]]:
    """Threshold and silence alerts (open ones by default), newest first, within the caller's area."""
    return queries.list_alerts(session, principal=principal, is_open=state == "open")


@router.post("/grants", status_code=201)
def grant_feeds(request: Request, body: GrantIn, session: SessionDep, principal: Manager) -> dict[str, Any]:
    """Let a token with `indicators:write` write the named series."""
    service.grant_feeds(session, body.token_id, body.series, actor=principal, now=_now(request))
    session.commit()
    return {"token_id": body.token_id, "series": body.series}


@router.post("/stations/import")
def import_stations(
    request: Request, file: UploadFile, session: SessionDep, principal: Manager
) -> dict[str, int]:
    result = service.import_stations(
        session, file.file.read(), file.filename or "stations.csv", actor=principal, now=_now(request)
    )
    session.commit()
    return result


@router.post("/values/import")
def import_values(
    request: Request, file: UploadFile, session: SessionDep, principal: Writer, series: str | None = None
) -> dict[str, Any]:
    """Values from CSV/XLSX (series, time, station, value), all or nothing, errors by row."""
    result = service.import_values_file(
        session,
        file.file.read(),
        file.filename or "values.csv",
        principal=principal,
        now=_now(request),
        zone=_zone(request),
        series=series,
    )
    session.commit()
    return _result(result)


@router.get("/air/{year}")
def air_year(
    session: SessionDep,
    principal: Reader,
    year: Annotated[int, Path(ge=2000, le=2100)],
    station: Annotated[str, Query(max_length=32)] = "",
    through: date | None = None,
) -> dict[str, Any]:
    """优良天数比例 and the PM2.5 mean over valid days, year to date, for the city or a station."""
    return queries.air_year(session, year, through=through, place=station).__dict__


@router.post("/{code}/values")
def push_values(
    request: Request, code: str, body: ValuesIn, session: SessionDep, principal: Writer
) -> dict[str, Any]:
    """A batch of values of one series, all or nothing; idempotent on (series, time, station): a value
    sent again is left alone, a changed one is revised (the old one kept)."""
    feed = service.get_feed(session, code)
    service.check_writable(session, principal, [feed.id])
    items = (
        service.RawValue(Row(f"{code}", n, {}), code, v.time, v.station, v.value)
        for n, v in enumerate(body.values, start=1)
    )
    result = service.ingest_values(
        session,
        items,
        source="push",
        reference=None,
        principal=principal,
        now=_now(request),
        zone=_zone(request),
    )
    session.commit()
    return _result(result)


class ThresholdsIn(BaseModel):
    thresholds: list[ThresholdBody]


@router.put("/{code}/thresholds")
def change_thresholds(
    request: Request, code: str, body: ThresholdsIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    """Replace the series' warn/alarm thresholds (audited)."""
    limits = [service.ThresholdIn(**t.model_dump()) for t in body.thresholds]
    service.change_thresholds(session, code, limits, actor=principal, now=_now(request))
    session.commit()
    return {"code": code, "thresholds": [t.model_dump() for t in body.thresholds]}


@router.post("/{code}/pulls", status_code=201)
def add_pull(
    request: Request, code: str, body: PullIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    """Schedule the worker to fetch this series from another system's URL (JSON or CSV)."""
    pull = indicator_jobs.add_pull(
        session, code=code, **body.model_dump(), actor=principal, now=_now(request)
    )
    session.commit()
    return {"id": pull.id}
