"""States, actions, channels and the other closed vocabularies of the events domain."""

from __future__ import annotations

from enum import StrEnum


class EventState(StrEnum):
    """Where an event stands in the closed loop (闭环)."""

    REPORTED = "reported"  # 上报
    REGISTERED = "registered"  # 立案
    REJECTED = "rejected"  # 不予立案
    MERGED = "merged"  # 合并 (duplicate of another event)
    DISPATCHED = "dispatched"  # 派遣
    SIGNED = "signed"  # 签收
    RETURNED = "returned"  # 退回 (back to the dispatcher)
    SUSPENDED = "suspended"  # 挂账
    HANDLED = "handled"  # 处置完毕
    VERIFIED = "verified"  # 核查通过
    CLOSED = "closed"  # 结案
    RATED = "rated"  # 回访/评价


# Named sets of states: every reader that asks "is it open", "is a department on it" or "does its
# handling clock run" uses one of these (docs/domains/events.md, "Sets of states", lists them; a test
# pins each against that table and the transition table).
OPEN_STATES = frozenset(
    {
        EventState.REPORTED,
        EventState.REGISTERED,
        EventState.DISPATCHED,
        EventState.SIGNED,
        EventState.RETURNED,
        EventState.SUSPENDED,
        EventState.HANDLED,
        EventState.VERIFIED,
    }
)
# 已办结/已终止: no one acts on the event any more (a rated one may only be reopened). Open311 "closed".
FINAL_STATES = frozenset({EventState.REJECTED, EventState.MERGED, EventState.CLOSED, EventState.RATED})
# Closed after the whole loop: the confirmed history a classifier learns from.
COMPLETED_STATES = frozenset({EventState.CLOSED, EventState.RATED})
# 待派遣: registered or sent back, waiting for the centre to dispatch.
AWAITING_DISPATCH = frozenset({EventState.REGISTERED, EventState.RETURNED})
# 办理中: a department is responsible and the handling clock runs (it stops when the event is handled,
# returned or set aside). Overdue (超期) means one of these whose handling deadline has passed:
# `Event.is_overdue(now)` is that rule, in SQL and in Python.
BEING_HANDLED = frozenset({EventState.DISPATCHED, EventState.SIGNED})
# In a department's work queue: being handled, or set aside (挂账) by it.
WITH_DEPARTMENT = frozenset({*BEING_HANDLED, EventState.SUSPENDED})
# 督办/提级 apply: dispatched and not yet verified (returned included, set aside excluded).
SUPERVISABLE = frozenset({*BEING_HANDLED, EventState.RETURNED, EventState.HANDLED})


def state_values(states: frozenset[EventState]) -> list[str]:
    """The stored values of a set of states, in a stable order (for SQL `IN`)."""
    return sorted(s.value for s in states)


class Action(StrEnum):
    """Transitions of the state machine (see workflow.TRANSITIONS)."""

    REGISTER = "register"  # 立案
    REJECT = "reject"  # 不予立案
    MERGE = "merge"  # 合并为重复件
    CLOSE_DIRECTLY = "close_directly"  # 直接办结
    DISPATCH = "dispatch"  # 派遣
    SIGN = "sign"  # 签收
    RETURN = "return"  # 退回
    REQUEST_EXTENSION = "request_extension"  # 申请延期
    GRANT_EXTENSION = "grant_extension"  # 同意延期
    DENY_EXTENSION = "deny_extension"  # 不同意延期
    SUSPEND = "suspend"  # 挂账
    RESUME = "resume"  # 恢复办理
    HANDLE = "handle"  # 处置完毕
    VERIFY = "verify"  # 核查通过
    REWORK = "rework"  # 核查不通过, 返工
    CLOSE = "close"  # 结案
    RATE = "rate"  # 回访评价
    REOPEN = "reopen"  # 不满意重办
    OBJECT = "object"  # 派单异议 (a department: not ours)
    ACCEPT_OBJECTION = "accept_objection"  # 异议成立, 改派
    REFUSE_OBJECTION = "refuse_objection"  # 异议不成立, 仍由原单位办理


class SystemAction(StrEnum):
    """Transition rows written by the system rather than a person."""

    REPORT = "report"  # 上报 (the first row of every timeline)
    FOLLOW = "follow"  # a merged duplicate follows its original's outcome
    WARN = "warn"  # 80% of the allowance used
    REMIND = "remind"  # 催办
    SUPERVISE = "supervise"  # 督办
    ESCALATE = "escalate"  # 提级
    IMPORT_HISTORY = "import_history"  # 历史导入: the one timeline row of an imported closed ticket


class AssistAction(StrEnum):
    """Steps of a co-operating department (配合单位) on a jointly handled event: timeline rows that
    leave the event's state as it is (events/workflow/assists.py)."""

    SIGN = "assist_sign"  # 配合单位签收
    HANDLE = "assist_handle"  # 配合单位反馈办理情况


class AssistState(StrEnum):
    ASSIGNED = "assigned"  # 待签收
    SIGNED = "signed"  # 已签收, 办理中
    HANDLED = "handled"  # 已反馈


# A co-operator's part is open until it has reported (反馈) to the lead.
OPEN_ASSIST_STATES = frozenset({AssistState.ASSIGNED, AssistState.SIGNED})


class Channel(StrEnum):
    """Where an event came from (来源渠道)."""

    HOTLINE = "hotline"  # 12345 热线
    WEB = "web"  # 网站
    APP = "app"  # 手机 App / 小程序
    OPEN311 = "open311"  # Open311 GeoReport v2 clients
    API = "api"  # JSON API
    PATROL = "patrol"  # 网格员/监督员巡查
    VIDEO = "video"  # 视频监控
    REFERRAL = "referral"  # 上级转办
    WORKBENCH = "workbench"  # entered by the operations centre


class RequestType(StrEnum):
    """Hotline request types (诉求类型)."""

    CONSULT = "consult"  # 咨询
    HELP = "help"  # 求助
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报
    SUGGESTION = "suggestion"  # 建议


REQUEST_TYPE_LABELS = {
    RequestType.CONSULT: "咨询",
    RequestType.HELP: "求助",
    RequestType.COMPLAINT: "投诉",
    RequestType.REPORT: "举报",
    RequestType.SUGGESTION: "建议",
}
# Request types the centre may answer and close itself without dispatch (直接办结).
DIRECT_CLOSE_TYPES = frozenset({RequestType.CONSULT})


class CategoryKind(StrEnum):
    """The trees: 部件 (components), 事件 (events), 热线诉求 (hotline topics)."""

    COMPONENT = "component"
    EVENT = "event"
    HOTLINE = "hotline"


class ClockKind(StrEnum):
    """How a time limit is counted. Hour kinds take limits in hours, day kinds in days."""

    URGENT_HOURS = "urgent_hours"  # 紧急工作时: continuous, through nights and holidays
    WORK_HOURS = "work_hours"  # 工作时: office hours on working days
    WORK_DAYS = "work_days"  # 工作日: whole working days (statutory calendar)
    CALENDAR_DAYS = "calendar_days"  # 自然日: every day


CLOCK_KIND_LABELS = {
    ClockKind.URGENT_HOURS: "紧急工作时",
    ClockKind.WORK_HOURS: "工作时",
    ClockKind.WORK_DAYS: "工作日",
    ClockKind.CALENDAR_DAYS: "自然日",
}


class RejectReason(StrEnum):
    """Enumerated reasons for 不予立案."""

    NOT_IN_SCOPE = "not_in_scope"  # 不属于受理范围
    FALSE_REPORT = "false_report"  # 核实不存在 / 误报
    INSUFFICIENT_INFO = "insufficient_info"  # 信息不全无法核实
    ALREADY_RESOLVED = "already_resolved"  # 已自行解决
    LEGAL_PROCEDURE = "legal_procedure"  # 应通过诉讼/仲裁等法定途径
    TEST = "test"  # 测试件 / 无效来电


class Satisfaction(StrEnum):
    """Callback result (回访评价)."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意
    UNREACHABLE = "unreachable"  # 未联系上 (not a valid callback)


class RoutingSource(StrEnum):
    RULE = "rule"
    MODEL = "model"
    MANUAL = "manual"
    DISPATCHER = "dispatcher"  # chosen in triage by a dispatcher (the model's guess kept in suggestions)


class GridMethod(StrEnum):
    """How an event's grid was found."""

    GIVEN = "given"
    POLYGON = "polygon"
    CENTROID = "centroid"


class DuplicateStatus(StrEnum):
    PROPOSED = "proposed"
    MERGED = "merged"
    DISMISSED = "dismissed"


class ObjectionStatus(StrEnum):
    """Where a department's objection (派单异议) stands."""

    PENDING = "pending"  # 待审核
    ACCEPTED = "accepted"  # 异议成立, 已改派
    REFUSED = "refused"  # 异议不成立
