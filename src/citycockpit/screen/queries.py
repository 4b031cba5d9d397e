"""Everything the big screen shows, as read-only SQL aggregates over the other domains.

The screen is the one cross-domain reader: it calls the other domains' service/queries functions and
never writes. Every answer carries `as_of` (when the figures were true) and uses null, never 0, for a
figure that has no data yet. Every query is limited to the viewer's scope and the drilled-down area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.auth.enums import Role
from citycockpit.auth.principal import Principal
from citycockpit.core import stamps
from citycockpit.core.clock import Clock
from citycockpit.core.errors import NotFound
from citycockpit.org.models import Area
from citycockpit.report.enums import value_text
from citycockpit.screen import shapes

LEVEL_BELOW = {"city": "town", "town": "village", "village": "grid"}


class ScreenAreaNotFound(NotFound):
    code = "screen_area_not_found"


@dataclass(frozen=True)
class View:
    """Who looks at which part of the city, and when."""

    principal: Principal
    area_code: str
    area_name: str
    area_level: str
    parent_code: str | None
    parent_name: str | None
    now: datetime
    today: date
    zone: ZoneInfo

    def envelope(self, **data: Any) -> dict[str, Any]:
        return {"as_of": self.now.isoformat(), "area_code": self.area_code, **data}


def resolve_view(
    session: Session,
    principal: Principal,
    *,
    area: str | None,
    county_code: str,
    city_name: str,
    clock: Clock,
) -> View:
    """The area the screen shows: the asked one if it lies inside the viewer's scope, else the viewer's
    own root (its area for area-scoped viewers, the whole city otherwise). Outside scope is not found."""
    root = principal.area_code if principal.is_area_scoped and principal.area_code else county_code
    code = (area or root).strip()
    if not code.startswith(root) or not code.isdigit():
        raise ScreenAreaNotFound(f"Area {code} does not exist or is outside your scope", area_code=code)
    row = session.scalars(select(Area).where(Area.code == code)).first()
    if row is None:
        if code != county_code:
            raise ScreenAreaNotFound(f"Area {code} does not exist or is outside your scope", area_code=code)
        name, level, parent = city_name, "city", None
    else:
        name, level, parent = row.name, row.level, row.parent
    show_parent = parent is not None and parent.code.startswith(root)
    return View(
        principal=principal,
        area_code=code,
        area_name=name,
        area_level=level,
        parent_code=parent.code if show_parent and parent else None,
        parent_name=parent.name if show_parent and parent else None,
        now=clock.now(),
        today=clock.local_today(),
        zone=clock.zone,
    )


def narrowed(view: View) -> Principal:
    """The viewer limited to the viewed area, for domain queries that scope by a principal.

    At the city level this is the viewer itself. Drilled down, it is a token-like principal with the
    viewer's permissions and department (if department-scoped) and the viewed area as its subtree, so
    each domain's own `scope_clause` applies both limits."""
    principal = view.principal
    if view.area_level == "city":
        return principal
    return Principal(
        id=principal.id,
        name=principal.name,
        role=Role.API_CLIENT,
        perms=principal.perms,
        kind="token",
        department_id=principal.department_id if principal.is_department_scoped else None,
        area_code=view.area_code,
    )


def goal_area(view: View) -> str | None:
    """The area whose goals the view shows with the city's (None: the city's own goals only)."""
    return None if view.area_level == "city" else view.area_code


def _can_open_goals(view: View) -> bool:
    from citycockpit.auth.enums import Perm

    return view.principal.can(Perm.GOALS_READ)


def _month_range(view: View) -> str:
    """The query string of this month so far (the period every month panel counts)."""
    return f"from={view.today.replace(day=1).isoformat()}&to={view.today.isoformat()}"


def events_href(view: View, *parts: str) -> str:
    """The workbench events list limited to exactly what a panel counted: the given filters and, below
    the city, the viewed area."""
    query = [p for p in parts if p]
    if view.area_level != "city":
        query.append(f"area={view.area_code}")
    return "/app/events?" + "&".join(query)


def time_progress(today: date) -> float:
    """时序进度 of the year at the end of `today`: the goals' rule (goals.status.year_progress), to 4 places."""
    from citycockpit.goals.status import year_progress

    return round(year_progress(today), 4)


def overview(view: View, *, city_name: str, refresh_seconds: int) -> dict[str, Any]:
    return view.envelope(
        city_name=city_name,
        area={"code": view.area_code, "name": view.area_name, "level": view.area_level},
        parent={"code": view.parent_code, "name": view.parent_name} if view.parent_code else None,
        refresh_seconds=refresh_seconds,
        time_progress=time_progress(view.today),
        today=view.today.isoformat(),
    )


def _goal_period(session: Session, view: View) -> str | None:
    """The month whose goal evaluations the screen shows: this month (evaluated on every write and by
    the worker's daily job), else the latest evaluated one before it (the first hours of a month, until
    the job has run)."""
    from citycockpit.goals.queries import latest_evaluated_period

    return latest_evaluated_period(session, f"{view.today:%Y-%m}")


def targets(session: Session, view: View) -> dict[str, Any]:
    """The main expected targets (主要预期目标) with progress against time and the rules' status.

    Tracked goals from the report's targets come first (their evaluation for the month); before any goal
    exists, the newest report's target items are listed with progress and status null (no data yet)."""
    from citycockpit.goals import queries as goal_queries

    period = _goal_period(session, view)
    area = goal_area(view)
    goals = goal_queries.year_targets(session, view.principal, view.today.year, period, area_code=area)
    links = _can_open_goals(view)
    if goals:
        items = []
        for g in goals:
            ev = g["evaluation"] or {}
            percent = g["measure"] in ("growth", "share")
            items.append(
                {
                    "id": g["id"],
                    "name": g["title"],
                    "measure": g["measure"],
                    "value": g["target_value"],
                    "unit": g["unit"],
                    "qualifier": g["qualifier"],
                    "target_text": value_text(g["measure"], g["target_value"], g["unit"], g["qualifier"]),
                    "stretch": g["stretch"],
                    "value_unit": "%" if percent else (g["unit"] or ""),
                    "ceiling": g["qualifier"] == "<=",
                    "progress": ev.get("progress"),
                    "attainment": ev.get("attainment"),
                    "to_date": ev.get("to_date"),
                    "data_month": ev.get("data_month"),
                    "time_progress": ev.get("time_progress"),
                    "forecast": ev.get("forecast"),
                    "status": ev.get("status"),
                    "reason": ev.get("reason"),
                    # the city's goals on an area's screen are shown read-only: that area cannot act on them
                    "level": "own" if g["area_code"] == area else "city",
                    "href": f"/app/goals/{g['id']}" if links else None,
                }
            )
        return view.envelope(
            time_progress=time_progress(view.today), period=period, source="goals", report=None, items=items
        )
    if view.area_level != "city":  # a report's targets are the city's, and before goals only the city's
        return view.envelope(time_progress=time_progress(view.today), source="goals", report=None, items=None)
    return _report_targets(session, view)


def _report_targets(session: Session, view: View) -> dict[str, Any]:
    from citycockpit.report import service as report_service

    reports = report_service.list_reports(session)
    if not reports:
        return view.envelope(
            time_progress=time_progress(view.today), source="report", report=None, items=None
        )
    newest = max((r for r, _ in reports), key=lambda r: ((r.year or 0), r.id))
    items, _ = report_service.list_items(session, newest.id, list_name="targets", limit=50)
    rows = [
        {
            "id": i.id,
            "name": i.name,
            "measure": i.measure,
            "value": i.value,
            "unit": i.unit,
            "qualifier": i.qualifier,
            "target_text": i.value_text,
            "stretch": i.stretch,
            "review_state": i.review_state,
            "progress": None,
            "status": None,
        }
        for i in items
        if i.review_state != "rejected"
    ]
    return view.envelope(
        time_progress=time_progress(view.today),
        source="report",
        report={"id": newest.id, "title": newest.title, "year": newest.year},
        items=rows or None,
    )


# The detail a map of the viewed level is drawn at when the caller names none (screen/shapes.py): a city's
# towns fill the screen at tens of metres a pixel, a village's grids at a few.
DETAIL_BY_VIEW = {"city": 0, "town": 1, "village": 2, "grid": 2}


def map_detail(area_level: str) -> int:
    """The detail a view's map is drawn at unless asked otherwise (the page starts there, and asks for
    finer levels as the map is zoomed in): a city's towns coarsest, a village's grids finest."""
    return DETAIL_BY_VIEW.get(area_level, shapes.DEFAULT_LEVEL)


def area_shapes(
    session: Session, view: View, detail: int | None = None
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """The viewed area's children for a map: (detail drawn at, GeoJSON features, centroids), WGS84 and
    simplified for display at `detail` (0 coarsest … 3 exact; default by the viewed level), computed
    once per change of the areas and kept by the process; the stored geometry is never changed."""
    level = map_detail(view.area_level) if detail is None else detail
    parent = session.scalars(select(Area).where(Area.code == view.area_code)).first()
    query = select(
        Area.code, Area.name, Area.level, Area.geometry_geojson, Area.centroid_lon, Area.centroid_lat
    )
    if parent is not None:
        query = query.where(Area.parent_id == parent.id)
    else:
        query = query.where(Area.level == "town")
    query = query.order_by(Area.code)

    def build() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows = session.execute(query).all()
        drawn = shapes.features([(code, name, lvl, geo) for code, name, lvl, geo, _, _ in rows], level)
        points = [
            {"code": code, "name": name, "lon": lon, "lat": lat}
            for code, name, _, _, lon, lat in rows
            if lon is not None and lat is not None
        ]
        return drawn, points

    features, centroids = stamps.cached(session, "areas", f"screen-map:{view.area_code}:{level}", build)
    return level, features, centroids


def area_map(session: Session, view: View, *, metric: str, detail: int | None = None) -> dict[str, Any]:
    """The viewed area's children as a GeoJSON FeatureCollection (for ECharts registerMap), each with
    its metric value (null when no data yet), drawn as `area_shapes` says."""
    level, features, centroids = area_shapes(session, view, detail)
    values = _area_metric(
        session, view, metric, [c["code"] for c in centroids] or [f["properties"]["code"] for f in features]
    )
    return view.envelope(
        map_name=f"area-{view.area_code}",
        metric=metric,
        detail=level,
        geojson={"type": "FeatureCollection", "features": features} if features else None,
        centroids=centroids,
        values=values,
        drillable=LEVEL_BELOW.get(view.area_level) in ("town", "village"),
    )


# --- events (一网统管): aggregates over the events domain's table, limited by its own scope filter --------


def _event_where(view: View) -> list[Any]:
    from citycockpit.events import queries as events_queries
    from citycockpit.events.models import Event

    return [events_queries.scope_filter(narrowed(view)), Event.is_test.is_(False)]


def _n(condition: Any) -> Any:
    from sqlalchemy import case, func

    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_SATISFIED = ("satisfied", "basically_satisfied")
_RATED = (*_SATISFIED, "unsatisfied")


def _month_sums(
    session: Session,
    view: View,
    *,
    group: str | None = None,
    intake_only: bool = False,
    counts: tuple[str, ...] | None = None,
) -> dict[Any, Any]:
    """This month so far in the view's area, from the events domain's KPI sums (past days from its daily
    rollups, today from the events table), per `group` value when given; `counts` names the counts a
    panel shows, so that today's part reads only the anchors holding them."""
    from citycockpit.events.analytics import kpis

    month = kpis.KpiFilter(
        first=view.today.replace(day=1),
        last=view.today,
        area=view.area_code if view.area_level != "city" else None,
    )
    sums, _ = kpis.period_sums(
        session,
        month,
        principal=view.principal,
        zone=view.zone,
        now=view.now,
        group=group,
        intake_only=intake_only,
        counts=counts,
    )
    return sums


def _area_metric(session: Session, view: View, metric: str, codes: list[str]) -> list[dict[str, Any]] | None:
    """Per child area: this month's intake, or the events whose handling deadline has passed now (one
    GROUP BY on the child's code column); None while no event was received this month in the view."""
    from sqlalchemy import func

    from citycockpit.events.models import Event

    group = {"city": "town_code", "town": "village_code"}.get(view.area_level, "grid_code")
    # The month's intake per child area from the events domain's sums (rollups for past days, today
    # from the events): towns from its town rollup, villages and grids from its area rollup.
    sums = _month_sums(session, view, group=group, intake_only=True)
    if not sum(c["received"] for c in sums.values()):
        return None
    counts: dict[Any, Any] = {code: c["received"] for code, c in sums.items()}
    if metric == "overdue":
        column = getattr(Event, group)
        counts = dict(
            session.execute(
                select(column, func.count())
                .where(*_event_where(view), Event.is_overdue(view.now))
                .group_by(column)
            ).all()
        )
    names = dict(session.execute(select(Area.code, Area.name).where(Area.code.in_(codes))).all())
    return [{"code": c, "name": names.get(c, c), "value": int(counts.get(c, 0))} for c in codes]


def event_counters(session: Session, view: View) -> dict[str, Any]:
    """Today's and this month's intake (by reported day) and closures (by closed day), the events past
    their handling deadline now, and this month's satisfaction = (满意 + 基本满意) / 有效回访数. The
    month's figures are the events domain's KPI sums (past days from its daily rollups, today from the
    events table), so they cost the same at 20 M events as at 20 k and agree with the KPI pages; today's
    and the overdue count are indexed counts of one day and of the open events. Null until an event was
    received this month."""
    from collections import Counter

    from sqlalchemy import func

    from citycockpit.events.models import Event

    shown = ("received", "closed", "satisfied", "callbacks_valid")
    counts: Counter[str] = sum(_month_sums(session, view, counts=shown).values(), Counter())
    if not counts["received"]:
        return view.envelope(today=None, month=None)
    where = _event_where(view)
    intake_today = session.scalar(select(func.count()).where(*where, Event.reported_day == view.today))
    closed_today = session.scalar(select(func.count()).where(*where, Event.closed_day == view.today))
    overdue = session.scalar(select(func.count()).where(*where, Event.is_overdue(view.now)))
    valid = counts["callbacks_valid"]
    day = f"from={view.today.isoformat()}&to={view.today.isoformat()}"
    closed_day = f"closed_from={view.today.isoformat()}&closed_to={view.today.isoformat()}"
    closed_month = f"closed_from={view.today.replace(day=1).isoformat()}&closed_to={view.today.isoformat()}"
    return view.envelope(
        hrefs={
            "today.intake": events_href(view, day),
            "today.closed": events_href(view, closed_day),
            "today.overdue": events_href(view, "overdue=1"),
            "month.intake": events_href(view, _month_range(view)),
            "month.closed": events_href(view, closed_month),
        },
        today={
            "intake": int(intake_today or 0),
            "closed": int(closed_today or 0),
            "overdue": int(overdue or 0),
        },
        month={
            "intake": int(counts["received"]),
            "closed": int(counts["closed"]),
            "satisfaction": round(counts["satisfied"] / valid, 4) if valid else None,
        },
    )


def event_breakdown(session: Session, view: View) -> dict[str, Any]:
    """This month's intake by major category and by channel, from the events domain's KPI sums (past days
    from its daily rollups when they are complete, today from the events table)."""
    from citycockpit.events.models import EventCategory

    def received(group: str) -> list[tuple[Any, int]]:
        # Channels live in the events domain's intake rollup; categories in its main rollup.
        sums = _month_sums(session, view, group=group, intake_only=group == "channel", counts=("received",))
        return sorted(
            ((k, int(c["received"])) for k, c in sums.items() if c["received"]), key=lambda kv: -kv[1]
        )

    by_major = received("major_code")
    if not by_major:
        return view.envelope(by_category=None, by_channel=None)
    names = dict(session.execute(select(EventCategory.code, EventCategory.name)).all())
    month = _month_range(view)
    return view.envelope(
        by_category=[
            {
                "code": code,
                "name": names.get(code) or code or "未分类",
                "count": n,
                "href": events_href(view, f"category={code}", month) if code else None,
            }
            for code, n in by_major
        ],
        by_channel=[
            {"channel": ch, "count": n, "href": events_href(view, f"channel={ch}", month) if ch else None}
            for ch, n in received("channel")
        ],
    )


def alerts(session: Session, view: View) -> dict[str, Any]:
    """Open surge alerts (events/surges: 未诉先办) first, then open indicator alerts (alarms first, each
    with its theme and station or area, linking to the theme's board), then overdue events (the events domain's
    `Event.is_overdue`), most overdue first (at most 30), then open goal alerts (city level). Null when
    neither events nor goals exist in the view."""
    from citycockpit.events.models import Event
    from citycockpit.org.models import Department

    rows = session.execute(
        select(Event.public_id, Event.title, Event.handle_due_at, Department.short_name, Area.name)
        .outerjoin(Department, Department.id == Event.department_id)
        .outerjoin(Area, Area.code == Event.town_code)
        .where(*_event_where(view), Event.is_overdue(view.now))
        .order_by(Event.handle_due_at)
        .limit(30)
    ).all()
    has_events = session.scalar(select(Event.id).where(*_event_where(view)).limit(1)) is not None
    goal_items = _goal_alerts(session, view)
    indicator_items = _indicator_alerts(session, view)
    if not has_events and goal_items is None and indicator_items is None:
        return view.envelope(items=None)
    items = _surge_alerts(session, view) + (indicator_items or [])
    for public_id, title, due, dept, town in rows:
        hours = (view.now - due).total_seconds() / 3600
        items.append(
            {
                "kind": "event",
                "title": title,
                "department_name": dept,
                "area_name": town,
                "overdue_hours": round(hours, 1),
                "overdue_text": f"{dept or ''} · {_duration_text(hours)}",
                "href": f"/app/events/{public_id}",
            }
        )
    return view.envelope(items=items + list(goal_items or []))


def _surge_alerts(session: Session, view: View) -> list[dict[str, Any]]:
    """The open surges in the viewed area, strongest first, each with its numbers (the page words them)
    and the drill-down to exactly the events behind it."""
    from citycockpit.events.surges import queries as surge_queries

    rows = surge_queries.list_surges(session, view.principal, area_code=view.area_code, limit=10)
    return [
        {
            "kind": "surge",
            "id": r.id,
            "title": r.category_name,
            "category_name": r.category_name,
            "area_name": r.town_name,
            "count": r.count,
            "expected": round(r.expected, 1),
            "ratio": round(r.ratio, 1),
            "window_hours": r.window_hours,
            "opened_at": r.opened_at.isoformat(),
            "acknowledged": r.acknowledged_at is not None,
            "href": r.href,
        }
        for r in rows
    ]


def alarms_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alarms before warnings, each newest first (the order `list_alerts` gives)."""
    return sorted(rows, key=lambda r: r["level"] != "alarm")


def alert_item(row: dict[str, Any]) -> dict[str, Any]:
    """An open indicator alert as the screens show it (worded by the page)."""
    return {
        "kind": "indicator",
        "series_name": row["series_name"],
        "theme": row["theme"],
        "place_name": row["place_name"],
        "alert_kind": row["kind"],
        "level": row["level"],
        "value": row["value"],
        "limit": row["limit"],
        "unit": row["unit"],
        "raised_at": row["raised_at"].isoformat() if row["raised_at"] else None,
    }


MAIN_INDICATOR_ALERTS = 8  # the rest are on their theme's board, one click away


def _indicator_alerts(session: Session, view: View) -> list[dict[str, Any]] | None:
    """The open indicator alerts in the view (alarms before warnings, newest first, at most 8), each
    with its theme's name and a link to the theme's board; None when there is none."""
    from citycockpit.indicators import queries as indicator_queries

    rows = indicator_queries.list_alerts(session, principal=narrowed(view), limit=60)
    if not rows:
        return None
    themes = {t.code: t for t in indicator_queries.list_themes(session, with_board=False)}
    out = []
    for row in alarms_first(rows)[:MAIN_INDICATOR_ALERTS]:
        theme = themes.get(row["theme"] or "")
        out.append(
            {
                **alert_item(row),
                "theme_name": theme.name if theme else None,
                "href": f"/screen?theme={theme.code}" if theme and theme.board else None,
            }
        )
    return out


def _duration_text(hours: float) -> str:
    return f"{hours / 24:.0f}天" if hours >= 48 else f"{hours:.0f}小时"


_GOAL_ALERT_TEXT = {"turned_red": "转为红色", "milestone_overdue": "节点逾期"}


def _goal_alerts(session: Session, view: View) -> list[dict[str, Any]] | None:
    """Open goal alerts (turned red, milestone overdue) of the goals the view's area answers for: the
    city's at the city level, an area's own below it; None when there is no such goal."""
    from citycockpit.goals import queries as goal_queries

    area = goal_area(view)
    if not goal_queries.has_goals(session, view.principal, area_code=area):
        return None
    out = []
    kinds = ("turned_red", "milestone_overdue")
    links = _can_open_goals(view)
    alerts = goal_queries.open_alerts(session, view.principal, kinds=kinds, limit=60, area_code=area)
    for alert, goal in alerts:
        if area is None and goal.area_code is not None:
            continue
        out.append(
            {
                "kind": f"goal.{alert.kind}",
                "id": goal.id,
                "title": goal.title,
                "area_name": None,
                "overdue_text": _GOAL_ALERT_TEXT.get(alert.kind, alert.kind),
                "reason": alert.message,
                "href": f"/app/goals/{goal.id}" if links else None,
            }
        )
    return out[:15]


def economy(session: Session, view: View) -> dict[str, Any]:
    """Monthly figures of the series behind the main growth and share targets, with each target as a
    line: the year-to-date growth (同比 %) for growth targets, the month's value for shares."""
    from citycockpit.goals import queries as goal_queries

    rows = goal_queries.target_series(session, view.principal, view.today.year, area_code=goal_area(view))
    series = []
    for r in rows:
        growth = r["measure"] == "growth"
        points = [
            {"month": f"{m:02d}", "value": (yoy if growth else value)}
            for m, (value, yoy) in sorted(r["months"].items())
            if (yoy if growth else value) is not None
        ]
        if points:
            series.append(
                {
                    "name": r["name"],
                    "unit": "%",
                    "target": r["target_value"],
                    "qualifier": r["qualifier"],
                    "href": f"/app/goals/{r['id']}" if _can_open_goals(view) else None,
                    "points": points,
                }
            )
    return view.envelope(series=series or None)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(float(value) / 100.0, 4)


def projects(session: Session, view: View, *, margin_pct: float) -> dict[str, Any]:
    """Key projects' completion of the year's planned investment by level, against time progress, and the
    lagging list (furthest behind first), for the latest month whose reports are due."""
    from citycockpit.projects import queries as pq

    period = pq.default_period(view.today)
    principal = narrowed(view)
    totals = pq.completion_totals(session, principal, period, margin_pct)
    if not totals["planned_projects"]:
        return view.envelope(period=str(period), totals=None, by_level=None, lagging=None, time_progress=None)
    by_level = [
        {
            "level": row["key"],
            "name": row["label"],
            "projects": int(row["projects"]),
            "completion": _pct(row["completion_pct"]),
            "time_progress": _pct(row["time_progress_pct"]),
            "lagging": int(row["lagging"]),
            "href": f"/app/projects?level={row['key']}",
        }
        for row in pq.completion_by(session, principal, period, margin_pct, by="level")
    ]
    order = ["provincial", "suzhou", "city"]
    by_level.sort(key=lambda r: order.index(r["level"]) if r["level"] in order else len(order))
    lagging, n_lagging = pq.project_completion(
        session, principal, period, margin_pct, lagging_only=True, limit=20
    )
    return view.envelope(
        period=str(period),
        time_progress=_pct(totals["time_progress_pct"]),
        totals={
            "projects": int(totals["projects"]),
            "planned_wan_cny": float(totals["planned_wan_cny"]),
            "actual_wan_cny": float(totals["actual_wan_cny"]),
            "completion": _pct(totals["completion_pct"]),
            "lagging": int(totals["lagging"]),
        },
        by_level=by_level,
        lagging=[
            {
                "title": row["name"],
                "department_name": row["department_name"],
                "area_name": row["area_name"],
                "completion": _pct(row["completion_pct"]),
                "time_progress": _pct(row["time_progress_pct"]),
                "href": f"/app/projects/{row['project_id']}",
            }
            for row in lagging
        ],
        lagging_total=n_lagging,
    )


def goal_status(session: Session, view: View) -> dict[str, Any]:
    """The goals' statuses for the month, counted per task area (GROUP BY in the goals domain)."""
    from citycockpit.goals.enums import STATUS_ORDER, GoalStatus
    from citycockpit.goals.models import GoalNode
    from citycockpit.goals.queries import counts_by_area

    period = _goal_period(session, view)
    rows = counts_by_area(session, view.principal, period, area_code=goal_area(view)) if period else []
    if not rows:
        return view.envelope(period=period, by_task_area=None, statuses=None)
    links = _can_open_goals(view) and view.area_level == "city"
    node_ids = {node_id for node_id, _, _ in rows if node_id is not None}
    nodes = (
        {n.id: n for n in session.scalars(select(GoalNode).where(GoalNode.id.in_(node_ids)))}
        if node_ids
        else {}
    )
    areas: dict[int | None, dict[str, Any]] = {}
    for node_id, status, n in rows:
        node = nodes.get(node_id) if node_id is not None else None
        entry = areas.setdefault(
            node_id,
            {
                "id": node_id,
                "name": _node_name(node),
                "position": node.position if node else 10_000,
                "counts": {},
                # each status segment opens the goal list of its node and status for the month
                "href": f"/app/goals?node={node_id}&period={period}" if node_id and links else None,
            },
        )
        entry["counts"][status] = entry["counts"].get(status, 0) + int(n)
    present = {status for _, status, _ in rows}
    statuses = [
        {"key": s.value, "label": s.label, "color": s.color.value} for s in STATUS_ORDER if s.value in present
    ]
    statuses += [
        {"key": s, "label": GoalStatus(s).label, "color": GoalStatus(s).color.value}
        for s in sorted(present - {x["key"] for x in statuses})
    ]
    by_area = sorted(areas.values(), key=lambda a: a["position"])
    for a in by_area:
        a.pop("position")
    return view.envelope(period=period, by_task_area=by_area, statuses=statuses)


def _node_name(node: Any) -> str:
    if node is None:
        return "其他"
    title = node.title.split("。")[0].split("，")[0]
    return f"{node.number or ''}{title[:14]}"
