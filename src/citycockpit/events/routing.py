"""Routing: rules first (minor category → the dispatch catalogue's row, else the category's default
department; area → town), then a text classifier hook; every decision records why. Below the classifier's
threshold (the stored model's auto-route threshold, chosen by `events train` for
`events_autoroute_precision`; without one `Settings.events_triage_threshold`) the event waits in triage.
The classifier's top three categories are kept with the decision (`RoutingDecision.suggestions`) for the
triage page and the event's read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core import stamps
from citycockpit.events import catalogue
from citycockpit.events.enums import RoutingSource
from citycockpit.events.models import EventCategory
from citycockpit.org.models import Department

DEFAULT_TRIAGE_THRESHOLD = 0.6


@dataclass(frozen=True)
class Suggestion:
    category_code: str
    department_code: str | None
    confidence: float


@dataclass(frozen=True)
class Ranking:
    """A classifier's likeliest categories for a text, best first, and its own auto-route threshold
    (None: routing's configured one)."""

    suggestions: tuple[Suggestion, ...]
    threshold: float | None = None


class Classifier(Protocol):
    """A text classifier: `suggest(text)` → (category_code, department_code, confidence) or None; one
    that can also `rank(text)` → `Ranking` gives the triage page its top three."""

    name: str

    def suggest(self, text: str) -> Suggestion | tuple[str, str | None, float] | None: ...


@dataclass(frozen=True)
class RoutingDecision:
    category_code: str | None
    department_id: int | None
    source: RoutingSource | None
    rule: str | None
    score: float | None
    needs_triage: bool
    rule_id: int | None = None  # the dispatch catalogue row (dispatch_catalogue_rules.id) that decided
    # {category_code, name, score, department_code} per suggested category, best first
    suggestions: tuple[dict[str, Any], ...] = ()


def ranking_of(classifier: Classifier, text: str) -> Ranking | None:
    """The classifier's ranking of a text (its `rank` when it has one, else its single suggestion)."""
    ranker = getattr(classifier, "rank", None)
    if ranker is not None:
        ranked: Ranking | None = ranker(text)
        return ranked if ranked is not None and ranked.suggestions else None
    raw = classifier.suggest(text)
    if raw is None:
        return None
    return Ranking((Suggestion(*raw) if isinstance(raw, tuple) else raw,))


class KeywordClassifier:
    """Baseline: the share of a minor category's keywords found in the text (longest match wins).
    Replaced by the trained model through `set_classifier`."""

    name = "keywords"

    def __init__(self, categories: list[tuple[str, str | None, str]]) -> None:
        self._table = [
            (code, dept, [k.strip() for k in (keywords or "").split(",") if k.strip()])
            for code, dept, keywords in categories
        ]

    def suggest(self, text: str) -> Suggestion | None:
        ranked = self.rank(text)
        return ranked.suggestions[0] if ranked else None

    def rank(self, text: str, k: int = 3) -> Ranking | None:
        scored: list[tuple[float, int, str, str | None]] = []
        for code, dept, words in self._table:
            hits = [w for w in words if w in text]
            if hits:
                scored.append((min(0.95, 0.45 + 0.2 * len(hits)), max(len(w) for w in hits), code, dept))
        scored.sort(key=lambda s: (-s[0], -s[1]))  # stable: the catalogue's order breaks ties
        if not scored:
            return None
        return Ranking(tuple(Suggestion(code, dept, score) for score, _, code, dept in scored[:k]))


_classifier: Classifier | None = None


def set_classifier(classifier: Classifier | None) -> None:
    """Install the classifier intake uses when a report has no category (None: keyword baseline)."""
    global _classifier
    _classifier = classifier


def get_classifier(session: Session) -> Classifier:
    if _classifier is not None:
        return _classifier
    rows = session.execute(
        select(EventCategory.code, EventCategory.default_department_code, EventCategory.keywords).where(
            EventCategory.level == "minor", EventCategory.is_active.is_(True)
        )
    ).all()
    return KeywordClassifier([tuple(r) for r in rows])  # type: ignore[misc]


TOWN = "@town"  # a category's department placeholder: the town/street government of the event's area (属地)


class DepartmentLookup:
    """`department_id_for` remembered per (code, town) for one transaction (a batch of intake). With
    `whole`, every department is read by one query at the first lookup."""

    def __init__(self, session: Session, *, whole: bool = False) -> None:
        self.session = session
        self._ids: dict[tuple[str | None, str | None], int | None] = {}
        self._whole = whole
        self._loaded = False
        self._catalogue: dict[str, list[catalogue.CatalogueRule]] | None = None

    def catalogue_rules(self, category_code: str) -> list[catalogue.CatalogueRule]:
        """The newest dispatch catalogue's rows of a category, read once per lookup (one batch)."""
        if self._catalogue is None:
            self._catalogue = catalogue.current_rules(self.session)
        return self._catalogue.get(category_code, [])

    def id_for(self, code: str | None, town_code: str | None = None) -> int | None:
        key = (code, town_code if code == TOWN else None)
        if key in self._ids:
            return self._ids[key]
        if self._whole and code:
            if not self._loaded:
                self._load()
            return self._ids.get(key) if code != TOWN or town_code else None
        self._ids[key] = department_id_for(self.session, code, town_code)
        return self._ids[key]

    def code_of(self, department_id: int | None) -> str | None:
        """The code of a department found by `id_for` (one query per department not seen yet)."""
        if department_id is None:
            return None
        codes = getattr(self, "_codes", None)
        if codes is None:
            codes = self._codes = {i: c for (c, town), i in self._ids.items() if town is None and c != TOWN}
        if department_id not in codes:
            codes[department_id] = self.session.scalar(
                select(Department.code).where(Department.id == department_id)
            )
        return codes[department_id]

    def _load(self) -> None:
        """Every department by code, and the first active one of each area (a town's government),
        as `department_id_for` picks them; kept by the process until the departments change."""
        self._loaded = True
        self._ids = dict(
            stamps.cached(self.session, "departments", "ids", lambda: _department_ids(self.session))
        )


def _department_ids(session: Session) -> dict[tuple[str | None, str | None], int | None]:
    ids: dict[tuple[str | None, str | None], int | None] = {}
    rows = session.execute(
        select(Department.id, Department.code, Department.area_code, Department.is_active).order_by(
            Department.id
        )
    )
    for id_, code, area_code, active in rows:
        ids.setdefault((code, None), id_)
        if active and area_code:
            ids.setdefault((TOWN, area_code), id_)
    return ids


def department_id_for(session: Session, code: str | None, town_code: str | None = None) -> int | None:
    """The department for a category's department code; `@town` is the town or street government
    whose area is the event's town (area → town rule)."""
    if not code:
        return None
    if code == TOWN:
        if not town_code:
            return None
        return session.scalars(
            select(Department.id)
            .where(Department.area_code == town_code, Department.is_active.is_(True))
            .order_by(Department.id)
        ).first()
    return session.scalars(select(Department.id).where(Department.code == code)).first()


@dataclass(frozen=True)
class CatalogueChoice:
    department_id: int | None
    rule: str
    rule_id: int | None


def catalogue_department(
    session: Session,
    category: EventCategory,
    *,
    text: str,
    area_code: str | None,
    departments: DepartmentLookup | None = None,
) -> CatalogueChoice:
    """The department of a minor category for a request's text and place: the most specific row of the
    dispatch catalogue that applies (catalogue.choose_rule), else the category's default department."""
    departments = departments or DepartmentLookup(session)
    town_code = area_code[:9] if area_code else None
    chosen = catalogue.choose_rule(departments.catalogue_rules(category.code), text=text, area_code=area_code)
    if chosen is not None:
        dept_id = departments.id_for(chosen.department_code, town_code)
        rule = f"catalogue:v{chosen.version}#{chosen.position}→{chosen.department_code}"
        return CatalogueChoice(dept_id, rule, chosen.id)
    dept_id = departments.id_for(category.default_department_code, town_code)
    rule = f"category:{category.code}→{category.default_department_code}"
    if category.default_department_code == TOWN:
        rule = f"area:{town_code}→town"
    return CatalogueChoice(dept_id, rule, None)


def route(
    session: Session,
    *,
    category: EventCategory | None,
    text: str,
    threshold: float = DEFAULT_TRIAGE_THRESHOLD,
    town_code: str | None = None,
    area_code: str | None = None,
    departments: DepartmentLookup | None = None,
) -> RoutingDecision:
    """Decide category and department for a new event, and why. `area_code` is the event's grid (or
    any code of its place): catalogue rows with an area exception match its subtree."""
    departments = departments or DepartmentLookup(session)
    area_code = area_code or town_code
    if category is not None:
        choice = catalogue_department(
            session, category, text=text, area_code=area_code, departments=departments
        )
        return RoutingDecision(
            category.code,
            choice.department_id,
            RoutingSource.RULE,
            choice.rule,
            1.0,
            choice.department_id is None,
            choice.rule_id,
        )
    classifier = get_classifier(session)
    ranking = ranking_of(classifier, text) if text.strip() else None
    if ranking is None:
        return RoutingDecision(None, None, None, None, None, True)
    suggestion = ranking.suggestions[0]
    if ranking.threshold is not None:
        threshold = ranking.threshold
    names = _minor_names(session)
    shown = []
    for s in ranking.suggestions:
        if s.category_code not in names:
            continue  # a category removed since the model was trained
        name, default = names[s.category_code]
        dept = departments.id_for(s.department_code or default, town_code)
        shown.append(
            {
                "category_code": s.category_code,
                "name": name,
                "score": round(float(s.confidence), 4),
                "department_code": departments.code_of(dept),
            }
        )
    known = session.scalars(
        select(EventCategory).where(
            EventCategory.code == suggestion.category_code, EventCategory.level == "minor"
        )
    ).first()
    if known is None:
        return RoutingDecision(
            None,
            None,
            RoutingSource.MODEL,
            classifier.name,
            suggestion.confidence,
            True,
            suggestions=tuple(shown),
        )
    choice = catalogue_department(session, known, text=text, area_code=area_code, departments=departments)
    dept_id, rule_id = choice.department_id, choice.rule_id
    if rule_id is None and suggestion.department_code:
        dept_id = departments.id_for(suggestion.department_code, town_code)
    confident = suggestion.confidence >= threshold and dept_id is not None
    return RoutingDecision(
        known.code,
        dept_id,
        RoutingSource.MODEL,
        classifier.name,
        round(float(suggestion.confidence), 4),
        not confident,
        rule_id,
        tuple(shown),
    )


def _minor_names(session: Session) -> dict[str, tuple[str, str | None]]:
    """code → (name, default department code) of every minor category, kept until categories change."""
    return stamps.cached(
        session,
        "event_categories",
        "minor_names",
        lambda: {
            code: (name, dept)
            for code, name, dept in session.execute(
                select(EventCategory.code, EventCategory.name, EventCategory.default_department_code).where(
                    EventCategory.level == "minor"
                )
            )
        },
    )
