"""Investment attraction (招商引资): the city's counting rules for signings, recording and listing
signings, and the year's attraction goals. Functions flush; the caller commits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.principal import Principal
from citycockpit.auth.scope import scope_clause
from citycockpit.core.actors import Actor
from citycockpit.org.models import Area, Department
from citycockpit.projects.enums import CURRENCIES, INDUSTRIES
from citycockpit.projects.errors import InvalidSigning, ProjectCodeTaken
from citycockpit.projects.models import AttractionGoal, InvestmentSigning


@dataclass(frozen=True)
class SigningRules:
    """Investment attraction's counting rules, each city's own (settings `projects_signing_min_…`,
    `projects_major_min_…`); the defaults are the 2024 report's: 注册资金2000万元以上, and major when
    ≥ 10亿元 or ≥ 1亿美元."""

    min_registered_wan_cny: float = 2000.0
    major_wan_cny: float = 100_000.0
    major_wan_usd: float = 10_000.0

    @classmethod
    def from_settings(cls, settings: Any) -> SigningRules:
        return cls(
            settings.projects_signing_min_registered_wan_cny,
            settings.projects_major_min_investment_wan_cny,
            settings.projects_major_min_investment_wan_usd,
        )

    def labels(self) -> dict[str, str]:
        """The attraction metrics with labels that state these rules."""
        return {
            "signed_count": f"签约项目数 (注册资金{_amount(self.min_registered_wan_cny, '元')}以上)",
            "total_investment_wan_cny": "签约项目总投资 (万元)",
            "major_count": f"超{_amount(self.major_wan_usd, '美元')}或{_amount(self.major_wan_cny, '元')}项目数",
            "foreign_capital_used_wan_usd": "实际使用外资 (万美元)",
        }


def _amount(wan: float, unit: str) -> str:
    """万-denominated amounts as the reports write them: 2000万元, 10亿元, 1.5亿美元."""
    if wan >= 10_000:
        return f"{wan / 10_000:g}亿{unit}"
    return f"{wan:g}万{unit}"


ATTRACTION_METRICS = SigningRules().labels()  # the metric keys (labels: `SigningRules.labels`)


def classify_signing(
    *,
    registered_capital_wan_cny: float,
    total_investment_wan_cny: float,
    currency: str,
    total_investment_wan_foreign: float | None,
    rules: SigningRules = SigningRules(),
) -> tuple[bool, bool]:
    """(is_above_threshold, is_major) under the counting rules."""
    above = registered_capital_wan_cny >= rules.min_registered_wan_cny
    major = total_investment_wan_cny >= rules.major_wan_cny or (
        currency == "USD" and (total_investment_wan_foreign or 0) >= rules.major_wan_usd
    )
    return above, major


def reclassify_signings(session: Session, rules: SigningRules, *, actor: Actor, now: datetime) -> int:
    """Set every signing's threshold and major flags by `rules` (after the settings changed): one SELECT
    of the signings whose flags change and one UPDATE, both in SQL (the same rules as `classify_signing`,
    written as SQL), and one audit entry with the rules and those signings."""
    table = InvestmentSigning
    above = table.registered_capital_wan_cny >= rules.min_registered_wan_cny
    major = (table.total_investment_wan_cny >= rules.major_wan_cny) | (
        (table.currency == "USD")
        & (func.coalesce(table.total_investment_wan_foreign, 0) >= rules.major_wan_usd)
    )
    changed = list(
        session.scalars(
            select(table.code).where((table.is_above_threshold != above) | (table.is_major != major))
        )
    )
    if changed:
        session.execute(update(table).values(is_above_threshold=above, is_major=major))
        audit.record(
            session,
            actor,
            "signing.reclassify",
            "investment_signing",
            None,
            at=now,
            diff={"rules": dataclasses.asdict(rules), "changed": changed[:1000], "count": len(changed)},
        )
    return len(changed)


def record_signing(
    session: Session,
    *,
    fields: dict[str, Any],
    actor: Actor,
    now: datetime,
    ip: str | None = None,
    rules: SigningRules = SigningRules(),
) -> InvestmentSigning:
    """Record a signed investment attraction project; its threshold and major flags are derived by
    `rules` (the city's settings; `reclassify_signings` applies changed rules to earlier signings)."""
    fields = {"currency": "CNY", "is_foreign_funded": False, "foreign_capital_used_wan_usd": 0.0, **fields}
    code = str(fields.get("code") or "").strip()
    if not code:
        raise InvalidSigning("A signing needs a code", field="code")
    if session.scalar(select(InvestmentSigning.id).where(InvestmentSigning.code == code)) is not None:
        raise ProjectCodeTaken(f"Signing code {code} is taken", code_value=code)
    if fields["currency"] not in CURRENCIES:
        raise InvalidSigning(f"Unknown currency {fields['currency']!r}", field="currency")
    if fields.get("industry") not in INDUSTRIES:
        raise InvalidSigning(f"Unknown industry {fields.get('industry')!r}", field="industry")
    for key in ("registered_capital_wan_cny", "total_investment_wan_cny", "foreign_capital_used_wan_usd"):
        if (fields.get(key) or 0) < 0:
            raise InvalidSigning(f"{key} cannot be negative", field=key)
    if session.scalar(select(Area.id).where(Area.code == fields.get("area_code"))) is None:
        raise InvalidSigning(f"Area {fields.get('area_code')} does not exist", field="area_code")
    if session.get(Department, fields.get("department_id")) is None:
        raise InvalidSigning(
            f"Department {fields.get('department_id')} does not exist", field="department_id"
        )
    above, major = classify_signing(
        registered_capital_wan_cny=fields["registered_capital_wan_cny"],
        total_investment_wan_cny=fields["total_investment_wan_cny"],
        currency=fields["currency"],
        total_investment_wan_foreign=fields.get("total_investment_wan_foreign"),
        rules=rules,
    )
    fields["code"] = code
    signing = InvestmentSigning(**fields, is_above_threshold=above, is_major=major, created_at=now)
    session.add(signing)
    session.flush()
    audit.record(
        session, actor, "signing.create", "investment_signing", signing.id, at=now, ip=ip, diff=fields
    )
    return signing


def list_signings(
    session: Session, principal: Principal, *, year: int | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[InvestmentSigning], int]:
    """Signings in the caller's scope (signing department / area), newest first."""
    query = select(InvestmentSigning).where(
        scope_clause(
            principal,
            department_col=InvestmentSigning.department_id,
            area_code_col=InvestmentSigning.area_code,
        )
    )
    if year:
        query = query.where(
            InvestmentSigning.signed_on >= date(year, 1, 1),
            InvestmentSigning.signed_on < date(year + 1, 1, 1),
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (InvestmentSigning.signed_on.desc(), InvestmentSigning.id)
    items = session.scalars(query.order_by(*order).offset(offset).limit(limit)).all()
    return list(items), total


def set_attraction_goal(
    session: Session,
    *,
    year: int,
    metric: str,
    target_value: float,
    goal_ref: str | None = None,
    actor: Actor,
    now: datetime,
    ip: str | None = None,
) -> AttractionGoal:
    """Set the year's goal for one attraction metric (e.g. foreign capital used: 60000 万美元)."""
    if metric not in ATTRACTION_METRICS:
        raise InvalidSigning(
            f"Unknown metric {metric!r}; use one of {', '.join(ATTRACTION_METRICS)}", field="metric"
        )
    if target_value is None or target_value <= 0:
        raise InvalidSigning("A goal must be more than 0", field="target_value")
    if goal_ref:
        # The link into the goals domain (a tracked goal of 督查, e.g. "实际使用外资6亿美元"): it must exist.
        from citycockpit.goals import service as goals_service

        if not goal_ref.strip().isdigit():
            raise InvalidSigning(f"goal_ref {goal_ref!r} must be the id of a tracked goal", field="goal_ref")
        goal_ref = str(goals_service.get_goal(session, int(goal_ref)).id)
    goal = session.scalars(
        select(AttractionGoal).where(AttractionGoal.year == year, AttractionGoal.metric == metric)
    ).first()
    before = None if goal is None else goal.target_value
    if goal is None:
        goal = AttractionGoal(year=year, metric=metric)
        session.add(goal)
    goal.target_value = target_value
    goal.goal_ref = goal_ref
    goal.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "attraction.goal",
        "attraction_goal",
        goal.id,
        at=now,
        ip=ip,
        diff={"year": year, "metric": metric, "target_value": [before, target_value], "goal_ref": goal_ref},
    )
    return goal
