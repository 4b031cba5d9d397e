"""The synthetic city: a year of realistic events, written fast (numpy per batch, bulk inserts: one
executemany per batch on SQLite, COPY on PostgreSQL).

What makes it realistic: daily and weekly rhythms; seasons (summer storms flood roads, winter bursts
pipes, the Spring Festival week is quiet, wage arrears peak before it); towns weighted by density and
points scattered around grid centroids; channels by category tree (12345 hotline most); request types;
handling times drawn against each category's limits (most on time, some late, some extended, reworked
or returned); duplicates merged into their original; callbacks with ~98 % 满意+基本满意 and ~98 %
resolved locally; and a state mix consistent with "now" (recent events are still open).

Due times are *approximations* of the SLA clock (work hours spread over office days and weekends), so
that 1.66 M events take minutes, not hours; the live pipeline computes exact ones (events/sla.py).
Transitions (the timeline) are optional (`with_timeline`): 1.66 M events × ~7 rows is heavy."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, func, select, text

from citycockpit.audit import service as audit
from citycockpit.core.actors import Actor
from citycockpit.core.errors import Unprocessable
from citycockpit.db import session_scope
from citycockpit.events.models import Event, EventCategory, EventTransition
from citycockpit.org.models import Area, Department


@dataclass(frozen=True)
class GenCategory:
    code: str
    name: str
    major: str
    kind: str
    department: str | None
    clock_kind: str
    sign_limit: float
    handle_limit: float
    verify_limit: float
    keywords: tuple[str, ...]


# Used when no categories have been imported yet (a subset of events/data/categories.yaml).
BUILTIN_CATEGORIES: tuple[tuple[str, str, str, str | None, str, float, str], ...] = (
    # code, name, kind, department, clock kind, handle limit, keywords
    ("C0101", "上水井盖", "component", "GQ-SWJT", "work_hours", 8, "井盖,自来水,破损,缺失,松动"),
    ("C0107", "路灯", "component", "CGJ", "work_hours", 16, "路灯,不亮,灯杆"),
    ("C0207", "道路破损", "component", "ZJJ", "work_hours", 16, "路面,坑洼,破损,开裂"),
    ("C0302", "垃圾箱", "component", "CGJ", "work_hours", 4, "垃圾桶,满溢,破损"),
    ("C0402", "行道树", "component", "ZJJ", "work_hours", 16, "行道树,枯枝,遮挡"),
    ("E0102", "暴露垃圾", "event", "CGJ", "work_hours", 4, "垃圾,堆放,异味"),
    ("E0104", "道路不洁", "event", "CGJ", "work_hours", 2, "路面,污渍,泥土"),
    ("E0201", "非法小广告", "event", "CGJ", "work_hours", 4, "小广告,张贴,牛皮癣"),
    ("E0301", "施工扰民", "event", "ZJJ", "work_hours", 4, "施工,噪音,夜间"),
    ("E0303", "工地扬尘", "event", "ZJJ", "work_hours", 8, "扬尘,工地,未覆盖"),
    ("E0403", "道路积水", "event", "SWUJ", "urgent_hours", 4, "积水,暴雨,排水"),
    ("E0406", "树木倒伏", "event", "ZJJ", "urgent_hours", 4, "大树,倒伏,台风"),
    ("E0502", "占道经营", "event", "CGJ", "work_hours", 4, "摊贩,占道,人行道"),
    ("E0506", "机动车乱停放", "event", "GAJ", "work_hours", 2, "违停,堵路,车辆"),
    ("E0507", "非机动车乱停放", "event", "CGJ", "work_hours", 4, "电动车,共享单车,乱停"),
    ("H0101", "社保医保政策", "hotline", "RSJ", "work_days", 5, "社保,医保,缴费,报销"),
    ("H0201", "停水停电", "hotline", "GQ-SWJT", "urgent_hours", 8, "停水,停电,水压"),
    ("H0202", "物业纠纷", "hotline", None, "calendar_days", 15, "物业,维修,收费"),
    ("H0401", "拖欠工资", "hotline", "RSJ", "work_days", 10, "工资,拖欠,老板"),
    ("H0501", "社会生活噪声", "hotline", "GAJ", "work_hours", 4, "噪音,广场舞,装修"),
)

# Relative volume of some minor categories (the rest weigh 1 in events/components, 1.6 in hotline).
NAME_WEIGHTS = {
    "暴露垃圾": 6,
    "机动车乱停放": 6,
    "占道经营": 4,
    "非机动车乱停放": 4,
    "非法小广告": 3,
    "道路不洁": 3,
    "店外经营": 3,
    "乱堆物料": 2,
    "路灯": 2.5,
    "道路破损": 2,
    "垃圾箱": 2,
    "施工扰民": 2,
    "物业纠纷": 4,
    "社保医保政策": 4,
    "社会生活噪声": 3,
    "停水停电": 2.5,
    "消费维权": 3,
    "办事指南": 3,
    "户籍证照办理": 2,
    "邻里纠纷": 2,
    "拖欠工资": 1.5,
    "火灾": 0.1,
    "燃气泄漏": 0.2,
    "路面塌陷": 0.3,
    "雕塑": 0.2,
}
KIND_WEIGHT = {"event": 1.0, "component": 0.5, "hotline": 1.6}

ROADS = (
    "上海东路",
    "郑和中路",
    "县府街",
    "人民南路",
    "常胜北路",
    "太平南路",
    "朝阳路",
    "新华西路",
    "北京西路",
    "东仓路",
    "弇山路",
    "半泾路",
    "洛阳东路",
    "苏州河路",
    "娄江路",
    "古塘街",
    "健雄路",
    "广州东路",
    "沙溪镇白云路",
    "浏河镇新港路",
    "璜泾镇杨林路",
    "双凤镇凤中路",
    "浮桥镇浮南路",
    "陆渡街道陆公路",
)
LANDMARKS = (
    "小区门口",
    "菜场旁",
    "公交站附近",
    "学校东侧",
    "十字路口",
    "商业街",
    "河边步道",
    "停车场出口",
    "农贸市场北门",
    "地铁施工围挡旁",
    "超市对面",
    "老新村内",
    "桥下",
    "公园南门",
    "社区服务中心旁",
)
DURATIONS = ("已经两天了", "持续一周", "昨晚开始", "好几天了", "今天上午发现", "反映多次未解决", "刚刚发现")
ASKS = (
    "请尽快处理",
    "希望相关部门尽快解决",
    "请派人查看",
    "要求整改",
    "请相关部门核实处理",
    "麻烦尽快安排",
)
PREFIX = {
    "hotline": ("市民来电反映：", "来电人称", "市民来电："),
    "app": ("市民通过App反映：", "随手拍："),
    "web": ("网站留言：",),
    "open311": ("",),
    "patrol": ("网格员巡查发现", "网格员上报："),
    "video": ("视频巡查发现", "监控发现"),
    "referral": ("上级转办：",),
}
TEMPLATES = (
    "{place}{name}，{k0}{k1}，{dur}，{ask}。",
    "{place}有{k0}问题，{k1}比较严重，{dur}，{ask}。",
    "{place}{k0}{k1}，影响周边居民生活，{ask}。",
    "{place}存在{name}现象，{k1}，{dur}。",
    "{road}{k0}{k1}，{dur}，{ask}。",
    "{place}附近{k1}，{k0}情况{dur}，{ask}。",
)
HOTLINE_TEMPLATES = (
    "咨询{k0}方面的问题：{k1}怎么办理，{ask}。",
    "反映{k0}问题，{k1}，{dur}，{ask}。",
    "{k0}相关：{k1}，住在{road}，{ask}。",
    "来电反映{name}，{k1}，{dur}，{ask}。",
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
# (from, to) local hours of day, weight: requests follow office hours, fewer at night.
HOUR_WEIGHTS = np.array(
    [
        0.25,
        0.15,
        0.1,
        0.1,
        0.12,
        0.3,
        0.8,
        2.0,
        4.0,
        5.5,
        5.6,
        4.6,
        3.0,
        3.6,
        4.6,
        4.6,
        4.2,
        3.2,
        2.4,
        2.2,
        2.0,
        1.5,
        0.9,
        0.5,
    ]
)
WEEKDAY_FACTOR = np.array([1.12, 1.05, 1.0, 1.0, 0.98, 0.78, 0.72])
REJECT_REASONS = ("not_in_scope", "false_report", "insufficient_info", "already_resolved")

EVENT_COLUMNS = (
    "id",
    "public_id",
    "version",
    "channel",
    "request_type",
    "title",
    "description",
    "reporter_name",
    "reporter_phone",
    "is_test",
    "lat",
    "lon",
    "address",
    "grid_code",
    "village_code",
    "town_code",
    "grid_method",
    "category_code",
    "major_code",
    "category_kind",
    "priority",
    "department_id",
    "routing_source",
    "routing_rule",
    "needs_triage",
    "departments_seen",
    "state",
    "reported_at",
    "reported_day",
    "registered_at",
    "rejected_at",
    "merged_at",
    "dispatched_at",
    "first_dispatched_at",
    "signed_at",
    "handled_at",
    "verified_at",
    "closed_at",
    "closed_day",
    "rated_at",
    "updated_at",
    "clock_kind",
    "sign_due_at",
    "handle_due_at",
    "verify_due_at",
    "close_due_at",
    "handle_minutes",
    "supervised_at",
    "supervision_level",
    "rework_count",
    "return_count",
    "extension_count",
    "reopen_count",
    "reminder_count",
    "department_count",
    "duplicate_count",
    "signed_on_time",
    "handled_on_time",
    "closed_on_time",
    "closed_by_center",
    "resolved_locally",
    "verified_onsite",
    "has_pending_extension",
    "reject_reason",
    "result_text",
    "satisfaction",
    "callback_reached",
    "merged_into_id",
)
STAGES = ("reported", "registered", "dispatched", "signed", "handled", "verified", "closed", "rated")
STAGE_ACTION = {
    "reported": ("report", None),
    "registered": ("register", "reported"),
    "dispatched": ("dispatch", "registered"),
    "signed": ("sign", "dispatched"),
    "handled": ("handle", "signed"),
    "verified": ("verify", "handled"),
    "closed": ("close", "verified"),
    "rated": ("rate", "closed"),
}


@dataclass
class GenerateResult:
    events: int
    transitions: int
    first_id: int
    last_id: int
    seconds: float = 0.0


@dataclass
class _Reference:
    cats: list[GenCategory]
    dept_ids: dict[str, int]
    town_depts: dict[str, int]
    grids: list[tuple[str, float, float]]  # code, lat, lon
    grid_weights: np.ndarray


def _load_reference(session: Any, county_code: str) -> _Reference:
    rows = session.scalars(
        select(EventCategory).where(EventCategory.level != "major", EventCategory.is_active.is_(True))
    ).all()
    if rows:
        cats = [
            GenCategory(
                code=c.code,
                name=c.name,
                major=c.parent_code or c.code[:3],
                kind=c.kind,
                department=c.default_department_code,
                clock_kind=c.clock_kind or "work_hours",
                sign_limit=float(
                    c.sign_limit or (1 if c.clock_kind in ("work_hours", "urgent_hours") else 0.5)
                ),
                handle_limit=float(c.handle_limit or 8),
                verify_limit=float(c.verify_limit or 2),
                keywords=tuple(k for k in (c.keywords or c.name).replace("，", ",").split(",") if k)
                or (c.name,),
            )
            for c in rows
        ]
    else:
        cats = [
            GenCategory(
                code,
                name,
                code[:3],
                kind,
                dept,
                clock,
                1.0 if "hours" in clock else 0.5,
                limit,
                2.0 if "hours" in clock else 1.0,
                tuple(kw.split(",")),
            )
            for code, name, kind, dept, clock, limit, kw in BUILTIN_CATEGORIES
        ]
    depts = session.execute(select(Department.code, Department.id, Department.area_code)).all()
    dept_ids = {code: did for code, did, _ in depts}
    town_depts = {area: did for _, did, area in depts if area and len(area) == 9}
    grids_rows = session.execute(
        select(Area.code, Area.centroid_lat, Area.centroid_lon)
        .where(Area.level == "grid", Area.code.startswith(county_code))
        .order_by(Area.code)
    ).all()
    if not grids_rows:
        raise Unprocessable(
            "The area tree has no grids: import the organisation first (citycockpit org import)"
        )
    grids = [(code, lat or 31.45, lon or 121.13) for code, lat, lon in grids_rows]
    # Towns weighted: the two urban streets (codes 00x) are denser than the rural towns.
    per_town: dict[str, int] = {}
    for code, _, _ in grids:
        per_town[code[:9]] = per_town.get(code[:9], 0) + 1
    weights = np.array(
        [(2.2 if code[6:9].startswith("00") else 1.0) / math.sqrt(per_town[code[:9]]) for code, _, _ in grids]
    )
    return _Reference(cats, dept_ids, town_depts, grids, weights / weights.sum())


def _wall_seconds(limit: np.ndarray, clock: np.ndarray) -> np.ndarray:
    """Approximate wall-clock seconds of a limit in its clock kind (codes: 0 urgent, 1 work hours,
    2 work days, 3 calendar days): 7.5 office hours a working day, 5 working days a week."""
    return np.select(
        [clock == 0, clock == 1, clock == 2],
        [limit * 3600.0, limit / 7.5 * 86400.0 * 1.4, limit * 86400.0 * 1.4],
        default=limit * 86400.0,
    )


CLOCK_CODES = {"urgent_hours": 0, "work_hours": 1, "work_days": 2, "calendar_days": 3}
UNIT_MINUTES = np.array([60.0, 60.0, 1440.0, 1440.0])


def _day_weights(days: list[date], rng: np.random.Generator) -> np.ndarray:
    import chinese_calendar

    w = np.empty(len(days))
    for i, d in enumerate(days):
        f = WEEKDAY_FACTOR[d.weekday()]
        f *= 1.15 if d.month in (6, 7, 8) else (0.95 if d.month in (12, 1, 2) else 1.0)
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(d)
        except NotImplementedError:
            on_holiday, name = d.weekday() >= 5, None
        if name == chinese_calendar.Holiday.spring_festival.value:
            f *= 0.45
        elif on_holiday and name:
            f *= 0.7
        w[i] = f
    return w * rng.lognormal(0.0, 0.08, size=len(days))


def _category_weights(cats: list[GenCategory], days: list[date], rng: np.random.Generator) -> np.ndarray:
    """Per day × category weights, with seasonal peaks."""
    base = np.array([KIND_WEIGHT.get(c.kind, 1.0) * NAME_WEIGHTS.get(c.name, 1.0) for c in cats])
    months = np.array([d.month for d in days])
    w = np.tile(base, (len(days), 1))
    summer = np.isin(months, (6, 7, 8, 9))
    winter = np.isin(months, (12, 1, 2))
    storm_days = (
        set(
            rng.choice(
                np.flatnonzero(np.isin(months, (6, 7, 8))), size=min(9, int(summer.sum())), replace=False
            ).tolist()
        )
        if summer.any()
        else set()
    )
    for j, c in enumerate(cats):
        n = c.name
        if "积水" in n or "雨水" in n or "倒伏" in n or "井盖缺失" in n:
            w[summer, j] *= 2.5
            for s in storm_days:
                w[s, j] *= 30 if "积水" in n else 8
        if "噪声" in n or "扰民" in n or "烧烤" in n or "油烟" in n:
            w[summer, j] *= 1.7
        if "管道破裂" in n or "停水" in n:
            w[winter, j] *= 2.0
        if "工资" in n:
            w[np.isin(months, (12, 1)), j] *= 3.0
        if "焚烧" in n:
            w[np.isin(months, (10, 11)), j] *= 3.0
    return w / w.sum(axis=1, keepdims=True)


def _fmt_times(secs: np.ndarray, pg: bool = False) -> list[str | None]:
    """Epoch seconds (NaN: missing) → naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`, as SQLAlchemy stores
    it on SQLite (PostgreSQL reads it as UTC: the load sets the session time zone to UTC)."""
    mask = np.isnan(secs)
    safe = np.where(mask, 0, secs).astype("int64").astype("datetime64[s]")
    strs = np.datetime_as_string(safe.astype("datetime64[us]"), unit="us")
    strs.view(np.uint32).reshape(len(strs), -1)[:, 10] = ord(" ")  # 'T' → ' ', in place
    out = strs.astype(object)
    out[mask] = None
    return out.tolist()


def _fmt_days(secs: np.ndarray, offset_s: int) -> list[str | None]:
    mask = np.isnan(secs)
    safe = (
        (np.where(mask, 0, secs) + offset_s).astype("int64").astype("datetime64[s]").astype("datetime64[D]")
    )
    out = np.datetime_as_string(safe).astype(object)
    out[mask] = None
    return out.tolist()


POOL = 256


def _text_pools(
    cats: list[GenCategory], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per category POOL varied (title, description body, address) triples; events draw from them."""
    titles, bodies, addresses = [], [], []
    for c in cats:
        kws = c.keywords
        tmpls = HOTLINE_TEMPLATES if c.kind == "hotline" else TEMPLATES
        for _ in range(POOL):
            road = ROADS[rng.integers(len(ROADS))]
            place = road + LANDMARKS[rng.integers(len(LANDMARKS))]
            k0 = kws[rng.integers(len(kws))]
            k1 = kws[rng.integers(len(kws))]
            bodies.append(
                tmpls[rng.integers(len(tmpls))].format(
                    place=place,
                    road=road,
                    name=c.name,
                    k0=k0,
                    k1=k1,
                    dur=DURATIONS[rng.integers(len(DURATIONS))],
                    ask=ASKS[rng.integers(len(ASKS))],
                )
            )
            # Half the titles name the category (as a grid worker would), half just open the text.
            named = rng.random() < 0.5
            titles.append(
                (f"{road}{c.name}" if c.kind != "hotline" else f"{c.name}：{k0}")
                if named
                else bodies[-1][:16]
            )
            addresses.append(f"太仓市{place}")
    return np.array(titles, dtype=object), np.array(bodies, dtype=object), np.array(addresses, dtype=object)


def _nullable(values: np.ndarray, mask: np.ndarray) -> list[Any]:
    out = values.astype(object)
    out[~mask] = None
    return out.tolist()


def generate_events(
    engine: Engine,
    *,
    n: int,
    year: int,
    now: datetime,
    zone: ZoneInfo,
    actor: Actor,
    county_code: str = "320585",
    seed: int | None = None,
    with_timeline: bool = False,
    batch_size: int = 50_000,
    on_progress: Callable[[int], None] | None = None,
) -> GenerateResult:
    """Write `n` synthetic events reported in `year` (up to `now` when that is this year), plus one audit
    entry for the run. Each batch commits on its own; ids follow the current maximum."""
    import time as _time

    started = _time.perf_counter()
    if n < 1:
        raise Unprocessable("Generate at least one event", field="events")
    rng = np.random.default_rng(seed)
    local_now = now.astimezone(zone)
    first_day = date(year, 1, 1)
    last_day = min(date(year, 12, 31), local_now.date())
    if last_day < first_day:
        raise Unprocessable(f"{year} has not started yet (today is {local_now.date()})", field="year")
    pg = engine.dialect.name == "postgresql"
    offset_s = int(local_now.utcoffset().total_seconds())  # type: ignore[union-attr]
    now_s = now.timestamp()

    with session_scope(engine) as session:
        ref = _load_reference(session, county_code)
        start_id = int(session.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0) + 1
    cats = ref.cats
    run_tag = secrets.token_hex(2).upper()

    # When: days by rhythm and season, hours by the daily curve; today only up to now.
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    day_w = _day_weights(days, rng)
    if days[-1] == local_now.date():
        elapsed_today = (
            HOUR_WEIGHTS[: local_now.hour].sum() + HOUR_WEIGHTS[local_now.hour] * local_now.minute / 60
        )
        day_w[-1] *= elapsed_today / HOUR_WEIGHTS.sum()
    per_day = rng.multinomial(n, day_w / day_w.sum())
    day_index = np.repeat(np.arange(len(days)), per_day)
    midnight = np.array([datetime.combine(d, time(0), zone).timestamp() for d in days])
    hour_p = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
    secs_in_day = rng.choice(24, size=n, p=hour_p) * 3600 + rng.integers(0, 3600, size=n)
    reported = midnight[day_index] + secs_in_day
    reported = np.minimum(reported, now_s - rng.uniform(60, 3600, size=n))
    # What: category per day from that day's seasonal mix.
    cat_w = _category_weights(cats, days, rng)
    cat_idx = np.empty(n, dtype=np.int32)
    pos = 0
    for i, count in enumerate(per_day):
        if count:
            cat_idx[pos : pos + count] = rng.choice(len(cats), size=count, p=cat_w[i])
            pos += count
    order = np.argsort(reported, kind="stable")
    reported, cat_idx = reported[order], cat_idx[order]
    grid_idx = rng.choice(len(ref.grids), size=n, p=ref.grid_weights)

    cat_kind = np.array([c.kind for c in cats])
    cat_clock = np.array([CLOCK_CODES.get(c.clock_kind, 1) for c in cats])
    cat_sign = np.array([c.sign_limit for c in cats])
    cat_handle = np.array([c.handle_limit for c in cats])
    cat_verify = np.array([c.verify_limit for c in cats])
    cat_dept = np.array([ref.dept_ids.get(c.department or "", -1) for c in cats])
    # 属地管理: the town (区镇) handles most cases itself; city departments keep the specialised ones
    # (urgent incidents, police, utilities, labour, education …). Share handled by the town, per category:
    specialised = {
        "GAJ",
        "YJGLJ",
        "GQ-SWJT",
        "GQ-GJ",
        "GQ-GGJT",
        "GQ-ZKJT",
        "GXJ",
        "RSJ",
        "JYJ",
        "ZWFWB",
        "SCJGJ",
    }
    cat_local = np.array(
        [
            0.97 if (c.clock_kind == "urgent_hours" or (c.department or "") in specialised) else 0.995
            for c in cats
        ]
    )
    grid_lat = np.array([g[1] for g in ref.grids])
    grid_lon = np.array([g[2] for g in ref.grids])
    grid_codes = [g[0] for g in ref.grids]
    town_dept = np.array([ref.town_depts.get(g[0][:9], -1) for g in ref.grids])
    local_depts = np.array(sorted(ref.town_depts.values()) or [-2])
    fallback_dept = ref.dept_ids.get("CGJ", next(iter(ref.dept_ids.values()), -1))
    pool_titles, pool_bodies, pool_addresses = _text_pools(cats, rng)

    def write_batches() -> int:
        total_transitions = 0
        for b0 in range(0, n, batch_size):
            b1 = min(n, b0 + batch_size)
            m = b1 - b0
            ids = np.arange(start_id + b0, start_id + b1)
            rep = reported[b0:b1].copy()
            ci = cat_idx[b0:b1]
            gi = grid_idx[b0:b1]
            kind = cat_kind[ci]
            clock = cat_clock[ci]
            hotline_kind = kind == "hotline"

            # Channel and request type
            u = rng.random(m)
            channel = np.where(
                hotline_kind,
                np.select([u < 0.84, u < 0.95], ["hotline", "app"], "web"),
                np.select(
                    [u < 0.36, u < 0.68, u < 0.80, u < 0.90, u < 0.95],
                    ["hotline", "patrol", "app", "video", "open311"],
                    "referral",
                ),
            )
            u = rng.random(m)
            rtype = np.where(
                hotline_kind,
                np.select(
                    [u < 0.45, u < 0.70, u < 0.88, u < 0.94],
                    ["consult", "help", "complaint", "report"],
                    "suggestion",
                ),
                np.select([u < 0.55, u < 0.75, u < 0.95], ["complaint", "report", "help"], "suggestion"),
            )
            rtype = np.where(np.isin(channel, ("patrol", "video")), None, rtype)

            # Where
            lat = grid_lat[gi] + rng.normal(0, 0.0015, m)
            lon = grid_lon[gi] + rng.normal(0, 0.0018, m)

            # Outcome paths
            u = rng.random(m)
            rejected = u < 0.025
            merged = (u >= 0.025) & (u < 0.055)
            direct = ~rejected & ~merged & (rtype == "consult") & (rng.random(m) < 0.7)
            looped = ~rejected & ~merged & ~direct

            # Duplicates: the previous looped event of the same category in the batch is the original.
            merged_into = np.full(m, -1, dtype=np.int64)
            last_of_cat: dict[int, int] = {}
            dup_count = np.zeros(m, dtype=np.int64)
            for i in range(m):
                c = int(ci[i])
                if merged[i]:
                    orig = last_of_cat.get(c)
                    if orig is None:
                        merged[i] = False
                        looped[i] = True
                        last_of_cat[c] = i
                    else:
                        merged_into[i] = orig
                        dup_count[orig] += 1
                elif looped[i]:
                    last_of_cat[c] = i
            has_orig = merged_into >= 0
            lat[has_orig] = lat[merged_into[has_orig]] + rng.normal(0, 0.0002, int(has_orig.sum()))
            lon[has_orig] = lon[merged_into[has_orig]] + rng.normal(0, 0.0002, int(has_orig.sum()))
            gi = np.where(has_orig, gi[np.maximum(merged_into, 0)], gi)

            nan = np.full(m, np.nan)
            registered = np.where(looped, rep + rng.exponential(1200, m) + 60, nan)
            # 直接办结 registers and closes at once (as the workflow does).
            registered = np.where(direct, rep + rng.uniform(60, 120, m), registered)
            dispatched_first = registered + rng.exponential(1800, m) + 60
            returned = looped & (rng.random(m) < 0.02)
            dispatched = np.where(
                returned, dispatched_first + rng.uniform(3600, 6 * 3600, m), dispatched_first
            )
            sign_wall = _wall_seconds(cat_sign[ci], clock)
            handle_limit = cat_handle[ci]
            extended = looped & (rng.random(m) < 0.025)
            handle_limit_total = np.where(extended, handle_limit * 2, handle_limit)
            handle_wall = _wall_seconds(handle_limit_total, clock)
            verify_wall = _wall_seconds(cat_verify[ci], clock)
            sign_due = dispatched + sign_wall
            handle_due = dispatched + handle_wall
            verify_due = handle_due + verify_wall
            close_due = verify_due
            late_sign = rng.random(m) < 0.04
            signed = dispatched + sign_wall * np.where(
                late_sign, rng.uniform(1.05, 3.0, m), rng.uniform(0.05, 0.9, m)
            )
            late_handle = rng.random(m) < 0.06
            frac = np.where(late_handle, rng.uniform(1.02, 2.0, m), rng.beta(2.2, 2.5, m) * 0.93 + 0.02)
            reworked = looped & (rng.random(m) < 0.015)
            frac = np.where(reworked, frac + 0.35, frac)
            handled = np.maximum(dispatched + handle_wall * frac, signed + 60)
            handle_minutes = frac * handle_limit_total * UNIT_MINUTES[clock]
            verified = handled + verify_wall * rng.uniform(0.05, 0.95, m)
            closed = np.where(looped, verified + rng.uniform(60, 1800, m), nan)
            closed = np.where(direct, rep + rng.uniform(120, 900, m), closed)
            escalated = looped & (rng.random(m) < 0.006)
            callback_p = np.where(np.isin(channel, ("hotline", "app", "web", "open311")), 0.8, 0.25)
            called = ~np.isnan(closed) & (rng.random(m) < callback_p)
            rated = np.where(called, closed + rng.uniform(3600, 48 * 3600, m), nan)
            rejected_at = np.where(rejected, np.minimum(rep + rng.uniform(300, 7200, m), now_s), nan)
            merged_at = np.where(has_orig, np.minimum(rep + rng.uniform(300, 3600, m), now_s), nan)

            # Not in the loop: no loop times.
            for arr in (
                dispatched_first,
                dispatched,
                signed,
                handled,
                verified,
                sign_due,
                handle_due,
                verify_due,
                close_due,
            ):
                arr[~looped] = np.nan
            # Truncate at now: a stage not reached yet is empty, and so is every stage after it.
            stage_times = {
                "reported": rep,
                "registered": registered,
                "dispatched": dispatched,
                "signed": signed,
                "handled": handled,
                "verified": verified,
                "closed": closed,
                "rated": rated,
            }
            chain_ok = np.ones(m, dtype=bool)
            for name in STAGES:
                t = stage_times[name]
                present = ~np.isnan(t)
                ok = present & (t <= now_s) & chain_ok
                t[~ok] = np.nan
                # A direct close skips the loop stages it never had.
                chain_ok = ok | (~present & direct)
            dispatched_first[np.isnan(dispatched)] = np.nan
            state = np.full(m, "reported", dtype=object)
            for name, label in (
                ("registered", "registered"),
                ("dispatched", "dispatched"),
                ("signed", "signed"),
                ("handled", "handled"),
                ("verified", "verified"),
                ("closed", "closed"),
                ("rated", "rated"),
            ):
                state[~np.isnan(stage_times[name])] = label
            state[rejected & ~np.isnan(rejected_at)] = "rejected"
            state[has_orig] = "merged"
            rej_valid = ~np.isnan(rejected_at)

            is_signed = ~np.isnan(signed)
            is_handled = ~np.isnan(handled)
            is_closed = ~np.isnan(closed)
            is_rated = ~np.isnan(rated)
            dept = np.where(
                (rng.random(m) < cat_local[ci]) & (town_dept[gi] > 0), town_dept[gi], cat_dept[ci]
            )
            dept = np.where(dept > 0, dept, fallback_dept)
            in_loop = ~np.isnan(dispatched)
            u = rng.random(m)
            satisfaction = np.select(
                [u < 0.04, u < 0.04 + 0.96 * 0.86, u < 0.04 + 0.96 * 0.98],
                ["unreachable", "satisfied", "basically_satisfied"],
                "unsatisfied",
            )
            last_time = np.fmax.reduce(
                [
                    rep,
                    registered,
                    dispatched,
                    signed,
                    handled,
                    verified,
                    closed,
                    rated,
                    rejected_at,
                    merged_at,
                ]
            )
            closed_on_time = closed <= close_due
            rework_count = np.where(reworked & is_handled, 1, 0)
            supervised = np.where(escalated & is_handled, handled, np.nan)

            # Texts: a pooled body per category, a prefix per channel, a caller for non-patrol channels
            pool_i = ci.astype(np.int64) * POOL + rng.integers(0, POOL, m)
            ch_list = channel.tolist()
            prefix = np.array(
                [
                    PREFIX.get(ch, ("",))[k % len(PREFIX.get(ch, ("",)))]
                    for ch, k in zip(ch_list, rng.integers(0, 6, m).tolist(), strict=True)
                ],
                dtype=object,
            )
            descs = (prefix + pool_bodies[pool_i]).tolist()
            titles = pool_titles[pool_i].tolist()
            anonymous = np.isin(channel, ("patrol", "video"))
            caller = np.array(list(SURNAMES), dtype=object)[rng.integers(0, len(SURNAMES), m)] + np.where(
                rng.random(m) < 0.5, "先生", "女士"
            ).astype(object)
            names = _nullable(caller, ~anonymous)
            phones = _nullable(
                rng.integers(13000000000, 19999999999, m).astype(str).astype(object), ~anonymous
            )
            cat_codes = [cats[j].code for j in ci]
            g_codes = [grid_codes[j] for j in gi]
            id_list = ids.tolist()
            ts = _fmt_times
            cols: dict[str, list[Any]] = {
                "id": id_list,
                "public_id": [f"S{year % 100:02d}{run_tag}{b0 + i:08d}" for i in range(m)],
                "version": [1] * m,
                "channel": ch_list,
                "request_type": rtype.tolist(),
                "title": titles,
                "description": descs,
                "reporter_name": names,
                "reporter_phone": phones,
                "is_test": [False] * m,
                "lat": np.round(lat, 6).tolist(),
                "lon": np.round(lon, 6).tolist(),
                "address": pool_addresses[pool_i].tolist(),
                "grid_code": g_codes,
                "village_code": [g[:12] for g in g_codes],
                "town_code": [g[:9] for g in g_codes],
                "grid_method": ["centroid"] * m,
                "category_code": cat_codes,
                "major_code": [cats[j].major for j in ci],
                "category_kind": kind.tolist(),
                "priority": np.where(clock == 0, "urgent", "normal").tolist(),
                "department_id": _nullable(dept, in_loop),
                "routing_source": _nullable(np.full(m, "rule", dtype=object), in_loop),
                "routing_rule": _nullable(np.array(cat_codes, dtype=object), in_loop),
                "needs_triage": [False] * m,
                "departments_seen": [None] * m,
                "state": state.tolist(),
                "reported_at": ts(rep),
                "reported_day": _fmt_days(rep, offset_s),
                "registered_at": ts(registered),
                "rejected_at": ts(rejected_at),
                "merged_at": ts(merged_at),
                "dispatched_at": ts(dispatched),
                "first_dispatched_at": ts(np.where(in_loop, dispatched_first, np.nan)),
                "signed_at": ts(signed),
                "handled_at": ts(handled),
                "verified_at": ts(verified),
                "closed_at": ts(closed),
                "closed_day": _fmt_days(closed, offset_s),
                "rated_at": ts(rated),
                "updated_at": ts(last_time),
                "clock_kind": _nullable(np.array([cats[j].clock_kind for j in ci], dtype=object), in_loop),
                "sign_due_at": ts(np.where(in_loop, sign_due, np.nan)),
                "handle_due_at": ts(np.where(in_loop, handle_due, np.nan)),
                "verify_due_at": ts(np.where(in_loop, verify_due, np.nan)),
                "close_due_at": ts(np.where(in_loop, close_due, np.nan)),
                "handle_minutes": _nullable(np.round(handle_minutes, 1), is_handled),
                "supervised_at": ts(supervised),
                "supervision_level": np.where(~np.isnan(supervised), 1, 0).tolist(),
                "rework_count": rework_count.tolist(),
                "return_count": np.where(returned & in_loop, 1, 0).tolist(),
                "extension_count": np.where(extended & in_loop, 1, 0).tolist(),
                "reopen_count": [0] * m,
                "reminder_count": np.where(late_handle & is_handled, 1, 0).tolist(),
                "department_count": np.where(in_loop, np.where(returned, 2, 1), 0).tolist(),
                "duplicate_count": dup_count.tolist(),
                "signed_on_time": _nullable(signed <= sign_due, is_signed),
                "handled_on_time": _nullable(handled <= handle_due, is_handled),
                "closed_on_time": _nullable(closed_on_time | direct, is_closed & (in_loop | direct)),
                "closed_by_center": (direct & is_closed).tolist(),
                "resolved_locally": _nullable(~escalated & ~direct & np.isin(dept, local_depts), is_closed),
                "verified_onsite": _nullable(np.ones(m, dtype=bool), ~np.isnan(verified)),
                "has_pending_extension": [False] * m,
                "reject_reason": _nullable(
                    np.array(REJECT_REASONS, dtype=object)[rng.integers(0, 4, m)], rej_valid
                ),
                "result_text": _nullable(np.full(m, "已处置完毕，现场已恢复。", dtype=object), is_handled),
                "satisfaction": _nullable(satisfaction.astype(object), is_rated),
                "callback_reached": _nullable(satisfaction != "unreachable", is_rated),
                "merged_into_id": _nullable(merged_into + start_id + b0, has_orig),
            }
            rows = list(zip(*(cols[c] for c in EVENT_COLUMNS), strict=True))
            transitions: list[tuple[Any, ...]] = []
            if with_timeline:
                transitions = _timeline_rows(stage_times, ids, dept, state, rejected_at, merged_at, pg)
            with session_scope(engine) as session:
                _bulk_insert(session, "events", EVENT_COLUMNS, rows, pg)
                if transitions:
                    _bulk_insert(session, "event_transitions", TRANSITION_COLUMNS, transitions, pg)
            total_transitions += len(transitions)
            if on_progress:
                on_progress(m)

        return total_transitions

    rebuild = n >= REBUILD_INDEXES_FROM
    if rebuild:
        _drop_indexes(engine, with_timeline)
    try:
        total_transitions = write_batches()
    finally:
        if rebuild:
            _create_indexes(engine, with_timeline)
    if pg:
        _vacuum_analyze(engine, with_timeline)

    with session_scope(engine) as session:
        if pg:
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events))")
            )
        audit.record(
            session,
            actor,
            "events.generate",
            "events",
            None,
            diff={
                "events": n,
                "year": year,
                "seed": seed,
                "with_timeline": with_timeline,
                "first_id": start_id,
                "last_id": start_id + n - 1,
                "transitions": total_transitions,
            },
            at=now,
        )
    return GenerateResult(n, total_transitions, start_id, start_id + n - 1, _time.perf_counter() - started)


REBUILD_INDEXES_FROM = 200_000


def _secondary_indexes(with_timeline: bool) -> list[Any]:
    tables = [Event.__table__] + ([EventTransition.__table__] if with_timeline else [])
    return [
        idx for table in tables for idx in sorted(table.indexes, key=lambda i: i.name or "") if not idx.unique
    ]


def _drop_indexes(engine: Engine, with_timeline: bool) -> None:
    """A bulk load is several times faster without index upkeep; the indexes are rebuilt at the end."""
    with engine.begin() as conn:
        for idx in _secondary_indexes(with_timeline):
            idx.drop(conn, checkfirst=True)


def _create_indexes(engine: Engine, with_timeline: bool) -> None:
    with engine.begin() as conn:
        for idx in _secondary_indexes(with_timeline):
            idx.create(conn, checkfirst=True)


def _vacuum_analyze(engine: Engine, with_timeline: bool) -> None:
    """Leave PostgreSQL's planner the new rows' statistics and visibility map at once (10 s at 20 M
    events). Until autovacuum gets round to a freshly loaded table, the planner takes it for tiny and
    no index-only scan can skip the heap: the KPI P90's walk of ix_events_handle_minutes became a 4 s
    sequential scan at 20 M events."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # VACUUM: no transaction
        for table in ["events"] + (["event_transitions"] if with_timeline else []):
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))


TRANSITION_COLUMNS = ("event_id", "action", "from_state", "to_state", "at", "actor_name", "department_id")


def _timeline_rows(
    stage_times: dict[str, np.ndarray],
    ids: np.ndarray,
    dept: np.ndarray,
    state: np.ndarray,
    rejected_at: np.ndarray,
    merged_at: np.ndarray,
    pg: bool,
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    extra = {"rejected": ("reject", rejected_at), "merged": ("merge", merged_at)}
    for name in STAGES:
        t = stage_times[name]
        ok = ~np.isnan(t)
        if not ok.any():
            continue
        action, from_state = STAGE_ACTION[name]
        at = _fmt_times(t[ok], pg)
        actor = (
            "系统生成" if name == "reported" else ("部门" if name in ("signed", "handled") else "指挥中心")
        )
        for eid, when, d in zip(ids[ok].tolist(), at, dept[ok].tolist(), strict=True):
            rows.append(
                (eid, action, from_state, name, when, actor, d if name in ("signed", "handled") else None)
            )
    for to_state, (action, times) in extra.items():
        ok = ~np.isnan(times) & (state == to_state)
        for eid, when in zip(ids[ok].tolist(), _fmt_times(times[ok], pg), strict=True):
            rows.append((eid, action, "reported", to_state, when, "指挥中心", None))
    return rows


def _bulk_insert(
    session: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], pg: bool
) -> None:
    """executemany on SQLite; COPY on PostgreSQL (both inside the session's transaction)."""
    dbapi = session.connection().connection.dbapi_connection
    cursor = dbapi.cursor()
    try:
        if pg:
            cursor.execute("SET LOCAL timezone = 'UTC'")
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.execute("PRAGMA cache_size=-131072")
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    finally:
        cursor.close()


def generation_summary(engine: Engine) -> dict[str, object]:
    """A few distribution checks of what is in the events table (for the CLI and tests)."""
    with session_scope(engine, read_only=True) as session:
        by_channel = dict(session.execute(select(Event.channel, func.count()).group_by(Event.channel)).all())
        by_state = dict(session.execute(select(Event.state, func.count()).group_by(Event.state)).all())
    return {"by_channel": by_channel, "by_state": by_state}
