"""A report, its task tree and glossary, and the items extracted from it with their review state."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citycockpit.db import Base, UTCDateTime
from citycockpit.report.enums import number_text, value_text


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    review_year: Mapped[int | None] = mapped_column(Integer)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    speaker: Mapped[str | None] = mapped_column(String(100))
    source_filename: Mapped[str] = mapped_column(String(255))
    source_type: Mapped[str] = mapped_column(String(8))
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ingested_by: Mapped[str] = mapped_column(String(100))


class ReportTask(Base):
    """A numbered task area (一、二、…) of the task part."""

    __tablename__ = "report_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)


class ReportSubtask(Base):
    """A sub-task inside a task area: a paragraph and its lead sentence."""

    __tablename__ = "report_subtasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("report_tasks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)


class ReportItem(Base):
    """One extracted item (a target, a qualitative target, an actual or a commitment) and its review."""

    __tablename__ = "report_items"
    __table_args__ = (Index("ix_report_items_report_list", "report_id", "list_name", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    list_name: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    subtask_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_subtasks.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(Text)
    measure: Mapped[str | None] = mapped_column(String(8))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))
    qualifier: Mapped[str | None] = mapped_column(String(2))
    stretch: Mapped[bool] = mapped_column(default=False)
    quote: Mapped[str] = mapped_column(Text)
    quote_start: Mapped[int | None] = mapped_column(Integer)
    quote_end: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    review_state: Mapped[str] = mapped_column(String(12), default="extracted", index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(Text)
    extracted_json: Mapped[str] = mapped_column(Text)

    @property
    def value_text(self) -> str:
        """The figure in the report's own notation (增长5%以上); "" for a qualitative item."""
        return value_text(self.measure, self.value, self.unit, self.qualifier)

    @property
    def value_number(self) -> str:
        """The value as the edit form shows it (1200000, not 1.2e+06); "" without a value."""
        return "" if self.value is None else number_text(self.value)


class GlossaryEntry(Base):
    __tablename__ = "report_glossary"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    term: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
