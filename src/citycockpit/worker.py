"""The worker's jobs: every domain's periodic job, in the order `citycockpit worker` runs them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from citycockpit.audit.anchors import anchor_job
from citycockpit.config import Settings
from citycockpit.events.analytics.rollup import rollup_job
from citycockpit.events.intake.classifier import retrain_job
from citycockpit.events.storage.partitions import partition_job
from citycockpit.events.surges.service import detect_surges_job
from citycockpit.events.workflow import jobs as event_jobs
from citycockpit.goals.evaluation import evaluate_goals_job
from citycockpit.goals.feeds import air_goals_job, feed_actuals_job
from citycockpit.indicators import jobs as indicator_jobs
from citycockpit.indicators.air import air_quality_job
from citycockpit.ops.jobs import Job, JobOutcome, run_jobs

JOBS: list[tuple[str, Job]] = [
    ("partitions", partition_job),
    *event_jobs.JOBS,
    ("surges", detect_surges_job),
    ("rollup", rollup_job),
    ("indicator_pulls", indicator_jobs.pull_job),
    ("indicator_silence", indicator_jobs.silence_job),
    ("air_quality", air_quality_job),
    ("goal_feeds", feed_actuals_job),
    ("air_goals", air_goals_job),
    ("goals", evaluate_goals_job),
    ("classifier", retrain_job),
]


def run_jobs_once(
    engine: Engine, clock: Any, calendar: Any, settings: Settings | None = None
) -> list[JobOutcome]:
    """Run every job once (see ops.jobs.run_jobs); with `settings`, also the audit chain's anchor
    (`audit_anchor`, every `audit_anchor_minutes`; 0 leaves it to cron)."""
    jobs = list(JOBS)
    if settings is not None and settings.audit_anchor_minutes > 0:
        jobs.append(("audit_anchor", anchor_job(settings)))
    return run_jobs(engine, jobs, clock, calendar)
