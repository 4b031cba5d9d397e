"""Workbench pages for key projects (重点项目): the list, a project's detail with its plan-vs-actual chart,
and the monthly progress form. Every read goes through the projects domain's scoped service and queries
functions (org's queries name the area and department); the page builds no SQL."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from citycockpit.auth import queries as auth_queries
from citycockpit.auth.deps import client_ip, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core.errors import AppError
from citycockpit.db import SessionDep
from citycockpit.org import queries as org_queries
from citycockpit.projects import queries as project_queries
from citycockpit.projects import service as project_service
from citycockpit.projects.enums import LEVEL_LABELS, STAGE_LABELS, ProjectLevel, ProjectStage
from citycockpit.web import i18n
from citycockpit.web.render import check_csrf, render
from citycockpit.web.tables import Column, table_page

router = APIRouter(prefix="/app/projects", tags=["pages"], include_in_schema=False)

Reader = Annotated[Principal, require(Perm.PROJECTS_READ)]
Updater = Annotated[Principal, require(Perm.PROJECTS_UPDATE)]


_t = i18n.request_text


@router.get("")
def list_projects(
    request: Request,
    session: SessionDep,
    principal: Reader,
    level: Annotated[str, Query()] = "",
    stage: Annotated[str, Query()] = "",
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    level = level if level in {lv.value for lv in ProjectLevel} else ""
    stage = stage if stage in {s.value for s in ProjectStage} else ""
    listing = project_queries.projects_listing(
        principal, level=level or None, stage=stage or None, q=q or None
    )
    columns = [
        Column("code", _t(request, "projects.col.code")),
        Column("name", _t(request, "projects.col.name"), link=lambda r: f"/app/projects/{r['id']}"),
        Column("level", _t(request, "projects.col.level")),
        Column("area", _t(request, "projects.col.area")),
        Column("department", _t(request, "projects.col.department")),
        Column("stage", _t(request, "projects.col.stage")),
        Column("total", _t(request, "projects.col.total")),
    ]

    def to_row(r: Any) -> dict[str, Any]:
        p, area_name, dept = r
        return {
            "id": p.id,
            "code": p.code,
            "name": p.name,
            "level": LEVEL_LABELS.get(ProjectLevel(p.level), p.level),
            "area": area_name,
            "department": dept,
            "stage": STAGE_LABELS.get(ProjectStage(p.stage), p.stage),
            "total": round(float(p.total_investment_wan_cny), 2),
        }

    return table_page(
        request,
        session,
        listing,
        columns,
        to_row,
        template="app/projects.html",
        filename="projects.xlsx",
        empty_text=_t(request, "projects.empty"),
        context={
            "level": level,
            "stage": stage,
            "q": q,
            "levels": [(lv.value, LEVEL_LABELS[lv]) for lv in ProjectLevel],
            "stages": [(s.value, STAGE_LABELS[s]) for s in ProjectStage],
        },
    )


def _detail(request: Request, session: Any, principal: Principal, project_id: int, **extra: Any) -> Response:
    project = project_service.get_project(session, project_id, principal=principal)
    today = request.app.state.clock.local_today()
    year = today.year
    plan = project_service.get_annual_plan(session, project.id, year)
    progress = project_service.list_progress(session, project.id, year)
    stages = project_service.list_stage_changes(session, project.id)
    area_name = org_queries.area_name(session, project.area_code)
    dept = org_queries.find_department(session, project.department_id)
    months = list(range(1, 13))
    actual_by_month = {p.month: float(p.actual_cumulative_wan_cny) for p in progress}
    chart = {
        "year": year,
        "months": [f"{m}月" for m in months],
        "planned": (
            [
                round(
                    float(plan.planned_investment_wan_cny)
                    * max(0, m - plan.start_month + 1)
                    / (13 - plan.start_month),
                    2,
                )
                for m in months
            ]
            if plan
            else None
        ),
        "actual": [actual_by_month.get(m) for m in months if m <= today.month],
        "labels": {
            "planned": _t(request, "projects.chart.planned"),
            "actual": _t(request, "projects.chart.actual"),
        },
    }
    period = project_queries.default_period(today)
    actors = i18n.actor_texts(
        request, auth_queries.actor_labels(session, [(None, p.reported_by) for p in progress])
    )
    return render(
        request,
        "app/project.html",
        {
            "project": project,
            "plan": plan,
            "progress": progress,
            "actors": actors,
            "stages": stages,
            "area_name": area_name,
            "department": dept,
            "chart": chart,
            "level_label": LEVEL_LABELS.get(ProjectLevel(project.level), project.level),
            "stage_labels": {s.value: label for s, label in STAGE_LABELS.items()},
            "can_update": principal.can(Perm.PROJECTS_UPDATE),
            "report_months": list(range(1, today.month + 1)),
            "this_month": today.month,
            "year": year,
            "period": str(period),
            **extra,
        },
    )


@router.get("/{project_id}")
def project_detail(project_id: int, request: Request, session: SessionDep, principal: Reader) -> Response:
    return _detail(request, session, principal, project_id)


@router.post("/{project_id}/progress")
def report_progress(
    project_id: int,
    request: Request,
    session: SessionDep,
    principal: Updater,
    csrf_token: Annotated[str, Form()] = "",
    month: Annotated[str, Form()] = "",
    actual: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The month's cumulative investment (万元) for a project in the caller's scope."""
    check_csrf(request, principal, csrf_token)
    project = project_service.get_project(session, project_id, principal=principal)
    today = request.app.state.clock.local_today()
    errors: dict[str, str] = {}
    value: float | None = None
    if not month.isdigit() or not 1 <= int(month) <= today.month:
        errors["month"] = _t(request, "projects.form.bad_month")
    try:
        value = float(actual.replace(",", ""))
    except ValueError:
        errors["actual"] = _t(request, "form.not_number") if actual.strip() else _t(request, "form.required")
    else:
        if value < 0:
            errors["actual"] = _t(request, "projects.form.negative")
    if not errors:
        try:
            with session.begin_nested():  # a refused change undoes only itself
                project_service.report_progress(
                    session,
                    project,
                    year=today.year,
                    month=int(month),
                    actual_cumulative_wan_cny=value,  # type: ignore[arg-type]
                    note=note,
                    actor=principal,
                    now=request.app.state.clock.now(),
                    today=today,
                    ip=client_ip(request),
                )
        except AppError as exc:
            errors["actual"] = _t(
                request, "projects.form.refused", detail=i18n.request_error_text(request, exc)
            )
    if errors:
        form = {"month": month, "actual": actual, "note": note}
        response = _detail(request, session, principal, project_id, errors=errors, form=form)
        response.status_code = 422
        return response
    session.commit()
    return RedirectResponse(f"/app/projects/{project_id}?saved=1", status_code=303)
