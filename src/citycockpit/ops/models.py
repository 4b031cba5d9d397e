"""Tables of operations: the record of the periodic jobs' runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from citycockpit.db import Base, UTCDateTime


class WorkerJobRun(Base):
    """The last run of each periodic job of `citycockpit worker` (one row per job, upserted by every
    worker): what /metrics reports as each job's lag and failure."""

    __tablename__ = "worker_job_runs"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    last_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seconds: Mapped[float] = mapped_column(Float)
    last_succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_touched: Mapped[int | None] = mapped_column(Integer)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(1000))
    last_worker: Mapped[str] = mapped_column(String(100))
