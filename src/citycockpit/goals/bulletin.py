"""The supervision bulletin (督查通报) of a period: counts and shares per status, then the goals by task
area and by department, behind and overdue first; as XLSX and as printable HTML."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.auth.principal import Principal
from citycockpit.core import tabular
from citycockpit.goals import periods, queries
from citycockpit.goals.enums import STATUS_ORDER, GoalStatus
from citycockpit.goals.errors import BulletinEmpty, BulletinPeriodInFuture
from citycockpit.goals.models import (
    Goal,
    GoalCoDepartment,
    GoalComment,
    GoalEvaluation,
    GoalNode,
    ProgressReport,
)
from citycockpit.goals.service import goal_scope
from citycockpit.org.models import Department

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
_RANK = {s.value: i for i, s in enumerate(STATUS_ORDER)}


def share_text(n: int, total: int) -> str:
    """Share in percent with one decimal, rounded half up (17 of 222 → 7.7)."""
    if not total:
        return "0.0"
    return str((Decimal(n) * 100 / Decimal(total)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass
class BulletinRow:
    key: str
    title: str
    area: str
    lead: str
    co: str
    status: str
    label: str
    color: str
    tone: str
    progress: str
    time_progress: str
    forecast: str
    reason: str
    report: str
    comments: str


@dataclass
class Bulletin:
    city: str
    period: str
    as_of: date
    total: int
    counts: list[dict[str, Any]]
    by_area: list[dict[str, Any]] = field(default_factory=list)
    by_department: list[dict[str, Any]] = field(default_factory=list)
    locked: bool = False

    @property
    def summary(self) -> str:
        parts = [f"{c['label']} {c['count']} 项，占{c['share']}%" for c in self.counts]
        return f"共{self.total}项：" + "；".join(parts) + "。"


def check_issuable(b: Bulletin, *, today: date, preview: bool = False) -> None:
    """The rule for issuing a bulletin (a file or a download; the page shows its empty state instead):
    its month must have begun, unless a preview is asked for, and some goal must have a status in it.
    Otherwise the bulletin would be an empty "共0项：。"."""
    if not preview and b.period > periods.period_of(today):
        raise BulletinPeriodInFuture(
            f"{b.period} has not begun (today is {today.isoformat()}); ask for a preview (--preview, or "
            "preview=true in the API) to see it anyway",
            period=b.period,
        )
    if b.total == 0:
        raise BulletinEmpty(
            f"no goal has a status for {b.period}: nothing to report (evaluate the month, or choose another)",
            period=b.period,
        )


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, unit: str | None) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}{unit or ''}"


def build_bulletin(
    session: Session, principal: Principal | None, *, period: str, today: date, city: str = ""
) -> Bulletin:
    """Gather the bulletin from the stored evaluations of the period (evaluate first)."""
    period = periods.parse_period(period)
    counts = queries.status_counts(session, principal, period)
    total = sum(counts.values())
    count_rows = [
        {
            "status": s.value,
            "label": s.label,
            "color": s.color.value,
            "tone": s.tone.value,
            "count": n,
            "share": share_text(n, total),
        }
        for s, n in queries.ordered_counts(counts)
    ]
    rows = session.execute(
        select(Goal, GoalEvaluation)
        .join(GoalEvaluation, GoalEvaluation.goal_id == Goal.id)
        .where(GoalEvaluation.period == period, goal_scope(principal))
    ).all()
    goal_ids = [g.id for g, _ in rows]
    depts = {d.id: d.short_name or d.name for d in session.scalars(select(Department))}
    co: dict[int, list[str]] = {}
    for gid, did in session.execute(
        select(GoalCoDepartment.goal_id, GoalCoDepartment.department_id).where(
            GoalCoDepartment.goal_id.in_(goal_ids)
        )
    ):
        co.setdefault(gid, []).append(depts.get(did, str(did)))
    narratives = {
        gid: (state, text, comment)
        for gid, state, text, comment in session.execute(
            select(
                ProgressReport.goal_id,
                ProgressReport.state,
                ProgressReport.narrative,
                ProgressReport.review_comment,
            ).where(ProgressReport.goal_id.in_(goal_ids), ProgressReport.period == period)
        )
    }
    comments: dict[int, list[str]] = {}
    for gid, author, body in session.execute(
        select(GoalComment.goal_id, GoalComment.author, GoalComment.body)
        .where(GoalComment.goal_id.in_(goal_ids), GoalComment.period == period)
        .order_by(GoalComment.created_at)
    ):
        comments.setdefault(gid, []).append(f"{body}（{author}）")
    nodes = {n.id: n for n in session.scalars(select(GoalNode))}

    def area_of(goal: Goal) -> GoalNode | None:
        node = nodes.get(goal.node_id) if goal.node_id else None
        while node is not None and node.parent_id is not None:
            node = nodes.get(node.parent_id)
        return node

    items: list[tuple[tuple[Any, ...], BulletinRow, int | None, int | None]] = []
    for goal, ev in rows:
        status = GoalStatus(ev.status)
        area = area_of(goal)
        area_title = f"{area.number or ''}、{area.title}".lstrip("、") if area else "其他"
        report = narratives.get(goal.id)
        report_text = ""
        if report:
            state, text, review = report
            report_text = text + {"returned": f"【已退回：{review}】", "submitted": "【待审核】"}.get(
                state, ""
            )
        if goal.kind == "indicator":
            target = goal.target_text
            forecast = (
                f"预计{_num(ev.forecast, goal.unit if goal.measure == 'level' else '%')}（目标{target}）"
                if ev.forecast is not None
                else ""
            )
        else:
            forecast = ""
        row = BulletinRow(
            key=goal.key,
            title=goal.title,
            area=area_title,
            lead=depts.get(goal.lead_department_id or 0, "未分配"),
            co="、".join(sorted(co.get(goal.id, []))),
            status=status.value,
            label=status.label,
            color=status.color.value,
            tone=status.tone.value,
            progress=_pct(ev.progress),
            time_progress=_pct(ev.time_progress),
            forecast=forecast,
            reason=ev.reason,
            report=report_text,
            comments="；".join(comments.get(goal.id, [])),
        )
        sort_key = (_RANK[status.value], goal.position, goal.id)
        items.append((sort_key, row, area.id if area else None, goal.lead_department_id))
    items.sort(key=lambda x: x[0])
    by_area: dict[Any, dict[str, Any]] = {}
    area_order = {n.id: (n.position, n.id) for n in nodes.values()}
    for _k, row, area_id, _d in items:
        group = by_area.setdefault(
            area_id, {"title": row.area, "rows": [], "order": area_order.get(area_id, (999, 0))}
        )
        group["rows"].append(row)
    by_dept: dict[Any, dict[str, Any]] = {}
    for _k, row, _a, dept_id in items:
        group = by_dept.setdefault(dept_id, {"title": row.lead, "rows": []})
        group["rows"].append(row)
    for group in list(by_area.values()) + list(by_dept.values()):
        per: dict[str, int] = {}
        for r in group["rows"]:
            per[r.label] = per.get(r.label, 0) + 1
        group["counts"] = "，".join(f"{k}{v}项" for k, v in per.items())
        group["worst"] = min(_RANK[r.status] for r in group["rows"])
    return Bulletin(
        city=city,
        period=period,
        as_of=periods.as_of_date(period, today),
        total=total,
        counts=count_rows,
        by_area=sorted(by_area.values(), key=lambda g: g["order"]),
        by_department=sorted(by_dept.values(), key=lambda g: (g["worst"], g["title"])),
        locked=periods.is_locked(session, period),
    )


COLUMNS = [
    "键",
    "任务",
    "牵头单位",
    "配合单位",
    "状态",
    "进度",
    "时序进度",
    "预测",
    "依据",
    "进展情况",
    "说明",
]


def _row_values(r: BulletinRow) -> list[Any]:
    values = [
        r.key,
        r.title,
        r.lead,
        r.co,
        r.label,
        r.progress,
        r.time_progress,
        r.forecast,
        r.reason,
        r.report,
        r.comments,
    ]
    return [tabular.xlsx_value(v) for v in values]


def to_xlsx(b: Bulletin) -> bytes:
    """Three sheets: 汇总 (counts and shares), 按任务 (by task area), 按单位 (by department)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    fills = {"red": "F8D7DA", "amber": "FFF3CD", "green": "D4EDDA", "grey": "E2E3E5"}
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    tabular.append_xlsx_row(ws, [f"{b.city}政府工作报告重点任务督查通报（{b.period}）"])
    ws["A1"].font = Font(bold=True, size=14)
    tabular.append_xlsx_row(
        ws, [f"截至 {b.as_of.isoformat()}，共 {b.total} 项" + ("（已锁定）" if b.locked else "")]
    )
    tabular.append_xlsx_row(ws, ["状态", "项数", "占比(%)"])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for c in b.counts:
        tabular.append_xlsx_row(ws, [c["label"], c["count"], float(c["share"])])
        ws.cell(ws.max_row, 1).fill = PatternFill("solid", fgColor=fills[c["color"]])
    tabular.append_xlsx_row(ws, ["合计", b.total, 100.0 if b.total else 0.0])
    tabular.append_xlsx_row(ws, [])
    tabular.append_xlsx_row(ws, [b.summary])
    ws.column_dimensions["A"].width = 14
    for title, groups in (("按任务", b.by_area), ("按单位", b.by_department)):
        sheet = wb.create_sheet(title)
        tabular.append_xlsx_row(sheet, ["分组", *COLUMNS])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for group in groups:
            for r in group["rows"]:
                tabular.append_xlsx_row(sheet, [group["title"], *_row_values(r)])
                sheet.cell(sheet.max_row, 6).fill = PatternFill("solid", fgColor=fills[r.color])
        sheet.freeze_panes = "A2"
        for col, width in zip("ABCDEFGHIJKL", [24, 10, 40, 12, 18, 10, 8, 8, 24, 30, 40, 30], strict=True):
            sheet.column_dimensions[col].width = width
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_html(b: Bulletin) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return env.get_template("goals/bulletin.html").render(b=b, columns=COLUMNS)
