"""`/api/v1/projects`: key projects, their life cycle, plans, monthly progress, completion and lag,
investment attraction, and the XLSX ledger."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, UploadFile

from citycockpit.auth.deps import client_ip, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core import tabular
from citycockpit.db import ReadSessionDep, SessionDep
from citycockpit.projects import attraction as attraction_service
from citycockpit.projects import ledger, queries, service, signings_file
from citycockpit.projects.enums import ProjectStage
from citycockpit.projects.schemas import (
    AttractionReport,
    CompletionPage,
    CompletionReport,
    GoalIn,
    LaggingReport,
    LedgerImportSummary,
    PlanIn,
    PlanRead,
    ProgressIn,
    ProgressRead,
    ProjectCreate,
    ProjectDetail,
    ProjectPage,
    ProjectRead,
    ProjectUpdate,
    SigningIn,
    SigningPage,
    SigningRead,
    StageChangeIn,
    StageChangeRead,
)

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])

Reader = Annotated[Principal, require(Perm.PROJECTS_READ)]
Updater = Annotated[Principal, require(Perm.PROJECTS_UPDATE)]
Manager = Annotated[Principal, require(Perm.PROJECTS_MANAGE)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
MarginPct = Annotated[
    float | None, Query(ge=0, le=100, description="Lag margin in percentage points (default: the setting)")
]
PeriodText = Annotated[
    str | None, Query(description="YYYY-MM (default: the last month whose reports are due)")
]


def _today(request: Request) -> date:
    return request.app.state.clock.local_today()


def _period(request: Request, text: str | None) -> queries.Period:
    return queries.parse_period(text) if text else queries.default_period(_today(request))


def _margin(request: Request, value: float | None) -> float:
    return value if value is not None else request.app.state.settings.projects_lag_margin_pct


def _completion_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "is_lagging": bool(row["is_lagging"])}


@router.get("", response_model=ProjectPage)
def list_projects(
    session: ReadSessionDep,
    principal: Reader,
    level: str | None = None,
    industry: str | None = None,
    area_code: str | None = None,
    department_id: int | None = None,
    stage: str | None = None,
    is_foreign_funded: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    items, total = service.list_projects(
        session,
        principal,
        level=level,
        industry=industry,
        area_code=area_code,
        department_id=department_id,
        stage=stage,
        is_foreign_funded=is_foreign_funded,
        q=q,
        offset=offset,
        limit=limit,
    )
    return {"items": items, "total": total, "offset": offset, "limit": limit}


@router.post("", response_model=ProjectRead, status_code=201)
def create_project(request: Request, body: ProjectCreate, session: SessionDep, principal: Manager) -> Any:
    fields = body.model_dump(exclude={"code", "stage", "stage_on"}, exclude_none=True)
    fields["level"] = body.level.value
    project = service.create_project(
        session,
        code=body.code,
        fields=fields,
        stage=body.stage,
        stage_on=body.stage_on or _today(request),
        actor=principal,
        now=request.app.state.clock.now(),
        ip=client_ip(request),
    )
    session.commit()
    return project


@router.get("/completion", response_model=CompletionReport)
def completion(
    request: Request,
    session: ReadSessionDep,
    principal: Reader,
    period: PeriodText = None,
    by: Annotated[str, Query(pattern="^(level|industry|area|department)$")] = "level",
    margin_pct: MarginPct = None,
) -> dict[str, Any]:
    """Completion of the year's plan for the period, overall and grouped by level, industry, area or
    department."""
    p, margin = _period(request, period), _margin(request, margin_pct)
    return {
        "period": str(p),
        "margin_pct": margin,
        "by": by,
        "totals": queries.completion_totals(session, principal, p, margin),
        "groups": queries.completion_by(session, principal, p, margin, by=by),
    }


@router.get("/completion/projects", response_model=CompletionPage)
def project_completion(
    request: Request,
    session: ReadSessionDep,
    principal: Reader,
    period: PeriodText = None,
    margin_pct: MarginPct = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    p, margin = _period(request, period), _margin(request, margin_pct)
    items, total = queries.project_completion(session, principal, p, margin, offset=offset, limit=limit)
    return {"items": [_completion_row(r) for r in items], "total": total, "offset": offset, "limit": limit}


@router.get("/lagging", response_model=LaggingReport)
def lagging(
    request: Request,
    session: ReadSessionDep,
    principal: Reader,
    period: PeriodText = None,
    margin_pct: MarginPct = None,
) -> dict[str, Any]:
    """Projects behind their time-adjusted plan by more than the margin (furthest behind first), and the
    projects without a plan for the year."""
    p, margin = _period(request, period), _margin(request, margin_pct)
    behind, _ = queries.project_completion(session, principal, p, margin, lagging_only=True)
    no_plan, _ = queries.project_completion(session, principal, p, margin, no_plan_only=True)
    return {
        "period": str(p),
        "margin_pct": margin,
        "lagging": [_completion_row(r) for r in behind],
        "no_plan": [_completion_row(r) for r in no_plan],
    }


@router.get("/attraction", response_model=AttractionReport)
def attraction(
    request: Request,
    session: ReadSessionDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    """Investment attraction signings per month (and running totals) and the year against its goals."""
    rules = attraction_service.SigningRules.from_settings(request.app.state.settings)
    return queries.attraction_totals(session, principal, year or _today(request).year, rules=rules)


@router.put("/attraction/goals/{year}/{metric}", response_model=dict)
def set_attraction_goal(
    request: Request, year: int, metric: str, body: GoalIn, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    goal = attraction_service.set_attraction_goal(
        session,
        year=year,
        metric=metric,
        target_value=body.target_value,
        goal_ref=body.goal_ref,
        actor=principal,
        now=request.app.state.clock.now(),
        ip=client_ip(request),
    )
    session.commit()
    return {
        "year": goal.year,
        "metric": goal.metric,
        "target_value": goal.target_value,
        "goal_ref": goal.goal_ref,
    }


@router.get("/signings", response_model=SigningPage)
def list_signings(
    session: ReadSessionDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, Any]:
    items, total = attraction_service.list_signings(session, principal, year=year, offset=offset, limit=limit)
    return {"items": items, "total": total, "offset": offset, "limit": limit}


@router.post("/signings", response_model=SigningRead, status_code=201)
def record_signing(request: Request, body: SigningIn, session: SessionDep, principal: Manager) -> Any:
    signing = attraction_service.record_signing(
        session,
        fields=body.model_dump(),
        actor=principal,
        now=request.app.state.clock.now(),
        ip=client_ip(request),
        rules=attraction_service.SigningRules.from_settings(request.app.state.settings),
    )
    session.commit()
    return signing


@router.post("/signings/import", response_model=dict)
def import_signings(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: Manager,
    encoding: Annotated[str, Query(max_length=20, description="Text encoding of a CSV file")] = "utf-8",
) -> dict[str, Any]:
    """Record the signings of an XLSX or CSV list (all or nothing: every bad row is reported and nothing
    is stored); each is flagged by the city's counting rules and audited."""
    data = file.file.read(tabular.MAX_IMPORT_BYTES + 1)
    codes = signings_file.import_signings(
        session,
        data,
        file.filename or "upload.xlsx",
        actor=principal,
        now=request.app.state.clock.now(),
        rules=attraction_service.SigningRules.from_settings(request.app.state.settings),
        encoding=encoding,
        ip=client_ip(request),
    )
    session.commit()
    return {"recorded": len(codes), "codes": codes}


@router.post("/import", response_model=LedgerImportSummary)
def import_ledger(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: Manager,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="Year of 年度计划投资 (default: this year)")
    ] = None,
) -> Any:
    data = file.file.read(tabular.MAX_IMPORT_BYTES + 1)
    result = ledger.import_ledger(
        session,
        data,
        file.filename or "upload.xlsx",
        year=year or _today(request).year,
        actor=principal,
        now=request.app.state.clock.now(),
        today=_today(request),
        ip=client_ip(request),
    )
    session.commit()
    return result


@router.get("/export", response_class=Response)
def export_ledger(
    request: Request, session: ReadSessionDep, principal: Reader, period: PeriodText = None
) -> Response:
    """The ledger (XLSX) of the projects in the caller's scope, with the period's plan and actuals."""
    p = _period(request, period)
    data = ledger.export_ledger(session, principal, p)
    return Response(
        data,
        media_type=tabular.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="projects-{p}.xlsx"'},
    )


@router.get("/{project_id}", response_model=ProjectDetail)
def get_project(
    request: Request,
    project_id: int,
    session: SessionDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    """One project with its stage history, the year's plan and monthly progress."""
    project = service.get_project(session, project_id, principal=principal)
    year = year or _today(request).year
    return {
        **ProjectRead.model_validate(project).model_dump(),
        "stage_changes": service.list_stage_changes(session, project.id),
        "plan": service.get_annual_plan(session, project.id, year),
        "progress": service.list_progress(session, project.id, year),
    }


@router.patch("/{project_id}", response_model=ProjectRead)
def update_project(
    request: Request, project_id: int, body: ProjectUpdate, session: SessionDep, principal: Manager
) -> Any:
    project = service.get_project(session, project_id, principal=principal)
    fields = body.model_dump(exclude_unset=True)
    if fields.get("level") is not None:
        fields["level"] = body.level.value  # type: ignore[union-attr]
    project = service.update_project(
        session,
        project,
        fields=fields,
        actor=principal,
        now=request.app.state.clock.now(),
        ip=client_ip(request),
    )
    session.commit()
    return project


@router.post("/{project_id}/stage", response_model=StageChangeRead, status_code=201)
def change_stage(
    request: Request, project_id: int, body: StageChangeIn, session: SessionDep, principal: Updater
) -> Any:
    """Move the project in its life cycle (a department: only its own projects)."""
    project = service.get_project(session, project_id, principal=principal)
    change = service.change_stage(
        session,
        project,
        to_stage=ProjectStage(body.stage),
        changed_on=body.changed_on or _today(request),
        reason=body.reason,
        actor=principal,
        now=request.app.state.clock.now(),
        today=_today(request),
        ip=client_ip(request),
    )
    session.commit()
    return change


@router.put("/{project_id}/plans/{year}", response_model=PlanRead)
def set_annual_plan(
    request: Request, project_id: int, year: int, body: PlanIn, session: SessionDep, principal: Manager
) -> Any:
    project = service.get_project(session, project_id, principal=principal)
    plan = service.set_annual_plan(
        session,
        project,
        year=year,
        planned_investment_wan_cny=body.planned_investment_wan_cny,
        start_month=body.start_month,
        actor=principal,
        now=request.app.state.clock.now(),
        ip=client_ip(request),
    )
    session.commit()
    return plan


@router.put("/{project_id}/progress/{period}", response_model=ProgressRead)
def report_progress(
    request: Request, project_id: int, period: str, body: ProgressIn, session: SessionDep, principal: Updater
) -> Any:
    """Report the month's cumulative investment (a department: only for its own projects)."""
    project = service.get_project(session, project_id, principal=principal)
    p = queries.parse_period(period)
    row = service.report_progress(
        session,
        project,
        year=p.year,
        month=p.month,
        actual_cumulative_wan_cny=body.actual_cumulative_wan_cny,
        note=body.note,
        photo_refs=body.photo_refs,
        actor=principal,
        now=request.app.state.clock.now(),
        today=_today(request),
        ip=client_ip(request),
    )
    session.commit()
    return row
