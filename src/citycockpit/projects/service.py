"""Key projects: register and edit, move through the life cycle, set annual plans, report monthly
progress. Functions flush; the caller commits. Investment attraction signings and goals are in
attraction.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import ensure_in_scope, scope_clause
from citycockpit.core.actors import Actor
from citycockpit.core.dialect import code_within
from citycockpit.org.models import Area, Department
from citycockpit.projects.enums import (
    CURRENCIES,
    INDUSTRIES,
    STAGE_ORDER,
    ProjectLevel,
    ProjectStage,
)
from citycockpit.projects.errors import (
    InvalidPlan,
    InvalidProgress,
    InvalidProject,
    InvalidStageDate,
    ProjectCodeTaken,
    ProjectNotFound,
    StageReasonRequired,
    StageUnchanged,
)
from citycockpit.projects.models import (
    Project,
    ProjectAnnualPlan,
    ProjectMonthlyProgress,
    ProjectStageChange,
)

# Fields the project office may set on a project (the stage moves only through change_stage).
PROJECT_FIELDS = (
    "name",
    "level",
    "industry",
    "investor",
    "is_foreign_funded",
    "currency",
    "area_code",
    "department_id",
    "responsible_person",
    "total_investment_wan_cny",
    "planned_start_on",
    "planned_finish_on",
    "actual_start_on",
    "actual_finish_on",
)


def project_scope(principal: Principal) -> Any:
    return scope_clause(principal, department_col=Project.department_id, area_code_col=Project.area_code)


# --- validation helpers -------------------------------------------------------------------------


def check_project_fields(session: Session, fields: dict[str, Any]) -> None:
    """Raise InvalidProject naming the first field that breaks a rule."""
    if "name" in fields and not str(fields["name"] or "").strip():
        raise InvalidProject("A project needs a name", field="name")
    if "level" in fields and fields["level"] not in {lv.value for lv in ProjectLevel}:
        raise InvalidProject(f"Unknown level {fields['level']!r}", field="level")
    if "industry" in fields and fields["industry"] not in INDUSTRIES:
        raise InvalidProject(
            f"Unknown industry {fields['industry']!r}; use one of {', '.join(INDUSTRIES)}", field="industry"
        )
    if "currency" in fields and fields["currency"] not in CURRENCIES:
        raise InvalidProject(f"Unknown currency {fields['currency']!r}", field="currency")
    if "area_code" in fields:
        level = session.scalar(select(Area.level).where(Area.code == fields["area_code"]))
        if level is None:
            raise InvalidProject(f"Area {fields['area_code']} does not exist", field="area_code")
        if level not in ("city", "town"):
            raise InvalidProject("A project's area is a town/street (or the whole city)", field="area_code")
    if "department_id" in fields and session.get(Department, fields["department_id"]) is None:
        raise InvalidProject(f"Department {fields['department_id']} does not exist", field="department_id")
    if "total_investment_wan_cny" in fields and (fields["total_investment_wan_cny"] or 0) < 0:
        raise InvalidProject("Total investment cannot be negative", field="total_investment_wan_cny")
    for start, finish in (("planned_start_on", "planned_finish_on"), ("actual_start_on", "actual_finish_on")):
        a, b = fields.get(start), fields.get(finish)
        if a and b and b < a:
            raise InvalidProject(f"{finish} {b} is before {start} {a}", field=finish)


# --- projects -----------------------------------------------------------------------------------


def get_project(session: Session, project_id: int, *, principal: Principal | None = None) -> Project:
    """A project by id; outside the principal's scope it does not exist (404)."""
    project = session.get(Project, project_id)
    if project is None:
        raise ProjectNotFound(f"Project {project_id} does not exist", project_id=project_id)
    if principal is not None:
        ensure_in_scope(
            principal, department_id=project.department_id, area_code=project.area_code, what="project"
        )
    return project


def filtered_projects(
    principal: Principal,
    *,
    level: str | None = None,
    industry: str | None = None,
    area_code: str | None = None,
    department_id: int | None = None,
    stage: str | None = None,
    is_foreign_funded: bool | None = None,
    q: str | None = None,
) -> Select[Project]:
    query = select(Project).where(project_scope(principal))
    if level:
        query = query.where(Project.level == level)
    if industry:
        query = query.where(Project.industry == industry)
    if area_code:
        query = query.where(code_within(Project.area_code, area_code))
    if department_id is not None:
        query = query.where(Project.department_id == department_id)
    if stage:
        query = query.where(Project.stage == stage)
    if is_foreign_funded is not None:
        query = query.where(Project.is_foreign_funded == is_foreign_funded)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(Project.name.like(like) | Project.code.like(like) | Project.investor.like(like))
    return query


def list_projects(
    session: Session, principal: Principal, *, offset: int = 0, limit: int = 50, **filters: Any
) -> tuple[list[Project], int]:
    """Projects in the caller's scope, filtered, ordered by code."""
    query = filtered_projects(principal, **filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Project.code).offset(offset).limit(limit)).all()
    return list(items), total


def create_project(
    session: Session,
    *,
    code: str,
    fields: dict[str, Any],
    stage: ProjectStage = ProjectStage.SIGNED,
    stage_on: date,
    actor: Actor,
    now: datetime,
    ip: str | None = None,
) -> Project:
    """Register a key project at its current stage; the first stage is recorded as a stage change."""
    code = code.strip()
    if not code or len(code) > 32:
        raise InvalidProject("A project code needs 1 to 32 characters", field="code")
    if session.scalar(select(Project.id).where(Project.code == code)) is not None:
        raise ProjectCodeTaken(f"Project code {code} is taken", code_value=code)
    fields = {"currency": "CNY", "is_foreign_funded": False, **fields}
    missing = [
        k
        for k in ("name", "level", "industry", "area_code", "department_id", "total_investment_wan_cny")
        if fields.get(k) is None
    ]
    if missing:
        raise InvalidProject(f"Missing field(s): {', '.join(missing)}", field=missing[0])
    check_project_fields(session, fields)
    project = Project(
        code=code, stage=stage.value, stage_changed_on=stage_on, created_at=now, updated_at=now, **fields
    )
    session.add(project)
    session.flush()
    session.add(
        ProjectStageChange(
            project_id=project.id,
            from_stage=None,
            to_stage=stage.value,
            changed_on=stage_on,
            actor_name=actor.display_name[:100],
            recorded_at=now,
        )
    )
    audit.record(
        session,
        actor,
        "project.create",
        "project",
        project.id,
        at=now,
        ip=ip,
        diff={"code": code, "stage": stage.value, **fields},
    )
    session.flush()
    return project


def update_project(
    session: Session,
    project: Project,
    *,
    fields: dict[str, Any],
    actor: Actor,
    now: datetime,
    ip: str | None = None,
) -> Project:
    """Change a project's ledger fields; records what changed (old → new) in the audit log."""
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise InvalidProject(f"Cannot set {', '.join(sorted(unknown))} here", field=sorted(unknown)[0])
    merged = {k: getattr(project, k) for k in PROJECT_FIELDS} | fields
    check_project_fields(session, {k: merged[k] for k in fields} | _date_pairs(merged))
    changed = {k: [getattr(project, k), v] for k, v in fields.items() if getattr(project, k) != v}
    if not changed:
        return project
    for key, (_, new) in changed.items():
        setattr(project, key, new)
    project.updated_at = now
    audit.record(session, actor, "project.update", "project", project.id, at=now, ip=ip, diff=changed)
    session.flush()
    return project


def _date_pairs(values: dict[str, Any]) -> dict[str, Any]:
    keys = ("planned_start_on", "planned_finish_on", "actual_start_on", "actual_finish_on")
    return {k: values.get(k) for k in keys}


# --- life cycle -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageMove:
    is_backward: bool
    skipped: list[ProjectStage]


def judge_stage_move(current: ProjectStage, target: ProjectStage, *, reason: str | None) -> StageMove:
    """The stage rule: forward moves are free and may skip stages (the skipped ones are recorded, since
    projects often enter the ledger late or run approval and land supply in parallel); moving to the
    same stage is a conflict; moving backwards needs a reason."""
    if target is current:
        raise StageUnchanged(f"The project is already at {current.label}", stage=current.value)
    if target.rank < current.rank:
        if not (reason or "").strip():
            raise StageReasonRequired(
                f"Moving back from {current.label} to {target.label} needs a reason",
                from_stage=current.value,
                to_stage=target.value,
            )
        return StageMove(True, [])
    return StageMove(False, STAGE_ORDER[current.rank + 1 : target.rank])


def change_stage(
    session: Session,
    project: Project,
    *,
    to_stage: ProjectStage,
    changed_on: date,
    reason: str | None,
    actor: Actor,
    now: datetime,
    today: date,
    ip: str | None = None,
) -> ProjectStageChange:
    """Move a project in its life cycle on a date (not in the future, not before its last move).

    Reaching 开工 sets the actual start date and 竣工 the actual finish date when they are empty; moving
    back before those stages clears them."""
    current = ProjectStage(project.stage)
    move = judge_stage_move(current, to_stage, reason=reason)
    if changed_on > today:
        raise InvalidStageDate(f"The stage date {changed_on} is in the future", changed_on=str(changed_on))
    if project.stage_changed_on and changed_on < project.stage_changed_on:
        raise InvalidStageDate(
            f"The stage date {changed_on} is before the last change ({project.stage_changed_on})",
            changed_on=str(changed_on),
        )
    change = ProjectStageChange(
        project_id=project.id,
        from_stage=current.value,
        to_stage=to_stage.value,
        changed_on=changed_on,
        is_backward=move.is_backward,
        skipped_stages=" ".join(s.value for s in move.skipped),
        reason=(reason or "").strip() or None,
        actor_name=actor.display_name[:100],
        recorded_at=now,
    )
    session.add(change)
    project.stage = to_stage.value
    project.stage_changed_on = changed_on
    project.updated_at = now
    if to_stage.rank >= ProjectStage.STARTED.rank and project.actual_start_on is None:
        project.actual_start_on = changed_on
    if to_stage.rank >= ProjectStage.COMPLETED.rank and project.actual_finish_on is None:
        project.actual_finish_on = changed_on
    if to_stage.rank < ProjectStage.COMPLETED.rank:
        project.actual_finish_on = None
    if to_stage.rank < ProjectStage.STARTED.rank:
        project.actual_start_on = None
    session.flush()
    audit.record(
        session,
        actor,
        "project.stage",
        "project",
        project.id,
        at=now,
        ip=ip,
        diff={
            "stage": [current.value, to_stage.value],
            "changed_on": changed_on,
            "skipped": [s.value for s in move.skipped],
            "backward": move.is_backward,
            "reason": change.reason,
        },
    )
    return change


def list_stage_changes(session: Session, project_id: int) -> list[ProjectStageChange]:
    query = select(ProjectStageChange).where(ProjectStageChange.project_id == project_id)
    return list(session.scalars(query.order_by(ProjectStageChange.changed_on, ProjectStageChange.id)))


# --- annual plans and monthly progress ------------------------------------------------------------


def set_annual_plan(
    session: Session,
    project: Project,
    *,
    year: int,
    planned_investment_wan_cny: float,
    start_month: int | None = None,
    actor: Actor,
    now: datetime,
    ip: str | None = None,
) -> ProjectAnnualPlan:
    """Set (or replace) the year's planned investment. The plan's time progress starts in `start_month`;
    when not given it is the planned start month if the project is planned to start in that year,
    else January."""
    if not 2000 <= year <= 2100:
        raise InvalidPlan(f"Year {year} is out of range", field="year")
    if planned_investment_wan_cny is None or planned_investment_wan_cny <= 0:
        raise InvalidPlan(
            "The planned investment must be more than 0 万元", field="planned_investment_wan_cny"
        )
    if start_month is None:
        start = project.actual_start_on or project.planned_start_on
        start_month = start.month if start and start.year == year else 1
    if not 1 <= start_month <= 12:
        raise InvalidPlan("The start month must be 1 to 12", field="start_month")
    plan = session.scalars(
        select(ProjectAnnualPlan).where(
            ProjectAnnualPlan.project_id == project.id, ProjectAnnualPlan.year == year
        )
    ).first()
    before = None
    if plan is None:
        plan = ProjectAnnualPlan(project_id=project.id, year=year)
        session.add(plan)
    else:
        before = {
            "planned_investment_wan_cny": plan.planned_investment_wan_cny,
            "start_month": plan.start_month,
        }
        if plan.planned_investment_wan_cny == planned_investment_wan_cny and plan.start_month == start_month:
            return plan
    plan.planned_investment_wan_cny = planned_investment_wan_cny
    plan.start_month = start_month
    plan.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "project.plan",
        "project",
        project.id,
        at=now,
        ip=ip,
        diff={
            "year": year,
            "before": before,
            "planned_investment_wan_cny": planned_investment_wan_cny,
            "start_month": start_month,
        },
    )
    return plan


def get_annual_plan(session: Session, project_id: int, year: int) -> ProjectAnnualPlan | None:
    return session.scalars(
        select(ProjectAnnualPlan).where(
            ProjectAnnualPlan.project_id == project_id, ProjectAnnualPlan.year == year
        )
    ).first()


def report_progress(
    session: Session,
    project: Project,
    *,
    year: int,
    month: int,
    actual_cumulative_wan_cny: float,
    note: str | None = None,
    photo_refs: list[str] | None = None,
    actor: Actor,
    now: datetime,
    today: date,
    ip: str | None = None,
) -> ProjectMonthlyProgress:
    """Report the investment completed this year up to the end of `month` (cumulative, 万元).

    A month not yet begun cannot be reported; a cumulative figure below an earlier month's or above a
    later month's of the same year is refused; reporting a month again replaces it (audited)."""
    if not 1 <= month <= 12:
        raise InvalidProgress("The month must be 1 to 12", field="month")
    if (year, month) > (today.year, today.month):
        raise InvalidProgress(f"{year}-{month:02d} has not begun yet", field="month")
    if actual_cumulative_wan_cny is None or actual_cumulative_wan_cny < 0:
        raise InvalidProgress(
            "The cumulative investment cannot be negative", field="actual_cumulative_wan_cny"
        )
    same_year = select(ProjectMonthlyProgress).where(
        ProjectMonthlyProgress.project_id == project.id, ProjectMonthlyProgress.year == year
    )
    earlier = session.scalars(
        same_year.where(ProjectMonthlyProgress.month < month).order_by(ProjectMonthlyProgress.month.desc())
    ).first()
    later = session.scalars(
        same_year.where(ProjectMonthlyProgress.month > month).order_by(ProjectMonthlyProgress.month)
    ).first()
    if earlier is not None and actual_cumulative_wan_cny < earlier.actual_cumulative_wan_cny:
        raise InvalidProgress(
            f"The cumulative figure {actual_cumulative_wan_cny} is below {year}-{earlier.month:02d}'s "
            f"{earlier.actual_cumulative_wan_cny}",
            field="actual_cumulative_wan_cny",
        )
    if later is not None and actual_cumulative_wan_cny > later.actual_cumulative_wan_cny:
        raise InvalidProgress(
            f"The cumulative figure {actual_cumulative_wan_cny} is above {year}-{later.month:02d}'s "
            f"{later.actual_cumulative_wan_cny}",
            field="actual_cumulative_wan_cny",
        )
    row = session.scalars(same_year.where(ProjectMonthlyProgress.month == month)).first()
    before = None if row is None else row.actual_cumulative_wan_cny
    if row is None:
        row = ProjectMonthlyProgress(project_id=project.id, year=year, month=month)
        session.add(row)
    row.actual_cumulative_wan_cny = actual_cumulative_wan_cny
    row.note = (note or "").strip() or None
    row.photo_refs = json.dumps(photo_refs, ensure_ascii=False) if photo_refs else None
    row.reported_by = actor.display_name[:100]
    row.reported_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "project.progress",
        "project",
        project.id,
        at=now,
        ip=ip,
        diff={
            "period": f"{year}-{month:02d}",
            "actual_cumulative_wan_cny": [before, actual_cumulative_wan_cny],
        },
    )
    return row


def list_progress(session: Session, project_id: int, year: int) -> list[ProjectMonthlyProgress]:
    query = select(ProjectMonthlyProgress).where(
        ProjectMonthlyProgress.project_id == project_id, ProjectMonthlyProgress.year == year
    )
    return list(session.scalars(query.order_by(ProjectMonthlyProgress.month)))
