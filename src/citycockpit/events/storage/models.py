"""Tables of the events' storage: which months were archived (`citycockpit events archive`) to which
file. The monthly partitions themselves are PostgreSQL DDL (events/storage/partitions.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citycockpit.db import Base, UTCDateTime


class EventArchive(Base):
    """One month of events taken out of the database into an archive file, with its rollups kept, so
    the KPIs of that month stay readable. `restored_at` is set when the file was loaded back."""

    __tablename__ = "event_archives"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    events: Mapped[int] = mapped_column(Integer)
    # the last local day these events count on in the rollups (closed or due then): the handling P90
    # of a period reaching back to it or before is estimated from the histogram (events/analytics/kpis.py)
    counted_until: Mapped[date] = mapped_column(Date)
    # rows per table written for this archive run (JSON: {"events": n, "event_transitions": n, …})
    counts_json: Mapped[str] = mapped_column(Text)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime())
    archived_by: Mapped[str] = mapped_column(String(100))
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
