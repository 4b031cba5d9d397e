"""Classifier: held-out accuracy and texts/second on generated history.

Usage: PYTHONPATH=src python bench/classifier.py --db URL [--max-events 100000] [--no-words]
(e.g. on `citycockpit demo --no-serve --db demo.db`). The three shares are defined in
`events.classifier.TrainResult` and docs/domains/events.md."""

from __future__ import annotations

import argparse
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.events.intake import classifier
from citycockpit.events.models import Event


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--max-events", type=int, default=100_000)
    parser.add_argument("--no-words", action="store_true")
    args = parser.parse_args()
    engine = make_engine(args.db)
    now = fixed_clock("2024-09-30T10:00:00").now()
    with session_scope(engine) as s:
        result = classifier.train_classifier(
            s, now=now, actor=SystemActor("bench"), max_events=args.max_events, use_words=not args.no_words
        )
    print(
        f"trained on {result.n_train:,}, held out {result.n_test:,}, {result.n_classes} classes, "
        f"{result.seconds:.1f} s: category accuracy {result.accuracy:.2%}, department accuracy "
        f"{result.department_accuracy:.2%}; the rule gives the final department in "
        f"{result.rule_agreement:.2%}"
    )
    with Session(engine) as s:
        texts = [
            classifier.event_text(t, d)
            for t, d in s.execute(
                select(Event.title, Event.description).order_by(Event.id).limit(20_000)
            ).all()
        ]
        model = classifier.current_model(s)
        assert model is not None
        t = time.perf_counter()
        model.predict(texts)
        batch = time.perf_counter() - t
        t = time.perf_counter()
        for text in texts[:500]:
            classifier.suggest(s, text)
        single = (time.perf_counter() - t) / 500
    print(
        f"batch: {len(texts) / batch:,.0f} texts/s; one suggest() call (with the model-id check): {single * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
