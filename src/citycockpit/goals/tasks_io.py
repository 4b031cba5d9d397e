"""The supervision office's task decomposition sheet (任务分解表) in and out, as XLSX.

Columns: 键 (stable key), 序号, 任务内容, 牵头单位, 配合单位, 责任人, 完成时限, 节点安排, 责任区域 (optional: the
town or area whose own task it is, by name or code; empty for the city's). The export is the
import format: a row with a key updates that goal, a row without one creates a goal. Departments are
matched by name, short name or code; bad rows are reported by row and nothing is imported."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core import tabular
from citycockpit.core.actors import Actor
from citycockpit.core.tabular import ImportFailed, Row, RowError
from citycockpit.goals import milestones as ms_service
from citycockpit.goals.enums import GoalSource
from citycockpit.goals.models import Goal, GoalCoDepartment, Milestone
from citycockpit.goals.service import create_goal, resolve_department, set_co_departments
from citycockpit.goals.status import month_end
from citycockpit.org.models import Area, Department

HEADERS = ["键", "序号", "任务内容", "牵头单位", "配合单位", "责任人", "完成时限", "节点安排", "责任区域"]
ALIASES = {
    "键": "key",
    "key": "key",
    "编号": "key",
    "序号": "number",
    "任务内容": "title",
    "任务": "title",
    "工作任务": "title",
    "牵头单位": "lead",
    "牵头部门": "lead",
    "配合单位": "co",
    "配合部门": "co",
    "责任单位": "co",
    "责任人": "person",
    "完成时限": "due",
    "完成时间": "due",
    "节点安排": "milestones",
    "时间节点": "milestones",
    "责任区域": "area",
    "所属区域": "area",
}
_SPLIT_DEPTS = re.compile(r"[、,，;；/\n]+")
_SPLIT_NODES = re.compile(r"[\n;；]+")
_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_MONTH_END = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*(?:底|末|前)?")
_SHORT = re.compile(r"^(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日|底|末)?\s*(?:前)?")


def parse_due(text: Any, year: int) -> tuple[date, str] | None:
    """A date at the start of `text` and the rest: `2024-06-30`, `2024年6月30日`, `2024年6月底`, `6月底`,
    `6月15日前` (the sheet's year), or an Excel date cell. None when it does not start with a date."""
    if isinstance(text, datetime):
        return text.date(), ""
    if isinstance(text, date):
        return text, ""
    raw = str(text or "").strip()
    try:
        if m := _FULL.match(raw):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), raw[m.end() :]
        if m := _MONTH_END.match(raw):
            return month_end(int(m.group(1)), int(m.group(2))), raw[m.end() :]
        if m := _SHORT.match(raw):
            month = int(m.group(1))
            day = int(m.group(2)) if m.group(2) else month_end(year, month).day
            return date(year, month, day), raw[m.end() :]
    except ValueError:
        return None
    return None


@dataclass
class TaskImport:
    created: int = 0
    updated: int = 0
    milestones_added: int = 0
    milestones_removed: int = 0
    keys: list[str] = field(default_factory=list)


def import_tasks(
    session: Session,
    data: bytes,
    filename: str,
    *,
    year: int,
    actor: Actor,
    now: datetime,
    ip: str | None = None,
) -> TaskImport:
    """Load the task sheet in one step, all or nothing (see the module docstring)."""
    if tabular.file_kind(filename) != "xlsx":
        raise ImportFailed([RowError(filename, None, "the task sheet is an .xlsx workbook")])
    tables = [t for t in tabular.read_xlsx(data, filename, ALIASES) if t.rows or t.headers]
    if not tables:
        raise ImportFailed([RowError(filename, None, "the workbook has no sheet")])
    table = tables[0]
    missing = [h for h, k in (("任务内容", "title"), ("牵头单位", "lead")) if k not in table.headers]
    if missing:
        raise ImportFailed([RowError(filename, 1, f"missing column(s): {', '.join(missing)}", table.name)])
    errors: list[RowError] = []
    goals_by_key = {g.key: g for g in session.scalars(select(Goal))}
    seen: dict[str, int] = {}
    plan: list[dict[str, Any]] = []
    for row in table.rows:
        before = len(errors)

        def bad(reason: str, row: Row = row) -> None:
            errors.append(RowError(row.file, row.number, reason, row.sheet))

        key = row.text("key")
        if key:
            if key in seen:
                bad(f"key {key} repeats row {seen[key]}")
            seen[key] = row.number
            if key not in goals_by_key:
                bad(f"unknown key {key} (leave it empty to add a new task)")
        title = row.text("title")
        if not title:
            bad("任务内容 is empty")
        lead: Department | None = None
        lead_text = row.text("lead")
        if lead_text:
            lead = resolve_department(session, lead_text)
            if lead is None:
                bad(f"unknown department {lead_text!r} in 牵头单位")
        co: list[int] = []
        for part in _SPLIT_DEPTS.split(row.text("co")):
            if not part.strip():
                continue
            dept = resolve_department(session, part.strip())
            if dept is None:
                bad(f"unknown department {part.strip()!r} in 配合单位")
            else:
                co.append(dept.id)
        goal_year = goals_by_key[key].year if key in goals_by_key else year
        due: date | None = None
        raw_due = row.values.get("due")
        if raw_due not in (None, ""):
            parsed = parse_due(raw_due, goal_year)
            if parsed is None or parsed[1].strip(" 前"):
                bad(f"完成时限 {raw_due!s} is not a date (e.g. 2024-12-31 or 2024年12月底)")
            else:
                due = parsed[0]
        nodes: list[tuple[date, str]] = []
        for part in _SPLIT_NODES.split(row.text("milestones")):
            part = part.strip()
            if not part:
                continue
            parsed = parse_due(part, goal_year)
            label = parsed[1].strip(" :：,，、.-") if parsed else ""
            if parsed is None or not label:
                bad(f"节点安排 {part!r} must start with a date followed by the node (e.g. 2024-06-30 开工)")
            else:
                nodes.append((parsed[0], label))
        area_code: str | None = None
        area_text = row.text("area")
        if area_text:
            area_code = _resolve_area(session, area_text)
            if area_code is None:
                bad(f"unknown or ambiguous area {area_text!r} in 责任区域")
        number = row.text("number")
        if len(errors) == before:
            plan.append(
                {
                    "key": key,
                    "title": title,
                    "lead": lead.id if lead else None,
                    "co": co,
                    "person": row.text("person") or None,
                    "due": due,
                    "nodes": nodes,
                    "position": int(number) if number.isdigit() else None,
                    "area": area_code,
                }
            )
    if errors:
        raise ImportFailed(errors, what="task sheet")
    if not plan:
        raise ImportFailed([RowError(filename, None, "the sheet has no task rows")])
    result = TaskImport()
    for item in plan:
        goal = goals_by_key.get(item["key"]) if item["key"] else None
        if goal is None:
            goal = create_goal(
                session,
                title=item["title"],
                year=year,
                actor=actor,
                now=now,
                source=GoalSource.IMPORT,
                lead_department_id=item["lead"],
                co_department_ids=item["co"],
                responsible_person=item["person"],
                due_on=item["due"],
                area_code=item["area"],
                audit_it=False,
            )
            result.created += 1
        else:
            goal.title, goal.lead_department_id, goal.responsible_person = (
                item["title"],
                item["lead"],
                item["person"],
            )
            if item["due"]:
                goal.due_on = item["due"]
            if "area" in table.headers:  # an older sheet without the column keeps the goals' areas
                goal.area_code = item["area"]
            goal.updated_at = now
            set_co_departments(session, goal, item["co"])
            result.updated += 1
        if item["position"] is not None:
            goal.position = item["position"]
        added, removed = ms_service.replace_milestones(session, goal, item["nodes"])
        result.milestones_added += added
        result.milestones_removed += removed
        result.keys.append(goal.key)
    session.flush()
    audit.record(
        session,
        actor,
        "goal.import_tasks",
        "goal",
        None,
        at=now,
        ip=ip,
        diff={
            "file": filename,
            "created": result.created,
            "updated": result.updated,
            "milestones_added": result.milestones_added,
            "milestones_removed": result.milestones_removed,
        },
    )
    return result


def _resolve_area(session: Session, text: str) -> str | None:
    """An area by its code or its unique name (None when unknown or the name is shared)."""
    column = Area.code if text.isdigit() else Area.name
    codes = list(session.scalars(select(Area.code).where(column == text).limit(2)))
    return codes[0] if len(codes) == 1 else None


def export_tasks(session: Session, *, year: int | None = None, goal_ids: list[int] | None = None) -> bytes:
    """The task sheet of a year (every goal, in 序号 order) in the format `import_tasks` reads."""
    query = select(Goal).order_by(Goal.year, Goal.position, Goal.id)
    if year is not None:
        query = query.where(Goal.year == year)
    if goal_ids is not None:
        query = query.where(Goal.id.in_(goal_ids))
    goals = list(session.scalars(query).all())
    ids = [g.id for g in goals]
    names = {d.id: d.short_name or d.name for d in session.scalars(select(Department))}
    area_codes = {g.area_code for g in goals if g.area_code}
    area_names = dict(session.execute(select(Area.code, Area.name).where(Area.code.in_(area_codes))).all())
    co: dict[int, list[str]] = {}
    for gid, did in session.execute(
        select(GoalCoDepartment.goal_id, GoalCoDepartment.department_id).where(
            GoalCoDepartment.goal_id.in_(ids)
        )
    ):
        co.setdefault(gid, []).append(names[did])
    nodes: dict[int, list[str]] = {}
    for m in session.scalars(
        select(Milestone).where(Milestone.goal_id.in_(ids)).order_by(Milestone.position, Milestone.due_on)
    ):
        nodes.setdefault(m.goal_id, []).append(f"{m.due_on.isoformat()} {m.title}")
    rows = [
        [
            g.key,
            g.position,
            g.title,
            names.get(g.lead_department_id or 0, ""),
            "、".join(sorted(co.get(g.id, []))),
            g.responsible_person or "",
            g.due_on,
            "\n".join(nodes.get(g.id, [])),
            area_names.get(g.area_code, g.area_code) if g.area_code else "",
        ]
        for g in goals
    ]
    return tabular.write_xlsx({"任务分解": (HEADERS, rows)})
