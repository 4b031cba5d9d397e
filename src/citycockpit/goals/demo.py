"""Demo data for the goals domain: the seed report's targets and commitments become goals assigned to
plausible departments, with milestones, monthly actuals (2023 history and 2024 up to the demo's today,
with seasonality), progress reports (some missing, some returned) and a mix of green, amber and red.

Everything is derived from the clock's today, so the story holds on any chosen date."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.auth.enums import Perm, Role
from citycockpit.auth.principal import Principal
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.goals import airgoals, evaluation, milestones, periods, progress, series, service
from citycockpit.goals.airforecast import GOOD_DAYS_RATIO, PM25_ANNUAL_MEAN
from citycockpit.goals.enums import GoalKind
from citycockpit.goals.models import Goal, Milestone
from citycockpit.goals.status import Thresholds, month_end
from citycockpit.org.models import Department
from citycockpit.report import service as reports
from citycockpit.report.enums import ItemList

YEAR = 2024
SUPERVISOR = SystemActor("demo:督查室")

# name, unit, cumulative, aliases, 2023 total (YTD at December, or annual mean), 2024 YTD YoY growth %
SERIES: list[tuple[str, str, bool, list[str], float, float]] = [
    ("地区生产总值", "亿元", True, ["GDP", "地区生产总值(GDP)"], 1710.0, 5.3),
    ("一般公共预算收入", "亿元", True, ["一般公共预算收入(同口径)"], 166.0, 4.4),
    ("全社会固定资产投资", "亿元", True, ["固定资产投资"], 620.0, 3.9),
    ("工业投资", "亿元", True, ["工业投资额"], 260.0, 6.2),
    ("规模以上工业产值", "亿元", True, ["规上工业总产值", "规模以上工业总产值"], 3400.0, 4.6),
    ("社会消费品零售总额", "亿元", True, ["社零总额"], 560.0, 5.8),
    ("实际使用外资", "亿美元", True, ["实际利用外资"], 5.6, 3.0),
    ("城镇新增就业", "万人", True, [], 1.65, 7.0),
    ("PM2.5年均浓度", "微克/立方米", False, ["PM2.5浓度", "细颗粒物浓度"], 26.0, -5.5),
    ("空气优良天数比例", "%", False, ["优良天数比例"], 84.0, 3.0),
    ("新能源充电站", "座", True, ["新建新能源充电站"], 0.0, 0.0),
    # a town's own figures (last: the series above keep their generated numbers)
    ("城厢镇地区生产总值", "亿元", True, [], 236.0, 5.9),
    ("城厢镇一般公共预算收入", "亿元", True, [], 21.5, 3.2),
]
# The town's own targets (area 城厢镇): (title, series, growth target %, qualifier)
TOWN = "320585100"
TOWN_GOALS = [
    ("城厢镇地区生产总值增长6%以上", "城厢镇地区生产总值", 6.0, ">="),
    ("城厢镇一般公共预算收入增长4%左右", "城厢镇一般公共预算收入", 4.0, "~"),
]
# Monthly share of a year's flow (sums to 1): slow start around the Spring Festival, strong December.
FLOW = [0.055, 0.05, 0.09, 0.08, 0.085, 0.10, 0.075, 0.075, 0.09, 0.08, 0.09, 0.11]
# The two air targets follow the city's daily air quality (the demo's monitoring data, loaded before
# the goals): no typed-in monthly figures.
AIR_LINKS = {"PM2.5年均浓度": PM25_ANNUAL_MEAN, "空气优良天数比例": GOOD_DAYS_RATIO}

LEAD: dict[str, str] = {
    "地区生产总值": "FGW",
    "一般公共预算收入": "CZJ",
    "全社会固定资产投资": "FGW",
    "工业投资": "GXJ",
    "规模以上工业产值": "GXJ",
    "社会消费品零售总额": "SWJ",
    "实际使用外资": "SWJ",
    "三级重点项目": "FGW",
    "苏州市级总部企业": "SWJ",
    "项目": "FGW",
    "高质量科技项目": "KJJ",
    "高新技术企业": "KJJ",
    "独角兽培育企业": "KJJ",
    "国家级专精特新“小巨人”企业": "GXJ",
    "规上工业企业研发经费投入": "KJJ",
    "全社会研发经费支出占地区生产总值比重": "KJJ",
    "人才公寓": "ZJJ",
    "老旧小区": "ZJJ",
    "公交线路": "JTJ",
    "粮食": "NYNCJ",
    "蔬菜": "NYNCJ",
    "高标准农田": "NYNCJ",
    "“慧种地”无人农场": "NYNCJ",
    "农业科技展示基地": "NYNCJ",
    "循环农业面积": "NYNCJ",
    "抱团发展项目": "NYNCJ",
    "乡村振兴重点帮促村帮扶": "NYNCJ",
    "苏州市特色康居乡村": "ZJJ",
    "大气治理项目": "STHJJ",
    "PM2.5年均浓度": "STHJJ",
    "空气优良天数比例": "STHJJ",
    "污水处理提质增效达标区长效管护": "SWUJ",
    "污水管网": "SWUJ",
    "幸福河湖": "SWUJ",
    "幸福河湖群": "SWUJ",
    "新能源充电站": "FGW",
    "城镇新增就业": "RSJ",
    "学校": "JYJ",
    "学位": "JYJ",
    "农贸市场": "SWJ",
}
CO: dict[str, list[str]] = {
    "地区生产总值": ["TJJ", "GXJ", "SWJ"],
    "全社会固定资产投资": ["ZJJ", "GXJ"],
    "工业投资": ["FGW", "GXQ"],
    "实际使用外资": ["GKQ", "GXQ"],
    "PM2.5年均浓度": ["CGJ", "ZJJ", "GXJ"],
    "新能源充电站": ["ZJJ", "GQ-GJ"],
    "城镇新增就业": ["JYJ", "SWJ"],
    "学位": ["ZJJ"],
    "人才公寓": ["KJJ"],
    "污水管网": ["GQ-SWJT"],
}
AREA_LEAD = {
    "一": "FGW",
    "二": "SWJ",
    "三": "KJJ",
    "四": "ZJJ",
    "五": "STHJJ",
    "六": "RSJ",
    "七": "YJGLJ",
    "八": "ZWFWB",
}
KEYWORD_LEAD = {
    "文旅": "WTLJ",
    "教育": "JYJ",
    "健康": "WJW",
    "医疗": "WJW",
    "养老": "MZJ",
    "就业": "RSJ",
    "农业": "NYNCJ",
    "乡村": "NYNCJ",
    "生态": "STHJJ",
    "绿色": "STHJJ",
    "交通": "JTJ",
    "安全": "YJGLJ",
    "治理": "SFJ",
    "企业服务": "GXJ",
    "产业": "GXJ",
    "人才": "KJJ",
    "城市": "ZJJ",
    "数字": "SJGLJ",
}
PERSONS = ["张伟", "王芳", "李强", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周涛", "吴倩", "徐军", "孙丽"]
PACE = [1.2, 1.0, 1.05, 0.8, 1.0, 1.1, 0.95, 0.75, 1.0, 1.15, 0.9, 1.0, 1.3]


def _lag_ok(period_month: int, today: date) -> bool:
    """A month's statistics are published around the 15th of the next month."""
    return month_end(YEAR, period_month) + timedelta(days=15) <= today


def _actuals_csv(today: date) -> tuple[bytes, bytes]:
    rng = random.Random(2023)
    history, current = io.StringIO(), io.StringIO()
    hw, cw = csv.writer(history), csv.writer(current)
    hw.writerow(["指标", "期间", "数值", "同比"])
    cw.writerow(["指标名称", "月份", "累计值", "同比增长(%)"])
    for name, _unit, cumulative, aliases, total, growth in SERIES:
        if name in AIR_LINKS:
            continue
        label = aliases[0] if aliases else name  # the bureau's files use another name: matched by alias
        quarterly = name == "地区生产总值"
        if name == "新能源充电站":
            built = 0
            for m in range(1, 13):
                built += [0, 2, 5, 5, 6, 6, 5, 6, 4, 3, 2, 1][m - 1]
                if _lag_ok(m, today):
                    cw.writerow([name, f"{YEAR}-{m:02d}", built, ""])
            continue
        ly_cum = 0.0
        cy_cum = 0.0
        for m in range(1, 13):
            if cumulative:
                ly_cum += total * FLOW[m - 1]
                drift = (1 - m / 12) * rng.uniform(-0.8, 0.8)
                g = growth + drift
                cy_cum = ly_cum * (1 + g / 100)
                ly_value, cy_value = ly_cum, cy_cum
            else:
                ly_value = total
                g = growth + rng.uniform(-3, 3)
                cy_value = ly_value * (1 + g / 100)
            if quarterly and m % 3:
                continue
            hw.writerow([label, f"{YEAR - 1}年{m}月", f"{ly_value:.2f}", ""])
            if _lag_ok(m, today):
                yoy = (cy_value / ly_value - 1) * 100
                cw.writerow([label, f"{YEAR}-{m:02d}", f"{cy_value:.2f}", f"{yoy:.1f}"])
    return history.getvalue().encode("utf-8"), current.getvalue().encode("utf-8")


def _town_goals(session: Session, now: datetime) -> None:
    """城厢镇's own growth targets, tracked on its own series (the city's goals have no area)."""
    from citycockpit.goals.models import IndicatorSeries
    from citycockpit.org.models import Area

    if session.scalar(select(Area.id).where(Area.code == TOWN)) is None:
        return
    ids = dict(session.execute(select(IndicatorSeries.name, IndicatorSeries.id)).all())
    for title, name, target, qualifier in TOWN_GOALS:
        service.create_goal(
            session,
            title=title,
            year=YEAR,
            actor=SUPERVISOR,
            now=now,
            measure="growth",
            target_value=target,
            unit="%",
            qualifier=qualifier,
            series_id=ids[name],
            responsible_person=PERSONS[0],
            area_code=TOWN,
        )


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC) - timedelta(hours=8)


def build(session: Session, clock: Clock, report_id: int) -> dict[str, Any]:
    today = clock.local_today()
    now = clock.now()
    depts = {d.code: d for d in session.scalars(select(Department))}
    items, _ = reports.list_items(session, report_id, limit=10_000)
    wanted = [
        i.id
        for i in items
        if i.list_name
        in (ItemList.TARGET.value, ItemList.COMMITMENT.value, ItemList.QUALITATIVE_TARGET.value)
    ]
    reports.confirm_items(session, report_id, wanted, actor=SUPERVISOR, now=now)
    for name, unit, cumulative, aliases, _t, _g in SERIES:
        created = series.create_series(
            session,
            name=name,
            unit=unit,
            is_cumulative=cumulative,
            aliases=aliases,
            actor=SUPERVISOR,
            now=now,
        )
        if name in AIR_LINKS:
            airgoals.link_series(session, created.id, AIR_LINKS[name], actor=SUPERVISOR, now=now, today=today)
    lead_ids = {name: depts[code].id for name, code in LEAD.items() if code in depts}
    result = service.goals_from_report(session, report_id, actor=SUPERVISOR, now=now, departments=lead_ids)
    goals = list(session.scalars(select(Goal).where(Goal.id.in_(result.created)).order_by(Goal.position)))
    items_by_id = {i.id: i for i in items}
    node_numbers = {n.id: (n.number, n.parent_id) for n in service.list_nodes(session, YEAR)}
    for index, goal in enumerate(goals):
        item = items_by_id.get(goal.report_item_id or 0)
        name = item.name if item else ""
        lead = goal.lead_department_id
        if lead is None:
            lead = next(
                (depts[c].id for k, c in KEYWORD_LEAD.items() if k in goal.title and c in depts), None
            )
        if lead is None:
            parent = node_numbers.get(goal.node_id or 0, (None, None))[1]
            number = node_numbers.get(parent or 0, (None, None))[0] if parent else None
            lead = depts[AREA_LEAD.get(number or "", "FGW")].id
        co = [depts[c].id for c in CO.get(name, []) if c in depts]
        service.assign_goal(
            session,
            goal.id,
            lead_department_id=lead,
            co_department_ids=co,
            responsible_person=PERSONS[index % len(PERSONS)],
            actor=SUPERVISOR,
            now=now,
        )
    _town_goals(session, now)
    history, current = _actuals_csv(today)
    series.import_actuals(session, history, f"统计月报-{YEAR - 1}.csv", actor=SUPERVISOR, now=now)
    if any(_lag_ok(m, today) for m in range(1, 13)):
        series.import_actuals(session, current, f"统计月报-{YEAR}.csv", actor=SUPERVISOR, now=now)

    reported = 0
    for index, goal in enumerate(goals):
        reported += _task_story(session, goal, index, today, depts)
    last_period = min(today, date(YEAR, 12, 31))
    evaluated = 0
    if today >= date(YEAR, 1, 1):
        th = Thresholds()
        for m in range(1, last_period.month + 1):
            period = f"{YEAR}-{m:02d}"
            evaluation.evaluate_goals(
                session, period, today=today, thresholds=th, now=_at(min(month_end(YEAR, m), today))
            )
            evaluated += 1
            if month_end(YEAR, m) + timedelta(days=45) <= today:  # the bulletin went out, the month is closed
                periods.lock_period(
                    session, period, actor=SUPERVISOR, now=_at(month_end(YEAR, m) + timedelta(days=12))
                )
    return {"goals": len(goals), "progress_reports": reported, "periods_evaluated": evaluated}


def _task_story(session: Session, goal: Goal, index: int, today: date, depts: dict[str, Department]) -> int:
    """Milestones through the year and monthly reports up to today, at the goal's own pace."""
    pace = PACE[index % len(PACE)]
    done_early = index % 10 == 6 and goal.kind == GoalKind.TASK.value
    plan = [
        (date(YEAR, 3, 31), "制定年度实施方案并明确责任分工"),
        (date(YEAR, 6, 30), "完成半年度目标任务"),
        (date(YEAR, 9, 30), "完成前三季度目标任务"),
        (date(YEAR, 12, 20), "全面完成年度任务并总结"),
    ]
    if done_early:
        plan = [(date(YEAR, 3, 31), "制定年度实施方案"), (date(YEAR, 6, 15), "全面完成年度任务")]
    if goal.kind == GoalKind.INDICATOR.value:
        plan = [(date(YEAR, 6, 30), "开展年中形势分析并提出稳进提质措施")]
    for due, title in plan:
        milestones.add_milestone(
            session, goal.id, title=title, due_on=due, actor=SUPERVISOR, now=_at(date(YEAR, 2, 20))
        )
    lead = goal.lead_department_id
    principal = Principal(
        id=None,
        name=f"demo:{lead}",
        role=Role.DEPARTMENT,
        perms=frozenset({Perm.GOALS_READ, Perm.GOALS_REPORT}),
        kind="token",
        department_id=lead,
    )
    stuck = index % 7 == 3 and goal.kind == GoalKind.TASK.value  # a node slips past its date
    for ms in session.scalars(
        select(Milestone).where(Milestone.goal_id == goal.id).order_by(Milestone.due_on)
    ):
        finish = ms.due_on - timedelta(days=3 + index % 9)
        if stuck and ms.due_on.month >= 6:
            continue
        if finish <= today:
            milestones.complete_milestone(
                session,
                ms.id,
                evidence="阶段性成果材料、会议纪要及现场照片已上传",
                completed_on=finish,
                principal=principal,
                now=_at(finish),
            )
    count = 0
    last_month = today.month if today.year == YEAR else (12 if today.year > YEAR else 0)
    for m in range(1, last_month + 1):
        submitted_on = date(YEAR, m, 25)
        if submitted_on > today:
            continue
        latest = m == last_month or date(YEAR, m + 1, 25) > today if m < 12 else True
        if latest and index % 9 == 4:
            continue  # 未报送 this month
        share = (month_end(YEAR, m) - date(YEAR, 1, 1)).days / 366
        percent = 100.0 if done_early and m >= 6 else min(100.0, round(share * pace * 100))
        narrative = (
            f"{m}月已按计划推进，累计完成年度任务的{percent:.0f}%。"
            if pace >= 0.95
            else f"{m}月推进偏慢，累计完成{percent:.0f}%，主要受项目审批和要素保障影响，已制定赶进度措施。"
        )
        if goal.kind == GoalKind.INDICATOR.value:
            narrative = f"已完成{m}月指标运行分析，跟踪重点企业和重点项目，落实稳增长举措。"
        report = progress.submit_report(
            session,
            goal.id,
            period=f"{YEAR}-{m:02d}",
            percent=percent,
            narrative=narrative,
            principal=principal,
            now=_at(submitted_on),
        )
        count += 1
        if not latest or index % 3 == 0:
            if latest and index % 11 == 5:
                progress.review_report(
                    session,
                    report.id,
                    accept=False,
                    comment="请补充量化数据和佐证材料后重新报送",
                    actor=SUPERVISOR,
                    now=_at(submitted_on + timedelta(days=2)),
                )
            else:
                progress.review_report(
                    session,
                    report.id,
                    accept=True,
                    comment=None,
                    actor=SUPERVISOR,
                    now=_at(submitted_on + timedelta(days=2)),
                )
        if latest and pace < 0.9:
            progress.add_comment(
                session,
                goal.id,
                period=f"{YEAR}-{m:02d}",
                body="已成立工作专班，倒排时间节点，力争四季度追回进度",
                principal=principal,
                now=_at(submitted_on),
            )
    return count
