"""Classifier: what routing a dispatcher can trust would do with new requests — the auto-routed share and
its precision at the auto-route threshold, top-1 / top-3 suggestion accuracy — plus texts/second.

Two sources:

- `--db URL`: a database's confirmed history (e.g. `citycockpit demo --no-serve --db demo.db`, whose
  events demo/generate.py writes). Trains exactly as `citycockpit events train` does (80 / 20 split, the
  threshold chosen on the held-out 20 %) and prints the held-out figures and the speed.
- `--messages FILE`: a labelled message file (`tests/data/citizen_messages.yaml`: realistic citizen
  requests in 7 categories, written for this project, split into `train` and `test`). The model is
  fitted on 80 % of `train`, the threshold is chosen on the other 20 % as `events train` chooses it, and
  the figures are measured on `test`, which neither saw.

Usage: PYTHONPATH=src python bench/classifier.py --db sqlite:///demo.db [--max-events 100000] [--no-words]
       PYTHONPATH=src python bench/classifier.py --messages tests/data/citizen_messages.yaml
The figures are defined in `events.intake.classifier.Figures` and docs/domains/events.md."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import fixed_clock
from citycockpit.db import make_engine, session_scope
from citycockpit.events.intake import classifier
from citycockpit.events.models import Event


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def show(figures: classifier.Figures, where: str) -> None:
    print(
        f"{where}: {figures.n:,} requests; threshold {figures.threshold:.3f} for precision "
        f"{figures.target:.0%}: auto-routed {pct(figures.autoroute_share)} with precision "
        f"{pct(figures.autoroute_precision)}; first suggestion right {pct(figures.top1)}, "
        f"one of the top three {pct(figures.top3)}"
    )


def on_database(url: str, max_events: int, use_words: bool, target: float) -> None:
    engine = make_engine(url)
    now = fixed_clock("2024-09-30T10:00:00").now()
    with session_scope(engine) as s:
        result = classifier.train_classifier(
            s,
            now=now,
            actor=SystemActor("bench"),
            max_events=max_events,
            use_words=use_words,
            target_precision=target,
        )
    print(
        f"trained on {result.n_train:,}, held out {result.n_test:,}, {result.n_classes} classes, "
        f"{result.seconds:.1f} s: category accuracy {pct(result.accuracy)}, department accuracy "
        f"{pct(result.department_accuracy)}; the rule gives the final department in "
        f"{pct(result.rule_agreement)}"
    )
    assert result.figures is not None
    show(result.figures, "held out")
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
            classifier.rank(s, text)
        single = (time.perf_counter() - t) / 500
    print(
        f"batch: {len(texts) / batch:,.0f} texts/s; one rank() call (top three, with the model-id "
        f"check): {single * 1000:.2f} ms"
    )


def on_messages(path: Path, use_words: bool, target: float, seed: int) -> None:
    from sklearn.model_selection import train_test_split

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    train = [(text, code) for code, texts in data["train"].items() for text in texts]
    test = [(text, code) for code, texts in data["test"].items() for text in texts]
    fit, tune = train_test_split(train, test_size=0.2, random_state=seed, stratify=[c for _, c in train])
    started = time.perf_counter()
    pipeline = classifier._pipeline(use_words, seed, len(fit))
    pipeline.fit([t for t, _ in fit], [c for _, c in fit])
    seconds = time.perf_counter() - started
    tuned = classifier.measure(
        classifier._rank(pipeline, [t for t, _ in tune], classifier.TOP_K),
        [c for _, c in tune],
        target=target,
    )
    ranked = classifier._rank(pipeline, [t for t, _ in test], classifier.TOP_K)
    truth = [c for _, c in test]
    measured = classifier.measure(ranked, truth, target=target)
    routed = [r[0][0] == c for r, c in zip(ranked, truth, strict=True) if r[0][1] >= tuned.threshold]
    print(
        f"{path.name}: {len(data['train'])} categories, fitted on {len(fit)}, threshold from "
        f"{len(tune)}, measured on {len(test)} unseen ({seconds:.1f} s)"
    )
    print(
        f"test at the threshold chosen on the tuning share ({tuned.threshold:.3f}): auto-routed "
        f"{len(routed) / len(test):.1%} with precision {pct(sum(routed) / len(routed) if routed else None)}; "
        f"first suggestion right {pct(measured.top1)}, one of the top three {pct(measured.top3)}"
    )
    show(measured, "test, threshold chosen on the test itself (the best this model could do)")


def main() -> None:
    parser = argparse.ArgumentParser()
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--db")
    source.add_argument("--messages", type=Path)
    parser.add_argument("--max-events", type=int, default=100_000)
    parser.add_argument("--no-words", action="store_true")
    parser.add_argument("--target", type=float, default=classifier.DEFAULT_TARGET_PRECISION)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.db:
        on_database(args.db, args.max_events, not args.no_words, args.target)
    else:
        on_messages(args.messages, not args.no_words, args.target, args.seed)


if __name__ == "__main__":
    main()
