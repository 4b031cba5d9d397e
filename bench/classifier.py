"""Classifier: what routing a dispatcher can trust would do with new requests — the auto-routed share and
its precision at the auto-route threshold, top-1 / top-3 suggestion accuracy — plus texts/second.

Two sources:

- `--db URL`: a database's confirmed history (e.g. `citycockpit demo --no-serve --db demo.db`, whose
  events demo/generate.py writes). Trains exactly as `citycockpit events train` does
  (`classifier.train_classifier`: out-of-fold scores of 5-fold cross-validation on at most
  `CV_SAMPLE` events choose the threshold, the model is fitted on all) and prints the out-of-fold
  figures and the speed.
- `--messages FILE`: a labelled message file (`tests/data/citizen_messages.yaml`: realistic citizen
  requests in 7 categories, written for this project, split into `train` and `test`). `train` goes
  through the same method (`classifier.fit_and_measure`, the one `events train` calls): threshold from
  its out-of-fold scores, model fitted on all of it; the figures are measured on `test`, which neither
  step saw. `--seeds 0 1 2 3 4` repeats it per seed (folds and SGD's shuffling).

Usage: PYTHONPATH=src python bench/classifier.py --db sqlite:///demo.db [--max-events 100000] [--no-words]
       PYTHONPATH=src python bench/classifier.py --messages tests/data/citizen_messages.yaml [--seeds 0 1 2]
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


def on_database(url: str, max_events: int, use_words: bool | None, target: float) -> None:
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
        f"trained on {result.n_train:,}, scored out of fold {result.n_test:,}, {result.n_classes} classes, "
        f"features {'chars + words' if result.use_words else 'chars'}, {result.seconds:.1f} s: category "
        f"accuracy {pct(result.accuracy)}, department accuracy {pct(result.department_accuracy)}; the rule "
        f"gives the final department in {pct(result.rule_agreement)}"
    )
    assert result.figures is not None
    show(result.figures, "out of fold")
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


def on_messages(path: Path, use_words: bool | None, target: float, seeds: list[int]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    train = [(text, code) for code, texts in data["train"].items() for text in texts]
    test = [(text, code) for code, texts in data["test"].items() for text in texts]
    truth = [c for _, c in test]
    print(
        f"{path.name}: {len(data['train'])} categories, {len(train)} to train (threshold from their "
        f"{classifier.CV_FOLDS}-fold out-of-fold scores, model fitted on all), {len(test)} unseen to measure"
    )
    print(
        "| features | seed | threshold | auto-routed | its precision | top-1 | top-3 | out-of-fold share | s |"
    )
    for seed in seeds:
        started = time.perf_counter()
        fitted = classifier.fit_and_measure(
            [t for t, _ in train], [c for _, c in train], target=target, use_words=use_words, seed=seed
        )
        seconds = time.perf_counter() - started
        threshold = fitted.figures.threshold
        ranked = classifier._rank(fitted.pipeline, [t for t, _ in test], classifier.TOP_K)
        measured = classifier.measure(ranked, truth, target=target)
        routed = [r[0][0] == c for r, c in zip(ranked, truth, strict=True) if r[0][1] >= threshold]
        print(
            f"| {'chars + words' if fitted.use_words else 'chars'} | {seed} | {threshold:.3f} | "
            f"{len(routed) / len(test):.1%} | {pct(sum(routed) / len(routed) if routed else None)} | "
            f"{pct(measured.top1)} | {pct(measured.top3)} | {pct(fitted.figures.autoroute_share)} | "
            f"{seconds:.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--db")
    source.add_argument("--messages", type=Path)
    parser.add_argument("--max-events", type=int, default=100_000)
    words = parser.add_mutually_exclusive_group()
    words.add_argument("--words", dest="use_words", action="store_const", const=True, default=None)
    words.add_argument("--no-words", dest="use_words", action="store_const", const=False)
    parser.add_argument("--target", type=float, default=classifier.DEFAULT_TARGET_PRECISION)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    if args.db:
        on_database(args.db, args.max_events, args.use_words, args.target)
    else:
        on_messages(args.messages, args.use_words, args.target, args.seeds)


if __name__ == "__main__":
    main()
