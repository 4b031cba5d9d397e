"""Demo data: about 190 key projects at three levels with 2024 plans and monthly cumulative progress
through the simulated today, stage histories, and the year's investment attraction signings and goals.
Deterministic (seeded); inserted in bulk."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core.actors import Actor
from citycockpit.core.clock import Clock
from citycockpit.goals.models import Goal
from citycockpit.org.models import Area, Department
from citycockpit.projects import attraction
from citycockpit.projects.enums import STAGE_ORDER, ProjectStage
from citycockpit.projects.models import (
    AttractionGoal,
    InvestmentSigning,
    Project,
    ProjectAnnualPlan,
    ProjectMonthlyProgress,
    ProjectStageChange,
)

SEED = 20240930
LEVEL_COUNTS = (("provincial", 6), ("suzhou", 56), ("city", 128))  # 190, as in the 2024 report
# (low, high) total investment in 万元 per level.
LEVEL_INVESTMENT = {"provincial": (200_000, 800_000), "suzhou": (50_000, 300_000), "city": (8_000, 100_000)}

INDUSTRY_PRODUCTS = {
    "高端装备": ["智能装备", "精密数控机床", "工业机器人", "液压传动系统", "精密轴承"],
    "先进材料": ["高性能复合材料", "特种合金", "电子化学品", "高分子新材料", "碳纤维制品"],
    "航空航天": ["航空发动机零部件", "航空结构件", "飞机内饰", "航空复材", "无人机"],
    "生物医药": ["创新药研发生产基地", "高端医疗器械", "生物制剂", "细胞治疗产业化", "体外诊断试剂"],
    "现代物贸": ["智慧物流园", "冷链物流中心", "跨境电商产业园", "港口供应链基地", "保税仓储"],
    "汽车零部件": ["汽车电子", "新能源汽车电驱系统", "汽车座椅系统", "制动系统", "汽车热管理系统"],
    "新能源": ["动力电池", "储能系统", "光伏组件", "氢能装备", "充换电设施"],
    "数字经济": ["工业互联网平台", "数据中心", "智能传感器", "集成电路封测", "软件产业园"],
}
INDUSTRY_WEIGHTS = {
    "高端装备": 22,
    "先进材料": 14,
    "航空航天": 9,
    "生物医药": 13,
    "现代物贸": 10,
    "汽车零部件": 12,
    "新能源": 8,
    "数字经济": 6,
    "城市建设": 6,
    "交通基础设施": 5,
    "社会民生": 5,
}
PUBLIC_PROJECTS = {
    "城市建设": (
        ["娄江新城综合管廊", "城市更新片区", "老旧小区改造", "人才公寓", "商业中心"],
        ["ZJJ", "ZRZYJ", "GQ-ZKJT"],
    ),
    "交通基础设施": (["快速路改造", "省道改扩建", "港区疏港公路", "公交枢纽", "桥梁新建"], ["JTJ"]),
    "社会民生": (
        ["学校新建", "医院门急诊楼", "养老服务中心", "体育中心", "保障性租赁住房"],
        ["JYJ", "WJW", "MZJ", "ZJJ"],
    ),
}
DOMESTIC = [
    "高博",
    "熠昭",
    "联电",
    "博马",
    "华光源海",
    "鸿安",
    "旭川",
    "如果",
    "能量光子",
    "零一",
    "戴世",
    "佳宸",
    "中科",
    "瑞华",
    "东方",
    "苏太",
    "金仓",
    "娄城",
    "港城",
    "长三角",
    "恒力",
    "协鑫",
    "天顺",
    "远东",
]
GERMAN = [
    "舍弗勒",
    "模泰柯",
    "克恩-里伯斯",
    "通快",
    "慕贝尔",
    "福伊特",
    "埃贝赫",
    "博世力士乐",
    "伯曼",
    "海瑞恩",
    "宝得",
    "菲尼克斯",
    "西马克",
    "蒂森克虏伯",
    "卡尔迈耶",
    "乐普",
    "罗森伯格",
    "朗盛",
    "莱茵",
    "舒勒",
]
OTHER_FOREIGN = [
    ("庆良电子", "TWD", "中国台湾", "USD"),
    ("宝洁", "USD", "美国", "USD"),
    ("新大洲本田", "JPY", "日本", "JPY"),
    ("三星", "KRW", "韩国", "KRW"),
    ("丰田通商", "JPY", "日本", "JPY"),
    ("艾默生", "USD", "美国", "USD"),
    ("伟创力", "SGD", "新加坡", "SGD"),
    ("利乐", "CHF", "瑞士", "CHF"),
    ("怡和", "HKD", "中国香港", "HKD"),
]
SUFFIX = ["扩产", "新建", "产业化", "二期", "研发中心", "智能工厂", "总部"]
PERSONS = [
    "王建国",
    "李明",
    "张伟",
    "陈静",
    "周晓东",
    "吴海燕",
    "徐磊",
    "朱文华",
    "沈国平",
    "顾永刚",
    "陆琴",
    "钱志强",
]
TOWN_DEPARTMENTS = {
    "T001": "320585001",
    "T002": "320585002",
    "T100": "320585100",
    "T101": "320585101",
    "T102": "320585102",
    "T103": "320585103",
    "T104": "320585104",
    "T105": "320585105",
}
INDUSTRIAL_LEADS = ["GXJ", "SWJ", "FGW", "KJJ", "GXQ", "GKQ"]


def _investor(rng: random.Random) -> tuple[str, str, bool, str | None]:
    """(short name, full name, is foreign, currency)."""
    roll = rng.random()
    if roll < 0.18:
        short = rng.choice(GERMAN)
        return short, f"{short}(中国)有限公司", True, "EUR"
    if roll < 0.27:
        short, _, _, currency = rng.choice(OTHER_FOREIGN)
        return short, f"{short}(太仓)有限公司", True, currency if currency != "TWD" else "USD"
    short = rng.choice(DOMESTIC)
    return (
        short,
        f"太仓{short}科技有限公司" if rng.random() < 0.6 else f"江苏{short}集团有限公司",
        False,
        None,
    )


def _stage(rng: random.Random) -> ProjectStage:
    roll = rng.random()
    for stage, cumulative in (
        (ProjectStage.SIGNED, 0.03),
        (ProjectStage.REGISTERED, 0.05),
        (ProjectStage.LAND, 0.09),
        (ProjectStage.APPROVED, 0.17),
        (ProjectStage.STARTED, 0.29),
        (ProjectStage.CONSTRUCTION, 0.80),
        (ProjectStage.COMPLETED, 0.90),
    ):
        if roll < cumulative:
            return stage
    return ProjectStage.OPERATING


def load_demo_projects(session: Session, clock: Clock, actor: Actor) -> dict[str, int]:
    rng = random.Random(SEED)
    today, now = clock.local_today(), clock.now()
    year = today.year
    depts = dict(session.execute(select(Department.code, Department.id)).all())
    towns = list(session.scalars(select(Area.code).where(Area.level == "town").order_by(Area.code)))
    city_code = session.scalar(select(Area.code).where(Area.level == "city"))
    if not towns or not depts:
        return {}
    industries = list(INDUSTRY_WEIGHTS)
    weights = list(INDUSTRY_WEIGHTS.values())

    projects: list[dict[str, Any]] = []
    meta: list[dict[str, Any]] = []
    names: set[str] = set()
    serial = 0
    for level, count in LEVEL_COUNTS:
        for _ in range(count):
            serial += 1
            industry = rng.choices(industries, weights)[0]
            if industry in PUBLIC_PROJECTS:
                themes, leads = PUBLIC_PROJECTS[industry]
                town = rng.choice(towns)
                area_code = city_code if industry == "交通基础设施" and rng.random() < 0.5 else town
                town_name_prefix = {
                    "320585001": "娄东",
                    "320585002": "陆渡",
                    "320585100": "城厢",
                    "320585101": "沙溪",
                    "320585102": "浏河",
                    "320585103": "浮桥",
                    "320585104": "璜泾",
                    "320585105": "双凤",
                }
                name = f"{town_name_prefix.get(town, '太仓')}{rng.choice(themes)}项目"
                investor, foreign, currency, lead = (
                    "太仓市资产经营集团有限公司",
                    False,
                    None,
                    rng.choice(leads),
                )
            else:
                short, investor, foreign, currency = _investor(rng)
                name = f"{short}{rng.choice(INDUSTRY_PRODUCTS[industry])}{rng.choice(SUFFIX)}项目"
                area_code = rng.choice(towns)
                town_dept = next(code for code, area in TOWN_DEPARTMENTS.items() if area == area_code)
                lead = town_dept if rng.random() < 0.55 else rng.choice(INDUSTRIAL_LEADS)
            while name in names:
                name = (
                    name.replace("项目", "二期项目", 1)
                    if "二期" not in name
                    else name.replace("二期", "三期")
                )
            names.add(name)
            low, high = LEVEL_INVESTMENT[level]
            total = round(rng.uniform(low, high) / 100) * 100.0
            stage = _stage(rng)
            # Stage history: one step every 2–5 months, ending at the stage reached.
            steps = STAGE_ORDER[: stage.rank + 1]
            if rng.random() < 0.3 and stage.rank >= ProjectStage.APPROVED.rank:
                steps = [
                    s for s in steps if s not in (ProjectStage.REGISTERED, ProjectStage.LAND)
                ]  # recorded skips
            reached = today - timedelta(days=rng.randint(10, 200))
            dates = [reached]
            for _ in steps[1:]:
                dates.insert(0, dates[0] - timedelta(days=rng.randint(45, 150)))
            history = list(zip(steps, dates, strict=True))
            start_on = next((d for s, d in history if s is ProjectStage.STARTED), None)
            finish_on = next((d for s, d in history if s is ProjectStage.COMPLETED), None)
            planned_start = start_on or (today + timedelta(days=rng.randint(-60, 120)))
            if start_on is None and stage is ProjectStage.CONSTRUCTION:
                start_on = dates[0]
            code = f"TC{year}-{serial:03d}"
            projects.append(
                {
                    "code": code,
                    "name": name,
                    "level": level,
                    "industry": industry,
                    "investor": investor,
                    "is_foreign_funded": foreign,
                    "currency": currency or "CNY",
                    "area_code": area_code,
                    "department_id": depts[lead],
                    "responsible_person": rng.choice(PERSONS),
                    "total_investment_wan_cny": total,
                    "planned_start_on": planned_start,
                    "planned_finish_on": planned_start + timedelta(days=rng.randint(365, 1100)),
                    "actual_start_on": start_on,
                    "actual_finish_on": finish_on,
                    "stage": stage.value,
                    "stage_changed_on": reached,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            meta.append(
                {
                    "code": code,
                    "history": history,
                    "total": total,
                    "stage": stage,
                    "start_on": start_on,
                    "finished_before_year": finish_on is not None and finish_on.year < year,
                }
            )
    session.execute(insert(Project), projects)
    ids = dict(
        session.execute(
            select(Project.code, Project.id).where(Project.code.in_([p["code"] for p in projects]))
        ).all()
    )

    changes, plans, progress = [], [], []
    for item in meta:
        pid = ids[item["code"]]
        previous = None
        for stage, on in item["history"]:
            skipped = [s.value for s in STAGE_ORDER if previous and previous.rank < s.rank < stage.rank]
            changes.append(
                {
                    "project_id": pid,
                    "from_stage": previous.value if previous else None,
                    "to_stage": stage.value,
                    "changed_on": on,
                    "is_backward": False,
                    "skipped_stages": " ".join(skipped),
                    "reason": None,
                    "actor_name": actor.display_name,
                    "recorded_at": now,
                }
            )
            previous = stage
        if item["finished_before_year"] or (
            item["stage"].rank <= ProjectStage.REGISTERED.rank and rng.random() < 0.7
        ):
            continue  # no plan this year: listed as "no plan"
        start_on = item["start_on"]
        start_month = start_on.month if start_on and start_on.year == year else 1
        if item["stage"].rank < ProjectStage.STARTED.rank:
            start_month = max(start_month, min(12, today.month + rng.randint(-3, 2)))
            start_month = max(1, start_month)
        planned = round(item["total"] * rng.uniform(0.12, 0.4) / 10) * 10.0
        plans.append(
            {
                "project_id": pid,
                "year": year,
                "planned_investment_wan_cny": planned,
                "start_month": start_month,
                "updated_at": now,
            }
        )
        # Performance against time progress: most on track or ahead, some behind, a few far behind.
        roll = rng.random()
        if roll < 0.76:
            pace = rng.uniform(0.95, 1.4)
        elif roll < 0.91:
            pace = rng.uniform(0.87, 0.97)
        else:
            pace = rng.uniform(0.2, 0.75)
        skip_last = rng.random() < 0.06  # a department that has not reported this month yet
        cumulative = 0.0
        for month in range(start_month, today.month + 1):
            if skip_last and month == today.month:
                break
            time_progress = (month - start_month + 1) / (13 - start_month)
            target = planned * time_progress * pace * rng.uniform(0.95, 1.05)
            cumulative = max(cumulative, round(target, 2))
            progress.append(
                {
                    "project_id": pid,
                    "year": year,
                    "month": month,
                    "actual_cumulative_wan_cny": cumulative,
                    "note": f"{month}月完成投资{cumulative:,.0f}万元"
                    + ("，主体结构施工中" if month % 3 == 0 else ""),
                    "photo_refs": None,
                    "reported_by": "demo",
                    "reported_at": now,
                }
            )
    session.execute(insert(ProjectStageChange), changes)
    session.execute(insert(ProjectAnnualPlan), plans)
    session.execute(insert(ProjectMonthlyProgress), progress)

    signings = _signings(rng, today, depts, towns, now)
    session.execute(insert(InvestmentSigning), signings)
    goals = {
        "signed_count": 300,
        "total_investment_wan_cny": 8_500_000,
        "major_count": 25,
        "foreign_capital_used_wan_usd": 60_000,
    }  # 力争实际使用外资6亿美元
    session.execute(
        insert(AttractionGoal),
        [
            {"year": year, "metric": m, "target_value": v, "goal_ref": None, "updated_at": now}
            for m, v in goals.items()
        ],
    )
    summary = {
        "projects": len(projects),
        "plans": len(plans),
        "progress_reports": len(progress),
        "signings": len(signings),
    }
    audit.record(session, actor, "projects.demo", "projects", None, at=now, diff=summary)
    session.flush()
    return summary


def _signings(
    rng: random.Random, today: date, depts: dict[str, int], towns: list[str], now: Any
) -> list[dict[str, Any]]:
    out = []
    industries = list(INDUSTRY_PRODUCTS)
    for i in range(1, 10_000):
        signed_on = date(today.year, 1, 1) + timedelta(
            days=int(rng.uniform(0, (today - date(today.year, 1, 1)).days))
        )
        if len(out) >= 225:
            break
        industry = rng.choice(industries)
        short, investor, foreign, currency = _investor(rng)
        currency = currency or "CNY"
        registered = round(rng.lognormvariate(8.2, 0.8) / 10) * 10.0
        total = round(registered * rng.uniform(2, 12) / 10) * 10.0
        rate = {"USD": 7.1, "EUR": 7.8, "JPY": 0.048, "KRW": 0.0053, "SGD": 5.3, "CHF": 8.1, "HKD": 0.91}.get(
            currency
        )
        foreign_amount = round(total / rate, 2) if rate else None
        above, major = attraction.classify_signing(
            registered_capital_wan_cny=registered,
            total_investment_wan_cny=total,
            currency=currency,
            total_investment_wan_foreign=foreign_amount,
        )
        area = rng.choice(towns)
        out.append(
            {
                "code": f"QY{today.year}-{i:04d}",
                "name": f"{short}{rng.choice(INDUSTRY_PRODUCTS[industry])}项目",
                "investor": investor,
                "country": "德国" if currency == "EUR" else None if not foreign else "境外",
                "industry": industry,
                "is_foreign_funded": foreign,
                "currency": currency,
                "signed_on": signed_on,
                "area_code": area,
                "department_id": depts["SWJ"]
                if rng.random() < 0.4
                else depts[next(c for c, a in TOWN_DEPARTMENTS.items() if a == area)],
                "registered_capital_wan_cny": registered,
                "total_investment_wan_cny": total,
                "total_investment_wan_foreign": foreign_amount,
                "foreign_capital_used_wan_usd": round(rng.uniform(100, 900), 2) if foreign else 0.0,
                "is_major": major,
                "is_above_threshold": above,
                "project_id": None,
                "created_at": now,
            }
        )
    return out


# Attraction metrics and the words of the report's tracked goal each one measures.
GOAL_WORDS = {"foreign_capital_used_wan_usd": "实际使用外资"}


def link_attraction_goals(session: Session, clock: Clock, actor: Actor) -> list[str]:
    """Point the year's attraction goals at the tracked goals (督查) they come from, by the words of the
    goal's title (力争实际使用外资6亿美元 → foreign capital used), through the same service as the API
    (checked, audited). Returns the metrics linked; run after the goals exist."""
    now = clock.now()
    year = clock.local_today().year
    linked = []
    for metric, words in GOAL_WORDS.items():
        goal_id = session.scalar(
            select(Goal.id).where(Goal.year == year, Goal.title.contains(words)).order_by(Goal.id)
        )
        target = session.scalar(
            select(AttractionGoal.target_value).where(
                AttractionGoal.year == year, AttractionGoal.metric == metric
            )
        )
        if goal_id is None or target is None:
            continue
        attraction.set_attraction_goal(
            session,
            year=year,
            metric=metric,
            target_value=target,
            goal_ref=str(goal_id),
            actor=actor,
            now=now,
        )
        linked.append(metric)
    return linked
