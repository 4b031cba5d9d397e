"""The text classifier that suggests an event's minor category (小类) and department from its text.

Character n-grams (TF-IDF, `char_wb`, 1–3) carry most of the signal in Chinese, where words are not
separated; jieba words are added as a second feature set where they help (compound terms such as
占道经营). A linear model (SGD with logistic loss, so it gives probabilities) is trained on confirmed
history: closed events with a final category and department. The department is the one that most often
handled the predicted category in that history.

The trained model is stored in `event_classifier_models` (pickled bytes + metadata), so every process
loads the same one; the bytes are only ever written by `train_classifier` itself."""

from __future__ import annotations

import json
import pickle
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.audit.service import Actor
from citycockpit.core.errors import Unprocessable
from citycockpit.events.kpi_models import ClassifierModel
from citycockpit.events.models import Event
from citycockpit.org.models import Department

ALGORITHM = "tfidf(char_wb 1-3 + jieba words) + SGDClassifier(log_loss)"
CONFIRMED_STATES = ("closed", "rated")
MIN_TRAINING_EVENTS = 50


def jieba_words(text: str) -> list[str]:
    """Word tokens for the word-level features (module level, so the pipeline pickles)."""
    import jieba

    return [w for w in jieba.lcut(text) if w.strip()]


def _pipeline(use_words: bool, seed: int) -> Any:
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
            ("model", SGDClassifier(loss="log_loss", alpha=2e-6, max_iter=20, tol=1e-4, random_state=seed)),
        ]
    )


def event_text(title: str | None, description: str | None) -> str:
    return f"{title or ''} {description or ''}".strip()


@dataclass
class TrainResult:
    model_id: int
    n_train: int
    n_test: int
    accuracy: float | None
    department_accuracy: float | None
    n_classes: int
    seconds: float


def train_classifier(
    session: Session,
    *,
    now: datetime,
    actor: Actor,
    max_events: int = 200_000,
    test_share: float = 0.2,
    use_words: bool = True,
    seed: int = 0,
) -> TrainResult:
    """Train on the newest `max_events` confirmed events, measure accuracy on a held-out share, and store
    the model (fitted on the training split) as the current one. Writes one audit entry."""
    from sklearn.model_selection import train_test_split

    started = time.perf_counter()
    rows = session.execute(
        select(Event.title, Event.description, Event.category_code, Department.code)
        .join(Department, Department.id == Event.department_id)
        .where(
            Event.state.in_(CONFIRMED_STATES),
            Event.category_code.is_not(None),
            Event.is_test.is_(False),
        )
        .order_by(Event.id.desc())
        .limit(max_events)
    ).all()
    if len(rows) < MIN_TRAINING_EVENTS:
        raise Unprocessable(
            f"Too little confirmed history to train on: {len(rows)} closed events with a category and "
            f"department (at least {MIN_TRAINING_EVENTS} are needed)"
        )
    texts = [event_text(t, d) for t, d, _, _ in rows]
    cats = [c for _, _, c, _ in rows]
    depts = [d for _, _, _, d in rows]
    counts = Counter(cats)
    # Categories seen once cannot be stratified; keep them in training only.
    strat = [c if counts[c] > 1 else "__rare__" for c in cats]
    try:
        idx_train, idx_test = train_test_split(
            list(range(len(rows))), test_size=test_share, random_state=seed, stratify=strat
        )
    except ValueError:
        idx_train, idx_test = train_test_split(
            list(range(len(rows))), test_size=test_share, random_state=seed
        )
    pipeline = _pipeline(use_words, seed)
    pipeline.fit([texts[i] for i in idx_train], [cats[i] for i in idx_train])
    by_category: dict[str, Counter[str]] = defaultdict(Counter)
    for i in idx_train:
        by_category[cats[i]][depts[i]] += 1
    department_of = {c: counter.most_common(1)[0][0] for c, counter in by_category.items()}

    accuracy = department_accuracy = None
    if idx_test:
        predicted = pipeline.predict([texts[i] for i in idx_test])
        accuracy = sum(p == cats[i] for p, i in zip(predicted, idx_test, strict=True)) / len(idx_test)
        department_accuracy = sum(
            department_of.get(p) == depts[i] for p, i in zip(predicted, idx_test, strict=True)
        ) / len(idx_test)
    payload = pickle.dumps({"pipeline": pipeline, "department_of": department_of}, protocol=5)
    row = ClassifierModel(
        trained_at=now,
        algorithm=ALGORITHM if use_words else ALGORITHM.replace(" + jieba words", ""),
        n_train=len(idx_train),
        n_test=len(idx_test),
        accuracy=accuracy,
        department_accuracy=department_accuracy,
        n_classes=len(pipeline.classes_),
        params_json=json.dumps({"test_share": test_share, "max_events": max_events, "seed": seed}),
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
        diff={"n_train": row.n_train, "n_test": row.n_test, "accuracy": accuracy},
        at=now,
    )
    return TrainResult(
        row.id,
        row.n_train,
        row.n_test,
        accuracy,
        department_accuracy,
        row.n_classes,
        time.perf_counter() - started,
    )


@dataclass(frozen=True)
class LoadedModel:
    id: int
    pipeline: Any
    department_of: dict[str, str]

    def predict(self, texts: list[str]) -> list[tuple[str, str | None, float]]:
        probabilities = self.pipeline.predict_proba(texts)
        classes = self.pipeline.classes_
        out = []
        for row in probabilities:
            best = int(row.argmax())
            category = str(classes[best])
            out.append((category, self.department_of.get(category), float(row[best])))
        return out


_CACHE: dict[tuple[str, int], LoadedModel] = {}


def current_model(session: Session) -> LoadedModel | None:
    """The newest stored model, unpickled once per process."""
    model_id = session.scalar(select(func.max(ClassifierModel.id)))
    if model_id is None:
        return None
    key = (str(session.get_bind().url), int(model_id))
    if key not in _CACHE:
        data = session.scalar(select(ClassifierModel.model_bytes).where(ClassifierModel.id == model_id))
        stored = pickle.loads(data)  # noqa: S301 - written by train_classifier only
        _CACHE.clear()
        _CACHE[key] = LoadedModel(int(model_id), stored["pipeline"], stored["department_of"])
    return _CACHE[key]


def suggest(session: Session, text: str) -> tuple[str, str | None, float] | None:
    """(category code, department code, confidence 0–1) for a text, or None without a trained model."""
    model = current_model(session)
    if model is None or not text.strip():
        return None
    return model.predict([text])[0]


class TrainedClassifier:
    """The routing hook (events/routing.py `Classifier`): the newest stored model, read per call."""

    name = "model"

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def suggest(self, text: str) -> tuple[str, str | None, float] | None:
        from citycockpit.db import session_scope

        with session_scope(self.engine, read_only=True) as session:
            return suggest(session, text)


def install(engine: Any) -> bool:
    """Route intake through the trained model when one is stored (else routing keeps its keyword
    baseline). Called when the app starts; a model trained later is picked up once one was installed."""
    from sqlalchemy.exc import SQLAlchemyError

    from citycockpit.db import session_scope
    from citycockpit.events import routing

    try:
        with session_scope(engine, read_only=True) as session:
            if session.scalar(select(func.max(ClassifierModel.id))) is None:
                return False
    except SQLAlchemyError:  # schema not migrated yet
        return False
    routing.set_classifier(TrainedClassifier(engine))
    return True
