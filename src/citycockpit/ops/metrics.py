"""Prometheus metrics: request counts and latencies by route, plus gauges read from the database at
scrape time (providers passed in by the app: events by state, queue depths, worker lag). Several worker processes share counters through
prometheus_client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set (`serve --workers N` sets it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.orm import Session

REQUESTS = Counter(
    "citycockpit_http_requests_total",
    "HTTP requests by route template, method and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "citycockpit_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

INTAKE_BATCH_SIZE = Histogram(
    "citycockpit_intake_batch_size",
    "Open311 POSTs written together in one intake transaction (group commit)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
INTAKE_BATCH_SECONDS = Histogram(
    "citycockpit_intake_batch_seconds",
    "Time the intake writer took to check, prepare and commit one batch",
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
INTAKE_OVERLOADED = Counter(
    "citycockpit_intake_overloaded_total",
    "Open311 POSTs refused with 503 because the process held intake_queue_limit unanswered ones",
)


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class GaugeProvider:
    name: str
    help: str
    label_names: tuple[str, ...]
    read: Callable[[Session], Iterable[Sample]]


class DatabaseGauges:
    """A collector that runs each provider's (SQL GROUP BY) query when Prometheus scrapes."""

    def __init__(self, session: Session, providers: Iterable[GaugeProvider]) -> None:
        self.session = session
        self.providers = list(providers)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        up = GaugeMetricFamily("citycockpit_database_up", "1 when the database answered the scrape's queries")
        families = []
        try:
            for provider in self.providers:
                family = GaugeMetricFamily(provider.name, provider.help, labels=list(provider.label_names))
                for sample in provider.read(self.session):
                    family.add_metric([sample.labels.get(n, "") for n in provider.label_names], sample.value)
                families.append(family)
            up.add_metric([], 1)
        except Exception:  # a down database must not break the scrape
            up.add_metric([], 0)
        yield up
        yield from families


def render_metrics(session: Session, providers: Iterable[GaugeProvider] = ()) -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    out = generate_latest(registry)
    extra = CollectorRegistry()
    extra.register(DatabaseGauges(session, providers))  # type: ignore[arg-type]
    return out + generate_latest(extra), CONTENT_TYPE_LATEST
