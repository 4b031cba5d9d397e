"""Routing a dispatcher can trust: the auto-route threshold chosen from held-out scores, the
classifier's top three stored at intake and read on the API and the event page, the triage card's
one-step 立案+派遣, a dispatcher's choice recorded beside the model's guess, and the weekly retrain."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.events import routing
from citycockpit.events.analytics.models import ClassifierModel
from citycockpit.events.enums import Action
from citycockpit.events.intake import classifier
from citycockpit.events.intake import service as intake
from citycockpit.events.models import Event, EventTransition
from citycockpit.events.workflow import service
from citycockpit.org.models import Department
from tests.events.conftest import GRID_A, act, report

# Matches 办事指南 (办事, 流程: 0.85) before 暴露垃圾 (垃圾: 0.65) in the keyword baseline; with a
# triage threshold of 0.9 it waits in triage with both as suggestions.
UNSURE = "东门街口垃圾很多，想问问清运的办事流程"


def _form(persona: Any, **data: Any) -> dict[str, Any]:
    return {
        "data": {"csrf_token": persona.csrf_token, **data},
        "headers": {"Cookie": persona.headers["Cookie"]},
    }


def _report(db: Session, actor: Any, now: Any, description: str, threshold: float) -> Event:
    """A report without a category, routed by the classifier against `threshold`."""
    data = intake.EventInput(description=description, channel="patrol", lat=GRID_A[0], lon=GRID_A[1])
    return intake.create_event(db, data, actor=actor, now=now, triage_threshold=threshold)


def _triaged(db: Session, actor: Any, now: Any) -> Event:
    return _report(db, actor, now, UNSURE, 0.9)


# ---- the threshold ---------------------------------------------------------------------------------


def test_the_threshold_is_the_lowest_score_at_which_routed_events_reach_the_target() -> None:
    scores = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5]
    right = [True, True, True, True, False, True, False]
    assert classifier.choose_threshold(scores, right, 0.95) == 0.8  # 4/4; at 0.7 only 4/5
    assert classifier.choose_threshold(scores, right, 0.8) == 0.6  # 5/6 = 0.83; at 0.5 5/7 = 0.71


def test_no_threshold_is_chosen_when_even_the_surest_events_miss_the_target() -> None:
    assert classifier.choose_threshold([0.9, 0.8], [False, True], 0.95) == classifier.NO_THRESHOLD


def test_events_with_the_same_score_are_routed_together() -> None:
    # at 0.9 the two tied events give 1/2: the threshold cannot split them
    assert classifier.choose_threshold([0.95, 0.9, 0.9], [True, True, False], 0.9) == 0.95


def test_the_figures_count_the_auto_routed_share_and_top_three_accuracy() -> None:
    ranked = [
        [("A", 0.9), ("B", 0.05), ("C", 0.05)],
        [("A", 0.8), ("B", 0.1), ("C", 0.1)],
        [("B", 0.5), ("A", 0.4), ("C", 0.1)],
        [("C", 0.4), ("B", 0.3), ("A", 0.3)],
    ]
    figures = classifier.measure(ranked, ["A", "A", "A", "B"], target=0.95)
    assert (figures.threshold, figures.autoroute_share, figures.autoroute_precision) == (0.8, 0.5, 1.0)
    assert (figures.top1, figures.top3) == (0.5, 1.0)
    assert figures.per_category["A"] == [1.0, 0.6667, 3.0]  # precision, recall, held-out events


# ---- suggestions ------------------------------------------------------------------------------------


def test_a_triaged_event_reads_its_suggestions_best_first_on_the_api(
    client: TestClient, db: Session, clock: Any, categories: None, grid_worker: Any, dispatcher: Any
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    body = client.get(f"/api/v1/events/{event.public_id}", headers=dispatcher.headers).json()
    assert body["needs_triage"] is True
    assert body["suggestions"] == [
        {"category_code": "H0104", "name": "办事指南", "score": 0.85, "department_code": "CGJ"},
        {"category_code": "E0102", "name": "暴露垃圾", "score": 0.65, "department_code": "CGJ"},
    ]


def test_an_event_routed_by_its_reported_category_has_no_suggestions(
    client: TestClient, db: Session, clock: Any, categories: None, grid_worker: Any, dispatcher: Any
) -> None:
    event = report(db, grid_worker.principal, clock.now())
    body = client.get(f"/api/v1/events/{event.public_id}", headers=dispatcher.headers).json()
    assert (body["routing_source"], body["suggestions"]) == ("rule", [])


def test_the_event_page_offers_the_suggestions_as_one_click_choices(
    client: TestClient, db: Session, clock: Any, categories: None, grid_worker: Any, dispatcher: Any
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    page = client.get(f"/app/events/{event.public_id}", headers=dispatcher.headers).text
    assert "分拣派遣" in page and "立案并派遣" in page
    first, second = (
        page.index('<strong translate="no">办事指南</strong> → <span translate="no">城管局</span>'),
        page.index('<strong translate="no">暴露垃圾</strong> → <span translate="no">城管局</span>'),
    )
    assert first < second and "置信度 85%" in page


def test_a_department_sees_the_suggestions_but_no_triage_card(
    client: TestClient, db: Session, clock: Any, categories: None, grid_worker: Any, dept_staff: Any
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    page = client.get(f"/app/events/{event.public_id}", headers=dept_staff.headers)
    assert "分拣派遣" not in page.text and 'action="/app/events/' not in page.text


# ---- the triage card --------------------------------------------------------------------------------


def test_one_click_on_a_suggestion_registers_and_dispatches_the_event(
    client: TestClient,
    db: Session,
    clock: Any,
    city: Any,
    categories: None,
    grid_worker: Any,
    dispatcher: Any,
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    r = client.post(
        f"/app/events/{event.public_id}/triage",
        follow_redirects=False,
        **_form(dispatcher, version=str(event.version), category_code="E0102", department_id=""),
    )
    assert r.status_code == 303, r.text
    db.refresh(event)
    assert (event.state, event.category_code, event.department_id) == ("dispatched", "E0102", city["cgj"].id)
    assert (event.needs_triage, event.handle_due_at is not None) == (False, True)
    steps = db.scalars(
        select(EventTransition.action)
        .where(EventTransition.event_id == event.id)
        .order_by(EventTransition.id)
    ).all()
    assert steps == ["report", "register", "dispatch"]
    audited = db.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == event.public_id).order_by(AuditEntry.id)
    ).all()
    assert audited == ["event.report", "event.register", "event.dispatch"]
    page = client.get(r.headers["location"], headers=dispatcher.headers).text
    assert "已完成：立案并派遣" in page and "分拣派遣" not in page


def test_a_dispatchers_choice_is_recorded_with_the_models_guess(
    db: Session, clock: Any, categories: None, grid_worker: Any, dispatcher: Any
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    service.register_and_dispatch(
        db,
        event.id,
        version=event.version,
        category_code="E0102",
        department_id=None,
        note=None,
        actor=dispatcher.principal,
        now=clock.now(),
    )
    assert event.routing_source == "dispatcher"
    assert event.suggestions[0]["category_code"] == "H0104"  # the model's guess stays
    data = db.scalar(
        select(EventTransition.data_json).where(
            EventTransition.event_id == event.id, EventTransition.action == "register"
        )
    )
    assert json.loads(data or "{}") == {"category": "E0102", "model_guess": "H0104"}


def test_a_refused_dispatch_leaves_the_event_waiting_in_triage(
    client: TestClient, db: Session, clock: Any, categories: None, grid_worker: Any, dispatcher: Any
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    r = client.post(
        f"/app/events/{event.public_id}/triage",
        **_form(dispatcher, version=str(event.version), category_code="E0102", department_id="999999"),
    )
    assert r.status_code in (404, 422) and "分拣派遣" in r.text
    db.refresh(event)
    assert (event.state, event.needs_triage, event.category_code) == ("reported", True, None)


def test_a_grid_worker_cannot_triage(
    client: TestClient, db: Session, clock: Any, categories: None, grid_worker: Any
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    r = client.post(
        f"/app/events/{event.public_id}/triage",
        **_form(grid_worker, version=str(event.version), category_code="E0102"),
    )
    assert r.status_code in (403, 404)
    db.refresh(event)
    assert event.state == "reported"


def test_the_category_picker_finds_a_category_by_keyword_name_or_code(
    client: TestClient, db: Session, clock: Any, categories: None, grid_worker: Any, dispatcher: Any
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    url = f"/app/events/{event.public_id}/categories"
    assert 'value="E0401"' in client.get(url, params={"q": "水管爆裂"}, headers=dispatcher.headers).text
    assert 'value="E0401"' in client.get(url, params={"q": "管道破裂"}, headers=dispatcher.headers).text
    assert 'value="H0601"' in client.get(url, params={"q": "h06"}, headers=dispatcher.headers).text
    none = client.get(url, params={"q": "火星"}, headers=dispatcher.headers).text
    assert "没有与“火星”相符的分类" in none and 'type="radio"' not in none


def test_choosing_a_category_prefills_its_rule_department(
    client: TestClient,
    db: Session,
    clock: Any,
    city: Any,
    categories: None,
    grid_worker: Any,
    dispatcher: Any,
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    html = client.get(
        f"/app/events/{event.public_id}/department",
        params={"category_code": "E0401"},
        headers=dispatcher.headers,
    ).text
    assert f'<option value="{city["cgj"].id}" selected>' in html


# ---- training, the stored threshold, the weekly retrain -----------------------------------------------


def test_out_of_fold_scores_come_from_models_that_never_saw_the_event() -> None:
    # Labels that no text predicts: a model scoring its own training texts would recall them (~100 %),
    # models fitted on the other folds can only guess (~50 %).
    import random

    rng = random.Random(7)
    texts = [
        "".join(rng.choice("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉") for _ in range(12)) for _ in range(200)
    ]
    cats = [rng.choice("AB") for _ in texts]
    ranked = classifier.out_of_fold(texts, cats, use_words=False, seed=0)
    right = sum(r[0][0] == c for r, c in zip(ranked, cats, strict=True))
    assert all(ranked) and right / len(texts) < 0.7


def test_a_large_history_is_cross_validated_on_a_stratified_sample() -> None:
    cats = ["A"] * 900 + ["B"] * 100
    sample = classifier.cv_sample(cats, seed=0, size=200)
    assert len(sample) == len(set(sample)) == 200
    assert sum(cats[i] == "B" for i in sample) == 20  # the categories' shares are kept
    assert classifier.cv_sample(cats[:150], seed=0, size=200) == list(range(150))


def test_jieba_words_are_kept_only_when_cross_validation_says_they_route_more() -> None:
    texts = [f"{t}，第{i}次反映" for i in range(15) for t in LITTER + PIPES]
    cats = [c for _ in range(15) for c in ["E0102"] * 4 + ["E0401"] * 4]
    fitted = classifier.fit_and_measure(texts, cats, target=0.95)
    share = {k: (round(v["autoroute_share"], 3), round(v["top1"], 3)) for k, v in fitted.compared.items()}
    assert set(share) == {"chars", "chars+words"}
    assert fitted.use_words is (share["chars+words"] > share["chars"])
    forced = classifier.fit_and_measure(texts, cats, target=0.95, use_words=True)
    assert forced.use_words is True and set(forced.compared) == {"chars+words"}


LITTER = [
    "小区门口垃圾堆放好几天没人清理",
    "路边暴露垃圾散发臭味",
    "垃圾桶满了溢出来没人管",
    "绿化带里有人倒生活垃圾",
]
PIPES = [
    "马路上水管爆裂水流成河",
    "小区供水管道破裂停水了",
    "路口地下水管破了一直冒水",
    "人行道下面管道破裂往外喷水",
]


def _history(db: Session, actor: Any, dispatcher: Any, now: Any, n: int = 36) -> None:
    """`n` events a dispatcher categorised in triage (training data): litter and burst pipes."""
    for i in range(n):
        texts, code = (LITTER, "E0102") if i % 2 else (PIPES, "E0401")
        event = _report(db, actor, now, f"{texts[i % 4]}，第{i}次反映", 1.0)  # all wait in triage
        act(db, event, Action.REGISTER, dispatcher, now, category_code=code, note=None)


@pytest.fixture
def trained(db: Session, clock: Any, categories: None, grid_worker: Any, dispatcher: Any) -> ClassifierModel:
    classifier._CACHE.clear()  # model ids repeat across rolled-back tests
    _history(db, grid_worker.principal, dispatcher.principal, clock.now(), n=60)
    result = classifier.train_classifier(db, now=clock.now(), actor=dispatcher.principal, use_words=False)
    model = db.get(ClassifierModel, result.model_id)
    assert model is not None
    return model


def test_training_on_dispatchers_choices_stores_the_threshold_and_figures(trained: ClassifierModel) -> None:
    figures = classifier.Figures.from_json(trained.figures_json)
    # every one of the 60 events is scored out of fold, and the stored model is fitted on all 60
    assert figures is not None and figures.n == trained.n_test == trained.n_train == 60
    assert trained.autoroute_threshold == figures.threshold
    assert set(figures.per_category) == {"E0102", "E0401"}
    assert figures.target == 0.95 and figures.top3 == 1.0


class _InSession:
    """The trained model read through the test's own session (the app's hook opens its own)."""

    name = "model"

    def __init__(self, db: Session) -> None:
        self.db = db

    def suggest(self, text: str) -> None:
        return None

    def rank(self, text: str) -> routing.Ranking | None:
        return classifier.rank(self.db, text)


@pytest.mark.parametrize(("stored", "configured", "waits"), [(0.999, 0.0, True), (0.0, 0.999, False)])
def test_routing_uses_the_models_stored_threshold_over_the_setting(
    db: Session,
    trained: ClassifierModel,
    clock: Any,
    grid_worker: Any,
    stored: float,
    configured: float,
    waits: bool,
) -> None:
    db.execute(
        update(ClassifierModel).where(ClassifierModel.id == trained.id).values(autoroute_threshold=stored)
    )
    classifier._CACHE.clear()
    routing.set_classifier(_InSession(db))
    try:
        event = _report(db, grid_worker.principal, clock.now(), "小区门口垃圾没人清理", configured)
    finally:
        routing.set_classifier(None)
    assert event.needs_triage is waits
    assert event.routing_source == "model" and event.suggestions[0]["category_code"] == "E0102"


def test_the_weekly_retrain_waits_a_week(db: Session, trained: ClassifierModel, clock: Any) -> None:
    result = classifier.retrain_job(db, now=clock.now() + timedelta(days=6), calendar=None)
    assert result.touched == 0
    assert db.scalar(select(func.count()).select_from(ClassifierModel)) == 1


def test_the_weekly_retrain_keeps_a_model_that_is_no_worse(
    db: Session, trained: ClassifierModel, clock: Any
) -> None:
    result = classifier.retrain_job(db, now=clock.now() + timedelta(days=8), calendar=None)
    assert result.touched == 1
    assert db.scalar(select(func.max(ClassifierModel.id))) > trained.id


def test_the_weekly_retrain_discards_a_model_worse_than_the_current_one(
    db: Session, trained: ClassifierModel, clock: Any
) -> None:
    figures = classifier.Figures.from_json(trained.figures_json)
    assert figures is not None
    figures.top1 = figures.autoroute_share = 1.01  # a current model nothing can match
    trained.figures_json = figures.as_json()
    db.flush()
    result = classifier.retrain_job(db, now=clock.now() + timedelta(days=8), calendar=None)
    assert result.touched == 0
    assert db.scalar(select(func.max(ClassifierModel.id))) == trained.id
    assert db.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "events.classifier.discard"


def test_a_department_override_in_triage_is_still_the_dispatchers_choice(
    db: Session, clock: Any, city: Any, categories: None, grid_worker: Any, dispatcher: Any
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    fgw = db.scalar(select(Department.id).where(Department.code == "FGW"))
    service.register_and_dispatch(
        db,
        event.id,
        version=event.version,
        category_code="H0104",
        department_id=fgw,
        note=None,
        actor=dispatcher.principal,
        now=clock.now(),
    )
    assert (event.routing_source, event.department_id, event.state) == ("dispatcher", fgw, "dispatched")


def test_the_api_registers_and_dispatches_in_one_call_or_not_at_all(
    client: TestClient,
    db: Session,
    clock: Any,
    city: Any,
    categories: None,
    grid_worker: Any,
    dispatcher: Any,
) -> None:
    event = _triaged(db, grid_worker.principal, clock.now())
    url = f"/api/v1/events/{event.public_id}/register-dispatch"
    refused = client.post(url, json={"version": event.version}, headers=dispatcher.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "event_invalid")
    db.refresh(event)
    assert event.state == "reported"
    r = client.post(
        url, json={"version": event.version, "category_code": "H0104"}, headers=dispatcher.headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["department_id"], r.json()["routing_source"]) == (
        "dispatched",
        city["cgj"].id,
        "dispatcher",
    )
