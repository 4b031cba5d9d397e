"""The closed loop as data: which action leads from which states to which, who may take it, and
whether it needs a note. `service.transition_event` applies the effects; the tests walk this table.

    reported ─register→ registered ─dispatch→ dispatched ─sign→ signed ─handle→ handled ─verify→ verified
       │ reject → rejected          ↑   │                      │  │ ↺ request/grant/deny_extension  │
       │ merge → merged             │   └──return→ returned ───┘  │ suspend ⇄ resume (suspended)   close
       └ close_directly → closed    └── dispatch ─┘              rework ←── handled                 ↓
                                                                                       closed ─rate→ rated
                                                                         rated(不满意) ─reopen→ dispatched
    dispatched ─object→ dispatched (异议待审) ─accept_objection→ dispatched (另一部门) | ─refuse_objection→ dispatched
"""

from __future__ import annotations

from dataclasses import dataclass

from citycockpit.auth.enums import Role
from citycockpit.events.enums import Action, EventState

S = EventState
CENTRE = frozenset({Role.DISPATCHER, Role.ADMIN})  # 指挥中心 / 12345 centre
DEPARTMENT = frozenset({Role.DEPARTMENT})  # 处置部门 (own events only)
FIELD = frozenset({Role.TOWN, Role.GRID_WORKER})  # 镇/网格员 (own area subtree)
REPORTERS = frozenset({Role.DISPATCHER, Role.ADMIN, Role.TOWN, Role.GRID_WORKER, Role.API_CLIENT})


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[EventState]
    target: EventState
    roles: frozenset[Role]
    note_required: bool
    label: str
    # Roles that may act only when the category does not require on-site verification.
    remote_roles: frozenset[Role] = frozenset()


def _t(
    action: Action,
    sources: set[EventState],
    target: EventState,
    roles: frozenset[Role],
    note: bool,
    label: str,
    remote_roles: frozenset[Role] = frozenset(),
) -> Transition:
    return Transition(action, frozenset(sources), target, roles, note, label, remote_roles)


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in [
        _t(Action.REGISTER, {S.REPORTED}, S.REGISTERED, CENTRE, False, "立案"),
        _t(Action.REJECT, {S.REPORTED}, S.REJECTED, CENTRE, True, "不予立案"),
        _t(Action.MERGE, {S.REPORTED, S.REGISTERED}, S.MERGED, CENTRE, False, "合并重复件"),
        _t(Action.CLOSE_DIRECTLY, {S.REPORTED, S.REGISTERED}, S.CLOSED, CENTRE, True, "直接办结"),
        _t(Action.DISPATCH, {S.REGISTERED, S.RETURNED}, S.DISPATCHED, CENTRE, False, "派遣"),
        _t(Action.SIGN, {S.DISPATCHED}, S.SIGNED, DEPARTMENT, False, "签收"),
        _t(Action.RETURN, {S.DISPATCHED, S.SIGNED}, S.RETURNED, DEPARTMENT, True, "退回"),
        _t(Action.REQUEST_EXTENSION, {S.SIGNED}, S.SIGNED, DEPARTMENT, True, "申请延期"),
        _t(Action.GRANT_EXTENSION, {S.SIGNED}, S.SIGNED, CENTRE, False, "同意延期"),
        _t(Action.DENY_EXTENSION, {S.SIGNED}, S.SIGNED, CENTRE, True, "不同意延期"),
        _t(Action.SUSPEND, {S.SIGNED}, S.SUSPENDED, DEPARTMENT, True, "挂账"),
        _t(Action.RESUME, {S.SUSPENDED}, S.SIGNED, CENTRE, False, "恢复办理"),
        _t(Action.HANDLE, {S.SIGNED}, S.HANDLED, DEPARTMENT, True, "处置完毕"),
        _t(Action.VERIFY, {S.HANDLED}, S.VERIFIED, FIELD, False, "核查通过", remote_roles=CENTRE),
        _t(Action.REWORK, {S.HANDLED}, S.SIGNED, FIELD, True, "核查不通过·返工", remote_roles=CENTRE),
        _t(Action.CLOSE, {S.VERIFIED}, S.CLOSED, CENTRE, False, "结案"),
        _t(Action.RATE, {S.CLOSED}, S.RATED, CENTRE, False, "回访评价"),
        _t(Action.REOPEN, {S.RATED}, S.DISPATCHED, CENTRE, True, "不满意重办"),
        _t(Action.OBJECT, {S.DISPATCHED}, S.DISPATCHED, DEPARTMENT, True, "派单异议"),
        _t(Action.ACCEPT_OBJECTION, {S.DISPATCHED}, S.DISPATCHED, CENTRE, False, "异议成立·改派"),
        _t(Action.REFUSE_OBJECTION, {S.DISPATCHED}, S.DISPATCHED, CENTRE, True, "异议不成立"),
    ]
}

STATE_LABELS = {
    S.REPORTED: "上报",
    S.REGISTERED: "立案",
    S.REJECTED: "不予立案",
    S.MERGED: "已合并",
    S.DISPATCHED: "已派遣",
    S.SIGNED: "已签收",
    S.RETURNED: "已退回",
    S.SUSPENDED: "挂账",
    S.HANDLED: "处置完毕",
    S.VERIFIED: "已核查",
    S.CLOSED: "结案",
    S.RATED: "已评价",
}


def roles_for(transition: Transition, *, onsite_required: bool) -> frozenset[Role]:
    """Roles that may take the action on an event whose category does (not) require on-site checks."""
    return transition.roles if onsite_required else transition.roles | transition.remote_roles


OBJECTION_DECISIONS = frozenset({Action.ACCEPT_OBJECTION, Action.REFUSE_OBJECTION})


def allowed_actions(
    state: EventState | str,
    role: Role | str,
    *,
    onsite_required: bool = True,
    pending_objection: bool | None = None,
    history: bool = False,
) -> list[Action]:
    """Actions a role may take from a state (before scope and per-event preconditions). Given
    `pending_objection`, the objection actions an event offers: a decision only while one waits, a new
    objection only while none does. Imported history (`history`, Event.is_history) was closed elsewhere
    and takes none: not even 回访 or 重办."""
    if history:
        return []
    state, role = EventState(state), Role(role)
    actions = [
        t.action
        for t in TRANSITIONS.values()
        if state in t.sources and role in roles_for(t, onsite_required=onsite_required)
    ]
    if pending_objection is None:
        return actions
    if pending_objection:
        return [a for a in actions if a not in (Action.OBJECT, Action.SIGN, Action.RETURN)]
    return [a for a in actions if a not in OBJECTION_DECISIONS]
