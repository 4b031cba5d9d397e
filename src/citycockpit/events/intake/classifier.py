"""The text classifier that suggests an event's minor category (小类) from its text, and with it the
department routing gives that category.

Character n-grams (TF-IDF, `char_wb`, 1–3) carry most of the signal in Chinese, where words are not
separated; jieba words can be added as a second feature set (compound terms such as 占道经营), and are
kept only when cross-validation says they help (`fit_and_measure`). A linear model (SGD with logistic
loss, so it gives probabilities) is trained on confirmed history: closed events with a final category.

The text decides only the category. The department is routing's rule for that category (events/routing.py:
its default department, or for `@town` the town or street government of the event's area), so an event
the model routes goes where the same event filed with that category would go. The department that finally
handled past events is not learned: under 属地管理 it is mostly the government of the event's own town,
which the text cannot tell.

The trained model is stored in `event_classifier_models` (pickled bytes + metadata), so every process
loads the same one; the bytes are only ever written by `train_classifier` itself. With it are stored its
out-of-fold figures (`Figures`) and its auto-route threshold (`choose_threshold`): the lowest score at
which the out-of-fold events it would route reach the target precision (`events_autoroute_precision`).

How the threshold is chosen (`fit_and_measure`, the one home of the method: `events train`, the weekly
retrain, the demo and bench/classifier.py all call it). A single 20 % hold-out of a new city's ~400
messages is ~80 scores, and one unlucky wrong answer at a high score among them moved the threshold, and
with it the auto-routed share, between 48 % and 71 % (docs/performance.md). So every training event gets
an out-of-fold score instead: `CV_FOLDS`-fold stratified cross-validation, each event scored by the model
fitted on the other folds, and the threshold is chosen on all those scores; the stored model is then fitted
on all the training events. Cross-validation costs `CV_FOLDS` extra fits, so on a large history it runs on
a stratified sample of `CV_SAMPLE` events (the folds' models are then fitted on less than the final
model, which makes the figures a little pessimistic, never flattering); at that size the scores are
plenty and the threshold is stable."""

from __future__ import annotations

import json
import pickle
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.core.actors import Actor
from citycockpit.core.errors import Unprocessable
from citycockpit.events import routing
from citycockpit.events.analytics.models import ClassifierModel
from citycockpit.events.enums import COMPLETED_STATES, RoutingSource, state_values
from citycockpit.events.models import Event, EventCategory
from citycockpit.ops.jobs import JobResult

ALGORITHM = "tfidf(char_wb 1-3 + jieba words) + SGDClassifier(log_loss)"
MIN_TRAINING_EVENTS = 50
CV_FOLDS = 5
CV_SAMPLE = 2_000  # cross-validate on at most this many events (a stratified sample of larger histories)
DEFAULT_TARGET_PRECISION = 0.95
TOP_K = 3
NO_THRESHOLD = 1.0  # no out-of-fold score reached the target precision: nothing is auto-routed


def jieba_words(text: str) -> list[str]:
    """Word tokens for the word-level features (module level, so the pipeline pickles)."""
    import jieba

    return [w for w in jieba.lcut(text) if w.strip()]


def regularisation(n_train: int) -> float:
    """SGD's `alpha` for a training set of `n_train` texts: 0.05 / n, which keeps the demo's tuned
    2e-6 at ~25 k events and stops a few hundred texts (a new city's first history) from being fitted
    so hard that every score is ~1.0 and no threshold can tell sure from unsure (bench/classifier.py
    --messages: top-1 86 % → 91 %, auto-routed at 95 % precision 29 % → 60 %)."""
    return 0.05 / max(n_train, 1)


def _pipeline(use_words: bool, seed: int, n_train: int = 25_000) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    features: list[tuple[str, Any]] = [
        (
            "chars",
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(1, 3), min_df=2, max_features=300_000, sublinear_tf=True
            ),
        )
    ]
    if use_words:
        features.append(
            (
                "words",
                TfidfVectorizer(
                    tokenizer=jieba_words, token_pattern=None, lowercase=False, min_df=2, sublinear_tf=True
                ),
            )
        )
    return Pipeline(
        [
            ("features", FeatureUnion(features)),
            (
                "model",
                SGDClassifier(
                    loss="log_loss",
                    alpha=regularisation(n_train),
                    max_iter=50,
                    tol=1e-4,
                    random_state=seed,
                ),
            ),
        ]
    )


def event_text(title: str | None, description: str | None) -> str:
    return f"{title or ''} {description or ''}".strip()


def choose_threshold(scores: list[float], correct: list[bool], target: float) -> float:
    """The auto-route threshold: the lowest score `t` such that the events scoring at least `t` are
    right at least `target` of the time (ties enter together). `NO_THRESHOLD` when no `t` does."""
    pairs = sorted(zip(scores, correct, strict=True), key=lambda p: -p[0])
    chosen, hits = NO_THRESHOLD, 0
    for i, (score, right) in enumerate(pairs):
        hits += bool(right)
        if i + 1 < len(pairs) and pairs[i + 1][0] == score:
            continue  # the same score is routed with the next one
        if hits / (i + 1) >= target:
            chosen = score
    return chosen


@dataclass
class Figures:
    """A model's out-of-fold figures. `autoroute_share` is the share of scored events scoring at least
    `threshold` (those routing sends without a dispatcher), `autoroute_precision` how many of them got
    the right category; `top1` / `top3` how often the first / any of the first three suggestions is
    right; `per_category` code → [precision, recall, scored events]."""

    n: int
    target: float
    threshold: float
    autoroute_share: float | None
    autoroute_precision: float | None
    top1: float | None
    top3: float | None
    per_category: dict[str, list[float]]

    def as_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> Figures | None:
        return cls(**json.loads(text)) if text else None

    def no_worse_than(self, other: Figures | None, *, slack: float = 0.005) -> bool:
        """True when these figures are at least as good as `other`'s (within `slack`): top-1 accuracy
        and auto-routed share, each at the target precision. A model without figures is beaten."""
        if other is None:
            return True
        pairs = [(self.top1, other.top1), (self.autoroute_share, other.autoroute_share)]
        return all(new is not None and (old is None or new >= old - slack) for new, old in pairs)


def measure(ranked: list[list[tuple[str, float]]], truth: list[str], *, target: float) -> Figures:
    """Figures of a model's ranked suggestions (best first, per event) against the confirmed categories."""
    n = len(truth)
    scores = [r[0][1] if r else 0.0 for r in ranked]
    right = [bool(r) and r[0][0] == t for r, t in zip(ranked, truth, strict=True)]
    threshold = choose_threshold(scores, right, target)
    routed = [ok for s, ok in zip(scores, right, strict=True) if s >= threshold]
    in_top3 = [t in {c for c, _ in r[:TOP_K]} for r, t in zip(ranked, truth, strict=True)]
    per_category: dict[str, list[float]] = {}
    for code in sorted(set(truth) | {r[0][0] for r in ranked if r}):
        predicted = sum(1 for r in ranked if r and r[0][0] == code)
        actual = sum(1 for t in truth if t == code)
        hits = sum(1 for r, t in zip(ranked, truth, strict=True) if t == code and r and r[0][0] == code)
        per_category[code] = [
            round(hits / predicted, 4) if predicted else 0.0,
            round(hits / actual, 4) if actual else 0.0,
            float(actual),
        ]
    return Figures(
        n=n,
        target=target,
        threshold=round(threshold, 6),
        autoroute_share=len(routed) / n if n else None,
        autoroute_precision=_share(routed),
        top1=_share(right),
        top3=_share(in_top3),
        per_category=per_category,
    )


@dataclass
class TrainResult:
    """What `train_classifier` stored and measured. `n_train` events fitted the stored model; `n_test`
    of them (all, or the cross-validation sample) were scored out of fold, and the three shares are over
    those scores (each event scored by a model that never saw it).

    - `accuracy`: the predicted minor category is the confirmed one.
    - `department_accuracy`: routing the predicted category sends the event to the same department as
      routing its confirmed category (same rule, same town); over scored events whose confirmed
      category routes to a department.
    - `rule_agreement`: routing the confirmed category gives the department that finally handled the
      event; over scored events with a final department. It measures the routing rules against
      practice, not the model (returns, reassignments, towns handling cases themselves)."""

    model_id: int
    n_train: int
    n_test: int
    accuracy: float | None
    department_accuracy: float | None
    n_classes: int
    seconds: float
    rule_agreement: float | None = None
    figures: Figures | None = None
    kept: bool = True  # False: the new model was worse than the current one and was not stored
    use_words: bool = False  # the feature set chosen: with jieba words, or character n-grams only


def _share(hits: list[bool]) -> float | None:
    return sum(hits) / len(hits) if hits else None


def _rule_departments(session: Session) -> Callable[[str | None, str | None], int | None]:
    """`department(category_code, town_code)`: the department id routing gives a minor category in a
    town (the category's default department through `routing.DepartmentLookup`, which looks each
    department and town up once)."""
    defaults = dict(
        session.execute(
            select(EventCategory.code, EventCategory.default_department_code).where(
                EventCategory.level == "minor"
            )
        ).all()
    )
    departments = routing.DepartmentLookup(session)

    def department(category_code: str | None, town_code: str | None) -> int | None:
        return departments.id_for(defaults.get(category_code) if category_code else None, town_code)

    return department


def _strata(cats: list[str], folds: int) -> list[str]:
    """Stratification labels: categories with fewer events than folds are pooled (they cannot be spread
    over every fold; they still train and are scored)."""
    counts = Counter(cats)
    return [c if counts[c] >= folds else "__rare__" for c in cats]


def cv_sample(cats: list[str], *, seed: int, size: int = CV_SAMPLE) -> list[int]:
    """The events cross-validated: all of them up to `size`, else a sample of `size` stratified by
    category (the cost bound on a large history)."""
    from sklearn.model_selection import train_test_split

    everything = list(range(len(cats)))
    if len(cats) <= size:
        return everything
    try:
        chosen, _ = train_test_split(
            everything, train_size=size, random_state=seed, stratify=_strata(cats, 2)
        )
    except ValueError:  # too many categories for the sample to hold each
        chosen, _ = train_test_split(everything, train_size=size, random_state=seed)
    return sorted(chosen)


def out_of_fold(
    texts: list[str], cats: list[str], *, use_words: bool, seed: int, folds: int = CV_FOLDS
) -> list[list[tuple[str, float]]]:
    """Each text's top three from the model fitted on the other folds (stratified `folds`-fold
    cross-validation), in the texts' order."""
    import warnings

    from sklearn.model_selection import KFold, StratifiedKFold

    strata = _strata(cats, folds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a pooled stratum smaller than the folds
        try:
            splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, strata))
        except ValueError:  # every stratum smaller than the folds
            splits = list(KFold(folds, shuffle=True, random_state=seed).split(texts))
    ranked: list[list[tuple[str, float]]] = [[] for _ in texts]
    for fit_idx, score_idx in splits:
        pipeline = _pipeline(use_words, seed, len(fit_idx))
        pipeline.fit([texts[i] for i in fit_idx], [cats[i] for i in fit_idx])
        for i, r in zip(score_idx, _rank(pipeline, [texts[i] for i in score_idx], TOP_K), strict=True):
            ranked[i] = r
    return ranked


def _rank_key(figures: Figures) -> tuple[float, float]:
    return (round(figures.autoroute_share or 0.0, 3), round(figures.top1 or 0.0, 3))


@dataclass
class Fitted:
    """What `fit_and_measure` returns: the model fitted on every training text, whether it uses jieba
    words, its out-of-fold `figures` (threshold included), and the events they were measured on
    (`scored`, indices into the training texts) with their out-of-fold suggestions (`ranked`)."""

    pipeline: Any
    use_words: bool
    figures: Figures
    scored: list[int]
    ranked: list[list[tuple[str, float]]]
    compared: dict[str, dict[str, float | None]]  # feature set → its out-of-fold share and top-1


def fit_and_measure(
    texts: list[str],
    cats: list[str],
    *,
    target: float,
    use_words: bool | None = None,
    seed: int = 0,
) -> Fitted:
    """The training method (one home for `events train`, the weekly retrain and bench/classifier.py):
    score every event of the cross-validation sample (`cv_sample`) out of fold (`out_of_fold`), choose
    the auto-route threshold and measure the figures on those scores (`measure`), then fit the stored
    model on all `texts`.

    Feature rule, with `use_words` None: both feature sets are cross-validated on the same folds and
    jieba words are kept only when they route a larger share at the target precision (then: a better
    first suggestion); on a tie the cheaper character n-grams win. On a new city's few hundred
    messages words lose (bench/classifier.py --messages: 69–76 % routed against 89–92 %, top-1 94 %
    against 96 %); on the demo's generated history they tie. True / False force a feature set."""
    scored = cv_sample(cats, seed=seed)
    sample_texts, sample_cats = [texts[i] for i in scored], [cats[i] for i in scored]
    options = [use_words] if use_words is not None else [False, True]
    tried: dict[bool, tuple[list[list[tuple[str, float]]], Figures]] = {}
    for words in options:
        ranked = out_of_fold(sample_texts, sample_cats, use_words=words, seed=seed)
        tried[words] = (ranked, measure(ranked, sample_cats, target=target))
    chosen = options[0]
    for words in options[1:]:
        if _rank_key(tried[words][1]) > _rank_key(tried[chosen][1]):
            chosen = words
    pipeline = _pipeline(chosen, seed, len(texts))
    pipeline.fit(texts, cats)
    _fast_single_rows(pipeline)
    ranked, figures = tried[chosen]
    compared = {
        ("chars+words" if words else "chars"): {"autoroute_share": f.autoroute_share, "top1": f.top1}
        for words, (_, f) in tried.items()
    }
    return Fitted(pipeline, chosen, figures, scored, ranked, compared)


def train_classifier(
    session: Session,
    *,
    now: datetime,
    actor: Actor,
    max_events: int = 200_000,
    use_words: bool | None = None,
    seed: int = 0,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    only_if_no_worse: bool = False,
) -> TrainResult:
    """Train on the newest `max_events` confirmed events (closed ones, and those a dispatcher
    categorised in triage) by `fit_and_measure`: out-of-fold figures (see `TrainResult` and `Figures`)
    and the auto-route threshold for `target_precision` from cross-validation, the model fitted on all
    of them, stored as the current one. With `only_if_no_worse`, a model whose figures are worse than the
    current model's is not stored (`kept` False). Writes one audit entry either way."""
    started = time.perf_counter()
    rows = session.execute(
        select(Event.title, Event.description, Event.category_code, Event.town_code, Event.department_id)
        .where(
            or_(
                Event.state.in_(state_values(COMPLETED_STATES)),
                and_(
                    Event.routing_source == RoutingSource.DISPATCHER.value,
                    Event.registered_at.is_not(None),
                ),
            ),
            Event.category_code.is_not(None),
            Event.is_test.is_(False),
        )
        .order_by(Event.id.desc())
        .limit(max_events)
    ).all()
    if len(rows) < MIN_TRAINING_EVENTS:
        raise Unprocessable(
            f"Too little confirmed history to train on: {len(rows)} closed events with a category "
            f"(at least {MIN_TRAINING_EVENTS} are needed)"
        )
    texts = [event_text(r.title, r.description) for r in rows]
    cats = [str(r.category_code) for r in rows]
    fitted = fit_and_measure(texts, cats, target=target_precision, use_words=use_words, seed=seed)
    pipeline, figures = fitted.pipeline, fitted.figures

    department = _rule_departments(session)
    category_hits, department_hits, rule_hits = [], [], []
    for i, ranked in zip(fitted.scored, fitted.ranked, strict=True):
        row, predicted = rows[i], ranked[0][0]
        category_hits.append(predicted == row.category_code)
        expected = department(row.category_code, row.town_code)
        if expected is not None:
            department_hits.append(department(predicted, row.town_code) == expected)
        if row.department_id is not None:
            rule_hits.append(expected == row.department_id)
    accuracy = _share(category_hits)
    department_accuracy = _share(department_hits)
    rule_agreement = _share(rule_hits)
    seconds = time.perf_counter() - started
    n_train, n_scored = len(rows), len(fitted.scored)
    if only_if_no_worse:
        current = session.scalars(select(ClassifierModel).order_by(ClassifierModel.id.desc())).first()
        old = Figures.from_json(current.figures_json) if current is not None else None
        if current is not None and not figures.no_worse_than(old):
            audit.record(
                session,
                actor,
                "events.classifier.discard",
                "event_classifier_model",
                current.id,
                diff={"new": figures.__dict__, "kept_model": current.id},
                at=now,
            )
            return TrainResult(
                current.id,
                n_train,
                n_scored,
                accuracy,
                department_accuracy,
                len(pipeline.classes_),
                seconds,
                rule_agreement,
                figures,
                kept=False,
            )
    payload = pickle.dumps({"pipeline": pipeline}, protocol=5)
    row = ClassifierModel(
        trained_at=now,
        algorithm=ALGORITHM if fitted.use_words else ALGORITHM.replace(" + jieba words", ""),
        n_train=n_train,
        n_test=n_scored,
        accuracy=accuracy,
        department_accuracy=department_accuracy,
        n_classes=len(pipeline.classes_),
        params_json=json.dumps(
            {
                "method": f"{CV_FOLDS}-fold cross-validation, out-of-fold scores",
                "cv_folds": CV_FOLDS,
                "cv_sample": CV_SAMPLE,
                "max_events": max_events,
                "seed": seed,
                "target_precision": target_precision,
                "use_words": fitted.use_words,
                "features_compared": fitted.compared,
            }
        ),
        autoroute_threshold=figures.threshold,
        figures_json=figures.as_json(),
        model_bytes=payload,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "events.classifier.train",
        "event_classifier_model",
        row.id,
        diff={
            "n_train": row.n_train,
            "n_test": row.n_test,
            "accuracy": accuracy,
            "department_accuracy": department_accuracy,
            "rule_agreement": rule_agreement,
            "autoroute_threshold": row.autoroute_threshold,
            "autoroute_share": figures.autoroute_share,
            "top3": figures.top3,
            "use_words": fitted.use_words,
        },
        at=now,
    )
    return TrainResult(
        row.id,
        row.n_train,
        row.n_test,
        accuracy,
        department_accuracy,
        row.n_classes,
        seconds,
        rule_agreement,
        figures,
        use_words=fitted.use_words,
    )


def _rank(pipeline: Any, texts: list[str], k: int) -> list[list[tuple[str, float]]]:
    """The `k` likeliest categories per text, (code, probability) best first."""
    probabilities = pipeline.predict_proba(texts)
    classes = pipeline.classes_
    out = []
    for row in probabilities:
        order = row.argsort()[::-1][:k]
        out.append([(str(classes[j]), float(row[j])) for j in order])
    return out


def _fast_single_rows(pipeline: Any) -> None:
    """Store the linear model's weights column-major. Scoring computes `X @ coef_.T`; scipy copies a
    non-C-contiguous right operand on every call, which for one text meant copying the whole
    (classes × features) matrix (1.3 ms at 15 k features, 42 ms at 150 k) to use a few of its rows."""
    import numpy as np

    model = pipeline.named_steps["model"]
    model.coef_ = np.asfortranarray(model.coef_)


@dataclass(frozen=True)
class LoadedModel:
    id: int
    pipeline: Any
    threshold: float | None = None  # the stored auto-route threshold (None: older model)

    def rank(self, texts: list[str], k: int = TOP_K) -> list[list[tuple[str, float]]]:
        """The `k` likeliest (category code, confidence 0–1) per text, best first."""
        return _rank(self.pipeline, texts, k)

    def predict(self, texts: list[str]) -> list[tuple[str, float]]:
        """(category code, confidence 0–1) per text."""
        probabilities = self.pipeline.predict_proba(texts)
        classes = self.pipeline.classes_
        out = []
        for row in probabilities:
            best = int(row.argmax())
            out.append((str(classes[best]), float(row[best])))
        return out


_CACHE: dict[tuple[str, int], LoadedModel] = {}


def current_model(session: Session) -> LoadedModel | None:
    """The newest stored model, unpickled once per process."""
    model_id = session.scalar(select(func.max(ClassifierModel.id)))
    if model_id is None:
        return None
    bind = session.get_bind()
    key = (str(getattr(bind, "url", None) or bind.engine.url), int(model_id))
    if key not in _CACHE:
        data, threshold = session.execute(
            select(ClassifierModel.model_bytes, ClassifierModel.autoroute_threshold).where(
                ClassifierModel.id == model_id
            )
        ).one()
        stored = pickle.loads(data)  # noqa: S301 - written by train_classifier only
        _fast_single_rows(stored["pipeline"])  # models stored before the weights were column-major
        _CACHE.clear()
        _CACHE[key] = LoadedModel(int(model_id), stored["pipeline"], threshold)
    return _CACHE[key]


def suggest(session: Session, text: str) -> tuple[str, str | None, float] | None:
    """(category code, department code, confidence 0–1) for a text, or None without a trained model.
    The department code is the suggested category's default department as configured now (`@town`:
    the town government of the event's area, which routing resolves from the location)."""
    model = current_model(session)
    if model is None or not text.strip():
        return None
    category, confidence = model.predict([text])[0]
    department = session.scalar(
        select(EventCategory.default_department_code).where(
            EventCategory.code == category, EventCategory.level == "minor"
        )
    )
    return category, department, confidence


def rank(session: Session, text: str, k: int = TOP_K) -> routing.Ranking | None:
    """The `k` likeliest categories for a text with their default department codes, and the current
    model's auto-route threshold; None without a trained model."""
    model = current_model(session)
    if model is None or not text.strip():
        return None
    ranked = model.rank([text], k)[0]
    codes = [c for c, _ in ranked]
    departments = dict(
        session.execute(
            select(EventCategory.code, EventCategory.default_department_code).where(
                EventCategory.code.in_(codes), EventCategory.level == "minor"
            )
        ).all()
    )
    return routing.Ranking(
        tuple(routing.Suggestion(c, departments.get(c), score) for c, score in ranked), model.threshold
    )


def suggest_categories(session: Session, text: str, k: int = TOP_K) -> list[tuple[EventCategory, float]]:
    """The report form's suggestions as the worker types: `rank`'s likeliest active minor categories
    for the text with their scores, best first ([] without a trained model or text)."""
    ranking = rank(session, text, k)
    if ranking is None:
        return []
    codes = [s.category_code for s in ranking.suggestions]
    found = {
        c.code: c
        for c in session.scalars(
            select(EventCategory).where(
                EventCategory.code.in_(codes),
                EventCategory.level == "minor",
                EventCategory.is_active.is_(True),
            )
        )
    }
    return [(found[s.category_code], s.confidence) for s in ranking.suggestions if s.category_code in found]


class TrainedClassifier:
    """The routing hook (events/routing.py `Classifier`): the newest stored model, read per call."""

    name = "model"

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def suggest(self, text: str) -> tuple[str, str | None, float] | None:
        from citycockpit.db import session_scope

        with session_scope(self.engine, read_only=True) as session:
            return suggest(session, text)

    def rank(self, text: str) -> routing.Ranking | None:
        from citycockpit.db import session_scope

        with session_scope(self.engine, read_only=True) as session:
            return rank(session, text)


def install(engine: Any) -> bool:
    """Route intake through the trained model when one is stored (else routing keeps its keyword
    baseline). Called when the app starts; a model trained later is picked up once one was installed."""
    from sqlalchemy.exc import SQLAlchemyError

    from citycockpit.db import session_scope

    try:
        with session_scope(engine, read_only=True) as session:
            if session.scalar(select(func.max(ClassifierModel.id))) is None:
                return False
    except SQLAlchemyError:  # schema not migrated yet
        return False
    routing.set_classifier(TrainedClassifier(engine))
    return True


RETRAIN_EVERY = timedelta(days=7)


def retrain_job(session: Session, *, now: datetime, calendar: Any) -> JobResult:
    """Worker job: at most once a week (`events_retrain_weekly`), retrain on the confirmed history and
    keep the new model only when its out-of-fold figures are no worse than the current model's. Touched:
    1 when a new model was stored, else 0 (too recent, too little history, or discarded)."""
    from citycockpit.config import get_settings
    from citycockpit.core.actors import SystemActor

    settings = get_settings()
    if not settings.events_retrain_weekly:
        return JobResult("classifier", 0)
    last = session.scalar(select(func.max(ClassifierModel.trained_at)))
    if last is not None and now - last < RETRAIN_EVERY:
        return JobResult("classifier", 0)
    try:
        result = train_classifier(
            session,
            now=now,
            actor=SystemActor("worker"),
            target_precision=settings.events_autoroute_precision,
            only_if_no_worse=True,
        )
    except Unprocessable:  # too little confirmed history yet
        return JobResult("classifier", 0)
    return JobResult("classifier", 1 if result.kept else 0)
