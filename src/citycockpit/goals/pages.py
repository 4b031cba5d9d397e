"""Workbench pages for goals (目标任务): the list with filters, a goal's detail (milestones, monthly
progress chart, report submission and review), the bulletin page with its downloads, and turning a
reviewed report ledger into goals. Reads and writes go through the goals domain's functions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from citycockpit.auth import queries as auth_queries
from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core.errors import AppError
from citycockpit.db import SessionDep
from citycockpit.goals import bulletin, evaluation, milestones, periods, progress, queries
from citycockpit.goals import service as goal_service
from citycockpit.goals.enums import STATUS_ORDER, GoalStatus
from citycockpit.goals.status import Thresholds
from citycockpit.goals.views import evaluation_view
from citycockpit.web import i18n
from citycockpit.web.render import check_csrf, render
from citycockpit.web.tables import Column, table_page

router = APIRouter(prefix="/app", tags=["pages"], include_in_schema=False)

Reader = Annotated[Principal, require(Perm.GOALS_READ)]
Manager = Annotated[Principal, require(Perm.GOALS_MANAGE)]
Reporter = Annotated[Principal, require(Perm.GOALS_REPORT)]
CsrfField = Annotated[str, Form()]


_t = i18n.request_text


def _period(request: Request, period: str | None) -> str:
    """The asked month (default, or when it is not a month: this month). Pages only read the stored
    evaluations; writes and the worker's daily job keep them fresh."""
    today = request.app.state.clock.local_today()
    try:
        return periods.parse_period(period) if period else periods.period_of(today)
    except AppError:
        return periods.period_of(today)


def _reevaluate(request: Request, session: Any, goal_ids: list[int], since: str | None = None) -> None:
    """Re-apply the rules to the goals a form changed (as the API's writes do)."""
    evaluation.reevaluate(
        session,
        goal_ids=goal_ids,
        since=since,
        today=request.app.state.clock.local_today(),
        thresholds=Thresholds.from_settings(request.app.state.settings),
        now=request.app.state.clock.now(),
    )


def _status_label(request: Request, status: str) -> str:
    return i18n.domain_label(
        i18n.request_language(request), f"screen.status.{status}", GoalStatus(status).label
    )


@router.get("/goals")
def list_goals(
    request: Request,
    session: SessionDep,
    principal: Reader,
    period: str | None = None,
    node: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
    department: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
    status: str = "",
) -> Response:
    chosen = _period(request, period)
    status = status if status in {s.value for s in GoalStatus} else ""
    listing = queries.goal_list(
        principal, period=chosen, node_id=node, department_id=department, status=status
    )

    def pct(v: float | None) -> str | None:
        return None if v is None else f"{v * 100:.1f}%"

    columns = [
        Column("key", _t(request, "goals.col.key")),
        Column("title", _t(request, "goals.col.title"), link=lambda r: f"/app/goals/{r['id']}"),
        Column("department", _t(request, "goals.col.department")),
        Column("status", _t(request, "goals.col.status"), tone=lambda r: r["tone"]),
        Column("progress", _t(request, "goals.col.progress"), fmt=pct),
        Column("time_progress", _t(request, "goals.col.time_progress"), fmt=pct),
        Column("due_on", _t(request, "goals.col.due_on")),
    ]

    def to_row(r: Any) -> dict[str, Any]:
        goal, st, prog, tp, dept = r
        return {
            "id": goal.id,
            "key": goal.key,
            "title": goal.title,
            "department": dept,
            "status": _status_label(request, st) if st else "—",
            "tone": GoalStatus(st).tone.value if st else None,
            "progress": prog,
            "time_progress": tp,
            "due_on": goal.due_on.isoformat(),
        }

    def context() -> dict[str, Any]:
        year = int(chosen[:4])
        return {
            "period": chosen,
            "node": node,
            "department": department,
            "status": status,
            "nodes": queries.task_areas(session, year),
            "departments": queries.lead_departments(session, year),
            "statuses": [(s.value, _status_label(request, s.value)) for s in STATUS_ORDER],
            "can_manage": principal.can(Perm.GOALS_MANAGE),
        }

    return table_page(
        request,
        session,
        listing,
        columns,
        to_row,
        template="app/goals.html",
        filename=f"goals-{chosen}.xlsx",
        empty_text=_t(request, "goals.empty"),
        context=context,
    )


def _goal_page(request: Request, session: Any, principal: Principal, goal_id: int, **extra: Any) -> Response:
    goal = goal_service.get_goal(session, goal_id, principal)
    chosen = _period(request, request.query_params.get("period"))
    evals = queries.goal_evaluations(session, goal.id)
    current = next((e for e in evals if e.period == chosen), None)
    reports = progress.list_reports(session, principal, goal_id=goal.id)
    comments = progress.list_comments(session, goal.id)
    evaluation = evaluation_view(current)
    if evaluation is not None:
        evaluation["label"] = _status_label(request, evaluation["status"])
    reported = {r.period: r.percent for r in reports if r.state != "returned"}
    chart = {
        "months": [e.period for e in evals],
        "progress": [
            round(e.progress * 100, 1) if e.progress is not None else reported.get(e.period) for e in evals
        ],
        "time_progress": [
            round(e.time_progress * 100, 1) if e.time_progress is not None else None for e in evals
        ],
        "labels": {
            "progress": _t(request, "goals.chart.progress"),
            "time_progress": _t(request, "goals.chart.time_progress"),
        },
    }
    lead = queries.department(session, goal.lead_department_id)
    is_lead = principal.can(Perm.GOALS_REPORT) and (
        not principal.is_department_scoped or principal.department_id == goal.lead_department_id
    )
    return render(
        request,
        "app/goal.html",
        {
            "goal": goal,
            "lead": lead,
            "period": chosen,
            "evaluation": evaluation,
            "milestones": milestones.list_milestones(session, goal.id),
            "reports": reports,
            "comments": comments,
            "actors": i18n.actor_texts(
                request, auth_queries.actor_labels(session, [(None, c.author) for c in comments])
            ),
            "chart": chart,
            "can_report": is_lead,
            "can_manage": principal.can(Perm.GOALS_MANAGE),
            "status_labels": {s.value: s.label for s in GoalStatus},
            **extra,
        },
    )


@router.get("/goals/bulletin")
def bulletin_page(
    request: Request, session: SessionDep, principal: Reader, period: str | None = None
) -> Response:
    chosen = _period(request, period)
    today = request.app.state.clock.local_today()
    b = bulletin.build_bulletin(
        session, principal, period=chosen, today=today, city=request.app.state.settings.city_name
    )
    # The downloads are offered only when the API would issue them (the same rule), never as a link to
    # a refusal.
    try:
        bulletin.check_issuable(b, today=today)
        issuable = True
    except AppError:
        issuable = False
    return render(request, "app/bulletin.html", {"b": b, "period": chosen, "issuable": issuable})


@router.get("/goals/{goal_id}")
def goal_detail(goal_id: int, request: Request, session: SessionDep, principal: Reader) -> Response:
    return _goal_page(request, session, principal, goal_id)


@router.post("/goals/{goal_id}/reports")
def submit_report(
    goal_id: int,
    request: Request,
    session: SessionDep,
    principal: Reporter,
    csrf_token: CsrfField = "",
    period: Annotated[str, Form()] = "",
    percent: Annotated[str, Form()] = "",
    narrative: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """The lead department's report for a month: percent done and what happened (进展情况)."""
    check_csrf(request, principal, csrf_token)
    errors: dict[str, str] = {}
    value: float | None = None
    try:
        value = float(percent)
    except ValueError:
        errors["percent"] = (
            _t(request, "form.not_number") if percent.strip() else _t(request, "form.required")
        )
    else:
        if not 0 <= value <= 100:
            errors["percent"] = _t(request, "goals.form.percent_range")
    if not narrative.strip():
        errors["narrative"] = _t(request, "form.required")
    if not errors:
        try:
            with session.begin_nested():  # a refused report undoes only itself
                report = progress.submit_report(
                    session,
                    goal_id,
                    period=period or periods.period_of(request.app.state.clock.local_today()),
                    percent=value,  # type: ignore[arg-type]
                    narrative=narrative,
                    principal=principal,
                    now=request.app.state.clock.now(),
                )
                _reevaluate(request, session, [report.goal_id], since=report.period)
        except AppError as exc:
            errors["form"] = i18n.request_error_text(request, exc)
    if errors:
        form = {"percent": percent, "narrative": narrative}
        response = _goal_page(request, session, principal, goal_id, errors=errors, form=form)
        response.status_code = 422
        return response
    session.commit()
    return RedirectResponse(f"/app/goals/{goal_id}?saved=1", status_code=303)


@router.post("/goals/reports/{report_id}/review")
def review_report(
    report_id: int,
    request: Request,
    session: SessionDep,
    principal: Manager,
    csrf_token: CsrfField = "",
    decision: Annotated[str, Form()] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Accept a submitted report, or return it with a comment saying what to fix."""
    check_csrf(request, principal, csrf_token)
    report = progress.get_report(session, report_id, principal)
    if decision == "return" and not comment.strip():
        response = _goal_page(
            request,
            session,
            principal,
            report.goal_id,
            review_error=_t(request, "goals.form.return_needs_comment"),
        )
        response.status_code = 422
        return response
    progress.review_report(
        session,
        report_id,
        accept=decision != "return",
        comment=comment,
        actor=principal,
        now=request.app.state.clock.now(),
    )
    _reevaluate(request, session, [report.goal_id], since=report.period)
    session.commit()
    return RedirectResponse(f"/app/goals/{report.goal_id}", status_code=303)


@router.post("/reports/{report_id}/goals")
def goals_from_report(
    report_id: int, request: Request, session: SessionDep, principal: Manager, csrf_token: CsrfField = ""
) -> Response:
    """Create goals from the report's confirmed and edited items (those already tracked are skipped)."""
    check_csrf(request, principal, csrf_token)
    result = goal_service.goals_from_report(
        session,
        report_id,
        actor=principal,
        now=request.app.state.clock.now(),
        settings=request.app.state.settings,
    )
    _reevaluate(request, session, result.created)
    session.commit()
    return RedirectResponse(
        f"/app/reports/{report_id}?goals_created={len(result.created)}&goals_skipped={result.skipped}",
        status_code=303,
    )
