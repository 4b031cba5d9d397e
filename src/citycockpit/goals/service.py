"""Goals and their assignment: create (from a report, by hand), read in scope, update, assign.

Scope: a department-scoped caller sees the goals it leads (牵头单位) or co-operates on (配合单位); the
supervisor, leader and admin see all. Objects outside the scope are reported as not found."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.config import Settings
from citycockpit.core.actors import Actor
from citycockpit.goals.enums import GoalKind, GoalSource, RollupRule
from citycockpit.goals.errors import GoalNodeNotFound, GoalNotFound, GoalStatusComputed, InvalidGoal
from citycockpit.goals.models import (
    Goal,
    GoalCoDepartment,
    GoalNode,
    GoalTrajectory,
    IndicatorAlias,
    IndicatorSeries,
)
from citycockpit.org.models import Department
from citycockpit.report import service as reports
from citycockpit.report.enums import QUALIFIERS, ItemList, Measure, ReviewState, value_text

COMPUTED_FIELDS = {
    "status",
    "color",
    "rule",
    "forecast",
    "expected_end",
    "time_progress",
    "progress",
    "to_date",
    "data_month",
}
EDITABLE_FIELDS = {
    "title",
    "measure",
    "target_value",
    "unit",
    "qualifier",
    "stretch",
    "responsible_person",
    "starts_on",
    "due_on",
    "weight",
    "node_id",
    "is_done",
    "series_id",
}
TARGETS_NODE_TITLE = "主要预期目标"


# ---------------------------------------------------------------- scope


def goal_scope(principal: Principal | None) -> ColumnElement[bool]:
    """WHERE clause: the goals a principal may see (lead or co-operating department for a department)."""
    if principal is None:
        return true()
    if principal.is_department_scoped:
        dept = principal.department_id
        co = exists().where(GoalCoDepartment.goal_id == Goal.id, GoalCoDepartment.department_id == dept)
        return or_(Goal.lead_department_id == dept, co)
    if principal.is_area_scoped:
        # a town or grid sees its own and its areas' targets, and read-only those above it (the city's)
        code = principal.area_code or ""
        return or_(
            Goal.area_code.is_(None),
            Goal.area_code.startswith(code, autoescape=True),
            literal(code).startswith(Goal.area_code),
        )
    return true()


def goal_area_clause(area_code: str | None) -> ColumnElement[bool]:
    """WHERE clause: the goals an area's screen shows, its own and those of the areas above it (the
    city's goals have no area). None (the city) shows the city's goals only."""
    if not area_code:
        return Goal.area_code.is_(None)
    return or_(Goal.area_code.is_(None), literal(area_code).startswith(Goal.area_code))


def check_goal_area(session: Session, area_code: str | None) -> str | None:
    """The area a new goal belongs to: an existing area's code, or None for the city's own goals
    (nothing given, or the city's own six-digit county code)."""
    from citycockpit.org.models import Area

    code = (area_code or "").strip()
    if len(code) <= 6 and (not code or code.isdigit()):
        return None
    if not code.isdigit() or session.scalar(select(Area.id).where(Area.code == code)) is None:
        raise InvalidGoal(f"Area {code} does not exist", field="area_code")
    return code


def department_ids(session: Session, goal: Goal) -> list[int]:
    co = session.scalars(
        select(GoalCoDepartment.department_id).where(GoalCoDepartment.goal_id == goal.id)
    ).all()
    return list(co)


def get_goal(session: Session, goal_id: int, principal: Principal | None = None) -> Goal:
    goal = session.scalars(select(Goal).where(Goal.id == goal_id, goal_scope(principal))).first()
    if goal is None:
        raise GoalNotFound(f"Goal {goal_id} does not exist or is outside your scope", goal_id=goal_id)
    return goal


def list_goals(
    session: Session,
    principal: Principal | None,
    *,
    year: int | None = None,
    department_id: int | None = None,
    node_id: int | None = None,
    offset: int = 0,
    limit: int = 200,
) -> tuple[list[Goal], int]:
    query = select(Goal).where(goal_scope(principal))
    if year is not None:
        query = query.where(Goal.year == year)
    if department_id is not None:
        co = exists().where(
            GoalCoDepartment.goal_id == Goal.id, GoalCoDepartment.department_id == department_id
        )
        query = query.where(or_(Goal.lead_department_id == department_id, co))
    if node_id is not None:
        sub = select(GoalNode.id).where(or_(GoalNode.id == node_id, GoalNode.parent_id == node_id))
        query = query.where(Goal.node_id.in_(sub))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Goal.year, Goal.position, Goal.id).offset(offset).limit(limit))
    return list(rows.all()), total


# ---------------------------------------------------------------- departments


def resolve_department(session: Session, text: str) -> Department | None:
    """A department by code, full name or short name (exact, case-insensitive for codes)."""
    text = (text or "").strip()
    if not text:
        return None
    return session.scalars(
        select(Department).where(
            or_(
                func.upper(Department.code) == text.upper(),
                Department.name == text,
                Department.short_name == text,
            )
        )
    ).first()


def department_label(dept: Department | None) -> str:
    if dept is None:
        return ""
    return dept.short_name or dept.name


# ---------------------------------------------------------------- creation


def next_key(session: Session, year: int) -> str:
    """The next stable key of the year (`2024-001` …): rows of the task sheet are matched by it."""
    keys = session.scalars(select(Goal.key).where(Goal.key.like(f"{year}-%"))).all()
    numbers = [int(k.split("-", 1)[1]) for k in keys if k.split("-", 1)[1].isdigit()]
    return f"{year}-{max(numbers, default=0) + 1:03d}"


def _check_fields(values: dict[str, Any]) -> None:
    if "title" in values and not str(values["title"] or "").strip():
        raise InvalidGoal("A goal needs a title")
    if values.get("measure") not in (None, *[m.value for m in Measure]):
        raise InvalidGoal("measure must be level, growth or share")
    if values.get("qualifier") not in (None, *QUALIFIERS):
        raise InvalidGoal(f"qualifier must be one of {' '.join(QUALIFIERS)}")
    if values.get("weight") is not None and float(values["weight"]) < 0:
        raise InvalidGoal("weight cannot be negative")
    start, due = values.get("starts_on"), values.get("due_on")
    if start and due and due < start:
        raise InvalidGoal(f"the due date {due} is before the start {start}")


def create_goal(
    session: Session,
    *,
    title: str,
    year: int,
    actor: Actor,
    now: datetime,
    source: GoalSource = GoalSource.MANUAL,
    node_id: int | None = None,
    report_item_id: int | None = None,
    report_subtask_id: int | None = None,
    measure: str | None = None,
    target_value: float | None = None,
    unit: str | None = None,
    qualifier: str | None = None,
    stretch: bool = False,
    lead_department_id: int | None = None,
    co_department_ids: Sequence[int] = (),
    responsible_person: str | None = None,
    series_id: int | None = None,
    starts_on: date | None = None,
    due_on: date | None = None,
    weight: float = 1.0,
    key: str | None = None,
    area_code: str | None = None,
    audit_it: bool = True,
) -> Goal:
    """Create a goal; a goal linked to an indicator series is judged as an indicator, else as a task.
    Its period defaults to the calendar year. It is the city's goal unless `area_code` names the area
    (a town's own target) it belongs to."""
    values = {
        "title": title,
        "measure": measure,
        "qualifier": qualifier,
        "weight": weight,
        "starts_on": starts_on or date(year, 1, 1),
        "due_on": due_on or date(year, 12, 31),
    }
    _check_fields(values)
    if node_id is not None and session.get(GoalNode, node_id) is None:
        raise GoalNodeNotFound(f"Goal node {node_id} does not exist", node_id=node_id)
    _check_departments(session, [lead_department_id, *co_department_ids])
    if series_id is not None and session.get(IndicatorSeries, series_id) is None:
        raise InvalidGoal(f"Indicator series {series_id} does not exist")
    area_code = check_goal_area(session, area_code)
    position = (session.scalar(select(func.max(Goal.position)).where(Goal.year == year)) or 0) + 1
    goal = Goal(
        key=key or next_key(session, year),
        year=year,
        kind=(GoalKind.INDICATOR if series_id and target_value is not None else GoalKind.TASK).value,
        source=GoalSource(source).value,
        title=title.strip(),
        area_code=area_code,
        node_id=node_id,
        report_item_id=report_item_id,
        report_subtask_id=report_subtask_id,
        measure=measure,
        target_value=target_value,
        unit=unit,
        qualifier=qualifier,
        stretch=stretch,
        lead_department_id=lead_department_id,
        responsible_person=responsible_person,
        series_id=series_id,
        starts_on=values["starts_on"],
        due_on=values["due_on"],
        weight=weight,
        position=position,
        is_done=False,
        created_at=now,
        updated_at=now,
    )
    session.add(goal)
    session.flush()
    set_co_departments(session, goal, co_department_ids)
    if audit_it:
        audit.record(session, actor, "goal.create", "goal", goal.id, at=now, diff=goal_audit_view(goal))
    return goal


def goal_audit_view(goal: Goal) -> dict[str, Any]:
    return {
        "key": goal.key,
        "title": goal.title,
        "target": [goal.measure, goal.qualifier, goal.target_value, goal.unit],
        "lead_department_id": goal.lead_department_id,
        "area_code": goal.area_code,
        "series_id": goal.series_id,
        "due_on": goal.due_on,
    }


def _check_departments(session: Session, ids: Iterable[int | None]) -> None:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return
    found = set(session.scalars(select(Department.id).where(Department.id.in_(wanted))).all())
    if wanted - found:
        raise InvalidGoal(f"Unknown department id(s): {', '.join(map(str, sorted(wanted - found)))}")


def set_co_departments(session: Session, goal: Goal, ids: Sequence[int]) -> None:
    current = set(department_ids(session, goal))
    wanted = {i for i in ids if i != goal.lead_department_id}
    for dept_id in current - wanted:
        session.delete(session.get(GoalCoDepartment, (goal.id, dept_id)))
    for dept_id in sorted(wanted - current):
        session.add(GoalCoDepartment(goal_id=goal.id, department_id=dept_id))
    session.flush()


def update_goal(
    session: Session, goal_id: int, changes: dict[str, Any], *, actor: Actor, now: datetime
) -> Goal:
    """Change a goal's own fields. Status fields are computed by the rules and refused."""
    computed = COMPUTED_FIELDS & set(changes)
    if computed:
        raise GoalStatusComputed(
            "A goal's status is computed by the rules and cannot be set by hand; add a comment instead",
            fields=sorted(computed),
        )
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidGoal(f"These fields cannot be changed: {', '.join(sorted(unknown))}")
    goal = get_goal(session, goal_id)
    merged = {"starts_on": goal.starts_on, "due_on": goal.due_on, **changes}
    _check_fields(merged)
    if changes.get("series_id") is not None and session.get(IndicatorSeries, changes["series_id"]) is None:
        raise InvalidGoal(f"Indicator series {changes['series_id']} does not exist")
    before = {k: getattr(goal, k) for k in changes}
    for name, value in changes.items():
        setattr(goal, name, value)
    goal.kind = _kind(goal)
    goal.updated_at = now
    audit.record(session, actor, "goal.update", "goal", goal.id, at=now, diff={"from": before, "to": changes})
    session.flush()
    return goal


def _kind(goal: Goal) -> str:
    judged_as_indicator = goal.series_id is not None and goal.target_value is not None
    return (GoalKind.INDICATOR if judged_as_indicator else GoalKind.TASK).value


def assign_goal(
    session: Session,
    goal_id: int,
    *,
    lead_department_id: int | None,
    co_department_ids: Sequence[int] = (),
    responsible_person: str | None = None,
    actor: Actor,
    now: datetime,
) -> Goal:
    """Assign the lead department (牵头单位), co-operating departments (配合单位) and the person."""
    goal = get_goal(session, goal_id)
    _check_departments(session, [lead_department_id, *co_department_ids])
    before = {
        "lead": goal.lead_department_id,
        "co": department_ids(session, goal),
        "person": goal.responsible_person,
    }
    goal.lead_department_id = lead_department_id
    goal.responsible_person = responsible_person
    goal.updated_at = now
    set_co_departments(session, goal, co_department_ids)
    after = {"lead": lead_department_id, "co": sorted(set(co_department_ids)), "person": responsible_person}
    audit.record(session, actor, "goal.assign", "goal", goal.id, at=now, diff={"from": before, "to": after})
    return goal


def set_trajectory(
    session: Session, goal_id: int, plan: dict[int, float], *, actor: Actor, now: datetime
) -> Goal:
    """Replace the goal's monthly planned path (month → cumulative share 0..1, not decreasing)."""
    goal = get_goal(session, goal_id)
    previous = -1.0
    for month in sorted(plan):
        share = float(plan[month])
        if not 1 <= int(month) <= 12 or not 0 <= share <= 1.5 or share < previous:
            raise InvalidGoal("a trajectory maps months 1..12 to cumulative shares that do not decrease")
        previous = share
    for row in session.scalars(select(GoalTrajectory).where(GoalTrajectory.goal_id == goal.id)):
        session.delete(row)
    session.flush()
    for month, share in sorted(plan.items()):
        session.add(GoalTrajectory(goal_id=goal.id, month=int(month), planned_share=float(share)))
    audit.record(session, actor, "goal.trajectory", "goal", goal.id, at=now, diff={"plan": plan})
    session.flush()
    return goal


def trajectory(session: Session, goal_id: int) -> dict[int, float]:
    rows = session.execute(
        select(GoalTrajectory.month, GoalTrajectory.planned_share).where(GoalTrajectory.goal_id == goal_id)
    ).all()
    return {int(m): float(s) for m, s in rows}


# ---------------------------------------------------------------- nodes


def get_node(session: Session, node_id: int) -> GoalNode:
    node = session.get(GoalNode, node_id)
    if node is None:
        raise GoalNodeNotFound(f"Goal node {node_id} does not exist", node_id=node_id)
    return node


def set_rollup_rule(
    session: Session, node_id: int, rule: str, *, weight: float | None = None, actor: Actor, now: datetime
) -> GoalNode:
    """Set a node's explicit roll-up rule (average, weighted or worst) and optionally its own weight."""
    node = get_node(session, node_id)
    try:
        rule = RollupRule(rule).value
    except ValueError as exc:
        raise InvalidGoal("rollup rule must be average, weighted or worst") from exc
    before = {"rule": node.rollup_rule, "weight": node.weight}
    node.rollup_rule = rule
    if weight is not None:
        if weight < 0:
            raise InvalidGoal("weight cannot be negative")
        node.weight = weight
    audit.record(
        session, actor, "goal_node.rollup", "goal_node", node.id, at=now, diff={"from": before, "to": rule}
    )
    session.flush()
    return node


def list_nodes(session: Session, year: int | None = None) -> list[GoalNode]:
    query = select(GoalNode).order_by(GoalNode.year, GoalNode.parent_id.is_not(None), GoalNode.position)
    if year is not None:
        query = query.where(GoalNode.year == year)
    return list(session.scalars(query).all())


def _node(
    session: Session,
    year: int,
    *,
    parent_id: int | None,
    title: str,
    number: str | None,
    position: int,
    rule: str,
    report_task_id: int | None = None,
    report_subtask_id: int | None = None,
) -> GoalNode:
    query = select(GoalNode).where(GoalNode.year == year)
    if report_subtask_id is not None:
        query = query.where(GoalNode.report_subtask_id == report_subtask_id)
    elif report_task_id is not None:
        query = query.where(GoalNode.report_task_id == report_task_id)
    else:
        query = query.where(GoalNode.title == title, GoalNode.parent_id.is_(None))
    node = session.scalars(query).first()
    if node is None:
        node = GoalNode(
            year=year,
            parent_id=parent_id,
            report_task_id=report_task_id,
            report_subtask_id=report_subtask_id,
            number=number,
            title=title,
            position=position,
            rollup_rule=rule,
            weight=1.0,
        )
        session.add(node)
        session.flush()
    return node


# ---------------------------------------------------------------- series matching


def find_series(session: Session, name: str) -> IndicatorSeries | None:
    """A series by its name or an alias (spaces ignored)."""
    text = "".join((name or "").split())
    if not text:
        return None
    series = session.scalars(select(IndicatorSeries).where(IndicatorSeries.name == text)).first()
    if series is not None:
        return series
    return session.scalars(
        select(IndicatorSeries).join(IndicatorAlias).where(IndicatorAlias.alias == text)
    ).first()


# ---------------------------------------------------------------- from a report


@dataclass
class FromReportResult:
    created: list[int] = field(default_factory=list)
    skipped: int = 0
    nodes: int = 0


def goals_from_report(
    session: Session,
    report_id: int,
    *,
    actor: Actor,
    now: datetime,
    settings: Settings | None = None,
    departments: dict[str, int] | None = None,
) -> FromReportResult:
    """Turn a report's reviewed ledger into goals: every target and commitment item in state confirmed
    or edited, every confirmed qualitative target, and every sub-task without a numbered commitment
    (a qualitative task). Task areas and sub-tasks become nodes. Items that already have a goal are
    skipped, so running it again after more reviews only adds the new ones. `departments` maps an item
    name (or sub-task title prefix) to a lead department id."""
    report = reports.get_report(session, report_id)
    year = report.year or now.year
    rule = settings.goals_rollup_default if settings else RollupRule.AVERAGE.value
    departments = departments or {}
    result = FromReportResult()
    node_count_before = session.scalar(select(func.count(GoalNode.id))) or 0
    targets_node = _node(
        session, year, parent_id=None, title=TARGETS_NODE_TITLE, number=None, position=0, rule=rule
    )
    sub_nodes: dict[int, GoalNode] = {}
    subtasks_with_numbers: set[int] = set()
    tree = reports.task_tree(session, report_id)
    for task, subs in tree:
        area = _node(
            session,
            year,
            parent_id=None,
            title=task.title,
            number=task.number,
            position=task.position + 1,
            rule=rule,
            report_task_id=task.id,
        )
        for sub in subs:
            sub_nodes[sub.id] = _node(
                session,
                year,
                parent_id=area.id,
                title=sub.title,
                number=None,
                position=sub.position,
                rule=rule,
                report_subtask_id=sub.id,
            )
    items, _ = reports.list_items(session, report_id, limit=100_000)
    existing_items = set(session.scalars(select(Goal.report_item_id).where(Goal.report_item_id.is_not(None))))
    reviewed = {ReviewState.CONFIRMED.value, ReviewState.EDITED.value}
    for item in items:
        if item.list_name == ItemList.COMMITMENT.value and item.subtask_id is not None:
            subtasks_with_numbers.add(item.subtask_id)
        if item.review_state not in reviewed or item.list_name == ItemList.ACTUAL.value:
            continue
        if item.id in existing_items:
            result.skipped += 1
            continue
        node: GoalNode | None
        if item.list_name == ItemList.QUALITATIVE_TARGET.value:
            source, node, measure, value = GoalSource.QUALITATIVE, targets_node, None, None
        elif item.list_name == ItemList.TARGET.value:
            source, node, measure, value = GoalSource.TARGET, targets_node, item.measure, item.value
        else:
            node = sub_nodes.get(item.subtask_id) if item.subtask_id else None
            source, measure, value = GoalSource.COMMITMENT, item.measure, item.value
        series = find_series(session, item.name) if value is not None else None
        goal = create_goal(
            session,
            title=item_title(item),
            year=year,
            actor=actor,
            now=now,
            source=source,
            node_id=node.id if node else None,
            report_item_id=item.id,
            report_subtask_id=item.subtask_id,
            measure=measure,
            target_value=value,
            unit=item.unit,
            qualifier=item.qualifier if value is not None else None,
            stretch=item.stretch,
            lead_department_id=departments.get(item.name),
            series_id=series.id if series else None,
            audit_it=False,
        )
        result.created.append(goal.id)
    existing_subs = set(
        session.scalars(
            select(Goal.report_subtask_id).where(
                Goal.source == GoalSource.QUALITATIVE.value, Goal.report_subtask_id.is_not(None)
            )
        )
    )
    for _task, subs in tree:
        for sub in subs:
            if sub.id in subtasks_with_numbers:
                continue
            if sub.id in existing_subs:
                result.skipped += 1
                continue
            lead = next((d for name, d in departments.items() if sub.title.startswith(name)), None)
            goal = create_goal(
                session,
                title=sub.title,
                year=year,
                actor=actor,
                now=now,
                source=GoalSource.QUALITATIVE,
                node_id=sub_nodes[sub.id].id,
                report_subtask_id=sub.id,
                lead_department_id=lead,
                audit_it=False,
            )
            result.created.append(goal.id)
    result.nodes = (session.scalar(select(func.count(GoalNode.id))) or 0) - node_count_before
    audit.record(
        session,
        actor,
        "goal.from_report",
        "report",
        report_id,
        at=now,
        diff={"created": result.created, "skipped": result.skipped, "nodes": result.nodes},
    )
    session.flush()
    return result


def item_title(item: Any) -> str:
    """A goal's title from a report item. A commitment reads as the task the report states (the clause
    that holds it, trimmed to its verb phrase: 新认定独角兽培育企业12家); a target, or a commitment whose clause
    does not hold it, reads as its name and figure in the report's own notation (地区生产总值增长5%以上). The
    stretch word is not repeated: the goal's stretch flag carries it."""
    if item.value is None:
        return str(item.name)
    if getattr(item, "list_name", None) == ItemList.COMMITMENT and item.quote:
        phrase = reports.item_task(item.quote, item.name)
        if phrase:
            return phrase
    return str(item.name) + value_text(item.measure, item.value, item.unit, item.qualifier)
