"""Demo step: the shipped categories, and a few hundred events of 2024 walked through the loop with the
real service functions (so timelines, clocks and audit entries exist). The large realistic generator
is a separate command."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.auth.enums import Role
from citycockpit.auth.permissions import perms_for
from citycockpit.auth.principal import Principal
from citycockpit.core import tabular
from citycockpit.events import catalogue
from citycockpit.events import categories as cats
from citycockpit.events.enums import Action, Channel, EventState
from citycockpit.events.errors import InvalidEventInput, TransitionNotAllowed
from citycockpit.events.intake import service as intake
from citycockpit.events.models import EventCategory
from citycockpit.events.sla import DEFAULT_CALENDAR
from citycockpit.events.workflow import service
from citycockpit.org.models import Area, Department

DEMO_EVENTS = 250
REPEAT_CALLERS = 8  # hotline callers who call again about the same thing (重复诉求), one of them twice
# The demo's dispatch catalogue (派单目录) beyond each category's default department: the port zone's
# management committee handles street vending and litter in 浮桥镇 (an area exception), and litter in a
# river goes to the water bureau wherever it is (a keyword row).
CATALOGUE_EXTRA = [
    ("E0502", "GKQ", "320585103", ""),
    ("E0102", "GKQ", "320585103", ""),
    ("E0102", "SWJ", None, "河道、河面"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "桂英",
]
PLACES = [
    "上海东路",
    "县府街",
    "南洋广场",
    "人民南路",
    "朝阳路",
    "太平北路",
    "郑和路",
    "东仓路",
    "新华西路",
    "弇山路",
]
TEXTS = {
    "component": "{place}{n}号附近的{name}损坏，存在安全隐患，请尽快处理。",
    "event": "{place}{n}号附近发现{name}问题，影响市容和通行，请相关部门处理。",
    "hotline": "市民来电反映{name}相关问题：{place}附近，希望尽快答复。",
}


def _principal(role: Role, name: str, **scope: Any) -> Principal:
    return Principal(id=None, name=name, role=role, perms=perms_for(role), **scope)


def call_centre() -> Principal:
    """The demo's 12345 centre, which takes every hotline call the demo makes (its name is on the pages)."""
    return _principal(Role.DISPATCHER, "12345热线中心")


def build_demo_events(
    session: Session, ctx: Any, *, count: int = DEMO_EVENTS, seed: int = 2024
) -> dict[str, int]:
    """Import the shipped categories and create `count` events between 2024-01-01 and the demo's today."""
    now = ctx.clock.now()
    cats.import_categories(
        session, cats.shipped_categories_file(), "categories.yaml", actor=ctx_actor(), now=now
    )
    publish_demo_catalogue(session, now=now)
    rng = random.Random(seed)
    minors = list(session.scalars(select(EventCategory).where(EventCategory.level == "minor")))
    grids = session.execute(
        select(Area.code, Area.centroid_lat, Area.centroid_lon).where(Area.level == "grid")
    ).all()
    departments = dict(session.execute(select(Department.code, Department.id)).all())
    centre = call_centre()
    zone = DEFAULT_CALENDAR.zone
    start = datetime(2024, 1, 1, tzinfo=zone)
    span_days = max(1, (now.astimezone(zone).date() - start.date()).days)
    outcomes: dict[str, int] = {}
    for _ in range(count):
        category = rng.choices(minors, weights=[3 if c.kind == "event" else 1 for c in minors])[0]
        grid_code, lat, lon = rng.choice(grids)
        day = start.date() + timedelta(days=min(span_days, int(rng.triangular(0, span_days, span_days))))
        if rng.random() < 0.15:  # a busy recent fortnight, so every queue has work in it
            day = now.astimezone(zone).date() - timedelta(days=rng.randrange(12))
        clock_time = time(rng.choice([8, 9, 9, 10, 10, 11, 14, 15, 15, 16, 17, 19, 21]), rng.randrange(60))
        reported = datetime.combine(day, clock_time, zone)
        if reported >= now:
            reported = now - timedelta(hours=rng.uniform(1, 48))
        hotline = category.kind == "hotline"
        located = not hotline or rng.random() < 0.5
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        data = intake.EventInput(
            description=TEXTS[category.kind].format(
                place=rng.choice(PLACES), n=rng.randrange(1, 300), name=category.name
            ),
            channel=Channel.HOTLINE
            if hotline
            else rng.choice([Channel.PATROL, Channel.PATROL, Channel.APP, Channel.VIDEO]),
            request_type=rng.choice(["consult", "help", "complaint", "complaint"]) if hotline else None,
            category_code=category.code,
            lat=(lat or 31.45) + rng.uniform(-0.002, 0.002) if located else None,
            lon=(lon or 121.1) + rng.uniform(-0.002, 0.002) if located else None,
            grid_code=grid_code,
            reporter_name=name if hotline or rng.random() < 0.3 else None,
            reporter_phone=f"1{rng.choice('35789')}{rng.randrange(10**9):09d}" if hotline else None,
            reported_at=reported,
        )
        reporter = centre if hotline else _principal(Role.GRID_WORKER, "网格员", area_code=grid_code)
        event = intake.create_event(session, data, actor=reporter, now=reported)
        state = _walk(session, event, category, rng, reported, now, departments, centre)
        outcomes[state] = outcomes.get(state, 0) + 1
    for event in _repeat_calls(session, rng, now, centre):
        outcomes[event.state] = outcomes.get(event.state, 0) + 1
    return outcomes


def publish_demo_catalogue(session: Session, *, now: datetime) -> int:
    """Publish the demo's dispatch catalogue as version 1, through the same spreadsheet import a
    centre uses: every category's default department, plus `CATALOGUE_EXTRA`."""
    _, rules = catalogue.version_rules(session)
    rows: list[list[Any]] = [
        [r.category_code, r.department_code, r.area_code, "、".join(r.keywords)] for r in rules
    ]
    rows += [list(extra) for extra in CATALOGUE_EXTRA]
    data = tabular.write_xlsx(
        {
            "派单目录": (
                ["条目", "分类编码", "承办单位", "区域编码", "关键词"],
                [[i, *r] for i, r in enumerate(rows, 1)],
            )
        }
    )
    result = catalogue.import_catalogue(session, data, "派单目录.xlsx", actor=ctx_actor(), now=now)
    return result.version


def _repeat_calls(session: Session, rng: random.Random, now: datetime, centre: Principal) -> list[Any]:
    """重复诉求: a few of the demo's hotline callers call again 1–10 days later about the same
    category; intake links each call to the earlier one (one caller calls a third time)."""
    from citycockpit.events.models import Event

    earlier = list(
        session.scalars(
            select(Event)
            .where(
                Event.channel == Channel.HOTLINE.value,
                Event.reporter_phone.is_not(None),
                Event.reported_at < now - timedelta(days=12),
                Event.reported_at > now - timedelta(days=150),
            )
            .order_by(Event.id)
        )
    )
    made = []
    for first in rng.sample(earlier, min(REPEAT_CALLERS, len(earlier))):
        previous = first
        for _ in range(2 if not made else 1):
            reported = previous.reported_at + timedelta(days=rng.uniform(1, 5), hours=rng.uniform(0, 3))
            data = intake.EventInput(
                description=f"再次来电：{first.description}此前已经反映过，至今没有解决。",
                channel=Channel.HOTLINE,
                request_type="complaint",
                category_code=first.category_code,
                grid_code=first.grid_code,
                reporter_name=first.reporter_name,
                reporter_phone=first.reporter_phone,
                reported_at=reported,
            )
            previous = intake.create_event(session, data, actor=centre, now=reported)
            made.append(previous)
    return made


def ctx_actor() -> Any:
    from citycockpit.core.actors import SystemActor

    return SystemActor("demo")


def _walk(
    session: Session,
    event: Any,
    category: EventCategory,
    rng: random.Random,
    t: datetime,
    now: datetime,
    departments: dict[str, int],
    centre: Principal,
) -> str:
    """Walk one event forward with plausible delays; stop where the simulated time runs out."""
    dept_id = event.department_id
    department = _principal(Role.DEPARTMENT, "承办部门", department_id=dept_id)
    field = _principal(Role.GRID_WORKER, "网格员", area_code=event.grid_code)
    kind = category.clock_kind
    handle_allowance = DEFAULT_CALENDAR.add(t, category.handle_limit or 8, kind) - t

    # Recent cases are still being worked on: stop them somewhere along the loop.
    recent = now - t < timedelta(days=12)
    budget = [rng.randint(1, 6) if recent and rng.random() < 0.7 else 99]

    def step(action: Action, who: Principal, delay: timedelta, **body: Any) -> bool:
        nonlocal t
        when = t + delay
        budget[0] -= 1
        if when >= now or budget[0] < 0:
            return False
        try:
            service.transition_event(
                session,
                event.id,
                action,
                service.ActionInput(version=event.version, note=body.pop("note", "办理说明"), **body),
                actor=who,
                now=when,
            )
        except (TransitionNotAllowed, InvalidEventInput):
            return False
        t = when
        return True

    minutes = lambda a, b: timedelta(minutes=rng.uniform(a, b))  # noqa: E731
    if rng.random() < 0.04:
        step(
            Action.REJECT,
            centre,
            minutes(10, 90),
            reason=rng.choice(["false_report", "not_in_scope"]),
            note="核实不属实",
        )
        return event.state
    if event.request_type == "consult" and rng.random() < 0.8:
        step(Action.CLOSE_DIRECTLY, centre, minutes(3, 20), note="已电话答复相关政策")
        return event.state
    if not step(Action.REGISTER, centre, minutes(5, 60)) or not step(Action.DISPATCH, centre, minutes(5, 40)):
        return event.state
    if rng.random() < 0.06 and step(
        Action.RETURN, department, minutes(20, 120), note="非本单位职责，申请退回"
    ):
        other = rng.choice([d for c, d in departments.items() if c.startswith("T")] or [dept_id])
        if not step(Action.DISPATCH, centre, minutes(10, 60), department_id=other):
            return event.state
        department = _principal(Role.DEPARTMENT, "配合部门", department_id=other)
    if not step(Action.SIGN, department, minutes(5, 90)):
        return event.state
    if rng.random() < 0.05 and step(
        Action.REQUEST_EXTENSION,
        department,
        minutes(30, 240),
        extension=category.handle_limit or 8,
        note="需协调多部门，申请延期",
    ):
        step(Action.GRANT_EXTENSION, centre, minutes(10, 120))
    ratio = rng.choice([0.3, 0.5, 0.6, 0.8, 0.9, 1.3])
    reworks = 1 if rng.random() < 0.05 else 0
    for attempt in range(reworks + 1):
        if not step(
            Action.HANDLE,
            department,
            handle_allowance * ratio,
            note="已处置完毕",
            photos=[f"demo/{event.public_id}-{attempt}.jpg"],
        ):
            return event.state
        verifier = field if category.requires_onsite_verification else centre
        if attempt < reworks:
            if not step(Action.REWORK, verifier, minutes(30, 180), note="核查未通过，现场问题仍在"):
                return event.state
            continue
        if not step(Action.VERIFY, verifier, minutes(20, 150)):
            return event.state
    if not step(Action.CLOSE, centre, minutes(5, 60)):
        return event.state
    satisfaction = rng.choices(
        ["satisfied", "basically_satisfied", "unsatisfied", "unreachable"], [90, 6, 2, 2]
    )[0]
    step(Action.RATE, centre, timedelta(hours=rng.uniform(2, 48)), satisfaction=satisfaction, note="回访")
    return event.state if event.state != EventState.RATED else "rated"
