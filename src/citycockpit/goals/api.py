"""`/api/v1/goals…`: goals, assignment, milestones, progress reports, series and actuals, statuses,
alerts, bulletins and periods."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from citycockpit.auth.deps import client_ip, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core import tabular
from citycockpit.core.errors import BadRequest, Forbidden
from citycockpit.db import ReadSessionDep, SessionDep
from citycockpit.goals import (
    airgoals,
    alerts,
    bulletin,
    evaluation,
    milestones,
    periods,
    progress,
    queries,
    series,
    service,
    tasks_io,
)
from citycockpit.goals.enums import AlertKind, ReportState
from citycockpit.goals.schemas import (
    AliasIn,
    Assignment,
    CommentIn,
    GoalChanges,
    GoalCreate,
    MilestoneComplete,
    MilestoneIn,
    ReportIn,
    ReviewIn,
    RollupIn,
    SeriesIn,
    SeriesLinkIn,
    TrajectoryIn,
    UnlockIn,
)
from citycockpit.goals.status import Thresholds
from citycockpit.goals.views import goal_views, milestone_view, report_view

router = APIRouter(prefix="/api/v1/goals", tags=["goals"])

Reader = Annotated[Principal, require(Perm.GOALS_READ)]
Manager = Annotated[Principal, require(Perm.GOALS_MANAGE)]
Reporter = Annotated[Principal, require(Perm.GOALS_REPORT)]
Importer = Annotated[Principal, require(Perm.ACTUALS_IMPORT)]


def _now(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.clock.now()


def _today(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.clock.local_today()


def _thresholds(request: Request) -> Thresholds:
    return Thresholds.from_settings(request.app.state.settings)


def _reevaluate(request: Request, session: SessionDep, **changed: Any) -> None:
    """After a write that can change statuses: re-apply the rules to the goals it changed (GETs only
    read the stored evaluations; the worker's daily job keeps the date-driven ones fresh)."""
    evaluation.reevaluate(
        session, **changed, today=_today(request), thresholds=_thresholds(request), now=_now(request)
    )


def _period(request: Request, period: str | None) -> str:
    return periods.parse_period(period) if period else periods.period_of(_today(request))


# ---------------------------------------------------------------- goals


@router.get("")
def list_goals(
    request: Request,
    session: ReadSessionDep,
    principal: Reader,
    year: int | None = None,
    department_id: int | None = None,
    node_id: int | None = None,
    period: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """Goals in the caller's scope, each with its evaluation for `period` (default: this month)."""
    period = _period(request, period)
    goals, total = service.list_goals(
        session,
        principal,
        year=year,
        department_id=department_id,
        node_id=node_id,
        offset=offset,
        limit=limit,
    )
    return {"items": goal_views(session, goals, period), "total": total, "offset": offset, "limit": limit}


@router.post("", status_code=201)
def create_goal(
    request: Request, body: GoalCreate, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    goal = service.create_goal(session, **body.model_dump(), actor=principal, now=_now(request))
    _reevaluate(request, session, goal_ids=[goal.id])
    session.commit()
    return goal_views(session, [goal])[0]


@router.post("/from-report/{report_id}")
def goals_from_report(
    request: Request, report_id: int, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    """Create goals from the report's confirmed/edited items and its qualitative sub-tasks."""
    result = service.goals_from_report(
        session, report_id, actor=principal, now=_now(request), settings=request.app.state.settings
    )
    _reevaluate(request, session, goal_ids=result.created)
    session.commit()
    return {
        "created": len(result.created),
        "skipped": result.skipped,
        "nodes": result.nodes,
        "ids": result.created,
    }


@router.post("/import-tasks")
def import_tasks(
    request: Request, file: UploadFile, session: SessionDep, principal: Manager, year: int | None = None
) -> dict[str, Any]:
    """Load the task decomposition sheet (XLSX); all rows are checked and nothing is stored if any is bad."""
    data = file.file.read(tabular.MAX_IMPORT_BYTES + 1)
    result = tasks_io.import_tasks(
        session,
        data,
        file.filename or "tasks.xlsx",
        year=year or _today(request).year,
        actor=principal,
        now=_now(request),
        ip=client_ip(request),
    )
    _reevaluate(request, session, goal_keys=result.keys)
    session.commit()
    return result.__dict__


@router.get("/export-tasks")
def export_tasks(session: ReadSessionDep, principal: Manager, year: int | None = None) -> Response:
    data = tasks_io.export_tasks(session, year=year)
    name = f"tasks-{year or 'all'}.xlsx"
    return Response(
        data,
        media_type=tabular.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------- statuses, alerts, bulletin


@router.post("/evaluate")
def evaluate_goals(request: Request, session: SessionDep, principal: Manager, period: str) -> dict[str, Any]:
    """Re-apply the rules for a period (refused when it is locked)."""
    period = periods.parse_period(period)
    run = evaluation.evaluate_goals(
        session, period, today=_today(request), thresholds=_thresholds(request), now=_now(request)
    )
    session.commit()
    return {
        "period": run.period,
        "as_of": run.as_of.isoformat(),
        "counts": dict(run.counts),
        "new_alerts": run.new_alerts,
    }


@router.get("/status")
def status_summary(
    request: Request, session: SessionDep, principal: Reader, period: str | None = None
) -> dict[str, Any]:
    """Counts per status, per task area and per lead department for the period (SQL GROUP BY)."""
    period = _period(request, period)
    counts = queries.status_counts(session, principal, period)
    total = sum(counts.values())
    by_dept: dict[str, dict[str, Any]] = {}
    for dept_id, name, status, n in queries.counts_by_department(session, principal, period):
        entry = by_dept.setdefault(str(dept_id), {"department_id": dept_id, "name": name, "counts": {}})
        entry["counts"][status] = n
    by_area: dict[str, dict[str, int]] = {}
    for area_id, status, n in queries.counts_by_area(session, principal, period):
        by_area.setdefault(str(area_id), {})[status] = n
    return {
        "period": period,
        "total": total,
        "counts": [
            {
                "status": s.value,
                "label": s.label,
                "color": s.color.value,
                "count": n,
                "share": bulletin.share_text(n, total),
            }
            for s, n in queries.ordered_counts(counts)
        ],
        "by_department": list(by_dept.values()),
        "by_area": by_area,
    }


@router.get("/rollup")
def rollup(
    request: Request, session: SessionDep, principal: Reader, year: int, period: str | None = None
) -> list[dict[str, Any]]:
    """Task areas and sub-tasks, each rolled up from its goals by its own rule (average/weighted/worst)."""
    period = _period(request, period)
    return [n.as_dict() for n in queries.rollup_tree(session, principal, year=year, period=period)]


@router.put("/nodes/{node_id}/rollup")
def set_rollup_rule(
    request: Request, node_id: int, body: RollupIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    node = service.set_rollup_rule(
        session, node_id, body.rule, weight=body.weight, actor=principal, now=_now(request)
    )
    session.commit()
    return {"id": node.id, "title": node.title, "rollup_rule": node.rollup_rule, "weight": node.weight}


@router.get("/alerts")
def list_alerts(
    request: Request,
    session: SessionDep,
    principal: Reader,
    department_id: int | None = None,
    period: str | None = None,
    kind: AlertKind | None = None,
    include_resolved: bool = False,
) -> dict[str, Any]:
    """Open alerts (turned red, milestone overdue, report missing) in scope, and counts per department."""
    items = alerts.list_alerts(
        session,
        principal,
        department_id=department_id,
        period=period and periods.parse_period(period),
        kind=kind,
        include_resolved=include_resolved,
    )
    return {
        "items": [
            {
                "id": a.id,
                "kind": a.kind,
                "goal_id": g.id,
                "goal_key": g.key,
                "department_id": a.department_id,
                "period": a.period,
                "message": a.message,
                "created_at": a.created_at.isoformat(),
                "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
            }
            for a, g in items
        ],
        "by_department": [
            {"department_id": d, "name": name, "kind": k, "count": n}
            for d, name, k, n in alerts.count_alerts_by_department(session, principal)
        ],
    }


@router.get("/reminders")
def reminders(
    request: Request, session: SessionDep, principal: Reader, period: str | None = None
) -> list[dict[str, Any]]:
    """Goals in scope whose report for the period is missing (returned reports count as missing)."""
    goals = progress.missing_reports(session, principal, period=_period(request, period))
    return [
        {"id": g.id, "key": g.key, "title": g.title, "lead_department_id": g.lead_department_id}
        for g in goals
    ]


@router.get("/bulletin")
def get_bulletin(
    request: Request,
    session: SessionDep,
    principal: Reader,
    period: str,
    format: str = "json",
    preview: bool = False,
) -> Any:
    """The supervision bulletin (督查通报) of a period as JSON, XLSX or printable HTML. A month in which no
    goal (in the caller's scope) has a status is 404 `bulletin_empty`; a month that has not begun is 422
    `bulletin_period_in_future` unless `preview=true`."""
    period = periods.parse_period(period)
    b = bulletin.build_bulletin(
        session, principal, period=period, today=_today(request), city=request.app.state.settings.city_name
    )
    bulletin.check_issuable(b, today=_today(request), preview=preview)
    if format == "xlsx":
        return Response(
            bulletin.to_xlsx(b),
            media_type=tabular.XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="bulletin-{period}.xlsx"'},
        )
    if format == "html":
        return HTMLResponse(bulletin.to_html(b))
    if format != "json":
        raise BadRequest("format must be json, xlsx or html")
    return {
        "period": b.period,
        "as_of": b.as_of.isoformat(),
        "total": b.total,
        "summary": b.summary,
        "counts": b.counts,
        "locked": b.locked,
        "by_area": [
            {"title": g["title"], "counts": g["counts"], "rows": [r.__dict__ for r in g["rows"]]}
            for g in b.by_area
        ],
        "by_department": [
            {"title": g["title"], "counts": g["counts"], "rows": [r.__dict__ for r in g["rows"]]}
            for g in b.by_department
        ],
    }


# ---------------------------------------------------------------- periods


@router.get("/periods")
def list_periods(session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    return [
        {
            "period": p.period,
            "state": p.state,
            "locked_at": p.locked_at.isoformat() if p.locked_at else None,
            "locked_by": p.locked_by,
        }
        for p in periods.list_periods(session)
    ]


@router.post("/periods/{period}/lock")
def lock_period(request: Request, period: str, session: SessionDep, principal: Manager) -> dict[str, Any]:
    """Lock a period after its bulletin: its statuses are frozen (evaluated one last time first)."""
    period = periods.parse_period(period)
    evaluation.refresh(
        session, period, today=_today(request), thresholds=_thresholds(request), now=_now(request)
    )
    row = periods.lock_period(session, period, actor=principal, now=_now(request))
    session.commit()
    return {"period": row.period, "state": row.state}


@router.post("/periods/{period}/unlock")
def unlock_period(
    request: Request, period: str, body: UnlockIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    row = periods.unlock_period(session, period, actor=principal, now=_now(request), reason=body.reason)
    session.commit()
    return {"period": row.period, "state": row.state}


# ---------------------------------------------------------------- series and actuals


@router.get("/series")
def list_series(session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "name": s.name,
            "unit": s.unit,
            "frequency": s.frequency,
            "is_cumulative": s.is_cumulative,
            "link": s.link,
            "aliases": aliases,
            "actuals": n,
            "latest_period": last,
        }
        for s, aliases, n, last in series.list_series(session)
    ]


@router.post("/series", status_code=201)
def create_series(
    request: Request, body: SeriesIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    s = series.create_series(session, **body.model_dump(), actor=principal, now=_now(request))
    session.commit()
    return {"id": s.id, "name": s.name}


@router.post("/series/{series_id}/aliases", status_code=201)
def add_alias(
    request: Request, series_id: int, body: AliasIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    row = series.add_alias(session, series_id, body.alias, actor=principal, now=_now(request))
    session.commit()
    return {"series_id": series_id, "alias": row.alias}


@router.put("/series/{series_id}/link")
def link_series(
    request: Request, series_id: int, body: SeriesLinkIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    """Make a series follow the city's daily air quality (or nothing); its goals are re-evaluated."""
    s = airgoals.link_series(
        session, series_id, body.link, actor=principal, now=_now(request), today=_today(request)
    )
    _reevaluate(request, session, series_ids=[s.id])
    session.commit()
    return {"id": s.id, "name": s.name, "link": s.link}


@router.get("/series/{series_id}/actuals")
def list_actuals(
    series_id: int, session: SessionDep, principal: Reader, year: int | None = None
) -> list[dict[str, Any]]:
    return [
        {"period": a.period, "value": a.value, "yoy_pct": a.yoy_pct, "source": a.source}
        for a in series.list_actuals(session, series_id, year)
    ]


@router.post("/actuals/import")
def import_actuals(
    request: Request, file: UploadFile, session: SessionDep, principal: Importer, encoding: str = "utf-8"
) -> dict[str, Any]:
    """Monthly actuals (indicator, period, value, YoY %) from CSV/XLSX, all or nothing; re-imported
    periods replace the stored figures (audited)."""
    data = file.file.read(tabular.MAX_IMPORT_BYTES + 1)
    result = series.import_actuals(
        session,
        data,
        file.filename or "actuals.csv",
        actor=principal,
        now=_now(request),
        encoding=encoding,
        ip=client_ip(request),
    )
    _reevaluate(request, session, series_ids=result.series_ids)
    session.commit()
    return {
        "created": result.created,
        "replaced": result.replaced,
        "unchanged": result.unchanged,
        "periods": result.periods,
    }


# ---------------------------------------------------------------- progress reports and milestones


@router.get("/reports")
def list_reports(
    session: SessionDep,
    principal: Reader,
    period: str | None = None,
    goal_id: int | None = None,
    state: ReportState | None = None,
) -> list[dict[str, Any]]:
    return [
        report_view(r)
        for r in progress.list_reports(session, principal, period=period, goal_id=goal_id, state=state)
    ]


@router.post("/reports/{report_id}/accept")
def accept_report(
    request: Request, report_id: int, body: ReviewIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    report = progress.review_report(
        session, report_id, accept=True, comment=body.comment, actor=principal, now=_now(request)
    )
    _reevaluate(request, session, goal_ids=[report.goal_id], since=report.period)
    session.commit()
    return report_view(report)


@router.post("/reports/{report_id}/return")
def return_report(
    request: Request, report_id: int, body: ReviewIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    report = progress.review_report(
        session, report_id, accept=False, comment=body.comment, actor=principal, now=_now(request)
    )
    _reevaluate(request, session, goal_ids=[report.goal_id], since=report.period)
    session.commit()
    return report_view(report)


@router.post("/milestones/{milestone_id}/complete")
def complete_milestone(
    request: Request, milestone_id: int, body: MilestoneComplete, session: SessionDep, principal: Reporter
) -> dict[str, Any]:
    ms = milestones.complete_milestone(
        session,
        milestone_id,
        evidence=body.evidence,
        completed_on=body.completed_on or _today(request),
        principal=principal,
        now=_now(request),
    )
    _reevaluate(request, session, goal_ids=[ms.goal_id])
    session.commit()
    return milestone_view(ms)


# ---------------------------------------------------------------- one goal


@router.get("/{goal_id}")
def get_goal(
    request: Request, goal_id: int, session: SessionDep, principal: Reader, period: str | None = None
) -> dict[str, Any]:
    goal = service.get_goal(session, goal_id, principal)
    period = _period(request, period)
    view = goal_views(session, [goal], period)[0]
    view["milestones"] = [milestone_view(m) for m in milestones.list_milestones(session, goal.id)]
    view["reports"] = [report_view(r) for r in progress.list_reports(session, principal, goal_id=goal.id)]
    view["trajectory"] = service.trajectory(session, goal.id)
    view["comments"] = [
        {"period": c.period, "body": c.body, "author": c.author, "created_at": c.created_at.isoformat()}
        for c in progress.list_comments(session, goal.id)
    ]
    return view


@router.patch("/{goal_id}")
def update_goal(
    request: Request, goal_id: int, body: GoalChanges, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    """Change a goal's fields; `status` and other computed fields are refused (409 goal_status_computed)."""
    changes = body.model_dump(exclude_unset=True)
    goal = service.update_goal(session, goal_id, changes, actor=principal, now=_now(request))
    _reevaluate(request, session, goal_ids=[goal.id])
    session.commit()
    return goal_views(session, [goal])[0]


@router.put("/{goal_id}/assignment")
def assign_goal(
    request: Request, goal_id: int, body: Assignment, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    goal = service.assign_goal(session, goal_id, **body.model_dump(), actor=principal, now=_now(request))
    session.commit()
    return goal_views(session, [goal])[0]


@router.put("/{goal_id}/trajectory")
def set_trajectory(
    request: Request, goal_id: int, body: TrajectoryIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    service.set_trajectory(session, goal_id, body.plan, actor=principal, now=_now(request))
    _reevaluate(request, session, goal_ids=[goal_id])
    session.commit()
    return {"goal_id": goal_id, "plan": service.trajectory(session, goal_id)}


@router.post("/{goal_id}/milestones", status_code=201)
def add_milestone(
    request: Request, goal_id: int, body: MilestoneIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    ms = milestones.add_milestone(
        session, goal_id, title=body.title, due_on=body.due_on, actor=principal, now=_now(request)
    )
    _reevaluate(request, session, goal_ids=[goal_id])
    session.commit()
    return milestone_view(ms)


@router.post("/{goal_id}/reports", status_code=201)
def submit_report(
    request: Request, goal_id: int, body: ReportIn, session: SessionDep, principal: Reporter
) -> dict[str, Any]:
    """The lead department's report for a period (resubmitting replaces a submitted or returned one)."""
    report = progress.submit_report(
        session,
        goal_id,
        period=body.period,
        percent=body.percent,
        narrative=body.narrative,
        figures=body.figures,
        principal=principal,
        now=_now(request),
    )
    _reevaluate(request, session, goal_ids=[report.goal_id], since=report.period)
    session.commit()
    return report_view(report)


@router.post("/{goal_id}/comments", status_code=201)
def add_comment(
    request: Request, goal_id: int, body: CommentIn, session: SessionDep, principal: Reader
) -> dict[str, Any]:
    """Comment on a goal's period (departments on their goals, the supervisor on any)."""
    if not (principal.can(Perm.GOALS_REPORT) or principal.can(Perm.GOALS_MANAGE)):
        raise Forbidden("Commenting needs goals:report or goals:manage", missing=["goals:report"])
    comment = progress.add_comment(
        session, goal_id, period=body.period, body=body.body, principal=principal, now=_now(request)
    )
    session.commit()
    return {"id": comment.id, "period": comment.period, "body": comment.body, "author": comment.author}
